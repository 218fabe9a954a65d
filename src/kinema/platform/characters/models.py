"""Tables of the Characters API: documents, avatars, custom voices, conversations.

They share the platform's ``Base`` (so one Alembic chain migrates everything); the schema is
created by revision ``0002_characters``. Lists that belong to one row (an avatar's document ids,
a conversation's transcript and per-turn timings) are JSON columns: they are always read whole.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kinema.platform.models import Base, new_id, utcnow


class Document(Base):
    """A knowledge document: its text is kept here and indexed per organization."""

    __tablename__ = "char_documents"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    org_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    name: Mapped[str] = mapped_column(String(500))
    content: Mapped[str] = mapped_column(Text)
    type: Mapped[str] = mapped_column(String(8), default="text")  # text | file
    source: Mapped[str | None] = mapped_column(String(2048), nullable=True)  # filename or URL
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Voice(Base):
    """A custom voice: a designed or matched espeak ``VoiceSpec`` (never a clone)."""

    __tablename__ = "char_voices"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    org_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="READY")
    failure_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    source: Mapped[str] = mapped_column(String(8))  # text | audio
    spec: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # stats, consent, prompt
    preview_key: Mapped[str | None] = mapped_column(String(500), nullable=True)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Avatar(Base):
    """A character: portrait, rig, personality, voice and knowledge."""

    __tablename__ = "char_avatars"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    org_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    personality: Mapped[str] = mapped_column(Text)
    voice: Mapped[dict[str, Any]] = mapped_column(JSON)  # {"type": ..., "presetId"|"id": ...}
    document_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    start_script: Mapped[str | None] = mapped_column(Text, nullable=True)
    image_processing: Mapped[str] = mapped_column(String(16), default="optimize")
    status: Mapped[str] = mapped_column(String(16), default="PROCESSING")
    failure_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    image_key: Mapped[str] = mapped_column(String(500))
    processed_key: Mapped[str | None] = mapped_column(String(500), nullable=True)
    rig_key: Mapped[str | None] = mapped_column(String(500), nullable=True)
    report: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    keypoints: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)  # manual
    emotion: Mapped[str] = mapped_column(String(32), default="neutral")
    knowledge_only: Mapped[bool] = mapped_column(Boolean, default=False)
    build_task_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Conversation(Base):
    """A conversation with an avatar (REST turns or a live session)."""

    __tablename__ = "char_conversations"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    org_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"))
    avatar_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    avatar_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    name: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(16), default="in_progress")
    transcript: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    turns: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # per-turn timings
    max_duration: Mapped[int | None] = mapped_column(Integer, nullable=True)
    rating: Mapped[int | None] = mapped_column(Integer, nullable=True)
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(nullable=True)
    ended_at: Mapped[datetime | None] = mapped_column(nullable=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index("ix_char_conversations_org_created", "org_id", "created_at"),)
