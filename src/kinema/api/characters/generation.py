"""``POST /v1/avatar_videos`` (an avatar speaks text or audio) and
``POST /v1/character_performance`` (``act_two``): tasks polled through ``/v1/tasks``.

Inputs are resolved and checked here (a bad one is a 400 naming its field); the speech length
or the reference video length is known at create time, so the price is exact.
"""

from __future__ import annotations

import math
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from kinema.api.deps import current_org, get_app_settings, require_version, wake_dispatcher
from kinema.config import Settings
from kinema.errors import InvalidInput, InvalidMedia
from kinema.platform import catalog, db
from kinema.platform.accounts import Caller
from kinema.platform.characters import avatars as avatar_service
from kinema.platform.characters import voices as voice_service
from kinema.platform.inputs import resolve_media
from kinema.platform.submit import submit_task

router = APIRouter(prefix="/v1", tags=["generation"], dependencies=[Depends(require_version)])

ACT_TWO_RATIOS = ("1280:720", "720:1280", "960:960", "1104:832", "832:1104", "1584:672")
MAX_SPEECH_SECONDS = 120.0
MAX_SPEECH_CHARS = 3000


class AvatarRef(BaseModel):
    type: Literal["custom", "runway-preset"]
    avatar_id: str | None = Field(default=None, alias="avatarId")
    preset_id: str | None = Field(default=None, alias="presetId")


class SpeechIn(BaseModel):
    type: Literal["text", "audio"]
    text: str | None = None
    audio: str | None = None
    voice: dict[str, Any] | None = None


class AvatarVideoIn(BaseModel):
    model: str
    avatar: AvatarRef
    speech: SpeechIn
    # Kinema extensions
    size: int = Field(default=512, ge=128, le=1024)
    emotion: str | None = None
    seed: int = Field(default=0, ge=0, le=4294967295)


class MediaRef(BaseModel):
    type: Literal["image", "video"]
    uri: str


class PerformanceIn(BaseModel):
    model: str
    character: MediaRef
    reference: MediaRef
    ratio: str = "1280:720"
    expression_intensity: int = Field(default=3, alias="expressionIntensity")
    body_control: bool = Field(default=False, alias="bodyControl")
    seed: int | None = Field(default=None, ge=0, le=4294967295)
    content_moderation: dict[str, Any] | None = Field(default=None, alias="contentModeration")


def _check_model(model: str, expected: str) -> None:
    if model != expected:
        raise InvalidInput(f"Invalid parameter 'model': use {expected!r}.", field="model")


def _seconds_cost(model: str, seconds: float, settings: Settings) -> int:
    return max(1, catalog.price(model, settings, duration=math.ceil(seconds)))


def _speech_spec(s, caller: Caller, avatar_voice: dict, voice: dict | None):
    if not voice:
        return voice_service.spec_for(s, caller.org_id, avatar_voice)
    if voice.get("type") == "preset":
        return voice_service.any_preset(str(voice.get("presetId")), "speech.voice.presetId").spec()
    if voice.get("type") == "custom":
        return voice_service.custom_spec(s, caller.org_id, str(voice.get("id")), "speech.voice.id")
    raise InvalidInput(
        "Invalid parameter 'speech.voice.type': use 'preset' or 'custom'.",
        field="speech.voice.type",
    )


