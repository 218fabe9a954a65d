"""aiortc as the client: posts an offer over HTTP, records frames, audio levels and events."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
import numpy as np
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack


def mouth_open_lossy(rgb: np.ndarray) -> bool:
    """The fake renderer's white mouth bar, allowing for VP8 compression."""
    s = rgb.shape[0]
    return bool(rgb[s * 9 // 16 : s * 11 // 16, s * 3 // 8 : s * 5 // 8].mean() > 200)


@dataclass
class RtcClient:
    pc: RTCPeerConnection
    channel: Any
    video: list[tuple[float, float, bool, np.ndarray]] = field(default_factory=list)
    audio: list[tuple[float, float, float]] = field(default_factory=list)  # rx, pts s, rms
    events: list[tuple[float, dict[str, Any]]] = field(default_factory=list)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    @classmethod
    async def connect(
        cls,
        url: str,
        mic: MediaStreamTrack | None = None,
        config: RTCConfiguration | None = None,
        answer_delay: float = 0.0,
    ) -> RtcClient:
        pc = RTCPeerConnection(config or RTCConfiguration(iceServers=[]))
        client = cls(pc, pc.createDataChannel("control"))
        pc.addTransceiver("video", direction="recvonly")
        if mic is not None:
            pc.addTransceiver(mic, direction="sendrecv")
        else:
            pc.addTransceiver("audio", direction="recvonly")
        pc.on("track", client._on_track)
        client.channel.on("message", client._on_message)
        await pc.setLocalDescription(await pc.createOffer())
        async with httpx.AsyncClient() as http:
            offer = {"sdp": pc.localDescription.sdp, "type": pc.localDescription.type}
            r = await http.post(url, json=offer, timeout=20)
            r.raise_for_status()
        await asyncio.sleep(answer_delay)  # a slow client (browser ICE/DTLS takes ~1 s)
        await pc.setRemoteDescription(RTCSessionDescription(**r.json()))
        end = time.monotonic() + 10
        while client.channel.readyState != "open":
            assert time.monotonic() < end, "data channel did not open"
            await asyncio.sleep(0.02)
        return client

    def _on_message(self, message: str) -> None:
        self.events.append((time.monotonic(), json.loads(message)))

    def _on_track(self, track: MediaStreamTrack) -> None:
        self.tasks.append(asyncio.ensure_future(self._read(track)))

    async def _read(self, track: MediaStreamTrack) -> None:
        with contextlib.suppress(MediaStreamError):
            while True:
                frame = await track.recv()
                now = time.monotonic()
                pts = float(frame.pts * frame.time_base)
                if track.kind == "video":
                    rgb = frame.to_ndarray(format="rgb24")
                    self.video.append((now, pts, mouth_open_lossy(rgb), rgb))
                else:
                    pcm = frame.to_ndarray().astype(np.float32)
                    self.audio.append((now, pts, float(np.sqrt((pcm**2).mean()))))

    def send(self, **message: Any) -> float:
        self.channel.send(json.dumps(message))
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
        await self.pc.close()
        for task in self.tasks:
            task.cancel()
