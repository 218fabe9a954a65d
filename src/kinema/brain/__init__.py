"""Brains: what a character says. Persona → system prompt and register; ``Brain.reply`` streams
speakable sentences with citations; ``respond.answer`` retrieves from the knowledge index first.

Backends: ``embedded`` (default; offline, deterministic, extractive, not an LLM) and ``openai``
(any OpenAI-compatible streaming chat server). Pick with ``get_brain(name)`` or
``KINEMA_BRAIN``.
"""

from kinema.brain.base import BRAINS, Brain, Citation, Sentence, Turn, get_brain
from kinema.brain.persona import TEMPLATES, Persona
from kinema.brain.respond import answer

__all__ = [
    "BRAINS",
    "TEMPLATES",
    "Brain",
    "Citation",
    "Persona",
    "Sentence",
    "Turn",
    "answer",
    "get_brain",
]