@router.post("/avatar_videos")
def create_avatar_video(
    body: AvatarVideoIn,
    request: Request,
    caller: Caller = Depends(current_org),
    settings: Settings = Depends(get_app_settings),
) -> dict:
    """An avatar speaking a text (its voice or an override) or an audio file."""
    _check_model(body.model, "gwm1_avatars")
    emotion = avatar_service.check_emotion(body.emotion) if body.emotion else None
    with db.session_scope(settings) as s:
        if body.avatar.type == "runway-preset":  # a public preset character
            from kinema.platform.characters import presets

            preset = presets.get(body.avatar.preset_id, "avatar.presetId")
            avatar_voice = {"type": "runway-live-preset", "presetId": preset.voice}
            avatar_ref = f"preset:{preset.id}"
            emotion = emotion or "neutral"
        else:
            if not body.avatar.avatar_id:
                raise InvalidInput(
                    "Invalid parameter 'avatar.avatarId': required for a custom avatar (or "
                    "pass {type: 'runway-preset', presetId}).",
                    field="avatar.avatarId",
                )
            avatar = avatar_service.get(s, caller.org_id, body.avatar.avatar_id)
            if avatar.status != "READY":
                raise InvalidInput(
                    f"Invalid parameter 'avatar.avatarId': the avatar is {avatar.status}"
                    + (f" ({avatar.failure_reason})" if avatar.failure_reason else "")
                    + "; it must be READY.",
                    field="avatar.avatarId",
                )
            assert avatar.rig_key is not None  # READY avatars always have a rig
            rig_key, emotion = avatar.rig_key, emotion or avatar.emotion
            avatar_voice, avatar_ref = avatar.voice, avatar.id
        spec = (
            _speech_spec(s, caller, avatar_voice, body.speech.voice)
            if body.speech.type == "text"
            else None
        )
    # the task carries its own copy of the rig (~0.4 MB): it renders the avatar as it was,
    # even if the avatar is rebuilt or deleted before the task runs
    from kinema.platform.storage import get_storage

    if body.avatar.type == "runway-preset":
        rig_bytes = preset.rig_bytes()
    else:
        rig_bytes = get_storage(settings).get_bytes(rig_key)
    inputs: dict[str, bytes] = {"rig": rig_bytes}
    payload: dict[str, Any] = {
        "size": body.size // 2 * 2,
        "fps": 24,
        "emotion": emotion,
        "seed": body.seed,
        "avatar_id": avatar_ref,
    }
    if body.speech.type == "text":
        text = " ".join((body.speech.text or "").split())
        if not text:
            raise InvalidInput(
                "Invalid parameter 'speech.text': must not be empty.", field="speech.text"
            )
        if len(text) > MAX_SPEECH_CHARS:
            raise InvalidInput(
                f"Invalid parameter 'speech.text': at most {MAX_SPEECH_CHARS} characters.",
                field="speech.text",
            )
        from kinema.voice.tts import get_tts

        seconds = (
            get_tts(settings.tts)
            .synthesize(text, spec, voice_service.prosody(emotion))
            .audio.duration
        )
        assert spec is not None  # built above for text speech
        payload["speech"] = {"type": "text", "text": text, "voice": asdict(spec)}
    else:
        from kinema.media.audio import decode_audio

        if not body.speech.audio:
            raise InvalidInput("Invalid parameter 'speech.audio': required.", field="speech.audio")
        data = resolve_media(
            body.speech.audio, "audio", "speech.audio", org_id=caller.org_id, settings=settings
        )
        seconds = decode_audio(
            data, rate=16000, field="speech.audio", max_seconds=MAX_SPEECH_SECONDS + 1
        ).duration
        inputs["speech"] = data
        payload["speech"] = {"type": "audio"}
    if not 0.2 <= seconds <= MAX_SPEECH_SECONDS:
        raise InvalidInput(
            f"Invalid parameter 'speech': {seconds:.1f} s of speech; 0.2 to "
            f"{MAX_SPEECH_SECONDS:.0f} s are accepted.",
            field="speech",
        )
    cost = _seconds_cost("gwm1_avatars", seconds, settings)
    task = submit_task(
        settings,
        caller,
        kind="avatar_video",
        model="gwm1_avatars",
        payload=payload,
        cost=cost,
        inputs=inputs,
    )
    wake_dispatcher(request)
    return {"id": task.id, "estimatedCost": {"credits": task.estimated_cost}}


