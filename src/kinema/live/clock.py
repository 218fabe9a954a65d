"""The media clock: one timeline for audio and video, so every frame and chunk carries its pts.

Time zero is the session start. Video frame ``n`` shows time ``n / fps``; audio sample ``k``
plays at ``k / audio_rate``. Tick ``n`` owns the audio samples ``[sample_at(n), sample_at(n+1))``
so the two streams never drift: both are derived from integers, never from accumulated floats.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field


@dataclass
class MediaClock:
    fps: int = 24
    audio_rate: int = 48000
    start: float = field(default_factory=time.monotonic)  # monotonic seconds at media time 0

    def __post_init__(self) -> None:
        if not 1 <= self.fps <= 60:
            raise ValueError(f"fps must be within 1..60, got {self.fps}")

    def now(self) -> float:
        """Media time (seconds since start) according to the wall clock."""
        return time.monotonic() - self.start

    def frame_time(self, index: int) -> float:
        return index / self.fps

    def sample_at(self, index: int) -> int:
        """First audio sample belonging to video frame ``index``."""
        return index * self.audio_rate // self.fps

    def frame_due(self) -> int:
        """The frame index whose time has most recently arrived."""
        return int(self.now() * self.fps)

    async def wait_for_frame(self, index: int) -> None:
        delay = self.start + index / self.fps - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
