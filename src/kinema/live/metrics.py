"""Per-turn stage timings and per-session frame statistics (for transports and the dashboard)."""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any


def _ms(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else round((b - a) * 1000.0, 1)


@dataclass
class TurnMetrics:
    """Monotonic timestamps of one turn's stages; ``record()`` turns them into milliseconds.

    For a spoken turn the chain starts at VAD end; for a text turn at the moment the text came in.
    """

    turn: int
    source: str  # "text" | "audio"
    started: float = field(default_factory=time.monotonic)  # text received / VAD end
    asr_done: float | None = None
    first_sentence: float | None = None
    first_audio: float | None = None  # first TTS audio ready
    first_frame: float | None = None  # first speaking frame handed to the transports
    ended: float | None = None
    interrupted: bool = False
    sentences: int = 0
    user_text: str = ""
    frames: int = 0  # frames rendered during the turn
    render_ms: float = 0.0  # their total render time
    dropped_frames: int = 0  # frames skipped or dropped by outlets during the turn

    def record(self) -> dict[str, Any]:
        return {
            "turn": self.turn,
            "source": self.source,
            "asr_ms": _ms(self.started, self.asr_done),
            "first_sentence_ms": _ms(self.asr_done or self.started, self.first_sentence),
            "first_audio_ms": _ms(self.first_sentence, self.first_audio),
            "first_frame_ms": _ms(self.first_audio, self.first_frame),
            "turnaround_ms": _ms(self.started, self.first_frame),
            "duration_ms": _ms(self.started, self.ended),
            "interrupted": self.interrupted,
            "sentences": self.sentences,
            **self._frame_figures(),
        }

    def _frame_figures(self) -> dict[str, Any]:
        if self.ended is None:  # counters are still running (they start negative)
            return {"frames": None, "render_ms_mean": None, "dropped_frames": None}
        return {
            "frames": self.frames,
            "render_ms_mean": round(self.render_ms / self.frames, 2) if self.frames else None,
            "dropped_frames": self.dropped_frames,
        }


class FrameStats:
    """Render time and delivered-frame rate over a sliding window, plus totals."""

    def __init__(self, window: int = 240) -> None:
        self.render_ms: deque[float] = deque(maxlen=window)
        self.out_times: deque[float] = deque(maxlen=window)
        self.frames = 0
        self.render_ms_total = 0.0
        self.late_skipped = 0  # ticks skipped because rendering fell behind the clock
        self.reused = 0  # frames that repeated the previous image (controls barely moved)
        self.cpu_ms: dict[str, float] = {}  # CPU ms per stage (render, jpeg, vp8, h264) total

    def add(self, render_ms: float) -> None:
        self.frames += 1
        self.render_ms_total += render_ms
        self.render_ms.append(render_ms)
        self.out_times.append(time.monotonic())

    def add_cpu(self, stages: dict[str, float]) -> None:
        for stage, ms in stages.items():
            self.cpu_ms[stage] = self.cpu_ms.get(stage, 0.0) + ms

    def add_reused(self) -> None:
        """A frame delivered without rendering: counts for fps, not for render time."""
        self.frames += 1
        self.reused += 1
        self.out_times.append(time.monotonic())

    def fps(self) -> float:
        if len(self.out_times) < 2:
            return 0.0
        span = self.out_times[-1] - self.out_times[0]
        return (len(self.out_times) - 1) / span if span > 0 else 0.0

    def summary(self) -> dict[str, Any]:
        ordered = sorted(self.render_ms)
        n = len(ordered)
        return {
            "frames": self.frames,
            "fps": round(self.fps(), 2),
            "render_ms_mean": round(sum(ordered) / n, 2) if n else None,
            "render_ms_p95": round(ordered[min(n - 1, int(n * 0.95))], 2) if n else None,
            "late_skipped": self.late_skipped,
            "reused_frames": self.reused,
            "cpu_ms": {k: round(v, 1) for k, v in self.cpu_ms.items()},  # totals per stage
        }
