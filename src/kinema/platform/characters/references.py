"""``kinema://avatars/<id>`` media URIs: one character library for avatars and video.

Any image field that goes through ``resolve_media`` (``referenceImages``, ``promptImage``,
``character.uri``, ``referenceImage``) accepts an avatar of the caller's organization and gets
its original reference image; ``kinema://presets/<presetId>`` stands for a preset character's
portrait (the same for every organization).
"""

from __future__ import annotations

from kinema.config import Settings
from kinema.errors import InvalidMedia
from kinema.platform import db
from kinema.platform.characters.models import Avatar
from kinema.platform.storage import get_storage

PREFIX = "kinema://avatars/"
PRESET_PREFIX = "kinema://presets/"


def resolve_kinema_uri(
    uri: str, kind: str, field: str, *, org_id: str | None, settings: Settings
) -> bytes:
    if kind == "image" and uri.startswith(PRESET_PREFIX):
        from kinema.platform.characters import presets

        preset_id = uri[len(PRESET_PREFIX) :].strip("/")
        if not presets.is_preset(preset_id):
            raise InvalidMedia(
                f"Invalid parameter '{field}': no preset {preset_id!r}; use one of "
                f"{', '.join(presets.PRESETS)}.",
                field=field,
            )
        return presets.PRESETS[preset_id].png()
    if not uri.startswith(PREFIX) or kind != "image":
        raise InvalidMedia(
            f"Invalid parameter '{field}': kinema:// URIs name avatars "
            f"(kinema://avatars/<id>) or presets (kinema://presets/<id>) and stand for images.",
            field=field,
        )
    avatar_id = uri[len(PREFIX) :].strip("/")
    with db.session_scope(settings) as s:
        avatar = s.get(Avatar, avatar_id) if avatar_id else None
        if avatar is None or (org_id is not None and avatar.org_id != org_id):
            raise InvalidMedia(
                f"Invalid parameter '{field}': no avatar {avatar_id!r}.", field=field
            )
        key = avatar.image_key
    return get_storage(settings).get_bytes(key)
