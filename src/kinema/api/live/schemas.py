"""Request bodies and the wire shapes of realtime sessions (Runway SDK 5.24 field names)."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from kinema.api.runway_v1.schemas import iso
from kinema.platform.deployments.models import PublishableKey, RealtimeSession

_TOOL_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class Wire(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ToolIn(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: Literal["client_event", "backend_rpc"]
    name: str
    description: str
    parameters: list[dict[str, Any]] | None = None
    timeoutSeconds: float | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not _TOOL_NAME.match(v):
            raise ValueError("must start with a letter or underscore, then letters/digits/_")
        return v


class RealtimeSessionIn(Wire):
    model: Literal["gwm1_avatars"]
    avatar: dict[str, Any]
    maxDuration: int | None = Field(default=None, ge=1)
    personality: str | None = Field(default=None, max_length=20000)
    startScript: str | None = Field(default=None, max_length=2000)
    tools: list[ToolIn] | None = None
    integration: dict[str, Any] | None = None
    livekit: dict[str, Any] | None = None


class WebRtcOffer(BaseModel):
    sdp: str
    type: str = "offer"


class PublishableKeyIn(Wire):
    avatarId: str = Field(min_length=1, max_length=64)
    allowedOrigins: list[str] = Field(min_length=1, max_length=50)
    name: str = Field(default="", max_length=200)


class EmbedSessionIn(BaseModel):
    avatarId: str | None = None
    maxDuration: int | None = Field(default=None, ge=1)


class RatingIn(Wire):
    rating: int = Field(ge=1, le=5)
    comment: str | None = Field(default=None, max_length=2000)


def session_json(row: RealtimeSession) -> dict[str, Any]:
    """The ``RealtimeSessionRetrieveResponse`` variant for the row's status."""
    out: dict[str, Any] = {"id": row.id, "createdAt": iso(row.created_at), "status": row.status}
    if row.status == "NOT_READY":
        out["queued"] = False
    elif row.status == "READY":
        out["expiresAt"] = iso(row.expires_at) if row.expires_at else None
        out["sessionKey"] = row.session_key
    elif row.status == "COMPLETED":
        out["duration"] = int(round(row.duration or 0))
    elif row.status == "FAILED":
        out["failure"] = row.failure or "The session failed."
        out["failureCode"] = row.failure_code or "INTERNAL"
    return out


def session_detail(row: RealtimeSession) -> dict[str, Any]:
    """Kinema's fuller view for the Studio: avatar, timings, transcript, metrics."""
    return {
        **session_json(row),
        "avatar": row.avatar,
        "maxDuration": row.max_duration,
        "startedAt": iso(row.started_at) if row.started_at else None,
        "endedAt": iso(row.ended_at) if row.ended_at else None,
        "durationSeconds": row.duration,
        "endReason": row.end_reason,
        "origin": row.origin,
        "transcript": row.transcript or [],
        "metrics": row.metrics,
        "satisfaction": row.satisfaction,
    }


def key_json(row: PublishableKey) -> dict[str, Any]:
    return {
        "id": row.id,
        "key": row.key,
        "avatarId": row.avatar_id,
        "allowedOrigins": row.allowed_origins,
        "name": row.name,
        "createdAt": iso(row.created_at),
    }
