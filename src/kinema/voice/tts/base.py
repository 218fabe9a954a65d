"""The TTS contract: audio plus phoneme timings, so the face can lip-sync to any voice."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol

from kinema.media.audio import Audio


@dataclass(frozen=True)
class PhonemeEvent:
    phoneme: str  # engine's phoneme name (espeak-ng mnemonics for the embedded engine)
    start: float  # seconds from the start of this Speech's audio
    end: float
    viseme: str = "sil"  # one of kinema.voice.visemes.VISEMES


@dataclass
class Speech:
    audio: Audio
    phonemes: list[PhonemeEvent]
    text: str
    voice: str
    words: list[tuple[str, float]] = field(default_factory=list)  # (word, start s) when known


@dataclass(frozen=True)
class VoiceSettings:
    """Per-utterance prosody on top of a preset: speed and pitch multipliers, emotion name."""

    speed: float = 1.0
    pitch: float = 1.0
    emotion: str = "neutral"


class TTS(Protocol):
    name: str

    def synthesize(self, text: str, voice: str, settings: VoiceSettings | None = None) -> Speech:
        """Speak ``text`` whole. Raises ``InvalidInput`` for empty text, ``UnknownVoice``."""
        ...

    def stream(
        self, text: str, voice: str, settings: VoiceSettings | None = None
    ) -> Iterator[Speech]:
        """Speak ``text`` sentence by sentence, yielding each as soon as it is synthesised."""
        ...
