"""Shared helpers of the audio, upscaling and recipe routers: model checks, prices, inputs.

Prices (``settings.prices[model]`` credits per unit; Runway publishes the audio units, the
others are Kinema's choice and documented in docs/api.md):

- text to speech: per 50 characters of text (rounded up)
- speech_to_speech: per 3 s of input; voice_isolation: per 6 s; voice_dubbing: per 2 s
- image_upscale: per output megapixel (rounded up)
- video_upscale / enhance_frame_rate / multi_shot_video: per second of output
"""

from __future__ import annotations

import math
from typing import Any

from fastapi import Request

from kinema.api.deps import wake_dispatcher
from kinema.config import Settings
from kinema.errors import InvalidInput, InvalidMedia
from kinema.platform.accounts import Caller
from kinema.platform.inputs import MediaKind, resolve_media

TEXT_UNIT = 50  # characters per price unit
AUDIO_UNITS = {  # seconds of input per price unit
    "eleven_multilingual_sts_v2": 3.0,
    "eleven_voice_isolation": 6.0,
    "eleven_voice_dubbing": 2.0,
}


def check_model(endpoint: str, model: Any, offered: tuple[str, ...], settings: Settings) -> str:
    """``model`` if this server serves it on ``endpoint``, else a 400 naming the served ones."""
    served = [m for m in offered if m in settings.models]
    if not model:
        raise InvalidInput(
            f"Invalid parameter 'model': required; supported models: {', '.join(served)}.",
            field="model",
        )
    if model not in served:
        raise InvalidInput(
            f"Invalid parameter 'model': {model!r} is not supported by {endpoint} on this "
            f"server; supported models: {', '.join(served) or 'none'}.",
            field="model",
        )
    return str(model)


def unit_price(model: str, settings: Settings, units: float) -> int:
    unit = settings.prices.get(model)
    if unit is None:
        raise InvalidInput(f"no price configured for model {model!r} (settings.prices)")
    return max(1, int(math.ceil(unit * units - 1e-9)))


def text_price(model: str, text: str, settings: Settings) -> int:
    return unit_price(model, settings, math.ceil(len(text) / TEXT_UNIT))


def audio_price(model: str, seconds: float, settings: Settings) -> int:
    return unit_price(model, settings, math.ceil(seconds / AUDIO_UNITS[model] - 1e-9))


def media_input(uri: Any, kind: MediaKind, field: str, caller: Caller, settings: Settings) -> bytes:
    if not isinstance(uri, str) or not uri:
        raise InvalidInput(f"Invalid parameter '{field}': required.", field=field)
    return resolve_media(uri, kind, field, org_id=caller.org_id, settings=settings)


def audio_seconds(data: bytes, field: str, *, low: float = 0.0, high: float = 3600.0) -> float:
    """Length of an input's audio track, checked against ``low``..``high`` seconds."""
    from kinema.media.audio import decode_audio

    seconds = decode_audio(data, rate=8000, field=field).duration
    if not low <= seconds <= high:
        raise InvalidMedia(
            f"Invalid parameter '{field}': the audio lasts {seconds:.1f} s; this endpoint "
            f"takes {low:g} to {high:g} s.",
            field=field,
        )
    return seconds


def check_range(value: Any, field: str, low: float, high: float) -> None:
    if value is not None and not low <= value <= high:
        raise InvalidInput(
            f"Invalid parameter '{field}': must be between {low:g} and {high:g}, got {value}.",
            field=field,
        )


def check_choice(value: Any, field: str, choices: tuple[Any, ...]) -> None:
    if value is not None and value not in choices:
        shown = ", ".join(repr(c) for c in choices)
        raise InvalidInput(
            f"Invalid parameter '{field}': {value!r} is not one of {shown}.", field=field
        )


def created(task: Any, request: Request) -> dict:
    wake_dispatcher(request)
    return {"id": task.id, "estimatedCost": {"credits": task.estimated_cost}}
