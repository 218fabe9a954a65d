"""The realtime-session lifecycle, as Runway's wire spec draws it.

NOT_READY (engines being prepared) → READY (a one-time ``sessionKey`` until ``expiresAt``) →
RUNNING (a client connected with the token that ``consume`` issued) → COMPLETED (with the
duration) | FAILED | CANCELLED. Every transition is one conditional UPDATE, so two racing
clients cannot both consume a key or both connect. The session key is kept (GET
shows it while READY, as Runway's does); connect tokens are stored only as hashes.

A session's engines live in the memory of one node (``node_id``, reached at ``node_url``):
other nodes route clients there and never fail it; when that node's lease expires, any node's
sweep (``fail_dead_nodes``) fails its unfinished sessions.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from kinema.errors import Conflict, NotFound, Unauthorized
from kinema.platform.deployments.models import RealtimeSession, SessionTurn
from kinema.platform.models import utcnow
from kinema.platform.tasks import as_utc

TERMINAL = ("COMPLETED", "FAILED", "CANCELLED")
SESSION_KEY_PREFIX = "sk_"
CONNECT_TOKEN_PREFIX = "ct_"


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create(
    s: Session,
    org_id: str,
    *,
    avatar: dict[str, Any],
    max_duration: int,
    personality: str | None = None,
    start_script: str | None = None,
    tools: list[dict[str, Any]] | None = None,
    publishable_key_id: str | None = None,
    api_key_id: str | None = None,
    origin: str | None = None,
    node_id: str | None = None,
    node_url: str | None = None,
) -> RealtimeSession:
    row = RealtimeSession(
        node_id=node_id,
        node_url=node_url,
        org_id=org_id,
        avatar=avatar,
        avatar_id=avatar.get("avatarId") or avatar.get("presetId"),
        max_duration=max_duration,
        personality=personality,
        start_script=start_script,
        tools=tools or [],
        publishable_key_id=publishable_key_id,
        api_key_id=api_key_id,
        origin=origin,
        created_at=utcnow(),
    )
    s.add(row)
    s.flush()
    return row


def count_unfinished(
    s: Session,
    org_id: str,
    *,
    horizon: float,
    api_key_id: str | None = None,
    publishable_key_id: str | None = None,
) -> int:
    """Sessions of ``org_id`` (and of that key, when given) still preparing, READY or RUNNING.

    Rows older than ``horizon`` seconds are not counted: no session lives that long (preparing,
    the key's TTL and ``maxDuration`` together), so a row a crashed server left unfinished
    stops counting against the caps instead of locking the organization out."""
    since = utcnow() - timedelta(seconds=horizon)
    stmt = (
        select(func.count())
        .select_from(RealtimeSession)
        .where(
            RealtimeSession.org_id == org_id,
            RealtimeSession.status.not_in(TERMINAL),
            RealtimeSession.created_at >= since,
        )
    )
    if api_key_id is not None:
        stmt = stmt.where(RealtimeSession.api_key_id == api_key_id)
    if publishable_key_id is not None:
        stmt = stmt.where(RealtimeSession.publishable_key_id == publishable_key_id)
    return int(s.scalar(stmt) or 0)


def get(s: Session, org_id: str, session_id: str) -> RealtimeSession:
    row = s.get(RealtimeSession, session_id)
    if row is None or row.org_id != org_id:
        raise NotFound(f"Realtime session {session_id!r} not found.")
    return row


def get_any(s: Session, session_id: str) -> RealtimeSession:
    row = s.get(RealtimeSession, session_id)
    if row is None:
        raise NotFound(f"Realtime session {session_id!r} not found.")
    return row


def mark_ready(s: Session, session_id: str, *, ttl: float) -> str | None:
    """NOT_READY → READY with a fresh session key (GET shows it, as Runway's does)."""
    key = SESSION_KEY_PREFIX + secrets.token_urlsafe(32)
    now = utcnow()
    res = s.execute(
        update(RealtimeSession)
        .where(RealtimeSession.id == session_id, RealtimeSession.status == "NOT_READY")
        .values(
            status="READY",
            session_key=key,
            ready_at=now,
            expires_at=now + timedelta(seconds=ttl),
        )
    )
    return key if res.rowcount == 1 else None  # type: ignore[attr-defined]


def fail(s: Session, session_id: str, failure: str, code: str = "INTERNAL") -> None:
    s.execute(
        update(RealtimeSession)
        .where(RealtimeSession.id == session_id, RealtimeSession.status.not_in(TERMINAL))
        .values(status="FAILED", failure=failure, failure_code=code, ended_at=utcnow())
        .execution_options(synchronize_session=False)
    )


def fail_dead_nodes(
    s: Session, dead: Any, failure: str, code: str, *, exclude: str | None = None
) -> int:
    """Fail the unfinished sessions held by nodes that ``dead(ids)`` reports gone."""
    held = set(
        s.scalars(
            select(RealtimeSession.node_id)
            .where(
                RealtimeSession.status.not_in(TERMINAL),
                RealtimeSession.node_id.is_not(None),
            )
            .distinct()
        ).all()
    )
    held.discard(exclude)
    gone = dead(held) if held else set()
    if not gone:
        return 0
    res = s.execute(
        update(RealtimeSession)
        .where(RealtimeSession.node_id.in_(gone), RealtimeSession.status.not_in(TERMINAL))
        .values(status="FAILED", failure=failure, failure_code=code, ended_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return int(res.rowcount)  # type: ignore[attr-defined]


def statuses(s: Session, session_ids: list[str]) -> dict[str, str]:
    if not session_ids:
        return {}
    return dict(
        s.execute(
            select(RealtimeSession.id, RealtimeSession.status).where(
                RealtimeSession.id.in_(session_ids)
            )
        ).all()
    )


def expired(row: RealtimeSession, now: datetime | None = None) -> bool:
    """A READY session whose key (or unused connect token) has run out."""
    now = now or utcnow()
    return row.status == "READY" and row.expires_at is not None and as_utc(row.expires_at) <= now


def consume(s: Session, session_id: str, session_key: str) -> str:
    """Trade the session key for a connect token, once. 401 for a wrong key, 409 if used."""
    token = CONNECT_TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = utcnow()
    res = s.execute(
        update(RealtimeSession)
        .where(
            RealtimeSession.id == session_id,
            RealtimeSession.status == "READY",
            RealtimeSession.session_key == session_key,
            RealtimeSession.consumed_at.is_(None),
            RealtimeSession.expires_at > now,
        )
        .values(consumed_at=now, connect_token_hash=hash_secret(token))
        .execution_options(synchronize_session=False)
    )
    if res.rowcount == 1:  # type: ignore[attr-defined]
        return token
    row = s.get(RealtimeSession, session_id)
    if row is None or not row.session_key or row.session_key != session_key:
        raise Unauthorized("Invalid session key: send 'Authorization: Bearer <sessionKey>'.")
    if row.consumed_at is not None:
        raise Conflict("This session key was already consumed; create a new session.")
    if row.status != "READY":
        raise Conflict(f"The session is {row.status}; it cannot be consumed.")
    raise Unauthorized("The session key has expired; create a new session.")


def start(s: Session, session_id: str, token: str) -> RealtimeSession:
    """READY (consumed) → RUNNING for the holder of the connect token; one connection only."""
    now = utcnow()
    res = s.execute(
        update(RealtimeSession)
        .where(
            RealtimeSession.id == session_id,
            RealtimeSession.status == "READY",
            RealtimeSession.connect_token_hash == hash_secret(token),
        )
        .values(status="RUNNING", started_at=now)
        .execution_options(synchronize_session=False)
    )
    row = s.get(RealtimeSession, session_id)
    if res.rowcount == 1 and row is not None:  # type: ignore[attr-defined]
        s.refresh(row)
        return row
    if row is None or row.connect_token_hash != hash_secret(token):
        raise Unauthorized("Invalid connection token; call /consume for one.")
    raise Conflict(f"The session is {row.status}; a client is already connected or it ended.")


def finish(
    s: Session,
    session_id: str,
    *,
    reason: str,
    transcript: list[dict[str, Any]],
    turns: list[dict[str, Any]],
    metrics: dict[str, Any] | None,
) -> RealtimeSession:
    """RUNNING → COMPLETED with its duration; a cancelled session keeps CANCELLED."""
    row = get_any(s, session_id)
    now = utcnow()
    started = as_utc(row.started_at) if row.started_at else now
    row.duration = round((now - started).total_seconds(), 3)
    row.ended_at = now
    row.end_reason = reason
    row.transcript = transcript
    row.metrics = metrics
    if row.status == "RUNNING":
        row.status = "COMPLETED"
    for record in turns:
        s.add(
            SessionTurn(
                session_id=row.id,
                org_id=row.org_id,
                turn=int(record.get("turn", 0)),
                record=record,
                created_at=now,
            )
        )
    return row


def cancel(s: Session, org_id: str, session_id: str) -> str:
    """DELETE: a live or waiting session becomes CANCELLED. Returns its previous status."""
    row = get(s, org_id, session_id)
    previous = row.status
    if previous not in TERMINAL:
        row.status = "CANCELLED"
        row.ended_at = utcnow()
        if previous == "RUNNING" and row.started_at is not None:
            row.duration = round((row.ended_at - as_utc(row.started_at)).total_seconds(), 3)
    return previous


def rate(s: Session, org_id: str, session_id: str, rating: int) -> None:
    get(s, org_id, session_id).satisfaction = rating


def list_recent(s: Session, org_id: str, limit: int = 50) -> list[RealtimeSession]:
    return list(
        s.scalars(
            select(RealtimeSession)
            .where(RealtimeSession.org_id == org_id)
            .order_by(RealtimeSession.created_at.desc())
            .limit(limit)
        )
    )
