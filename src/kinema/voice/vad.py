"""Streaming voice activity detection (WebRTC VAD) with start/end-of-speech events.

The live session feeds microphone PCM as it arrives; a ``start`` event lets it barge in on
the character's reply, an ``end`` event (after ``hangover`` of silence) closes the user's turn.
Times are seconds of audio fed since the last ``reset()``.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Literal

import numpy as np

from kinema.errors import InvalidInput
from kinema.media.audio import Audio, resample

RATES = (8000, 16000, 32000, 48000)


@dataclass(frozen=True)
class VadEvent:
    kind: Literal["start", "pause", "end"]
    time: float  # start: first voiced frame; pause/end: end of the last voiced frame


class StreamingVAD:
    """Frame-wise WebRTC VAD plus onset/hangover logic.

    ``aggressiveness`` 0..3 (3 rejects most noise). Speech starts when ``start_frames`` of the
    last ``start_window`` frames are voiced (a click does not count); it ends after
    ``hangover`` seconds without voice, so pauses between words do not end a turn. WebRTC VAD
    calls almost anything speech while its noise estimate settles, so the first ``warmup``
    seconds after ``reset()`` cannot start speech. A ``pause`` event marks ``pause`` seconds of
    silence inside speech (once per silence): the turn may be ending, so a live session can
    start recognising early and have the transcript ready when ``end`` confirms it.
    """

    def __init__(
        self,
        rate: int = 16000,
        frame_ms: int = 20,
        aggressiveness: int = 2,
        start_frames: int = 3,
        start_window: int = 5,
        hangover: float = 0.5,
        warmup: float = 0.12,
        pause: float = 0.2,
    ) -> None:
        import webrtcvad

        if rate not in RATES:
            raise InvalidInput(f"vad: rate must be one of {RATES} Hz, not {rate}.")
        if frame_ms not in (10, 20, 30):
            raise InvalidInput("vad: frame_ms must be 10, 20 or 30.")
        self.rate, self.frame_ms = rate, frame_ms
        self._vad = webrtcvad.Vad(int(aggressiveness))
        self._frame = rate * frame_ms // 1000
        self._start_frames, self._hang_frames = (
            start_frames,
            max(1, round(hangover * 1000 / frame_ms)),
        )
        self._warmup = round(warmup * 1000 / frame_ms)
        self._pause_frames = max(1, round(pause * 1000 / frame_ms)) if pause > 0 else 0
        self._window: deque[tuple[int, bool]] = deque(maxlen=start_window)
        self.reset()

    def reset(self) -> None:
        self._buf = np.zeros(0, np.int16)
        self._index = 0  # frames processed
        self._window.clear()
        self._silent = 0
        self._last_voiced = 0
        self.in_speech = False

    def feed(self, pcm: np.ndarray | bytes) -> list[VadEvent]:
        """Feed int16 mono PCM of any length at ``rate``; returns the events it completes."""
        chunk = np.frombuffer(pcm, np.int16) if isinstance(pcm, bytes | bytearray) else pcm
        self._buf = np.concatenate([self._buf, np.asarray(chunk, np.int16)])
        events: list[VadEvent] = []
        n = len(self._buf) // self._frame
        for i in range(n):
            frame = self._buf[i * self._frame : (i + 1) * self._frame]
            voiced = self._vad.is_speech(frame.tobytes(), self.rate)
            events += self._step(voiced)
        self._buf = self._buf[n * self._frame :]
        return events

    def _step(self, voiced: bool) -> list[VadEvent]:
        idx = self._index
        self._index += 1
        sec = self.frame_ms / 1000
        if idx < self._warmup:
            return []
        if voiced:
            self._last_voiced = idx
        if not self.in_speech:
            self._window.append((idx, voiced))
            hits = [i for i, v in self._window if v]
            if len(hits) >= self._start_frames:
                self.in_speech, self._silent = True, 0
                self._window.clear()
                return [VadEvent("start", hits[0] * sec)]
            return []
        self._silent = 0 if voiced else self._silent + 1
        if self._silent >= self._hang_frames:
            self.in_speech = False
            return [VadEvent("end", (self._last_voiced + 1) * sec)]
        if self._pause_frames and self._silent == self._pause_frames < self._hang_frames:
            return [VadEvent("pause", (self._last_voiced + 1) * sec)]
        return []

    def flush(self) -> list[VadEvent]:
        """End of stream: close an open speech segment."""
        if self.in_speech:
            self.in_speech = False
            return [VadEvent("end", (self._last_voiced + 1) * self.frame_ms / 1000)]
        return []


def speech_segments(audio: Audio, **options: float) -> list[tuple[float, float]]:
    """(start, end) seconds of each speech segment in a whole recording."""
    x = resample(np.asarray(audio.samples), audio.rate, 16000)
    vad = StreamingVAD(16000, **options)  # type: ignore[arg-type]
    events = vad.feed(x) + vad.flush()
    events = [e for e in events if e.kind != "pause"]
    starts = [e.time for e in events if e.kind == "start"]
    ends = [e.time for e in events if e.kind == "end"]
    return list(zip(starts, ends, strict=True))
