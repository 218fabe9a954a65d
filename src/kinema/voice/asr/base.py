"""The ASR contract: mono audio in, text with a confidence (and word timings when known) out."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

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

    def transcribe(self, audio: Audio) -> Transcript:
        """Transcribe one utterance (any sample rate). Silence gives an empty ``text``."""
        ...
