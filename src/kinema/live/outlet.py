"""Per-consumer bounded buffers: a slow client loses old frames, it never blocks the session."""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from typing import Generic, TypeVar

from kinema.live.frames import AudioOut, Event, VideoOut

T = TypeVar("T")


class DropOldest(Generic[T]):
    """A bounded FIFO that drops its oldest item when full and counts what it dropped."""

    def __init__(self, maxlen: int, wakeup: asyncio.Event) -> None:
        self._items: deque[T] = deque()
        self.maxlen = maxlen
        self.dropped = 0
        # False until the consumer takes its first item: what piles up before it starts (a
        # WebRTC sender waits for ICE/DTLS and its encoder) is not a slow client's loss
        self.counting = True
        self._wakeup = wakeup  # shared by the outlet's queues: "something arrived"
        self._ready = asyncio.Event()  # this queue only, for one consumer per queue
        self.closed = False
        # a paused queue takes nothing (and drops nothing): its consumer is not pulling yet,
        # e.g. a WebRTC track before ICE/DTLS connect
        self.paused = False

    def put(self, item: T) -> None:
        if self.paused:
            return
        if len(self._items) >= self.maxlen:
            self._items.popleft()
            self.dropped += self.counting
        self._items.append(item)
        self._wakeup.set()
        self._ready.set()

    async def get(self) -> T | None:
        """The next item, waiting for it; ``None`` once the outlet is closed and drained."""
        while not self._items:
            if self.closed:
                return None
            self._ready.clear()
            await self._ready.wait()
        self.counting = True
        return self._items.popleft()

    def close(self) -> None:
        self.closed = True
        self._ready.set()

    def pop(self) -> T | None:
        return self._items.popleft() if self._items else None

    def clear(self) -> int:
        n = len(self._items)
        self._items.clear()
        return n

    def __len__(self) -> int:
        return len(self._items)


class Outlet:
    """One consumer's view of a session: video, audio and event buffers with a shared wakeup.

    A transport either runs one loop (``await outlet.wait()``, then drain ``events``, ``audio``
    and ``video`` in that order, so control messages and sound go first), or one consumer per
    queue (``await outlet.video.get()``), as the WebRTC tracks do.
    """

    def __init__(self, video_frames: int = 6, audio_chunks: int = 50, events: int = 512) -> None:
        self._wakeup = asyncio.Event()
        self.video: DropOldest[VideoOut] = DropOldest(video_frames, self._wakeup)
        self.audio: DropOldest[AudioOut] = DropOldest(audio_chunks, self._wakeup)
        self.events: DropOldest[Event] = DropOldest(events, self._wakeup)
        self.closed = False

    async def wait(self, timeout: float | None = None) -> None:
        """Wait until something is buffered (or the outlet closes)."""
        if len(self.video) or len(self.audio) or len(self.events) or self.closed:
            return
        self._wakeup.clear()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):  # no extra task per wait (unlike wait_for)
                await self._wakeup.wait()

    def flush_media(self) -> int:
        """Barge-in: forget buffered audio and video. Returns how many items were dropped."""
        return self.video.clear() + self.audio.clear()

    def close(self) -> None:
        self.closed = True
        for queue in (self.video, self.audio, self.events):
            queue.close()
        self._wakeup.set()

    @property
    def dropped(self) -> int:
        return self.video.dropped + self.audio.dropped
