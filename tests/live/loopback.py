"""A real uvicorn server on 127.0.0.1 inside the test's event loop, and a WebSocket client."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np
import uvicorn
import websockets

from kinema.live.transport.websocket import KIND_AUDIO_PCM16, KIND_VIDEO_JPEG, unpack_media


class LoopbackServer:
    def __init__(self, app: Any) -> None:
        self.config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning")
        self.server = uvicorn.Server(self.config)
        self.task: asyncio.Task[None] | None = None
        self.port = 0

    async def __aenter__(self) -> LoopbackServer:
        self.task = asyncio.create_task(self.server.serve())
        while not self.server.started:
            await asyncio.sleep(0.01)
        self.port = self.server.servers[0].sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.server.should_exit = True
        if self.task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(self.task, 5)

    def url(self, path: str, scheme: str = "ws") -> str:
        return f"{scheme}://127.0.0.1:{self.port}{path}"


@dataclass
class WsClient:
    """Receives everything, stamps arrival times, decodes JPEG frames on demand."""

    ws: Any
    events: list[tuple[float, dict[str, Any]]] = field(default_factory=list)
    video: list[tuple[float, float, bool, bytes]] = field(default_factory=list)  # rx,pts,sp,jpg
    audio: list[tuple[float, float, bool, bytes]] = field(default_factory=list)
    closed: tuple[int, str] | None = None
    task: asyncio.Task[None] | None = None

    @classmethod
    async def connect(cls, url: str) -> WsClient:
        ws = await websockets.connect(url, max_size=None)
        client = cls(ws)
        client.task = asyncio.create_task(client._pump())
        return client

    async def _pump(self) -> None:
        try:
            async for message in self.ws:
                now = time.monotonic()
                if isinstance(message, bytes):
                    kind, speaking, pts, payload = unpack_media(message)
                    target = self.video if kind == KIND_VIDEO_JPEG else self.audio
                    assert kind in (KIND_VIDEO_JPEG, KIND_AUDIO_PCM16)
                    target.append((now, pts, speaking, payload))
                else:
                    self.events.append((now, json.loads(message)))
        except websockets.ConnectionClosed:
            pass
        self.closed = (self.ws.close_code, self.ws.close_reason)

    async def send(self, **message: Any) -> float:
        await self.ws.send(json.dumps(message))
        return time.monotonic()

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [e for _, e in self.events if e["type"] == kind]

    async def wait_for(self, kind: str, timeout: float = 5.0, **match: Any) -> tuple[float, dict]:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            for t, e in self.events:
                if e["type"] == kind and all(e.get(k) == v for k, v in match.items()):
                    return t, e
            await asyncio.sleep(0.01)
        raise AssertionError(f"no {kind} {match} in {timeout}s; last: {self.events[-4:]}")

    async def close(self) -> None:
        await self.ws.close()
        if self.task is not None:
            await asyncio.wait_for(self.task, 5)


def decode(jpeg: bytes) -> np.ndarray:
    bgr = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
