"""Speech to text: ``get_asr()`` gives the configured engine: the shipped Whisper tiny.en by
default, PocketSphinx as the light fallback, or any OpenAI-compatible server."""

from __future__ import annotations

from kinema.errors import InvalidInput
from kinema.voice.asr.base import ASR, Transcript, Word

__all__ = ["ASR", "BACKENDS", "Transcript", "Word", "get_asr"]

BACKENDS = ("whisper", "pocketsphinx", "openai")
_CACHE: dict[str, ASR] = {}


def get_asr(name: str | None = None) -> ASR:
    """The ASR engine called ``name`` (default ``settings.asr``), built once and cached."""
    if name is None:
        from kinema.config import get_settings

        name = get_settings().asr
    key = name.strip().lower()
    if key not in _CACHE:
        if key == "pocketsphinx":
            from kinema.voice.asr.pocketsphinx import PocketSphinxASR

            _CACHE[key] = PocketSphinxASR()
        elif key == "openai":
            from kinema.voice.asr.openai import OpenAIASR

            _CACHE[key] = OpenAIASR()
        elif key == "whisper":
            from kinema.voice.asr.whisper import WhisperASR

            _CACHE[key] = WhisperASR()
        else:
            raise InvalidInput(f"asr: unknown engine {name!r}; use one of {', '.join(BACKENDS)}.")
    return _CACHE[key]
