"""Tables of deployments: realtime sessions, publishable keys, per-turn live metrics."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kinema.platform.models import Base, new_id, utcnow


class RealtimeSession(Base):
    """One live conversation, from creation to its end. Its id is also the conversation id."""

    __tablename__ = "realtime_sessions"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    org_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    avatar: Mapped[dict[str, Any]] = mapped_column(JSON)  # the request's avatar object
    avatar_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    status: Mapped[str] = mapped_column(String(16), default="NOT_READY")
    max_duration: Mapped[int] = mapped_column(Integer, default=300)
    personality: Mapped[str | None] = mapped_column(Text, nullable=True)
    start_script: Mapped[str | None] = mapped_column(Text, nullable=True)
    tools: Mapped[list[Any]] = mapped_column(JSON, default=list)
    session_key: Mapped[str | None] = mapped_column(String(80), nullable=True)
    connect_token_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    publishable_key_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    api_key_id: Mapped[str | None] = mapped_column(String(36), nullable=True)  # the creator's key
    origin: Mapped[str | None] = mapped_column(String(300), nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    ready_at: Mapped[datetime | None] = mapped_column(nullable=True)
    expires_at: Mapped[datetime | None] = mapped_column(nullable=True)
    consumed_at: Mapped[datetime | None] = mapped_column(nullable=True)
    started_at: Mapped[datetime | None] = mapped_column(nullable=True)
    ended_at: Mapped[datetime | None] = mapped_column(nullable=True)
    duration: Mapped[float | None] = mapped_column(Float, nullable=True)
    end_reason: Mapped[str | None] = mapped_column(String(64), nullable=True)
    transcript: Mapped[list[Any]] = mapped_column(JSON, default=list)
    metrics: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    failure: Mapped[str | None] = mapped_column(Text, nullable=True)
    failure_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    satisfaction: Mapped[int | None] = mapped_column(Integer, nullable=True)  # 1..5
    # the node (kinema.platform.nodes) whose memory holds the session's engines, and its URL
    node_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    node_url: Mapped[str | None] = mapped_column(String(300), nullable=True)

    __table_args__ = (
        Index("ix_realtime_sessions_org_created", "org_id", "created_at"),
        Index("ix_realtime_sessions_node_status", "node_id", "status"),
        Index("ix_realtime_sessions_org_status", "org_id", "status"),
    )


class PublishableKey(Base):
    """A ``pk_`` key for the embed widget: public by design, so it is stored in clear, but it
    can only open sessions with one avatar, from the listed origins."""

    __tablename__ = "publishable_keys"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    org_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    key: Mapped[str] = mapped_column(String(80), unique=True)
    avatar_id: Mapped[str] = mapped_column(String(64))
    allowed_origins: Mapped[list[Any]] = mapped_column(JSON, default=list)
    name: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(nullable=True)


class SessionTurn(Base):
    """One conversation turn's stage latencies (ms) and the session's frame figures."""

    __tablename__ = "session_turns"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(
        ForeignKey("realtime_sessions.id", ondelete="CASCADE"), index=True
    )
    org_id: Mapped[str] = mapped_column(String(36), index=True)
    turn: Mapped[int] = mapped_column(Integer)
    record: Mapped[dict[str, Any]] = mapped_column(JSON)  # TurnMetrics.record()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
