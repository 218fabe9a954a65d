"""Helpers behind the Studio's pages: an instant quality check of a portrait (before an avatar is
created), the personality templates with their greetings, preset voice samples, the preset
characters (list and adopt), and the organization's API keys."""

from __future__ import annotations

import asyncio
import io
import wave

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from kinema.api.deps import base_url, current_org, get_app_settings, wake_dispatcher
from kinema.config import Settings
from kinema.errors import NoFace
from kinema.platform.accounts import Caller

router = APIRouter(prefix="/v1/studio", tags=["studio"])

KEYPOINTS = (
    "left_eye", "right_eye", "nose_tip", "mouth_left",
    "mouth_right", "upper_lip", "lower_lip", "chin",
)  # fmt: skip


class AnalyzeIn(BaseModel):
    image: str = Field(min_length=1)  # a data URI or an upload URI


@router.get("/templates")
def templates(_: Caller = Depends(current_org)) -> dict:
    from kinema.brain.persona import TEMPLATES

    return {
        "data": [
            {
                "key": t.key,
                "title": t.title,
                "role": t.role,
                "prompt": t.prompt,
                "greeting": t.phrases["greeting"][0],  # "{name}" stands for the character
            }
            for t in TEMPLATES.values()
        ]
    }


@router.post("/analyze")
async def analyze_portrait(
    body: AnalyzeIn,
    caller: Caller = Depends(current_org),
    settings: Settings = Depends(get_app_settings),
) -> dict:
    """The face engine's quality report (errors, warnings with tips, detected keypoints in image
    pixels); ``faceFound: false`` with a tip when the picture needs manual keypoints."""
    from kinema.face.analyze import analyze
    from kinema.media.image import load_image
    from kinema.platform.inputs import resolve_media

    def work() -> dict:
        data = resolve_media(body.image, "image", "image", org_id=caller.org_id, settings=settings)
        image = load_image(data, field="image")
        h, w = image.shape[:2]
        try:
            found = analyze(image).to_dict()
        except NoFace as exc:
            return {"faceFound": False, "width": w, "height": h, "message": str(exc),
                    "keypointNames": list(KEYPOINTS)}  # fmt: skip
        return {"faceFound": True, "width": w, "height": h, "keypointNames": list(KEYPOINTS),
                **found}  # fmt: skip

    return await asyncio.to_thread(work)


@router.get("/voice_preview/{preset_id}")
async def voice_preview(preset_id: str, _: Caller = Depends(current_org)) -> Response:
    """A short WAV of a Runway live voice preset (as the avatar would speak)."""
    from kinema.voice.presets import sample_text
    from kinema.voice.runway_presets import runway_voice
    from kinema.voice.tts import get_tts

    voice = runway_voice(preset_id)

    def work() -> bytes:
        spec = voice.spec()
        speech = get_tts().synthesize(
            f"Hi, I'm {voice.name}. " + sample_text(getattr(spec, "language", "en") or "en"),
            spec,
        )
        buf = io.BytesIO()
        with wave.open(buf, "wb") as wav:
            wav.setnchannels(1)
            wav.setsampwidth(2)
            wav.setframerate(speech.audio.rate)
            wav.writeframes(speech.audio.samples.astype("<i2").tobytes())
        return buf.getvalue()

    return Response(await asyncio.to_thread(work), media_type="audio/wav")


@router.get("/presets")
def list_presets(
    request: Request,
    _: Caller = Depends(current_org),
    settings: Settings = Depends(get_app_settings),
) -> dict:
    """The preset characters every organization may use (``runway-preset`` avatars)."""
    from kinema.platform.characters import presets

    base = base_url(request, settings)
    return {
        "data": [
            presets.to_json(p, f"{base}/studio/presets/{p.id}.png")
            for p in presets.PRESETS.values()
        ]
    }


@router.post("/presets/{preset_id}/adopt", status_code=201)
async def adopt_preset(
    preset_id: str,
    request: Request,
    caller: Caller = Depends(current_org),
    settings: Settings = Depends(get_app_settings),
) -> dict:
    """Copy a preset into the organization's own avatars (then editable like any other)."""
    from kinema.api.characters.render import avatar_json
    from kinema.platform import db
    from kinema.platform.characters import presets

    presets.get(preset_id, "presetId")

    def work() -> dict:
        with db.session_scope(settings) as s:
            avatar = presets.adopt(s, caller.org_id, preset_id, settings, api_key_id=caller.key_id)
            return avatar_json(s, avatar, base_url(request, settings), settings)

    out = await asyncio.to_thread(work)
    wake_dispatcher(request)
    return out


@router.get("/tts_voices")
def tts_voices(_: Caller = Depends(current_org)) -> dict:
    """The ``runway-preset`` voices of ``/v1/text_to_speech`` (Runway's capitalised names)."""
    from kinema.voice.runway_presets import TTS_PRESETS

    return {
        "data": [
            {"presetId": v.id, "name": v.name, "kinemaVoice": v.preset}
            for v in TTS_PRESETS.values()
        ]
    }
