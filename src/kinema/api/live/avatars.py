"""What a realtime session shows and says: a Runway preset or a user's avatar, resolved to the
inputs of ``kinema.live.wiring.build_engines``.

Runway's nine preset avatars are the distinct preset characters of
``kinema.platform.characters.presets`` (two shippable photographs, seven drawn cartoons), each
with its own face, name, personality and voice. Custom avatars come from
the characters service (``kinema.platform.characters``): they must be READY; their stored rig is
used when there is one (manual keypoints), else the portrait is rigged once and cached by id.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from kinema.brain.persona import Persona
from kinema.config import Settings
from kinema.errors import Conflict, InvalidInput, NotFound
from kinema.platform.characters import presets
from kinema.platform.characters.presets import PRESETS

__all__ = ["PRESETS", "AvatarSpec", "check_avatar", "custom_exists", "custom_spec", "preset_spec"]


@dataclass
class AvatarSpec:
    """Everything needed to build one session's engines; ``key`` names the cached rig."""

    key: str
    name: str
    portrait: np.ndarray | None = None
    rig: Any = None
    voice: Any = None  # a VoiceSpec
    template: str | None = None
    description: str | None = None
    start_script: str | None = None
    doc_ids: list[str] = field(default_factory=list)
    emotion: str = "neutral"
    knowledge_only: bool = False


def check_avatar(avatar: dict[str, Any]) -> None:
    kind = avatar.get("type")
    for key in ("presetId", "avatarId"):
        if key in avatar and not isinstance(avatar[key], str):
            raise InvalidInput(
                f"Invalid parameter 'avatar.{key}': must be a string.", field=f"avatar.{key}"
            )
    if kind == "runway-preset":
        presets.get(avatar.get("presetId"), "avatar.presetId")
    elif kind == "custom":
        if not str(avatar.get("avatarId") or "").strip():
            raise InvalidInput(
                "avatar.avatarId is required for a custom avatar.", field="avatar.avatarId"
            )
    else:
        raise InvalidInput("avatar.type must be 'runway-preset' or 'custom'.", field="avatar.type")


def preset_spec(preset_id: str) -> AvatarSpec:
    from kinema.voice.runway_presets import LIVE_PRESETS

    p = presets.get(preset_id)
    return AvatarSpec(
        key=f"preset:{p.id}",
        name=p.name,
        rig=p.rig(),
        voice=LIVE_PRESETS[p.voice].spec(),
        template=p.template,
        description=p.description,
    )


def _template_and_description(name: str, personality: str | None) -> dict[str, str | None]:
    p = Persona.from_personality(name, personality)
    return {"template": p.template, "description": p.description}


def _characters() -> Any:
    try:
        from kinema.platform.characters import models, voices
    except ImportError:  # the characters area is not installed in this build
        return None
    return models, voices


def custom_exists(s: Any, org_id: str, avatar_id: str) -> dict[str, Any]:
    """The avatar's name/status for validation at session creation (404/409 otherwise)."""
    mods = _characters()
    if mods is None:
        raise NotFound(f"Avatar {avatar_id!r} not found (custom avatars are unavailable).")
    row = s.get(mods[0].Avatar, avatar_id)
    if row is None or row.org_id != org_id:
        raise NotFound(f"Avatar {avatar_id!r} not found.")
    if row.status != "READY":
        raise Conflict(f"Avatar {avatar_id!r} is {row.status}; wait until it is READY.")
    return {"id": row.id, "name": row.name}


def custom_spec(s: Any, org_id: str, avatar_id: str, settings: Settings) -> AvatarSpec:
    """Load a READY custom avatar: rig (or portrait), voice, personality, documents."""
    from kinema.media.image import load_image
    from kinema.platform.storage import get_storage

    custom_exists(s, org_id, avatar_id)
    models, voices = _characters()
    row = s.get(models.Avatar, avatar_id)
    storage = get_storage(settings)
    rig = portrait = None
    if row.rig_key and storage.exists(row.rig_key):
        from kinema.face.rig import Rig

        rig = Rig.from_bytes(storage.get_bytes(row.rig_key))
    else:
        portrait = load_image(storage.get_bytes(row.processed_key or row.image_key))
    return AvatarSpec(
        key=f"avatar:{row.id}:{row.rig_key or row.updated_at}",
        name=row.name,
        portrait=portrait,
        rig=rig,
        voice=voices.spec_for(s, org_id, row.voice or {}),
        **_template_and_description(row.name, row.personality),
        start_script=row.start_script,
        doc_ids=list(row.document_ids or []),
        emotion=row.emotion or "neutral",
        knowledge_only=bool(row.knowledge_only),
    )
