"""Helpers behind the Studio's Create Character page: an instant quality check of a portrait
(before an avatar is created), the personality templates, and preset voice samples."""

from __future__ import annotations

import asyncio
import io
import wave

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from pydantic import BaseModel, Field

from kinema.api.deps import current_org, get_app_settings
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
            {"key": t.key, "title": t.title, "role": t.role, "prompt": t.prompt}
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
