"""The brain contract: (persona, history, retrieved passages, user text) → spoken sentences.

A brain streams its reply one ``Sentence`` at a time so speech can start on the first sentence
while the rest is still being produced; each sentence carries the citations it rests on as
data (never spoken). Backends register in ``BRAINS`` and are picked by name from settings
(``KINEMA_BRAIN=embedded|openai``) through ``get_brain``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, Protocol, runtime_checkable

from kinema.config import Settings, get_settings
from kinema.errors import InvalidInput
from kinema.knowledge.index import Passage, source_label

if TYPE_CHECKING:
    from kinema.brain.persona import Persona


@dataclass(frozen=True)
class Turn:
    """One message of the conversation so far."""

    role: Literal["user", "assistant"]
    content: str


@dataclass(frozen=True)
class Citation:
    """Where a sentence comes from: the document, the PDF ``page`` (``None`` for unpaged
    documents) and the ``heading`` of its section, a quoted ``snippet``, and ``source``, the
    place as a reader finds it ("Handbook, page 12", "FAQ, Returns"). ``position`` is the
    passage's internal ordinal, kept for de-duplication, not for people."""

    doc_id: str
    doc_name: str
    position: int
    snippet: str
    page: int | None = None
    heading: str = ""
    source: str = ""


@dataclass(frozen=True)
class Sentence:
    """A speakable sentence (no markdown, URLs or citation markers) and its sources."""

    text: str
    citations: list[Citation] = field(default_factory=list)


def citation_for(passage: Passage, snippet: str | None = None) -> Citation:
    text = snippet if snippet is not None else passage.text
    if len(text) > 240:
        text = text[:237].rsplit(" ", 1)[0] + "..."
    return Citation(
        passage.doc_id,
        passage.doc_name,
        passage.position,
        text,
        passage.page,
        passage.heading,
        source_label(passage.doc_name, passage.page, passage.heading),
    )


@runtime_checkable
class Brain(Protocol):
    """Produces a reply sentence by sentence.

    ``reply`` is an async generator::

        async for sentence in brain.reply(persona, history, user_text, passages):
            speak(sentence.text)

    It must not raise for backend trouble: a failing backend yields an apology sentence, so the
    conversation goes on. Cancelling the iteration (barge-in) must be safe at any point.
    """

    name: str

    def reply(
        self,
        persona: Persona,
        history: list[Turn],
        user_text: str,
        passages: list[Passage],
    ) -> AsyncIterator[Sentence]: ...


def _embedded(settings: Settings) -> Brain:
    from kinema.brain.embedded import EmbeddedBrain

    return EmbeddedBrain()


def _openai(settings: Settings) -> Brain:
    from kinema.brain.openai_chat import OpenAIBrain

    return OpenAIBrain.from_settings(settings)


BRAINS: dict[str, Callable[[Settings], Brain]] = {"embedded": _embedded, "openai": _openai}


def get_brain(name: str | None = None, settings: Settings | None = None) -> Brain:
    """The brain called ``name`` (default ``settings.brain``): "embedded" or "openai"."""
    settings = settings or get_settings()
    key = (name or settings.brain or "embedded").strip().lower()
    if key not in BRAINS:
        raise InvalidInput(
            f"Unknown brain {key!r}; choose one of: {', '.join(sorted(BRAINS))}.", field="brain"
        )
    return BRAINS[key](settings)
