"""Connections to a consumed session: WebSocket (``/v1/live/ws/{id}``) and WebRTC signalling
(``/v1/live/webrtc/{id}/offer``), both mounting ``kinema.live`` transports; plus the end-user's
rating of a session. All take the one-time connect token from ``consume``.

The first connection moves the session READY → RUNNING; the same token may reconnect while the
session runs (a client that falls back from WebRTC to WebSocket). Sessions opened through a
publishable key also check the ``Origin`` against that key.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, Depends, Request, Response, WebSocket
from sqlalchemy.orm import Session

from kinema.api.deps import get_app_settings
from kinema.api.live.cors import allowed_origin, apply_cors
from kinema.api.live.runtime import runtime_of
from kinema.api.live.schemas import RatingIn, WebRtcOffer
from kinema.api.live.sessions import bearer
from kinema.config import Settings
from kinema.errors import Forbidden, KinemaError, Unauthorized
from kinema.platform import db
from kinema.platform.deployments import keys
from kinema.platform.deployments import sessions as rows
from kinema.platform.deployments.models import PublishableKey

log = logging.getLogger(__name__)

router = APIRouter(tags=["live"])


def _token(request_token: str | None, request: Request | None = None) -> str:
    if request_token:
        return request_token
    if request is not None:
        return bearer(request)
    raise Unauthorized("Missing connection token: pass ?token=<token from /consume>.")


def _claim(settings: Settings, session_id: str, token: str, origin: str | None) -> None:
    """Authorise a connection: token (and origin for embed sessions); READY → RUNNING."""
    with db.session_scope(settings) as s:
        row = rows.get_any(s, session_id)
        if row.connect_token_hash != rows.hash_secret(token):
            raise Unauthorized("Invalid connection token; call /consume for one.")
        if row.publishable_key_id:
            key = s.get(PublishableKey, row.publishable_key_id)
            if key is None or key.revoked_at is not None or not keys.origin_allowed(key, origin):
                raise Forbidden(f"Origin {origin or '(none)'} may not join this session.")
        if row.status == "RUNNING":
            return
        rows.start(s, session_id, token)


@router.websocket("/v1/live/ws/{session_id}")
async def websocket(ws: WebSocket, session_id: str, token: str | None = None) -> None:
    from kinema.live.transport.websocket import serve_websocket

    settings: Settings = ws.app.state.settings
    try:
        _claim(settings, session_id, _token(token), ws.headers.get("origin"))
        session = await runtime_of(ws.app).attach(session_id)
    except KinemaError as exc:
        await ws.accept()
        await ws.send_json({"type": "error", "status": exc.status, "message": str(exc)})
        await ws.close(4000 + exc.status, str(exc)[:120])
        return
    await serve_websocket(ws, session)


@router.post("/v1/live/webrtc/{session_id}/offer")
async def webrtc_offer(
    session_id: str,
    body: WebRtcOffer,
    request: Request,
    response: Response,
    token: str | None = None,
    settings: Settings = Depends(get_app_settings),
) -> dict:
    """Post the client's SDP offer (ICE gathered); get the answer. No trickle."""
    from kinema.live.ice import ice_config
    from kinema.live.transport.webrtc import answer_webrtc_offer

    origin = request.headers.get("origin")
    apply_cors(response, allowed_origin(settings, origin))
    _claim(settings, session_id, _token(token, request), origin)
    session = await runtime_of(request.app).attach(session_id)
    ice = ice_config(settings, session_id=session_id)  # the servers the client was given
    sdp, kind = await answer_webrtc_offer(body.sdp, body.type, session, ice=ice)
    return {"sdp": sdp, "type": kind}


@router.post("/v1/live/sessions/{session_id}/rating", status_code=204, response_class=Response)
def rate(
    session_id: str,
    body: RatingIn,
    request: Request,
    token: str | None = None,
    settings: Settings = Depends(get_app_settings),
) -> Response:
    """The person who talked rates the conversation 1–5 (feeds the satisfaction chart)."""
    response = Response(status_code=204)
    apply_cors(response, allowed_origin(settings, request.headers.get("origin")))
    tok = _token(token, request)
    with db.session_scope(settings) as s:
        row = rows.get_any(s, session_id)
        if row.connect_token_hash != rows.hash_secret(tok):
            raise Unauthorized("Invalid connection token.")
        row.satisfaction = body.rating
        _rate_conversation(s, session_id, body.rating, body.comment)
    return response


def _rate_conversation(s: Session, session_id: str, rating: int, comment: str | None) -> None:
    try:
        from kinema.platform.characters.models import Conversation
    except ImportError:
        return
    conv = s.get(Conversation, session_id)
    if conv is not None:
        conv.rating = rating
        if comment:
            conv.comment = comment
