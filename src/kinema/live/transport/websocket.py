"""A live session over one WebSocket: JSON control messages plus binary media frames.

Framework-light: ``serve_websocket`` takes any Starlette ``WebSocket`` (FastAPI's is one), so the
API layer only routes and authenticates. The protocol is documented in ``docs/live.md``:

client → server  JSON ``text`` / ``audio`` (announces mic format) / ``interrupt`` / ``ping`` /
                 ``metrics`` / ``close``; binary = PCM16 mono mic audio (16 kHz unless announced)
server → client  JSON ``session`` (hello), ``state``, ``caption``, ``transcript``, ``interrupted``,
                 ``turn_metrics``, ``metrics``, ``client_event``, ``pong``, ``error``, ``closed``;
                 binary = ``HEADER`` (kind, flags, pts in µs) + JPEG frame or PCM16 audio chunk
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import struct
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from kinema.errors import KinemaError
from kinema.live.frames import JPEG_QUALITY, encode_jpeg
from kinema.live.outlet import Outlet
from kinema.live.session import LiveSession
from kinema.live.transport.protocol import MAX_TEXT_MESSAGE, ClientState, handle_message
from kinema.live.workers import render_pool

log = logging.getLogger(__name__)

HEADER = struct.Struct(">BBq")  # kind, flags, pts in microseconds on the session clock
KIND_VIDEO_JPEG = 1
KIND_AUDIO_PCM16 = 2
FLAG_SPEAKING = 1


def pack_media(kind: int, speaking: bool, t: float, payload: bytes) -> bytes:
    return HEADER.pack(kind, FLAG_SPEAKING if speaking else 0, round(t * 1e6)) + payload


def unpack_media(message: bytes) -> tuple[int, bool, float, bytes]:
    """Client-side helper: ``(kind, speaking, pts seconds, payload)``."""
    kind, flags, pts = HEADER.unpack_from(message)
    return kind, bool(flags & FLAG_SPEAKING), pts / 1e6, message[HEADER.size :]


async def serve_websocket(
    ws: WebSocket,
    session: LiveSession,
    *,
    jpeg_quality: int = JPEG_QUALITY,
    send_silence: bool = False,
    close_session: bool = True,
) -> None:
    """Run ``session`` over ``ws`` until either side ends. The session must be started.

    ``send_silence`` also streams the silent audio chunks (a continuous 48 kHz stream); by
    default only speech is sent, each chunk stamped with its pts. With ``close_session`` the
    session ends when the client disconnects.
    """
    if ws.client_state == WebSocketState.CONNECTING:
        await ws.accept()
    session.want_jpeg(jpeg_quality)  # encoded in the render worker: one thread hop per frame
    outlet = session.subscribe()
    await ws.send_json(
        {
            "type": "session",
            "id": session.id,
            "fps": session.config.fps,
            "size": getattr(session.engines.renderer, "size", None),
            "audio_rate": session.config.audio_rate,
            "video": "jpeg",
            "header": "kind:u8 flags:u8 pts_us:i64 (big-endian)",
        }
    )
    sender = asyncio.create_task(_send_loop(ws, outlet, jpeg_quality, send_silence))
    receiver = asyncio.create_task(_receive_loop(ws, session, outlet))
    try:
        await asyncio.wait({sender, receiver}, return_when=asyncio.FIRST_COMPLETED)
        if close_session and not session.is_closed:  # the client left (or could not be sent to)
            await session.close("client_disconnected")
            with contextlib.suppress(Exception):  # flush the "closed" event if still connected
                await asyncio.wait_for(sender, 1.0)
    finally:
        for task in (sender, receiver):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        session.unsubscribe(outlet)
        if ws.client_state == WebSocketState.CONNECTED:
            with contextlib.suppress(Exception):
                await ws.close(1000, session.close_reason or "")


async def _send_loop(ws: WebSocket, outlet: Outlet, quality: int, send_silence: bool) -> None:
    loop = asyncio.get_running_loop()
    while True:
        await outlet.wait(1.0)
        while (event := outlet.events.pop()) is not None:
            await ws.send_text(json.dumps(event, default=str))
            if event["type"] == "closed":
                return
        while (chunk := outlet.audio.pop()) is not None:
            if chunk.speaking or send_silence:
                payload = chunk.samples.astype("<i2", copy=False).tobytes()
                await ws.send_bytes(pack_media(KIND_AUDIO_PCM16, chunk.speaking, chunk.t, payload))
        while (frame := outlet.video.pop()) is not None:
            jpeg = frame.jpeg
            if jpeg is None:
                jpeg = await loop.run_in_executor(render_pool(), encode_jpeg, frame.image, quality)
            await ws.send_bytes(pack_media(KIND_VIDEO_JPEG, frame.speaking, frame.t, jpeg))
        if outlet.closed and not len(outlet.events):
            return


async def _receive_loop(ws: WebSocket, session: LiveSession, outlet: Outlet) -> None:
    state = ClientState()
    while True:
        try:
            message = await ws.receive()
        except (WebSocketDisconnect, RuntimeError):
            return
        if message["type"] == "websocket.disconnect":
            return
        if message.get("bytes") is not None:
            try:
                session.push_audio(message["bytes"], state.mic_rate)
            except KinemaError as exc:
                outlet.events.put({"type": "error", "message": str(exc)})
            continue
        text = message.get("text") or "{}"
        if len(text) > MAX_TEXT_MESSAGE:
            outlet.events.put(
                {
                    "type": "error",
                    "message": f"a JSON message may be at most {MAX_TEXT_MESSAGE} bytes",
                }
            )
            continue
        try:
            data: dict[str, Any] = json.loads(text)
        except (ValueError, RecursionError):  # RecursionError: nested too deeply
            outlet.events.put(
                {"type": "error", "message": "messages must be JSON objects (nested at most a "
                 "few levels deep)"}
            )  # fmt: skip
            continue
        if await handle_message(session, outlet, state, data):
            return
