"""Drain a session outlet into lists, stamping when each item arrived."""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field
from typing import Any

from kinema.live.frames import AudioOut, VideoOut
from kinema.live.outlet import Outlet
from kinema.live.session import LiveSession


@dataclass
class Collected:
    video: list[tuple[float, VideoOut]] = field(default_factory=list)
    audio: list[tuple[float, AudioOut]] = field(default_factory=list)
    events: list[tuple[float, dict[str, Any]]] = field(default_factory=list)

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [e for _, e in self.events if e["type"] == kind]

    async def wait_for(self, kind: str, timeout: float = 5.0, **match: Any) -> dict[str, Any]:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            for _, e in self.events:
                if e["type"] == kind and all(e.get(k) == v for k, v in match.items()):
                    return e
            await asyncio.sleep(0.01)
        raise AssertionError(f"no {kind} event {match} within {timeout}s: {self.events[-5:]}")


class Collector:
    def __init__(self, session: LiveSession, outlet: Outlet | None = None) -> None:
        self.outlet = outlet or session.subscribe()
        self.got = Collected()
        self.task = asyncio.create_task(self._drain())

    async def _drain(self) -> None:
        o = self.outlet
        while not (o.closed and not len(o.events)):
            await o.wait(0.5)
            now = time.monotonic()
            while (e := o.events.pop()) is not None:
                self.got.events.append((now, e))
            while (a := o.audio.pop()) is not None:
                self.got.audio.append((now, a))
            while (v := o.video.pop()) is not None:
                self.got.video.append((now, v))

    async def stop(self) -> None:
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task
