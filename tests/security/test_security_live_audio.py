"""Live microphone audio cannot exhaust memory: noise the VAD takes for endless speech, sent
faster than real time, is cut into bounded utterances and bounded recognition work."""

from __future__ import annotations

import asyncio
import threading
import time
import tracemalloc
from collections.abc import AsyncIterator, Sequence
from typing import Any

import numpy as np
import pytest

from kinema.errors import InvalidInput
from kinema.live.engines import Engines, ReplySentence
from kinema.live.session import MIC_RATE, LiveSession, SessionConfig
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


class _SlowTranscriber:
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


def _engines(transcriber: _SlowTranscriber) -> Engines:
    return Engines(
        animator=_Animator(),  # type: ignore[arg-type]
        renderer=_Renderer(),
        speaker=_Speaker(),
        responder=_Responder(),  # type: ignore[arg-type]
        transcriber=transcriber,
        vad=VADEdges(),
    )


@pytest.mark.slow
async def test_twenty_minutes_of_noise_keep_memory_bounded() -> None:
    transcriber = _SlowTranscriber()
    session = await LiveSession(
        _engines(transcriber), SessionConfig(fps=10, partial_interval=0, greet=False)
    ).start()
    events: list[dict] = []
    outlet = session.subscribe()
    rng = np.random.default_rng(0)
    chunk = MIC_RATE // 50  # 20 ms
    noise = [rng.normal(0, 6000, chunk).clip(-32000, 32000).astype(np.int16) for _ in range(50)]
    seconds = 1200  # 20 minutes, pushed as fast as the loop lets us (~38 MB of PCM)
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        peak_growth = 0
        for i in range(seconds * 50):
            session.push_audio(noise[i % 50].tobytes())
            if i % 500 == 0:
                await asyncio.sleep(0)  # the loop runs the session and the recognitions
                peak_growth = max(peak_growth, tracemalloc.get_traced_memory()[1] - base)
                while (e := outlet.events.pop()) is not None:
                    events.append(e)
        await asyncio.sleep(0.5)
        peak_growth = max(peak_growth, tracemalloc.get_traced_memory()[1] - base)
    finally:
        tracemalloc.stop()
        await session.close()
    while (e := outlet.events.pop()) is not None:
        events.append(e)
    states = [e["state"] for e in events if e["type"] == "state"]
    errors = [e["message"] for e in events if e["type"] == "error"]
    print(
        f"noise {seconds} s: peak traced growth {peak_growth / 1e6:.1f} MB, "
        f"{len(transcriber.heard)} recognitions, longest {max(transcriber.heard or [0]):.1f} s"
    )
    assert "listening" in states  # the VAD took the noise for speech
    assert any("at most 30 s" in m for m in errors)  # the client is told it was cut
    assert transcriber.heard and max(transcriber.heard) <= 30.0 + 1e-6
    assert transcriber.most <= session.config.max_recognitions
    assert peak_growth < 16e6, f"traced memory grew {peak_growth / 1e6:.0f} MB"


async def test_oversized_chunks_are_refused() -> None:
    session = await LiveSession(
        _engines(_SlowTranscriber()), SessionConfig(fps=10, greet=False)
    ).start()
    try:
        with pytest.raises(InvalidInput, match="at most 1 s"):
            session.push_audio(np.zeros(5 * MIC_RATE, np.int16))
        session.push_audio(np.zeros(MIC_RATE // 50, np.int16))  # a normal chunk still works
    finally:
        await session.close()
