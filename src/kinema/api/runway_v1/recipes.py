"""``POST /v1/recipes/multi_shot_video``: the storyboard engine (``kinema.video.storyboard``).

``custom`` mode renders the given 3–5 shots (crossfaded); ``auto`` splits the story prompt into
exactly 5 shots without a language model: its sentences, grouped or repeated, each given a
framing (wide, medium, close-up …) so the five shots differ. ``audio: true`` is refused (the
engine renders picture only). The other recipes answer a 400 (``kinema.api.runway_v1.unoffered``).
"""

from __future__ import annotations

import re
from typing import Any, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import Field

from kinema.api.deps import current_org, get_app_settings, require_version
from kinema.api.runway_v1.extra import check_choice, created, media_input, unit_price
from kinema.api.runway_v1.schemas import Wire
from kinema.config import Settings
from kinema.errors import InvalidInput
from kinema.media.image import load_image
from kinema.platform import catalog
from kinema.platform.accounts import Caller
from kinema.platform.submit import submit_task

router = APIRouter(prefix="/v1", tags=["recipes"], dependencies=[Depends(require_version)])

MODEL = "multi_shot_video"
RATIOS_720P = ("1280:720", "720:1280", "960:960")
RATIOS_1080P = ("1920:1080", "1080:1920", "1440:1440")
VERSIONS = ("2026-06", "unsafe-latest")
FRAMINGS = (
    "wide establishing shot,",
    "medium shot,",
    "close-up,",
    "slow push in,",
    "wide shot, slow pull out,",
)


class Uri(Wire):
    uri: str


class ShotIn(Wire):
    prompt: str = Field(min_length=1, max_length=1000)
    duration: int


class MultiShotIn(Wire):
    mode: Literal["auto", "custom"] | None = None
    version: str | None = None
    prompt: str | None = Field(default=None, max_length=3000)
    shots: list[ShotIn] | None = None
    audio: bool | None = None
    duration: int | None = None
    first_frame: Uri | None = None
    ratio: str | None = None


def auto_shots(prompt: str, duration: int) -> list[dict[str, Any]]:
    """Five shots from a story: sentences grouped (or reused) in order, each with a framing."""
    parts = [p.strip() for p in re.split(r"(?<=[.!?;])\s+|\n+", prompt) if p.strip()]
    parts = parts or [prompt.strip()]
    if len(parts) >= 5:
        groups = [
            parts[round(i * len(parts) / 5) : round((i + 1) * len(parts) / 5)] for i in range(5)
        ]
        texts = [" ".join(g) for g in groups]
    else:
        texts = [parts[min(len(parts) - 1, i * len(parts) // 5)] for i in range(5)]
    each = duration // 5
    return [{"prompt": f"{FRAMINGS[i]} {t}"[:1000], "duration": each} for i, t in enumerate(texts)]


@router.post("/recipes/multi_shot_video")
def multi_shot_video(
    body: MultiShotIn,
    request: Request,
    caller: Caller = Depends(current_org),
    settings: Settings = Depends(get_app_settings),
) -> dict:
    """A 5/10/15 s film of 3–5 shots (mp4, 24 fps), priced per second."""
    if MODEL not in settings.models:
        raise InvalidInput("Invalid request: multi_shot_video is switched off on this server.")
    if not body.version:
        raise InvalidInput("Invalid parameter 'version': required.", field="version")
    check_choice(body.version, "version", VERSIONS)
    if body.mode is None:
        raise InvalidInput("Invalid parameter 'mode': required ('auto' or 'custom').", field="mode")
    check_choice(body.duration, "duration", (5, 10, 15))
    ratio = body.ratio or "1280:720"
    check_choice(ratio, "ratio", RATIOS_720P + RATIOS_1080P)
    if body.audio:
        raise InvalidInput(
            "Invalid parameter 'audio': this server's storyboard engine renders picture only; "
            "leave audio out (or false) and add sound with /v1/text_to_speech.",
            field="audio",
        )
    duration = body.duration or 10
    if body.mode == "auto":
        if not (body.prompt or "").strip():
            raise InvalidInput("Invalid parameter 'prompt': required in auto mode.", field="prompt")
        shots = auto_shots(str(body.prompt), duration)
    else:
        if not body.shots or not 3 <= len(body.shots) <= 5:
            raise InvalidInput(
                "Invalid parameter 'shots': custom mode takes 3 to 5 shots.", field="shots"
            )
        for n, shot in enumerate(body.shots):
            if shot.duration < 1:
                raise InvalidInput(
                    f"Invalid parameter 'shots.{n}.duration': at least 1 second.",
                    field=f"shots.{n}.duration",
                )
        total = sum(s.duration for s in body.shots)
        if total != duration:
            raise InvalidInput(
                f"Invalid parameter 'shots': the shot durations add up to {total} s but "
                f"duration is {duration} s; they must be equal.",
                field="shots",
            )
        shots = [{"prompt": s.prompt, "duration": s.duration} for s in body.shots]
    inputs: dict[str, bytes] = {}
    if body.first_frame is not None:
        data = media_input(body.first_frame.uri, "image", "firstFrame.uri", caller, settings)
        load_image(data, field="firstFrame.uri")
        inputs["first_frame"] = data
    w, h = (int(x) for x in ratio.split(":"))
    engine, preset = catalog.engine_preset(MODEL, settings)
    payload = {"shots": shots, "width": w, "height": h, "preset": preset or "fast", "seed": 0}
    price_key = "multi_shot_video_1080p" if ratio in RATIOS_1080P else MODEL
    cost = unit_price(price_key, settings, duration)
    task = submit_task(
        settings, caller, kind="multi_shot", model=MODEL, payload=payload, cost=cost, inputs=inputs
    )
    return created(task, request)
