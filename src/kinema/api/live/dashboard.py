"""Kinema extensions the Studio reads with an API key: who am I, publishable keys, deployment
stats (conversations per day, satisfaction, latency p50/p95 per stage, fps), live sessions with
transcripts, and the organization's generation tasks (Runway has no task list)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy import select

from kinema.api.deps import base_url, current_org, get_app_settings
from kinema.api.live.schemas import PublishableKeyIn, key_json, session_detail
from kinema.api.runway_v1.schemas import iso, task_json
from kinema.config import Settings
from kinema.errors import InvalidInput, NotFound
from kinema.platform import accounts, db
from kinema.platform.accounts import Caller
from kinema.platform.deployments import keys, stats
from kinema.platform.deployments import sessions as rows
from kinema.platform.models import ApiKey, Task, utcnow

router = APIRouter(prefix="/v1", tags=["studio"])

INTERNAL_KINDS = ("avatar_build",)  # tasks with no media for the Videos page


def _prompt(payload: dict) -> str | None:
    text = payload.get("prompt") or payload.get("promptText") or payload.get("text")
    return text if isinstance(text, str) else None


@router.get("/studio/me")
def me(
    caller: Caller = Depends(current_org), settings: Settings = Depends(get_app_settings)
) -> dict:
    with db.session_scope(settings) as s:
        balance = accounts.balance_of(s, caller.org_id)
    return {"organization": caller.org_name, "orgId": caller.org_id, "creditBalance": balance}


class ApiKeyIn(BaseModel):
    name: str = Field(default="", max_length=200)


def _api_key_json(row: ApiKey, caller: Caller) -> dict:
    return {
        "id": row.id,
        "name": row.name,
        "prefix": row.prefix,
        "createdAt": iso(row.created_at),
        "lastUsedAt": iso(row.last_used_at) if row.last_used_at else None,
        "revokedAt": iso(row.revoked_at) if row.revoked_at else None,
        "current": row.id == caller.key_id,
    }


@router.get("/studio/keys")
def list_api_keys(
    caller: Caller = Depends(current_org), settings: Settings = Depends(get_app_settings)
) -> dict:
    """The organization's API keys (prefixes only: the keys themselves are never stored)."""
    with db.session_scope(settings) as s:
        rows_ = s.scalars(
            select(ApiKey).where(ApiKey.org_id == caller.org_id).order_by(ApiKey.created_at.desc())
        )
        return {"data": [_api_key_json(r, caller) for r in rows_]}


@router.post("/studio/keys", status_code=201)
def create_api_key(
    body: ApiKeyIn,
    caller: Caller = Depends(current_org),
    settings: Settings = Depends(get_app_settings),
) -> dict:
    """A new API key for the caller's organization; ``key`` is shown in this answer only."""
    with db.session_scope(settings) as s:
        row, plain = accounts.create_key(s, caller.org_id, body.name.strip())
        return {**_api_key_json(row, caller), "key": plain}


@router.delete("/studio/keys/{key_id}", status_code=204, response_class=Response)
def revoke_api_key(
    key_id: str,
    caller: Caller = Depends(current_org),
    settings: Settings = Depends(get_app_settings),
) -> Response:
    """Revoke one of the organization's keys (not the one making this call)."""
    with db.session_scope(settings) as s:
        row = s.get(ApiKey, key_id)
        if row is None or row.org_id != caller.org_id:
            raise NotFound("API key not found.")
        if row.id == caller.key_id:
            raise InvalidInput(
                "This is the key you are signed in with; sign in with another key to revoke it.",
                field="keyId",
            )
        row.revoked_at = row.revoked_at or utcnow()
    return Response(status_code=204)


@router.get("/publishable_keys")
def list_keys(
    caller: Caller = Depends(current_org), settings: Settings = Depends(get_app_settings)
) -> dict:
    with db.session_scope(settings) as s:
        return {"data": [key_json(k) for k in keys.list_keys(s, caller.org_id)]}


@router.post("/publishable_keys", status_code=201)
def create_key(
    body: PublishableKeyIn,
    caller: Caller = Depends(current_org),
    settings: Settings = Depends(get_app_settings),
) -> dict:
    """A ``pk_`` key for the embed widget, valid for one avatar on the listed origins: one of
    the organization's own avatars (404 for another organization's) or a public preset."""
    from kinema.platform.characters import avatars as avatar_service
    from kinema.platform.characters import presets

    with db.session_scope(settings) as s:
        if not presets.is_preset(body.avatarId):
            avatar_service.get(s, caller.org_id, body.avatarId)  # 404 for another org's avatar
        return key_json(
            keys.create(s, caller.org_id, body.avatarId, body.allowedOrigins, body.name)
        )


@router.delete("/publishable_keys/{key_id}", status_code=204, response_class=Response)
def revoke_key(
    key_id: str,
    caller: Caller = Depends(current_org),
    settings: Settings = Depends(get_app_settings),
) -> Response:
    with db.session_scope(settings) as s:
        keys.revoke(s, caller.org_id, key_id)
    return Response(status_code=204)


@router.get("/deployments/stats")
def deployment_stats(
    days: int = Query(14, ge=1, le=90),
    avatarId: str | None = None,
    caller: Caller = Depends(current_org),
    settings: Settings = Depends(get_app_settings),
) -> dict:
    with db.session_scope(settings) as s:
        return stats.overview(s, caller.org_id, days=days, avatar_id=avatarId)


@router.get("/live/sessions")
def list_sessions(
    limit: int = Query(20, ge=1, le=100),
    caller: Caller = Depends(current_org),
    settings: Settings = Depends(get_app_settings),
) -> dict:
    with db.session_scope(settings) as s:
        return {"data": [session_detail(r) for r in rows.list_recent(s, caller.org_id, limit)]}


@router.get("/live/sessions/{session_id}")
def get_session(
    session_id: str,
    caller: Caller = Depends(current_org),
    settings: Settings = Depends(get_app_settings),
) -> dict:
    """A session with its transcript, metrics and per-turn stage latencies."""
    from kinema.platform.deployments.models import SessionTurn

    with db.session_scope(settings) as s:
        row = rows.get(s, caller.org_id, session_id)
        turns = s.scalars(
            select(SessionTurn).where(SessionTurn.session_id == row.id).order_by(SessionTurn.turn)
        )
        return {**session_detail(row), "turns": [t.record for t in turns]}


@router.get("/studio/tasks")
def list_tasks(
    request: Request,
    limit: int = Query(20, ge=1, le=100),
    caller: Caller = Depends(current_org),
    settings: Settings = Depends(get_app_settings),
) -> dict:
    """The organization's latest generation tasks, newest first, as ``GET /v1/tasks/{id}``."""
    base = base_url(request, settings)
    with db.session_scope(settings) as s:
        tasks = s.scalars(
            select(Task)
            .where(
                Task.org_id == caller.org_id,
                Task.deleted.is_(False),
                Task.kind.not_in(INTERNAL_KINDS),
            )
            .order_by(Task.created_at.desc())
            .limit(limit)
        )
        return {
            "data": [
                {
                    **task_json(t, base, settings),
                    "model": t.model,
                    "kind": t.kind,
                    "promptText": _prompt(t.payload or {}),
                }
                for t in tasks
            ]
        }
