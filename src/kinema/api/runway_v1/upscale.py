"""``POST /v1/image_upscale`` and ``/v1/video_upscale`` with classic upscaling.

Runway's model names are accepted (``magnific_precision_upscaler_v2``,
``magnific_video_upscaler_creative``, ``enhance_frame_rate``) but the method is
``kinema.media.upscale.METHOD``: Lanczos resampling, back-projection and edge-aware detail
enhancement, no generative model; frame-rate changes use optical-flow interpolation. Each
finished task says so in its ``method`` field.
"""

from __future__ import annotations

import math
from fractions import Fraction

from fastapi import APIRouter, Depends, Request

from kinema.api.deps import current_org, get_app_settings, require_version
from kinema.api.runway_v1.extra import (
    check_choice,
    check_model,
    check_range,
    created,
    media_input,
    unit_price,
)
from kinema.api.runway_v1.schemas import Wire
from kinema.config import Settings
from kinema.errors import InvalidInput
from kinema.media.image import load_image
from kinema.platform import catalog
from kinema.platform.accounts import Caller
from kinema.platform.inputs import video_facts
from kinema.platform.submit import submit_task

router = APIRouter(prefix="/v1", tags=["upscale"], dependencies=[Depends(require_version)])

MAX_OUTPUT_PIXELS = 25_300_000  # Runway's image_upscale output limit (25.3 MP)
MAX_INPUT_SIDE = 8000
# video_upscale resolution -> the output's short side
RESOLUTIONS = {"720p": 720, "1k": 1080, "2k": 1440, "4k": 2160}
FRAME_RATES = {
    "24": Fraction(24),
    "25": Fraction(25),
    "30": Fraction(30),
    "48": Fraction(48),
    "50": Fraction(50),
    "60": Fraction(60),
    "120": Fraction(120),
    "23_98": Fraction(24000, 1001),
    "29_97": Fraction(30000, 1001),
    "59_94": Fraction(60000, 1001),
}


class ImageUpscaleIn(Wire):
    model: str | None = None
    image_uri: str | None = None
    flavor: str | None = None
    scale_factor: int | None = None
    sharpen: int | None = None
    smart_grain: int | None = None
    ultra_detail: int | None = None


class VideoUpscaleIn(Wire):
    model: str | None = None
    video_uri: str | None = None
    creativity: int | None = None
    flavor: str | None = None
    fps_boost: bool | None = None
    resolution: str | None = None
    sharpen: int | None = None
    smart_grain: int | None = None
    target_framerate: str | None = None


def _even(x: float) -> int:
    return max(2, int(round(x / 2)) * 2)


@router.post("/image_upscale")
def image_upscale(
    body: ImageUpscaleIn,
    request: Request,
    caller: Caller = Depends(current_org),
    settings: Settings = Depends(get_app_settings),
) -> dict:
    """Upscale an image 2/4/8/16× (PNG out), priced per output megapixel."""
    model = check_model("image_upscale", body.model, ("magnific_precision_upscaler_v2",), settings)
    check_choice(body.flavor, "flavor", ("sublime", "photo", "photo_denoiser"))
    check_choice(body.scale_factor, "scaleFactor", (2, 4, 8, 16))
    for name, value in (
        ("sharpen", body.sharpen),
        ("smartGrain", body.smart_grain),
        ("ultraDetail", body.ultra_detail),
    ):
        check_range(value, name, 0, 100)
    data = media_input(body.image_uri, "image", "imageUri", caller, settings)
    rgb = load_image(data, field="imageUri")
    h, w = rgb.shape[:2]
    if max(w, h) > MAX_INPUT_SIDE:
        raise InvalidInput(
            f"Invalid parameter 'imageUri': the image is {w}x{h}; at most "
            f"{MAX_INPUT_SIDE} px per side.",
            field="imageUri",
        )
    scale = body.scale_factor or 2
    out_w, out_h = w * scale, h * scale
    if out_w * out_h > MAX_OUTPUT_PIXELS:
        raise InvalidInput(
            f"Invalid parameter 'scaleFactor': {w}x{h} × {scale} = {out_w}x{out_h} is over "
            "the 25.3 megapixel output limit; use a smaller scaleFactor.",
            field="scaleFactor",
        )
    options = {
        "sharpen": (body.sharpen or 0) / 100,
        "detail": (body.ultra_detail or 0) / 100,
        "grain": (body.smart_grain or 0) / 100,
        "denoise": body.flavor == "photo_denoiser",
    }
    payload = {"width": out_w, "height": out_h, "options": options}
    cost = unit_price(model, settings, math.ceil(out_w * out_h / 1e6))
    task = submit_task(
        settings,
        caller,
        kind="image_upscale",
        model=model,
        payload=payload,
        cost=cost,
        inputs={"image": data},
    )
    return created(task, request)


