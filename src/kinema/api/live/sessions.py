"""``/v1/realtime_sessions``: create, retrieve, cancel, and ``consume`` (Runway wire shapes).

``consume`` is authorised by the session key, not the API key, and works once. It answers with
Kinema's own connection details instead of LiveKit's: a WebSocket URL (``url``/``token``, the
``roomName`` is the session id) and a WebRTC offer URL; both take the same one-time token, never
in the URL (``kinema.api.live.connect``). Those URLs point at the node that holds the session
(its row records the node's address), so ``consume`` can be answered by any node of a cluster.
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from kinema.api.deps import base_url, current_org, get_app_settings, require_version
from kinema.api.live.avatars import check_avatar, custom_exists
from kinema.api.live.runtime import SESSION_KEY_TTL, runtime_of
from kinema.api.live.schemas import RealtimeSessionIn, session_json
from kinema.config import Settings
from kinema.errors import InvalidInput, RateLimited, Unauthorized
from kinema.live.ice import ice_config
from kinema.platform import db
from kinema.platform.accounts import Caller
from kinema.platform.deployments import sessions as rows
from kinema.platform.models import Organization

router = APIRouter(prefix="/v1", tags=["realtime sessions"])

PREPARE_ALLOWANCE = 600.0  # seconds preparing may take, at most, in the session-cap horizon
SESSION_RETRY_AFTER = 30.0  # Retry-After of a 429 at the session caps


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
    api_key_id: str | None = None,
    origin: str | None = None,
    node: dict[str, str | None] | None = None,
) -> str:
    """Validate and insert a NOT_READY session; the caller then calls ``runtime.prepare``.

    429 when the organization, or the key (API key or publishable key), already holds its
    limit of unfinished sessions (``live_max_sessions_per_org`` / ``_per_key``)."""
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
    check_session_caps(
        s, caller_org, settings, api_key_id=api_key_id, publishable_key_id=publishable_key_id
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
        api_key_id=api_key_id,
        origin=origin,
        **(node or {}),
    )
    return row.id


def check_session_caps(
    s: Session,
    org_id: str,
    settings: Settings,
    *,
    api_key_id: str | None = None,
    publishable_key_id: str | None = None,
) -> None:
    """Raise ``RateLimited`` naming the limit when one more session would pass a cap."""
    # the organization's row is locked (PostgreSQL) so two racing creates cannot both pass;
    # SQLite transactions already start with the write lock (BEGIN IMMEDIATE)
    s.execute(select(Organization.id).where(Organization.id == org_id).with_for_update())
    horizon = PREPARE_ALLOWANCE + SESSION_KEY_TTL + settings.live_max_duration
    held = rows.count_unfinished(s, org_id, horizon=horizon)
    org_limit = settings.live_max_sessions_per_org
    if held >= org_limit:
        raise RateLimited(
            f"Too many live sessions: this organization has {held} unfinished (preparing, READY "
            f"or RUNNING) and the limit is {org_limit} (live_max_sessions_per_org). End one "
            "(DELETE /v1/realtime_sessions/{id}) or wait until one finishes.",
            retry_after=SESSION_RETRY_AFTER,
        )
    key_limit = settings.live_max_sessions_per_key
    for kind, key_id in (("API key", api_key_id), ("publishable key", publishable_key_id)):
        if key_id is None:
            continue
        held = rows.count_unfinished(
            s,
            org_id,
            horizon=horizon,
            api_key_id=key_id if kind == "API key" else None,
            publishable_key_id=key_id if kind != "API key" else None,
        )
        if held >= key_limit:
            raise RateLimited(
                f"Too many live sessions: this {kind} has {held} unfinished (preparing, READY "
                f"or RUNNING) and the limit is {key_limit} per key (live_max_sessions_per_key)."
                " End one or wait until one finishes.",
                retry_after=SESSION_RETRY_AFTER,
            )


@router.post("/realtime_sessions", dependencies=[Depends(require_version)])
async def create(
    body: RealtimeSessionIn,
    request: Request,
    caller: Caller = Depends(current_org),
    settings: Settings = Depends(get_app_settings),
) -> dict:
    """Start preparing a session (NOT_READY); poll GET until READY for the ``sessionKey``."""

    runtime = runtime_of(request.app)

    def insert() -> str:
        with db.session_scope(settings) as s:
            return create_session(
                s, caller.org_id, body, settings, api_key_id=caller.key_id, node=runtime.node
            )

    session_id = await asyncio.to_thread(insert)
    runtime.prepare(session_id)
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


def connection_details(
    request: Request, settings: Settings, session_id: str, token: str, owner: str | None = None
) -> dict:
    """Where and how to connect: ``owner`` (the node holding the session) or this server. No
    URL carries the token (URLs land in access logs): send it as the WebSocket subprotocol
    ``token.<token>`` next to ``kinema-live-1``, or as ``Authorization: Bearer <token>`` to
    ``offerUrl``. It connects once."""
    http = (owner or base_url(request, settings)).rstrip("/")
    ws = "wss://" + http[8:] if http.startswith("https://") else "ws://" + http.split("://", 1)[1]
    return {
        "url": f"{ws}/v1/live/ws/{session_id}",
        "token": token,
        "roomName": session_id,
        "webrtc": {
            "offerUrl": f"{http}/v1/live/webrtc/{session_id}/offer",
            **ice_config(settings, session_id=session_id).browser(),  # iceServers, policy
        },
        "protocol": "kinema-live-1",
        "subprotocols": ["kinema-live-1", f"token.{token}"],
    }


@router.post("/realtime_sessions/{session_id}/consume")
def consume(
    session_id: str, request: Request, settings: Settings = Depends(get_app_settings)
) -> dict:
    """Trade the session key (Bearer) for connection details, once (a second call is 409)."""
    key = bearer(request)
    runtime = runtime_of(request.app)
    owner = None
    with db.session_scope(settings) as s:  # a READY row lost in a restart fails first
        row = s.get(rows.RealtimeSession, session_id)
        if row is not None and row.status == "READY" and row.session_key == key:
            runtime.fail_if_lost(s, row)
            owner = runtime.owner_url(row)
    with db.session_scope(settings) as s:
        token = rows.consume(s, session_id, key)
    return connection_details(request, settings, session_id, token, owner)
