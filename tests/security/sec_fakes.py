"""Light live-session engines for the security tests: no face, voice or model, real VAD."""

from __future__ import annotations

import threading
import time
from collections.abc import AsyncIterator, Sequence
from typing import Any

import numpy as np

from kinema.live.engines import Engines, ReplySentence
from kinema.live.wiring import VADEdges
from kinema.media.audio import Audio
from kinema.voice.tts.base import PhonemeEvent, Speech


class _Animator:
    def say(self, phonemes: Sequence[PhonemeEvent], start_time: float, emotion: str) -> None:
        pass

    def stop(self, at: float) -> None:
        pass

    def set_state(self, state: str, at: float) -> None:
        pass

    def controls_at(self, t: float) -> dict[str, Any]:
        return {"mouth": False}


class _Renderer:
    size = 32

    def render(self, controls: dict[str, Any]) -> np.ndarray:
        return np.zeros((32, 32, 3), np.uint8)


class _Speaker:
    def speak(self, text: str) -> Speech:
        return Speech(Audio(np.zeros(2400, np.int16), 24000), [], text, "fake", [])


class _Responder:
    async def reply(
        self, history: list[dict[str, Any]], user_text: str
    ) -> AsyncIterator[ReplySentence]:
        yield ReplySentence("Okay.")


class SlowTranscriber:
    """Takes its time, like a real recogniser on a busy machine; records what it was given."""

    def __init__(self) -> None:
        self.heard: list[float] = []
        self.running = 0
        self.most = 0
        self._lock = threading.Lock()

    def transcribe(self, audio: Audio) -> str:
        with self._lock:
            self.running += 1
            self.most = max(self.most, self.running)
            self.heard.append(audio.duration)
        time.sleep(0.05)
        with self._lock:
            self.running -= 1
        return "noise"


def fake_engines(transcriber: SlowTranscriber | None = None) -> Engines:
    return Engines(
        animator=_Animator(),  # type: ignore[arg-type]
        renderer=_Renderer(),
        speaker=_Speaker(),
        responder=_Responder(),  # type: ignore[arg-type]
        transcriber=transcriber or SlowTranscriber(),
        vad=VADEdges(),
    )
