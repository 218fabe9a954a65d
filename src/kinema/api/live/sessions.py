"""``/v1/realtime_sessions``: create, retrieve, cancel, and ``consume`` (Runway wire shapes).

``consume`` is authorised by the session key, not the API key, and works once. It answers with
Kinema's own connection details instead of LiveKit's: a WebSocket URL (``url``/``token``, the
``roomName`` is the session id) and a WebRTC offer URL; both take the same one-time token.
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from sqlalchemy.orm import Session

from kinema.api.deps import base_url, current_org, get_app_settings, require_version
from kinema.api.live.avatars import check_avatar, custom_exists
from kinema.api.live.runtime import runtime_of
from kinema.api.live.schemas import RealtimeSessionIn, session_json
from kinema.config import Settings
from kinema.errors import InvalidInput, Unauthorized
from kinema.live.ice import ice_config
from kinema.platform import db
from kinema.platform.accounts import Caller
from kinema.platform.deployments import sessions as rows

router = APIRouter(prefix="/v1", tags=["realtime sessions"])


def bearer(request: Request) -> str:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise Unauthorized("Send 'Authorization: Bearer <key>'.")
    return value.strip()


def create_session(
    s: Session,
    caller_org: str,
    body: RealtimeSessionIn,
    settings: Settings,
    *,
    publishable_key_id: str | None = None,
    origin: str | None = None,
) -> str:
    """Validate and insert a NOT_READY session; the caller then calls ``runtime.prepare``."""
    if body.integration is not None or body.livekit is not None:
        raise InvalidInput(
            "integration: external ElevenLabs/LiveKit integrations are not supported; Kinema "
            "runs the conversation itself. Omit 'integration'.",
            field="integration",
        )
    check_avatar(body.avatar)
    if body.avatar["type"] == "custom":
        custom_exists(s, caller_org, body.avatar["avatarId"])
    limit = settings.live_max_duration
    if body.maxDuration is not None and body.maxDuration > limit:
        raise InvalidInput(
            f"Invalid parameter 'maxDuration': at most {limit} seconds on this server.",
            field="maxDuration",
        )
    for tool in body.tools or []:
        if tool.type == "backend_rpc":
            raise InvalidInput(
                f"tools: '{tool.name}' is a backend_rpc tool; Kinema supports client_event tools "
                "(delivered to the client over the data channel/WebSocket).",
                field="tools",
            )
    avatar: dict[str, Any] = {
        k: body.avatar[k] for k in ("type", "presetId", "avatarId") if k in body.avatar
    }
    row = rows.create(
        s,
        caller_org,
        avatar=avatar,
        max_duration=body.maxDuration or limit,
        personality=body.personality,
        start_script=body.startScript,
        tools=[t.model_dump(exclude_none=True) for t in body.tools or []],
        publishable_key_id=publishable_key_id,
        origin=origin,
    )
    return row.id


@router.post("/realtime_sessions", dependencies=[Depends(require_version)])
async def create(
    body: RealtimeSessionIn,
    request: Request,
    caller: Caller = Depends(current_org),
    settings: Settings = Depends(get_app_settings),
) -> dict:
    """Start preparing a session (NOT_READY); poll GET until READY for the ``sessionKey``."""

    def insert() -> str:
        with db.session_scope(settings) as s:
            return create_session(s, caller.org_id, body, settings)

    session_id = await asyncio.to_thread(insert)
    runtime_of(request.app).prepare(session_id)
    return {"id": session_id}


@router.get("/realtime_sessions/{session_id}", dependencies=[Depends(require_version)])
def retrieve(
    session_id: str,
    request: Request,
    caller: Caller = Depends(current_org),
    settings: Settings = Depends(get_app_settings),
) -> dict:
    with db.session_scope(settings) as s:
        row = rows.get(s, caller.org_id, session_id)
        lost = runtime_of(request.app).fail_if_lost(s, row)  # the server restarted meanwhile
        if not lost and rows.expired(row):
            rows.fail(
                s, row.id, "The session key expired before a client connected.", "SESSION_EXPIRED"
            )
            s.refresh(row)
        return session_json(row)


@router.delete(
    "/realtime_sessions/{session_id}",
    status_code=204,
    response_class=Response,
    dependencies=[Depends(require_version)],
)
async def cancel(
    session_id: str,
    request: Request,
    caller: Caller = Depends(current_org),
    settings: Settings = Depends(get_app_settings),
) -> Response:
    """Cancel a waiting or running session (a running one is disconnected)."""
    with db.session_scope(settings) as s:
        previous = rows.cancel(s, caller.org_id, session_id)
    if previous not in rows.TERMINAL:
        await runtime_of(request.app).cancel(session_id)
    return Response(status_code=204)


def connection_details(request: Request, settings: Settings, session_id: str, token: str) -> dict:
    http = base_url(request, settings)
    ws = "wss://" + http[8:] if http.startswith("https://") else "ws://" + http.split("://", 1)[1]
    return {
        "url": f"{ws}/v1/live/ws/{session_id}?token={token}",
        "token": token,
        "roomName": session_id,
        "webrtc": {
            "offerUrl": f"{http}/v1/live/webrtc/{session_id}/offer?token={token}",
            **ice_config(settings, session_id=session_id).browser(),  # iceServers, policy
        },
        "protocol": "kinema-live-1",
    }


@router.post("/realtime_sessions/{session_id}/consume")
def consume(
    session_id: str, request: Request, settings: Settings = Depends(get_app_settings)
) -> dict:
    """Trade the session key (Bearer) for connection details, once (a second call is 409)."""
    key = bearer(request)
    with db.session_scope(settings) as s:  # a READY row lost in a restart fails first
        row = s.get(rows.RealtimeSession, session_id)
        if row is not None and row.status == "READY" and row.session_key == key:
            runtime_of(request.app).fail_if_lost(s, row)
    with db.session_scope(settings) as s:
        token = rows.consume(s, session_id, key)
    return connection_details(request, settings, session_id, token)
