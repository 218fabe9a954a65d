"""A finished realtime session becomes an avatar conversation (same id, as Runway's are).

The conversation table belongs to the characters service; this writes one row into it when that
service is installed, so ``/v1/avatar_conversations`` and ``/v1/avatar_usage`` include live
sessions. Without it, the realtime-session row (transcript, duration, metrics) is the record.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from kinema.platform.deployments.models import RealtimeSession
from kinema.platform.models import utcnow


def record_conversation(
    s: Session, row: RealtimeSession, turns: list[dict[str, Any]] | None = None
) -> bool:
    """Upsert the conversation for ``row``; False when the characters service is absent."""
    try:
        from kinema.platform.characters.models import Avatar, Conversation
    except ImportError:
        return False
    avatar_id = row.avatar.get("avatarId") if row.avatar.get("type") == "custom" else None
    avatar = s.get(Avatar, avatar_id) if avatar_id else None
    avatar_name = avatar.name if avatar is not None else row.avatar.get("presetId")
    conv = s.get(Conversation, row.id) or Conversation(id=row.id, org_id=row.org_id)
    values: dict[str, Any] = {
        "avatar_id": avatar_id,
        "avatar_name": avatar_name,
        "name": f"Live session with {avatar_name or 'avatar'}",
        "status": "failed" if row.status == "FAILED" else "ended",
        "transcript": [
            {
                "role": e.get("role"),
                "content": e.get("content", ""),
                "timestamp": e.get("timestamp"),
                "toolCalls": [],
                "toolResults": [],
            }
            for e in row.transcript
            if e.get("role") in ("user", "assistant")
        ],
        "max_duration": row.max_duration,
        "created_at": row.created_at,
        "started_at": row.started_at,
        "ended_at": row.ended_at,
        "updated_at": utcnow(),
    }
    if row.satisfaction:
        values["rating"] = row.satisfaction
    if hasattr(Conversation, "turns"):
        values["turns"] = list(turns or [])
    for key, value in values.items():
        if hasattr(Conversation, key):
            setattr(conv, key, value)
    s.add(conv)
    return True
