"""Rows → Runway wire JSON (camelCase; Kinema extensions as extra fields SDKs ignore)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from kinema.config import Settings
from kinema.platform.characters import avatars as avatar_service
from kinema.platform.characters import conversations as conv_service
from kinema.platform.characters.common import iso, signed_url
from kinema.platform.characters.models import Avatar, Conversation, Document, Voice
from kinema.voice.runway_presets import LIVE_PRESETS


def voice_json(session: Session, org_id: str, voice: dict[str, Any]) -> dict[str, Any]:
    if voice.get("type") == "custom":
        row = session.get(Voice, voice.get("id"))
        if row is None or row.org_id != org_id or row.deleted:
            return {"type": "custom", "id": voice.get("id"), "deleted": True}
        return {
            "type": "custom",
            "id": row.id,
            "deleted": False,
            "name": row.name,
            "description": row.description,
        }
    preset = LIVE_PRESETS[voice["presetId"]]
    return {
        "type": "runway-live-preset",
        "presetId": preset.id,
        "name": preset.name,
        "description": preset.description,
    }


def avatar_json(session: Session, avatar: Avatar, base: str, settings: Settings) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": avatar.id,
        "createdAt": iso(avatar.created_at),
        "updatedAt": iso(avatar.updated_at),
        "name": avatar.name,
        "personality": avatar.personality,
        "documentIds": list(avatar.document_ids or []),
        "startScript": avatar.start_script,
        "referenceImageUri": signed_url(avatar_service.preview_key(avatar), base, settings),
        "processedImageUri": signed_url(avatar.processed_key, base, settings),
        "voice": voice_json(session, avatar.org_id, avatar.voice),
        "status": avatar.status,
        # Kinema extensions
        "emotion": avatar.emotion,
        "knowledgeOnly": avatar.knowledge_only,
        "keypoints": avatar.keypoints,
        "quality": (avatar.report or {}).get("report"),
        "detectedKeypoints": (avatar.report or {}).get("keypoints"),
        "kinemaUri": f"kinema://avatars/{avatar.id}",
    }
    if avatar.status == "FAILED":
        out["failureReason"] = avatar.failure_reason or "Processing failed."
    return out


def used_by(session: Session, doc: Document, base: str, settings: Settings) -> list[dict]:
    from kinema.platform.characters.documents import used_by as find

    return [
        {
            "id": a.id,
            "name": a.name,
            "imageUrl": signed_url(a.processed_key, base, settings) if a.processed_key else None,
        }
        for a in find(session, doc.org_id, doc.id)
    ]


def document_json(
    session: Session, doc: Document, base: str, settings: Settings, *, content: bool = True
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": doc.id,
        "name": doc.name,
        "type": doc.type,
        "createdAt": iso(doc.created_at),
        "updatedAt": iso(doc.updated_at),
        "usedBy": used_by(session, doc, base, settings),
    }
    if content:
        out["content"] = doc.content
    if doc.source:
        out["source"] = doc.source
    return out


def voice_row_json(voice: Voice, base: str, settings: Settings) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": voice.id,
        "name": voice.name,
        "description": voice.description,
        "createdAt": iso(voice.created_at),
        "status": voice.status,
        # Kinema extensions: what the voice is made of
        "source": voice.source,
        "basedOn": voice.details.get("basedOn"),
        "spec": voice.spec,
    }
    if voice.status == "READY":
        out["previewUrl"] = signed_url(voice.preview_key, base, settings)
    if voice.status == "FAILED":
        out["failureReason"] = voice.failure_reason or "Processing failed."
    if voice.source == "audio":
        out["method"] = voice.details.get("method")
        out["measured"] = voice.details.get("measured")
        out["consent"] = voice.details.get("consent")
    return out


PRESET_AVATARS = (
    "game-character", "music-superstar", "game-character-man", "cat-character", "influencer",
    "tennis-coach", "human-resource", "fashion-designer", "cooking-teacher",
)  # fmt: skip


def _conv_avatar(session: Session, conv: Conversation, base: str, settings: Settings) -> dict:
    avatar = session.get(Avatar, conv.avatar_id) if conv.avatar_id else None
    if conv.avatar_id is None and conv.avatar_name in PRESET_AVATARS:  # a live preset session
        name = conv.avatar_name.replace("-", " ").title()
        return {"type": "runway-preset", "presetId": conv.avatar_name, "name": name}
    if avatar is None:
        return {"type": "custom", "id": None, "name": conv.avatar_name, "imageUrl": None}
    return {
        "type": "custom",
        "id": avatar.id,
        "name": avatar.name,
        "imageUrl": signed_url(avatar_service.preview_key(avatar), base, settings),
    }


def conversation_json(
    session: Session, conv: Conversation, base: str, settings: Settings
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": conv.id,
        "avatar": _conv_avatar(session, conv, base, settings),
        "createdAt": iso(conv.created_at),
        "duration": conv_service.duration(conv),
        "maxDuration": conv.max_duration,
        "name": conv.name,
        "recordingUrl": None,
        "startedAt": iso(conv.started_at),
        "status": conv.status,
        "tools": [],
        "transcript": [
            {
                "role": e["role"],
                "content": e.get("content"),
                "timestamp": e.get("timestamp"),
                "toolCalls": e.get("toolCalls"),
                "toolResults": e.get("toolResults"),
                **{k: v for k, v in e.items() if k in ("citations", "asrConfidence")},
            }
            for e in conv.transcript
        ],
        # Kinema extensions
        "turns": conv.turns,
        "feedback": {"rating": conv.rating, "comment": conv.comment} if conv.rating else None,
    }
    if conv.status != "in_progress":
        out["endedAt"] = iso(conv.ended_at)
    if conv.status == "failed":
        out["failure"] = "The session ended because of an error."
        out["failureCode"] = "INTERNAL"
    return out


def conversation_item(
    session: Session, conv: Conversation, base: str, settings: Settings
) -> dict[str, Any]:
    avatar = _conv_avatar(session, conv, base, settings)
    avatar.pop("imageUrl", None)
    return {
        "id": conv.id,
        "avatar": avatar,
        "createdAt": iso(conv.created_at),
        "duration": conv_service.duration(conv),
        "hasTools": False,
        "name": conv.name,
        "status": conv.status,
    }
