"""Deterministic stand-ins for the engines, for unit tests of clock, barge-in and isolation.

The mouth opening is drawn as a white bar whose height the tests can measure, so "is this frame
speaking" is read from the pixels, not from a flag.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from typing import Any

import numpy as np

from kinema.live.engines import Engines, ReplySentence
from kinema.media.audio import Audio
from kinema.voice.tts.base import PhonemeEvent, Speech

WORD_SECONDS = 0.2
TTS_RATE = 16000


class FakeAnimator:
    def __init__(self) -> None:
        self.spans: list[tuple[float, float]] = []  # (start, end) of open-mouth phonemes
        self.stopped_at: float | None = None
        self.states: list[str] = []

    def say(self, phonemes: Sequence[PhonemeEvent], start_time: float, emotion: str) -> None:
        for p in phonemes:
            if p.viseme != "sil":
                self.spans.append((start_time + p.start, start_time + p.end))

    def stop(self, at: float) -> None:
        self.spans = [(a, min(b, at)) for a, b in self.spans if a < at]
        self.stopped_at = at

    def set_state(self, state: str, at: float) -> None:
        self.states.append(state)

    def controls_at(self, t: float) -> dict[str, Any]:
        return {"mouth": any(a <= t < b for a, b in self.spans)}


class FakeRenderer:
    def __init__(self, size: int = 64, color: tuple[int, int, int] = (80, 120, 160)) -> None:
        self.size = size
        self.frame = np.zeros((size, size, 3), np.uint8)
        self.color = color

    def render(self, controls: dict[str, Any]) -> np.ndarray:
        self.frame[:] = self.color
        if controls["mouth"]:
            s = self.size
            self.frame[s // 2 : s * 3 // 4, s // 4 : s * 3 // 4] = 255
        return self.frame


def mouth_open(image: np.ndarray) -> bool:
    s = image.shape[0]
    return bool(image[s * 5 // 8, s // 2].min() > 250)


class FakeSpeaker:
    """A tone per word, with word and phoneme timings; 200 ms per word."""

    def speak(self, text: str) -> Speech:
        words = text.split()
        n = int(WORD_SECONDS * TTS_RATE)
        t = np.arange(n) / TTS_RATE
        tone = (8000 * np.sin(2 * np.pi * 220 * t)).astype(np.int16)
        samples = np.concatenate([tone] * len(words))
        phonemes = [
            PhonemeEvent("a", i * WORD_SECONDS, (i + 0.8) * WORD_SECONDS, "aa")
            for i in range(len(words))
        ]
        timed = [(w, i * WORD_SECONDS) for i, w in enumerate(words)]
        return Speech(Audio(samples, TTS_RATE), phonemes, text, "fake", timed)


class FakeResponder:
    def __init__(self, name: str, delay: float = 0.01) -> None:
        self.name = name
        self.delay = delay
        self.calls: list[tuple[int, str]] = []

    async def reply(
        self, history: list[dict[str, Any]], user_text: str
    ) -> AsyncIterator[ReplySentence]:
        self.calls.append((len(history), user_text))
        if "who are you" in user_text.lower():
            sentences = [f"I am {self.name}.", "Nice to meet you."]
        else:
            sentences = [f"You said {user_text}.", "one two three four five six seven eight."]
        for s in sentences:
            await asyncio.sleep(self.delay)
            yield ReplySentence(s)


class FakeVAD:
    """Energy threshold with a 3-chunk hangover: start on loud audio, end after quiet."""

    def __init__(self) -> None:
        self.active = False
        self.quiet = 0

    def feed(self, samples: np.ndarray) -> list[str]:
        loud = len(samples) > 0 and float(np.abs(samples.astype(np.int32)).mean()) > 500
        if loud and not self.active:
            self.active, self.quiet = True, 0
            return ["start"]
        if self.active and not loud:
            self.quiet += 1
            if self.quiet >= 3:
                self.active = False
                return ["end"]
        elif loud:
            self.quiet = 0
        return []

    def reset(self) -> None:
        self.active, self.quiet = False, 0


class FakeTranscriber:
    def __init__(self, text: str = "who are you") -> None:
        self.text = text
        self.heard: list[float] = []

    def transcribe(self, audio: Audio) -> str:
        self.heard.append(audio.duration)
        return self.text


def fake_engines(name: str = "Ada", color: tuple[int, int, int] = (80, 120, 160)) -> Engines:
    return Engines(
        animator=FakeAnimator(),
        renderer=FakeRenderer(64, color),
        speaker=FakeSpeaker(),
        responder=FakeResponder(name),
        transcriber=FakeTranscriber(),
        vad=FakeVAD(),
    )
