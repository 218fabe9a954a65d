"""The embed widget's entry point: a publishable key opens a session with its one avatar.

``POST /v1/live/embed/sessions`` (``Authorization: Bearer pk_...``, from an allowed ``Origin``)
creates the session, waits until its engines are ready, consumes it and returns the connection
details, so the widget needs one round trip before it connects. The session is billed to and
listed under the key's organization, tagged with the key and the origin.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from fastapi import APIRouter, Depends, Request, Response

from kinema.api.deps import get_app_settings
from kinema.api.errors import error_response
from kinema.api.live.cors import apply_cors, well_formed
from kinema.api.live.runtime import runtime_of
from kinema.api.live.schemas import EmbedSessionIn, RealtimeSessionIn
from kinema.api.live.sessions import bearer, connection_details, create_session
from kinema.config import Settings
from kinema.errors import EngineFailure, Forbidden, Unauthorized
from kinema.platform import db
from kinema.platform.characters import presets
from kinema.platform.deployments import keys
from kinema.platform.deployments import sessions as rows

router = APIRouter(tags=["embed"])

READY_WAIT = 60.0  # seconds to wait for the engines (a first rig build takes a few seconds)


@router.post("/v1/live/embed/sessions")
async def open_embed_session(
    body: EmbedSessionIn,
    request: Request,
    response: Response,
    settings: Settings = Depends(get_app_settings),
) -> Any:
    origin = request.headers.get("origin")

    def insert() -> str:
        key = bearer(request)
        if not key.startswith(keys.PREFIX):
            raise Unauthorized("The widget needs a publishable key (pk_...), never an API key.")
        with db.session_scope(settings) as s:
            pk = keys.authorize(s, key, origin, body.avatarId)
            avatar = (
                {"type": "runway-preset", "presetId": pk.avatar_id}
                if presets.is_preset(pk.avatar_id)
                else {"type": "custom", "avatarId": pk.avatar_id}
            )
            spec = RealtimeSessionIn(
                model="gwm1_avatars", avatar=avatar, maxDuration=body.maxDuration
            )
            return create_session(
                s, pk.org_id, spec, settings, publishable_key_id=pk.id, origin=origin
            )

    try:
        session_id = await asyncio.to_thread(insert)
    except (Unauthorized, Forbidden) as exc:  # readable by the widget on the refused page
        refused = error_response(exc.status, str(exc))
        apply_cors(refused, well_formed(origin))
        return refused
    apply_cors(response, origin)
    runtime_of(request.app).prepare(session_id)
    deadline = time.monotonic() + READY_WAIT
    while True:
        with db.session_scope(settings) as s:
            row = rows.get_any(s, session_id)
            status, session_key, failure = row.status, row.session_key, row.failure
            if status == "READY" and session_key:
                token = rows.consume(s, session_id, session_key)
                break
        if status in rows.TERMINAL:
            raise EngineFailure(failure or f"The session could not start ({status}).")
        if time.monotonic() > deadline:
            raise EngineFailure("The avatar took too long to get ready; try again.")
        await asyncio.sleep(0.1)
    return {"id": session_id, **connection_details(request, settings, session_id, token)}
