"""One ticker for every session at the same frame rate: renders are batched per tick.

With one task per session, 20 sessions meant 20 sleeping tasks, 20 wakeups and 20 executor
round trips (a future, a thread hand-off and a loop wakeup each) per frame period, all on the
event loop that also sends the media. Here one task per (event loop, fps) wakes once per tick,
asks every session what it needs (``tick_begin``: audio, controls, reuse — cheap, on the loop),
hands the renders to the worker threads in one batch per thread (``tick_render``: face render,
JPEG and video encodes, off the loop), then delivers the results (``tick_end``).

A session's media clock starts on a tick of its scheduler, so its frame ``n`` is the
scheduler's tick ``joined + n``; time zero of a session is arbitrary, so the shift of less
than one frame period changes nothing. When a batch runs late the scheduler skips to the tick
that is due and every session counts the skipped frames (``late_skipped``), audio stays whole.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from typing import Any, Protocol

from kinema.live.workers import render_pool, render_threads

log = logging.getLogger(__name__)


class Ticking(Protocol):
    def tick_begin(self, n: int) -> Any | None:
        """On the loop: prepare frame ``n``; returns a job for ``tick_render`` or ``None``."""
        ...

    def tick_render(self, job: Any) -> Any:
        """In a worker thread: render/encode the job."""
        ...

    def tick_end(self, job: Any, result: Any) -> None:
        """On the loop: deliver the result."""
        ...

    def tick_failed(self, exc: BaseException) -> None: ...


def _run_batch(items: list[tuple[Ticking, Any]]) -> list[tuple[bool, Any]]:
    out: list[tuple[bool, Any]] = []
    for member, job in items:
        try:
            out.append((True, member.tick_render(job)))
        except Exception as exc:  # one broken session must not stall the others
            out.append((False, exc))
    return out


class FrameScheduler:
    def __init__(self, fps: int) -> None:
        self.fps = fps
        self.start = time.monotonic()
        self._members: dict[Ticking, int] = {}  # member -> tick it joined at
        self._task: asyncio.Task[None] | None = None
        self.ticks = 0
        self.batches = 0

    def join(self, member: Ticking) -> float:
        """Add ``member`` from the next tick on; returns its media clock start (monotonic s)."""
        tick = int((time.monotonic() - self.start) * self.fps) + 1
        self._members[member] = tick
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(
                self._run(), name=f"live-scheduler-{self.fps}fps"
            )
        return self.start + tick / self.fps

    def leave(self, member: Ticking) -> None:
        self._members.pop(member, None)

    def __len__(self) -> int:
        return len(self._members)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        fps, n = self.fps, int((time.monotonic() - self.start) * self.fps) + 1
        try:
            while self._members:
                delay = self.start + n / fps - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                due = int((time.monotonic() - self.start) * fps)
                n = max(n, due)  # late: skip to the tick that is due now
                await self._tick(loop, n)
                self.ticks += 1
                n += 1
        finally:
            self._task = None

    async def _tick(self, loop: asyncio.AbstractEventLoop, n: int) -> None:
        jobs: list[tuple[Ticking, Any]] = []
        for member, joined in list(self._members.items()):
            if n < joined:
                continue
            try:
                job = member.tick_begin(n - joined)
            except Exception as exc:
                self._fail(member, exc)
                continue
            if job is not None:
                jobs.append((member, job))
        if not jobs:
            return
        # one batch per worker thread, heavy jobs spread evenly (reused frames cost nothing)
        k = min(len(jobs), render_threads())
        jobs.sort(key=lambda mj: not getattr(mj[1], "heavy", True))
        batches = [jobs[i::k] for i in range(k)]
        results = await asyncio.gather(
            *(loop.run_in_executor(render_pool(), _run_batch, b) for b in batches)
        )
        self.batches += len(batches)
        for batch, outcome in zip(batches, results, strict=True):
            for (member, job), (ok, value) in zip(batch, outcome, strict=True):
                if member not in self._members:
                    continue  # closed while rendering
                if not ok:
                    self._fail(member, value)
                    continue
                try:
                    member.tick_end(job, value)
                except Exception as exc:
                    self._fail(member, exc)

    def _fail(self, member: Ticking, exc: BaseException) -> None:
        self.leave(member)
        try:
            member.tick_failed(exc)
        except Exception:  # pragma: no cover - a failing failure handler
            log.exception("live scheduler: tick_failed raised")


_SCHEDULERS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[int, FrameScheduler]]
_SCHEDULERS = weakref.WeakKeyDictionary()


def scheduler_for(fps: int) -> FrameScheduler:
    """The scheduler of the running event loop for ``fps``."""
    per_loop = _SCHEDULERS.setdefault(asyncio.get_running_loop(), {})
    if fps not in per_loop:
        per_loop[fps] = FrameScheduler(fps)
    return per_loop[fps]


def schedulers() -> list[FrameScheduler]:
    """This loop's schedulers (for metrics and tests)."""
    try:
        return list(_SCHEDULERS.get(asyncio.get_running_loop(), {}).values())
    except RuntimeError:
        return []
