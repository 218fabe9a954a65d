"""What a session needs from the engines, as small Protocols.

The session talks to the face, voice and brain only through these, so its clock, barge-in and
isolation logic can be tested with deterministic stand-ins, and ``kinema.live.wiring`` adapts the
real engines to them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from kinema.media.audio import Audio
from kinema.voice.tts.base import PhonemeEvent, Speech

STATES = ("idle", "listening", "thinking", "speaking")


class Animator(Protocol):
    """Time → face controls, driven in real time on the session clock."""

    def say(self, phonemes: Sequence[PhonemeEvent], start_time: float, emotion: str) -> None: ...

    def stop(self, at: float) -> None:
        """Barge-in: from media time ``at`` the mouth returns to rest; queued speech is dropped."""
        ...

    def set_state(self, state: str, at: float) -> None: ...

    def controls_at(self, t: float) -> Any: ...


class FrameRenderer(Protocol):
    size: int

    def render(self, controls: Any) -> np.ndarray:
        """One RGB uint8 frame. May reuse its output buffer: the session copies it."""
        ...


class Speaker(Protocol):
    def speak(self, text: str) -> Speech:
        """Synthesise one sentence (blocking; called from a worker thread)."""
        ...


@dataclass
class ReplySentence:
    text: str
    citations: list[Any] = field(default_factory=list)


class Responder(Protocol):
    def reply(self, history: list[dict[str, Any]], user_text: str) -> AsyncIterator[ReplySentence]:
        """Stream the reply sentence by sentence; ``history`` is the transcript so far."""
        ...


class Transcriber(Protocol):
    def transcribe(self, audio: Audio) -> str:
        """Speech to text (blocking; called from a worker thread)."""
        ...


class VoiceDetector(Protocol):
    def feed(self, samples: np.ndarray) -> list[str]:
        """Feed int16 mono 16 kHz samples; returns the ``"start"``/``"end"`` edges they caused
        (and ``"pause"``: a short silence inside speech, when the detector reports it)."""
        ...

    def reset(self) -> None: ...


@dataclass
class Engines:
    """Everything one session renders, speaks and thinks with. One instance per session."""

    animator: Animator
    renderer: FrameRenderer
    speaker: Speaker
    responder: Responder
    transcriber: Transcriber | None = None
    vad: VoiceDetector | None = None
    emotion: str = "neutral"