@router.post("/video_upscale")
def video_upscale(
    body: VideoUpscaleIn,
    request: Request,
    caller: Caller = Depends(current_org),
    settings: Settings = Depends(get_app_settings),
) -> dict:
    """Upscale a video to 720p…4k, or change its frame rate (``enhance_frame_rate``)."""
    model = check_model(
        "video_upscale",
        body.model,
        ("magnific_video_upscaler_creative", "enhance_frame_rate"),
        settings,
    )
    data = media_input(body.video_uri, "video", "videoUri", caller, settings)
    if model == "enhance_frame_rate":
        if not body.target_framerate:
            raise InvalidInput(
                "Invalid parameter 'targetFramerate': required for enhance_frame_rate.",
                field="targetFramerate",
            )
        check_choice(body.target_framerate, "targetFramerate", tuple(FRAME_RATES))
    else:
        check_choice(body.resolution, "resolution", tuple(RESOLUTIONS))
        check_choice(body.flavor, "flavor", ("vivid", "natural"))
        for name, value in (
            ("creativity", body.creativity),
            ("sharpen", body.sharpen),
            ("smartGrain", body.smart_grain),
        ):
            check_range(value, name, 0, 100)
    in_w, in_h, seconds = video_facts(data, "videoUri")
    duration = min(seconds, float(catalog.EDIT_MAX_SECONDS))
    options: dict[str, float | bool] = {}
    if model == "enhance_frame_rate":
        fps = FRAME_RATES[str(body.target_framerate)]
        out_w, out_h = _even(in_w), _even(in_h)
        options["back_projection"] = 0
    else:
        short = RESOLUTIONS[body.resolution or "2k"]
        if min(in_w, in_h) >= short:
            raise InvalidInput(
                f"Invalid parameter 'resolution': the video is already {in_w}x{in_h}; "
                f"{body.resolution or '2k'} would not enlarge it. Choose a larger resolution.",
                field="resolution",
            )
        k = short / min(in_w, in_h)
        out_w, out_h = _even(in_w * k), _even(in_h * k)
        import io

        import av

        with av.open(io.BytesIO(data)) as c:
            src_fps = Fraction(c.streams.video[0].average_rate or 24).limit_denominator(1001)
        fps = min(src_fps * 2, Fraction(60)) if body.fps_boost else src_fps
        options.update(
            sharpen=(body.sharpen or 0) / 100,
            detail=(body.creativity or 0) / 100 + (0.15 if body.flavor == "vivid" else 0.0),
            grain=(body.smart_grain or 0) / 100,
        )
    payload = {
        "width": out_w,
        "height": out_h,
        "fps": str(fps),
        "duration": duration,
        "options": options,
    }
    cost = unit_price(model, settings, math.ceil(duration - 1e-6))
    task = submit_task(
        settings,
        caller,
        kind="video_upscale",
        model=model,
        payload=payload,
        cost=cost,
        inputs={"video": data},
    )
    return created(task, request)
