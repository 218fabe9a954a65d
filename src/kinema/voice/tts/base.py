"""The TTS contract: audio plus phoneme timings, so the face can lip-sync to any voice."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from kinema.media.audio import Audio

if TYPE_CHECKING:
    from kinema.voice.presets import VoiceSpec


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

    speed: float = 1.0  # 0.25..4, multiplies the words-per-minute rate
    pitch: float = 1.0  # 0.25..4, multiplies F0 (approximately; espeak clamps to its range)
    emotion: str = "neutral"  # see kinema.voice.presets.EMOTIONS


class TTS(Protocol):
    name: str

    def synthesize(
        self, text: str, voice: str | VoiceSpec | None = None, settings: VoiceSettings | None = None
    ) -> Speech:
        """Speak ``text`` whole.

        ``voice`` is a preset id, a ``VoiceSpec`` (designed or matched) or ``None`` for
        ``DEFAULT_VOICE``. Raises ``InvalidInput`` for empty text, ``UnknownVoice``.
        """
        ...

    def stream(
        self, text: str, voice: str | VoiceSpec | None = None, settings: VoiceSettings | None = None
    ) -> Iterator[Speech]:
        """Speak ``text`` sentence by sentence, yielding each as soon as it is synthesised."""
        ...
