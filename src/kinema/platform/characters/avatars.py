"""Avatars: a portrait made into a rig (in a background task), with a personality, a voice,
knowledge documents and an opening line.

Create stores the reference image and queues an ``avatar_build`` task (free of charge):
PROCESSING → READY (rig and processed crop in storage, quality report kept) or FAILED with a
``failureReason`` built from the face engine's report, tips included. Manual keypoints (a Kinema
extension) let non-human faces through the same build.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from threading import Lock
from typing import Any

import cv2
import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from kinema.config import Settings
from kinema.errors import InvalidInput, NotFound
from kinema.face.analyze import ManualPoints
from kinema.face.controls import EMOTIONS
from kinema.media.image import encode_image, load_image
from kinema.platform import tasks as task_service
from kinema.platform.characters import documents, voices
from kinema.platform.characters.models import Avatar
from kinema.platform.models import Task, new_id, utcnow
from kinema.platform.storage import get_storage

BUILD_MODEL = "gwm1_avatars"
PREVIEW_SIDE = 512


def check_voice(session: Session, org_id: str, voice: dict[str, Any]) -> dict[str, Any]:
    """Normalise ``{type: runway-live-preset, presetId}`` | ``{type: custom, id}``."""
    kind = voice.get("type")
    if kind == "runway-live-preset":
        return {"type": kind, "presetId": voices.live_preset(str(voice.get("presetId"))).id}
    if kind == "custom":
        voices.custom_spec(session, org_id, str(voice.get("id")))
        return {"type": "custom", "id": str(voice["id"])}
    raise InvalidInput(
        "Invalid parameter 'voice.type': use 'runway-live-preset' (with presetId) or 'custom' "
        "(with id).",
        field="voice.type",
    )


def check_emotion(emotion: str | None) -> str:
    emotion = (emotion or "neutral").strip().lower()
    if emotion not in EMOTIONS:
        raise InvalidInput(
            f"Invalid parameter 'emotion': use one of {', '.join(EMOTIONS)}.", field="emotion"
        )
    return emotion


def check_keypoints(points: dict[str, Any] | None) -> dict[str, Any] | None:
    if points is None:
        return None
    import json

    return ManualPoints.from_json(json.dumps(points)).model_dump(mode="json")


def store_image(avatar_id: str, data: bytes, settings: Settings) -> str:
    """Keep the original and a small JPEG preview (``referenceImageUri``)."""
    rgb = load_image(data, field="referenceImage")
    storage = get_storage(settings)
    key = storage.put_bytes(f"avatars/{avatar_id}/reference.bin", data)
    h, w = rgb.shape[:2]
    k = min(1.0, PREVIEW_SIDE / max(h, w))
    small = (
        cv2.resize(rgb, (max(1, round(w * k)), max(1, round(h * k))), interpolation=cv2.INTER_AREA)
        if k < 1
        else rgb
    )
    storage.put_bytes(f"avatars/{avatar_id}/preview.jpg", encode_image(small, "JPEG", 85))
    return key


def rig_storage_key(avatar_id: str, rig_bytes: bytes) -> str:
    """Where a built rig is stored: the rig format's version and a hash of its content are in
    the name, so a rebuilt rig (a new portrait or new points) has a new key and every cache
    keyed by it (REST turn renderers, per-process rigs) picks up the new face."""
    from kinema.face.rig import RIG_VERSION

    digest = hashlib.sha256(rig_bytes).hexdigest()[:16]
    return f"avatars/{avatar_id}/rig-v{RIG_VERSION}-{digest}.bin"


def preview_key(avatar: Avatar) -> str:
    return f"avatars/{avatar.id}/preview.jpg"


def _queue_build(
    session: Session, avatar: Avatar, settings: Settings, api_key_id: str | None
) -> None:
    task = task_service.create_task(
        session,
        org_id=avatar.org_id,
        kind="avatar_build",
        model=BUILD_MODEL,
        payload={"avatar_id": avatar.id, "org_id": avatar.org_id},
        estimated_cost=0,
        settings=settings,
        api_key_id=api_key_id,
    )
    avatar.status, avatar.failure_reason, avatar.build_task_id = "PROCESSING", None, task.id
    avatar.rig_key = avatar.processed_key = None
    avatar.report = None


def create(
    session: Session,
    org_id: str,
    settings: Settings,
    *,
    name: str,
    personality: str,
    image: bytes,
    voice: dict[str, Any],
    document_ids: list[str] | None = None,
    start_script: str | None = None,
    image_processing: str = "optimize",
    keypoints: dict[str, Any] | None = None,
    emotion: str | None = None,
    knowledge_only: bool = False,
    api_key_id: str | None = None,
    queue: bool = True,
) -> Avatar:
    """Store the portrait and the avatar; ``queue`` a build task (``False``: the caller runs
    ``build`` itself, as the CLI does)."""
    if not name.strip():
        raise InvalidInput("Invalid parameter 'name': must not be empty.", field="name")
    if not personality.strip():
        raise InvalidInput(
            "Invalid parameter 'personality': must not be empty.", field="personality"
        )
    voice = check_voice(session, org_id, voice)
    doc_ids = documents.check_ids(session, org_id, document_ids or [])
    avatar_id = new_id()
    image_key = store_image(avatar_id, image, settings)
    now = utcnow()
    avatar = Avatar(
        id=avatar_id,
        org_id=org_id,
        name=name.strip(),
        personality=personality,
        voice=voice,
        document_ids=doc_ids,
        start_script=start_script,
        image_processing=image_processing,
        image_key=image_key,
        keypoints=check_keypoints(keypoints),
        emotion=check_emotion(emotion),
        knowledge_only=knowledge_only,
        created_at=now,
        updated_at=now,
    )
    session.add(avatar)
    session.flush()
    if queue:
        _queue_build(session, avatar, settings, api_key_id)
    return avatar


def get(session: Session, org_id: str, avatar_id: str) -> Avatar:
    """An avatar of ``org_id``; a PROCESSING avatar whose build task died is marked FAILED."""
    avatar = session.get(Avatar, avatar_id, populate_existing=True)
    if avatar is None or avatar.org_id != org_id:
        raise NotFound("Avatar not found.")
    if avatar.status == "PROCESSING" and avatar.build_task_id:
        task = session.get(Task, avatar.build_task_id)
        if task is not None and task.status in ("FAILED", "CANCELLED"):
            avatar.status = "FAILED"
            avatar.failure_reason = task.failure or "Processing was cancelled."
    return avatar


def list_stmt(org_id: str):
    return select(Avatar).where(Avatar.org_id == org_id).order_by(Avatar.created_at.desc())


def update(
    session: Session,
    org_id: str,
    avatar_id: str,
    settings: Settings,
    fields: dict[str, Any],
    api_key_id: str | None = None,
) -> Avatar:
    """PATCH: any subset; ``startScript: None`` clears it; a new image or keypoints rebuild."""
    avatar = get(session, org_id, avatar_id)
    rebuild = False
    if "name" in fields:
        if not str(fields["name"] or "").strip():
            raise InvalidInput("Invalid parameter 'name': must not be empty.", field="name")
        avatar.name = fields["name"].strip()
    if "personality" in fields:
        if not str(fields["personality"] or "").strip():
            raise InvalidInput(
                "Invalid parameter 'personality': must not be empty.", field="personality"
            )
        avatar.personality = fields["personality"]
    if "voice" in fields:
        avatar.voice = check_voice(session, org_id, fields["voice"] or {})
    if "documentIds" in fields:
        avatar.document_ids = documents.check_ids(session, org_id, fields["documentIds"] or [])
    if "startScript" in fields:
        avatar.start_script = fields["startScript"]
    if "emotion" in fields:
        avatar.emotion = check_emotion(fields["emotion"])
    if "knowledgeOnly" in fields:
        avatar.knowledge_only = bool(fields["knowledgeOnly"])
    if "imageProcessing" in fields and fields["imageProcessing"]:
        avatar.image_processing = fields["imageProcessing"]
    if "keypoints" in fields:
        avatar.keypoints = check_keypoints(fields["keypoints"])
        rebuild = True
    if fields.get("referenceImage") is not None:
        avatar.image_key = store_image(avatar.id, fields["referenceImage"], settings)
        rebuild = True
    avatar.updated_at = utcnow()
    if rebuild:
        _queue_build(session, avatar, settings, api_key_id)
    session.flush()
    return avatar


def delete(session: Session, org_id: str, avatar_id: str, settings: Settings) -> None:
    avatar = get(session, org_id, avatar_id)
    session.delete(avatar)
    get_storage(settings).delete(f"avatars/{avatar_id}")
    _RIGS.pop(avatar_id, None)


# -- the build (runs in a worker) -------------------------------------------------------------


def failure_reason(exc: Exception | None, report: dict[str, Any] | None) -> str:
    """A readable reason with what to do about it."""
    if exc is not None:
        return str(exc)
    issues = (report or {}).get("errors", [])
    return " ".join(f"{i['message']} {i['tip']}" for i in issues) or "The portrait is unusable."


def build(avatar_id: str, settings: Settings, progress: Any = None) -> str:
    """Analyse the portrait, build and store the rig; returns the final status."""
    from kinema.errors import KinemaError
    from kinema.face.analyze import analyze
    from kinema.face.rig import Rig
    from kinema.platform import db

    storage = get_storage(settings)
    with db.session_scope(settings) as s:
        avatar = s.get(Avatar, avatar_id)
        if avatar is None:
            return "MISSING"
        image_key, points = avatar.image_key, avatar.keypoints
    image = load_image(storage.get_bytes(image_key), field="referenceImage")
    report: dict[str, Any] | None = None
    try:
        manual = ManualPoints.model_validate(points) if points else None
        analysis = analyze(image, manual)
        report = analysis.to_dict()
        if progress:
            progress(0.5)
        if not analysis.report.ok:
            raise _Unusable()
        rig = Rig.build(None, analysis)
        rig_bytes = rig.to_bytes()
        rig_key = storage.put_bytes(rig_storage_key(avatar_id, rig_bytes), rig_bytes)
        processed = storage.put_bytes(
            f"avatars/{avatar_id}/processed.png", encode_image(np.asarray(analysis.image))
        )
    except (KinemaError, _Unusable) as exc:
        reason = failure_reason(
            None if isinstance(exc, _Unusable) else exc, report and report.get("report")
        )
        with db.session_scope(settings) as s:
            avatar = s.get(Avatar, avatar_id)
            if avatar is not None and avatar.image_key == image_key:
                avatar.status, avatar.failure_reason = "FAILED", reason
                avatar.report, avatar.updated_at = report, utcnow()
        return "FAILED"
    with db.session_scope(settings) as s:
        avatar = s.get(Avatar, avatar_id)
        if avatar is None or avatar.image_key != image_key:
            return "STALE"
        avatar.status, avatar.failure_reason = "READY", None
        avatar.rig_key, avatar.processed_key, avatar.report = rig_key, processed, report
        avatar.updated_at = utcnow()
    return "READY"


class _Unusable(Exception):
    """The analysis found errors in the quality report."""


# -- rigs, cached per process -----------------------------------------------------------------


def require_ready(avatar: Avatar) -> None:
    """A 400 unless the avatar's rig is built."""
    if avatar.status != "READY" or not avatar.rig_key:
        raise InvalidInput(
            f"Avatar {avatar.id} is {avatar.status}, not READY"
            + (f": {avatar.failure_reason}" if avatar.failure_reason else "; try again shortly.")
        )


_RIGS: OrderedDict[str, tuple[str, Any]] = OrderedDict()
_RIG_LOCK = Lock()


def load_rig(avatar: Avatar, settings: Settings):
    """The avatar's ``Rig`` (READY only), built once per process and rig file."""
    from kinema.face.rig import Rig

    require_ready(avatar)
    rig_key = avatar.rig_key
    assert rig_key is not None  # READY avatars always have a rig
    with _RIG_LOCK:
        hit = _RIGS.get(avatar.id)
        if hit and hit[0] == rig_key:
            _RIGS.move_to_end(avatar.id)
            return hit[1]
    rig = Rig.from_bytes(get_storage(settings).get_bytes(rig_key))
    with _RIG_LOCK:
        _RIGS[avatar.id] = (rig_key, rig)
        while len(_RIGS) > 8:
            _RIGS.popitem(last=False)
    return rig
