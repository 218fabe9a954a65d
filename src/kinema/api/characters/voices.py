"""``/v1/voices``: custom voices designed from a description or matched to a consented audio
sample; ``/v1/voices/preview``; ``GET /v1/voices/presets`` (Kinema) lists Runway's live preset
ids and the Kinema voice behind each."""

from __future__ import annotations

import asyncio
from dataclasses import asdict
from typing import Any, Literal

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy import select

from kinema.api.characters.render import voice_row_json
from kinema.api.deps import base_url, current_org, get_app_settings, require_version
from kinema.api.pagination import paginate
from kinema.config import Settings
from kinema.platform import db
from kinema.platform.accounts import Caller
from kinema.platform.characters import voices as service
from kinema.platform.characters.common import signed_url
from kinema.platform.characters.models import Voice
from kinema.platform.inputs import resolve_media
from kinema.platform.models import new_id
from kinema.voice.design import design_from_description
from kinema.voice.runway_presets import LIVE_PRESETS

router = APIRouter(prefix="/v1", tags=["voices"], dependencies=[Depends(require_version)])

VOICE_MODELS = ("eleven_ttv_v3", "eleven_multilingual_ttv_v2")


class FromText(BaseModel):
    type: Literal["text"]
    prompt: str
    model: str = "eleven_ttv_v3"


class FromAudio(BaseModel):
    type: Literal["audio"]
    audio: str
    language: str | None = "en"  # Kinema: which presets to match against (None = all)


class Consent(BaseModel):
    confirmed: bool = False
    statement: str | None = None
    by: str | None = None


class VoiceIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    description: str | None = None
    from_: FromText | FromAudio = Field(alias="from", discriminator="type")
    consent: Consent | None = None  # Kinema: required for audio samples


class VoicePatch(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = None


class PreviewIn(BaseModel):
    model: str = "eleven_ttv_v3"
    prompt: str


@router.get("/voices/presets")
def list_presets() -> dict:
    """Kinema: Runway's 30 live preset ids, the Kinema voice each maps to and its engine."""
    from kinema.voice.tts import engine_for

    return {
        "data": [
            {
                "presetId": v.id,
                "name": v.name,
                "description": v.description,
                "kinemaVoice": v.preset,
                "engine": engine_for(v.preset),
                "pitch": v.pitch,
                "speed": v.speed,
            }
            for v in LIVE_PRESETS.values()
        ]
    }


@router.post("/voices")
async def create_voice(
    body: VoiceIn,
    request: Request,
    caller: Caller = Depends(current_org),
    settings: Settings = Depends(get_app_settings),
) -> dict:
    """Design (text) or match (audio + consent) a voice; READY at once. Returns ``{id}`` plus
    the voice (Kinema)."""
    src = body.from_
    consent = body.consent.model_dump() if body.consent else None

    def work() -> dict:
        data = b""
        if isinstance(src, FromAudio):
            service.check_consent(consent)
            data = resolve_media(
                src.audio, "audio", "from.audio", org_id=caller.org_id, settings=settings
            )
        with db.session_scope(settings) as s:
            if isinstance(src, FromText):
                voice = service.create_from_text(
                    s, caller.org_id, body.name, body.description, src.prompt, settings
                )
            else:
                voice = service.create_from_audio(
                    s,
                    caller.org_id,
                    body.name,
                    body.description,
                    data,
                    consent,
                    settings,
                    src.language,
                )
            return {"id": voice.id, **voice_row_json(voice, base_url(request, settings), settings)}

    return await asyncio.to_thread(work)


@router.post("/voices/preview")
def preview_voice(
    body: PreviewIn,
    request: Request,
    caller: Caller = Depends(current_org),
    settings: Settings = Depends(get_app_settings),
) -> dict:
    """Speak a sample in the voice a description designs; a signed WAV URL (24 h)."""
    prompt = service.check_prompt(body.prompt)
    spec = design_from_description(prompt, name="preview")
    key, seconds = service.synth_preview(spec, f"voices/previews/{new_id()}.wav", settings)
    return {
        "url": signed_url(key, base_url(request, settings), settings),
        "durationSecs": round(seconds, 3),
        "spec": asdict(spec),  # Kinema: the tuned preset
    }


@router.get("/voices")
def list_voices(
    request: Request,
    limit: int = 20,
    cursor: str | None = None,
    caller: Caller = Depends(current_org),
    settings: Settings = Depends(get_app_settings),
) -> dict:
    stmt = (
        select(Voice)
        .where(Voice.org_id == caller.org_id, Voice.deleted.is_(False))
        .order_by(Voice.created_at.desc(), Voice.id)
    )
    base = base_url(request, settings)
    with db.session_scope(settings) as s:
        return paginate(
            s, stmt, limit=limit, cursor=cursor, render=lambda v: voice_row_json(v, base, settings)
        )


@router.get("/voices/{voice_id}")
def get_voice(
    voice_id: str,
    request: Request,
    caller: Caller = Depends(current_org),
    settings: Settings = Depends(get_app_settings),
) -> dict:
    with db.session_scope(settings) as s:
        return voice_row_json(
            service.get(s, caller.org_id, voice_id), base_url(request, settings), settings
        )


@router.patch("/voices/{voice_id}")
def update_voice(
    voice_id: str,
    body: VoicePatch,
    request: Request,
    caller: Caller = Depends(current_org),
    settings: Settings = Depends(get_app_settings),
) -> dict:
    fields: dict[str, Any] = body.model_dump(exclude_unset=True)
    with db.session_scope(settings) as s:
        voice = service.get(s, caller.org_id, voice_id)
        if fields.get("name"):
            voice.name = fields["name"]
        if "description" in fields:
            voice.description = fields["description"]
        s.flush()
        return voice_row_json(voice, base_url(request, settings), settings)


@router.delete("/voices/{voice_id}", status_code=204, response_class=Response)
def delete_voice(
    voice_id: str,
    caller: Caller = Depends(current_org),
    settings: Settings = Depends(get_app_settings),
) -> Response:
    """Soft delete: avatars using it show ``deleted: true`` and keep its last spec."""
    with db.session_scope(settings) as s:
        service.get(s, caller.org_id, voice_id).deleted = True
    return Response(status_code=204)
