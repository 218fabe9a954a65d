"""Connections to a consumed session: WebSocket (``/v1/live/ws/{id}``) and WebRTC signalling
(``/v1/live/webrtc/{id}/offer``), both mounting ``kinema.live`` transports; plus the end-user's
rating of a session. All take the connect token from ``consume``.

The token is never part of a URL (URLs end up in access logs and browser histories): a WebSocket
sends it as the subprotocol ``token.<token>`` next to ``kinema-live-1`` (browsers cannot set
headers on a WebSocket), HTTP calls send ``Authorization: Bearer <token>``. The legacy
``?token=`` query still works and is redacted from the access log (``kinema.api.logs``).

A token connects **once**: the first connection moves the session READY → RUNNING and a second
one with the same token is refused (409), so a leaked token cannot join a running conversation.
A WebRTC answer carries a one-time ``resumeToken`` that the same client may use for one
WebSocket fallback into the same session. Sessions opened through a publishable key also check
the ``Origin`` against that key.
"""

from __future__ import annotations

import asyncio
import logging
import secrets

from fastapi import APIRouter, Depends, Request, Response, WebSocket
from sqlalchemy.orm import Session

from kinema.api.deps import get_app_settings
from kinema.api.live.cors import allowed_origin, apply_cors
from kinema.api.live.runtime import LiveRuntime, runtime_of
from kinema.api.live.schemas import RatingIn, WebRtcOffer
from kinema.config import Settings
from kinema.errors import Conflict, Forbidden, KinemaError, Unauthorized
from kinema.platform import db
from kinema.platform.deployments import keys
from kinema.platform.deployments import sessions as rows
from kinema.platform.deployments.models import PublishableKey

log = logging.getLogger(__name__)

router = APIRouter(tags=["live"])

PROTOCOL = "kinema-live-1"  # the WebSocket subprotocol the server speaks
TOKEN_PROTOCOL = "token."  # a subprotocol carrying the connect token: "token.<ct_...>"
RESUME_PREFIX = "rt_"
MISSING = (
    "Missing connection token: send it as the WebSocket subprotocol 'token.<token>' (with "
    f"'{PROTOCOL}'), or as 'Authorization: Bearer <token>'."
)


def _bearer(authorization: str | None) -> str | None:
    scheme, _, value = (authorization or "").partition(" ")
    return (value.strip() or None) if scheme.lower() == "bearer" else None


def http_token(request: Request, query_token: str | None) -> str:
    """The connect token of an HTTP call: ``Authorization: Bearer`` (or the legacy query)."""
    token = _bearer(request.headers.get("authorization")) or query_token
    if not token:
        raise Unauthorized(MISSING)
    return token


def ws_token(ws: WebSocket, query_token: str | None) -> tuple[str | None, str | None]:
    """``(token, subprotocol to accept)`` of a WebSocket handshake."""
    offered = [
        p.strip() for p in ws.headers.get("sec-websocket-protocol", "").split(",") if p.strip()
    ]
    token = next((p[len(TOKEN_PROTOCOL) :] for p in offered if p.startswith(TOKEN_PROTOCOL)), None)
    token = token or _bearer(ws.headers.get("authorization")) or query_token
    # a browser that offered subprotocols fails the handshake unless one is selected
    accept = PROTOCOL if PROTOCOL in offered else None
    return token, accept


def _claim(
    settings: Settings, runtime: LiveRuntime, session_id: str, token: str, origin: str | None
) -> None:
    """Authorise one connection: the token (once), the origin for embed sessions; READY →
    RUNNING. A resume token (from a WebRTC answer) joins the running session once. A session
    held by another live node is left alone: the client is told where it is."""
    with db.session_scope(settings) as s:
        row = rows.get_any(s, session_id)
        resumed = False
        if row.connect_token_hash != rows.hash_secret(token):
            if not runtime.take_resume_token(session_id, token):
                raise Unauthorized("Invalid connection token; call /consume for one.")
            resumed = True
        if runtime.held_elsewhere(s, row):
            raise Conflict(
                f"This session is served by another node: connect to {row.node_url} "
                "(the URLs /consume returned)."
            )
        if row.publishable_key_id:
            key = s.get(PublishableKey, row.publishable_key_id)
            if key is None or key.revoked_at is not None or not keys.origin_allowed(key, origin):
                raise Forbidden(f"Origin {origin or '(none)'} may not join this session.")
        if resumed:
            return
        if row.status == "RUNNING":
            raise Conflict(
                "This connection token was already used: a client is connected to this "
                "session. A token connects once; create a new session for another client."
            )
        rows.start(s, session_id, token)  # conditional: of two racing connections one wins


@router.websocket("/v1/live/ws/{session_id}")
async def websocket(ws: WebSocket, session_id: str, token: str | None = None) -> None:
    from kinema.live.transport.websocket import serve_websocket

    settings: Settings = ws.app.state.settings
    runtime = runtime_of(ws.app)
    tok, subprotocol = ws_token(ws, token)
    try:
        if not tok:
            raise Unauthorized(MISSING)
        await asyncio.to_thread(
            _claim, settings, runtime, session_id, tok, ws.headers.get("origin")
        )
        session = await runtime.attach(session_id)
    except KinemaError as exc:
        await ws.accept(subprotocol=subprotocol)
        await ws.send_json({"type": "error", "status": exc.status, "message": str(exc)})
        await ws.close(4000 + exc.status, str(exc)[:120])
        return
    await ws.accept(subprotocol=subprotocol)
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
    """Post the client's SDP offer (ICE gathered) with ``Authorization: Bearer <token>``; get
    the answer and a one-time ``resumeToken`` for a WebSocket fallback. No trickle."""
    from kinema.live.ice import ice_config
    from kinema.live.transport.webrtc import answer_webrtc_offer

    origin = request.headers.get("origin")
    apply_cors(response, await asyncio.to_thread(allowed_origin, settings, origin))
    runtime = runtime_of(request.app)
    tok = http_token(request, token)
    await asyncio.to_thread(_claim, settings, runtime, session_id, tok, origin)
    session = await runtime.attach(session_id)
    ice = ice_config(settings, session_id=session_id)  # the servers the client was given
    sdp, kind = await answer_webrtc_offer(body.sdp, body.type, session, ice=ice)
    resume = RESUME_PREFIX + secrets.token_urlsafe(32)
    runtime.grant_resume_token(session_id, resume)
    return {"sdp": sdp, "type": kind, "resumeToken": resume}


@router.post("/v1/live/sessions/{session_id}/rating", status_code=204, response_class=Response)
def rate(
    session_id: str,
    body: RatingIn,
    request: Request,
    token: str | None = None,
    settings: Settings = Depends(get_app_settings),
) -> Response:
    """The person who talked rates the conversation 1–5 (feeds the satisfaction chart); send the
    session's connect token as ``Authorization: Bearer <token>``."""
    response = Response(status_code=204)
    apply_cors(response, allowed_origin(settings, request.headers.get("origin")))
    tok = http_token(request, token)
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