def _video_seconds(data: bytes, field: str) -> float:
    from kinema.media.video import probe

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "v.mp4"
        path.write_bytes(data)
        try:
            info = probe(path)
        except Exception:
            raise InvalidMedia(
                f"Invalid parameter '{field}': not a readable video.", field=field
            ) from None
    return info.duration


def _first_frame_png(data: bytes, field: str) -> bytes:
    from kinema.media.image import encode_image
    from kinema.media.video import read_frames

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "v.mp4"
        path.write_bytes(data)
        try:
            frames, _ = read_frames(path, max_frames=1)
        except InvalidMedia:
            raise InvalidMedia(
                f"Invalid parameter '{field}': not a readable video.", field=field
            ) from None
    return encode_image(frames[0])


def _avatar_rig(uri: str, caller: Caller, settings: Settings) -> bytes | None:
    """A READY avatar named by ``kinema://avatars/<id>`` performs with its own rig (manual
    keypoints included), so animals and drawings can act too."""
    from kinema.platform.characters.references import PREFIX
    from kinema.platform.storage import get_storage

    if not uri.startswith(PREFIX):
        return None
    with db.session_scope(settings) as s:
        avatar = avatar_service.get(s, caller.org_id, uri[len(PREFIX) :].strip("/"))
        key = avatar.rig_key if avatar.status == "READY" else None
    return get_storage(settings).get_bytes(key) if key else None


@router.post("/character_performance")
def create_character_performance(
    body: PerformanceIn,
    request: Request,
    caller: Caller = Depends(current_org),
    settings: Settings = Depends(get_app_settings),
) -> dict:
    """``act_two``: the character (image, video's first frame, or ``kinema://avatars/<id>``)
    performs the reference video's facial performance."""
    _check_model(body.model, "act_two")
    if body.ratio not in ACT_TWO_RATIOS:
        raise InvalidInput(
            f"Invalid parameter 'ratio': use one of {', '.join(ACT_TWO_RATIOS)}.", field="ratio"
        )
    if not 1 <= body.expression_intensity <= 5:
        raise InvalidInput(
            "Invalid parameter 'expressionIntensity': an integer from 1 to 5.",
            field="expressionIntensity",
        )
    if body.reference.type != "video":
        raise InvalidInput(
            "Invalid parameter 'reference.type': must be 'video'.", field="reference.type"
        )
    from kinema.media.image import load_image

    inputs: dict[str, bytes] = {}
    rig = _avatar_rig(body.character.uri, caller, settings)
    if rig is not None:
        inputs["rig"] = rig
    if body.character.type == "image":
        character = resolve_media(
            body.character.uri, "image", "character.uri", org_id=caller.org_id, settings=settings
        )
        load_image(character, field="character.uri")
    else:
        video = resolve_media(
            body.character.uri, "video", "character.uri", org_id=caller.org_id, settings=settings
        )
        character = _first_frame_png(video, "character.uri")
    reference = resolve_media(
        body.reference.uri, "video", "reference.uri", org_id=caller.org_id, settings=settings
    )
    seconds = _video_seconds(reference, "reference.uri")
    if not 3.0 - 0.05 <= seconds <= 30.0 + 0.05:
        raise InvalidInput(
            f"Invalid parameter 'reference.uri': the video lasts {seconds:.1f} s; it must last "
            "3 to 30 s.",
            field="reference.uri",
        )
    width, height = (int(v) for v in body.ratio.split(":"))
    payload = {
        "width": width,
        "height": height,
        "intensity": body.expression_intensity,
        "body_control": body.body_control,
        "seed": body.seed or 0,
    }
    cost = _seconds_cost("act_two", seconds, settings)
    task = submit_task(
        settings,
        caller,
        kind="act_two",
        model="act_two",
        payload=payload,
        cost=cost,
        inputs={**inputs, "character": character, "reference": reference},
    )
    wake_dispatcher(request)
    return {"id": task.id, "estimatedCost": {"credits": task.estimated_cost}}
