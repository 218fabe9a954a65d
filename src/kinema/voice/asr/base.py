"""The ASR contract: mono audio in, text with a confidence (and word timings when known) out."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from kinema.errors import InvalidInput
from kinema.media.audio import Audio


@dataclass(frozen=True)
class Word:
    text: str
    start: float  # seconds from the start of the audio
    end: float


@dataclass(frozen=True)
class Transcript:
    text: str
    confidence: float  # 0..1; engine-specific, comparable only within one engine
    words: list[Word] = field(default_factory=list)
    language: str = "en"


class ASR(Protocol):
    name: str

    def transcribe(self, audio: Audio, language: str | None = None) -> Transcript:
        """Transcribe one utterance (any sample rate). Silence gives an empty ``text``.

        ``language`` (BCP-47, e.g. ``"en-US"``) is what the speaker is expected to speak; an
        engine that cannot understand it raises ``InvalidInput`` naming what it supports.
        """
        ...


def check_language(
    language: str | None,
    supported: tuple[str, ...],
    message: Callable[[str, tuple[str, ...]], str],
) -> str | None:
    """``language``'s primary subtag if ``supported`` has it (``None`` passes), else raise."""
    if not language:
        return None
    code = language.split("-")[0].split("_")[0].lower()
    if code not in supported:
        raise InvalidInput(message(code, supported), field="language")
    return code
