"""Client → server control messages, shared by the WebSocket and the WebRTC data channel."""

from __future__ import annotations

from typing import Any

from kinema.errors import KinemaError
from kinema.live.outlet import Outlet
from kinema.live.session import MIC_RATE, LiveSession

MAX_TEXT_MESSAGE = 64 * 1024  # characters of one JSON control message (user text included)


class ClientState:
    """What a connection remembers between messages (the announced microphone rate)."""

    def __init__(self) -> None:
        self.mic_rate = MIC_RATE


async def handle_message(
    session: LiveSession, outlet: Outlet, state: ClientState, data: dict[str, Any]
) -> bool:
    """Apply one JSON message; replies go to ``outlet.events``. True when the client said close."""
    if not isinstance(data, dict):
        outlet.events.put({"type": "error", "message": "messages must be JSON objects"})
        return False
    kind = data.get("type")
    try:
        session.touch()
        if kind == "text":
            await session.send_text(str(data.get("text", "")))
        elif kind == "audio":
            state.mic_rate = int(data.get("rate", MIC_RATE))
        elif kind == "interrupt":
            session.interrupt("client")
        elif kind == "ping":
            outlet.events.put({"type": "pong", "id": data.get("id")})
        elif kind == "metrics":
            outlet.events.put({"type": "metrics", **session.metrics()})
        elif kind == "transcript":
            outlet.events.put({"type": "transcript_history", "transcript": session.transcript})
        elif kind == "close":
            await session.close("client")
            return True
        else:
            outlet.events.put({"type": "error", "message": f"unknown message type {kind!r}"})
    except KinemaError as exc:
        outlet.events.put({"type": "error", "message": str(exc)})
    except (ValueError, TypeError, OverflowError) as exc:
        outlet.events.put({"type": "error", "message": f"bad message: {exc}"})
    return False
