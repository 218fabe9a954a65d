"""Which Runway models each endpoint accepts, their ratios and durations, and their prices.

A model is served only when it is both listed here (its wire rules) and mapped to an engine in
``settings.models``; everything else is a 400 that names the supported ones.
"""

from __future__ import annotations

from dataclasses import dataclass

from kinema.config import Settings
from kinema.errors import InvalidInput

VIDEO_RATIOS = ("1280:720", "720:1280", "1104:832", "960:960", "832:1104", "1584:672")
IMAGE_RATIOS_1080P = (
    "1920:1080",
    "1080:1920",
    "1024:1024",
    "1360:768",
    "1080:1080",
    "1168:880",
    "1440:1080",
    "1080:1440",
    "1808:768",
    "2112:912",
)
EDIT_RATIOS = VIDEO_RATIOS + ("848:480", "640:480")
EDIT_MAX_SECONDS = 30  # gen4_aleph edits at most this much of the input (kinema.video.edit)
IMAGE_RATIOS_720P = ("1280:720", "720:1280", "720:720", "960:720", "720:960", "1680:720")


@dataclass(frozen=True)
class ModelRules:
    ratios: tuple[str, ...]
    required: tuple[str, ...]
    durations: tuple[int, int] | None = (2, 10)  # inclusive integer range; None for images
    default_duration: int = 5
    min_references: int = 0
    max_references: int = 3


ENDPOINT_MODELS: dict[str, dict[str, ModelRules]] = {
    "image_to_video": {
        "gen4.5": ModelRules(VIDEO_RATIOS, ("duration", "promptImage", "promptText", "ratio")),
        "gen4": ModelRules(VIDEO_RATIOS, ("promptImage", "ratio")),
        "gen4_turbo": ModelRules(VIDEO_RATIOS, ("promptImage", "ratio")),
    },
    "text_to_video": {
        "gen4.5": ModelRules(("1280:720", "720:1280"), ("duration", "promptText", "ratio")),
        "gen4": ModelRules(("1280:720", "720:1280"), ("promptText", "ratio")),
    },
    "video_to_video": {
        # ratio is optional here: without it the output keeps the input's shape (nearest ratio)
        "gen4_aleph": ModelRules(
            EDIT_RATIOS, ("videoUri", "promptText"), durations=None, max_references=1
        ),
        # SDK 5.x's shape: promptText optional, no references (keyframes/outpaint are refused)
        "aleph2": ModelRules(EDIT_RATIOS, ("videoUri",), durations=None, max_references=0),
    },
    "text_to_image": {
        "gen4_image": ModelRules(
            IMAGE_RATIOS_1080P + IMAGE_RATIOS_720P, ("promptText", "ratio"), durations=None
        ),
        "gen4_image_turbo": ModelRules(
            IMAGE_RATIOS_1080P + IMAGE_RATIOS_720P,
            ("promptText", "ratio", "referenceImages"),
            durations=None,
            min_references=1,
        ),
    },
}


def supported_models(endpoint: str, settings: Settings) -> list[str]:
    return [m for m in ENDPOINT_MODELS[endpoint] if m in settings.models]


def rules_for(endpoint: str, model: str | None, settings: Settings) -> ModelRules:
    """The rules for ``model`` on ``endpoint``, or a 400 naming the supported models."""
    supported = supported_models(endpoint, settings)
    if not model:
        raise InvalidInput(
            f"Invalid parameter 'model': required; supported models: {', '.join(supported)}.",
            field="model",
        )
    if model not in supported:
        raise InvalidInput(
            f"Invalid parameter 'model': {model!r} is not supported by {endpoint} on this "
            f"server; supported models: {', '.join(supported)}.",
            field="model",
        )
    return ENDPOINT_MODELS[endpoint][model]


def engine_preset(model: str, settings: Settings) -> tuple[str, str]:
    """``settings.models[model]`` split into (engine, preset)."""
    engine, _, preset = settings.models[model].partition(":")
    return engine, preset


def parse_ratio(ratio: str | None, rules: ModelRules, model: str) -> tuple[int, int]:
    if ratio not in rules.ratios:
        raise InvalidInput(
            f"Invalid parameter 'ratio': {ratio!r} is not available for {model}; use one of "
            f"{', '.join(rules.ratios)}.",
            field="ratio",
        )
    w, h = ratio.split(":")
    return int(w), int(h)


def nearest_ratio(width: int, height: int, ratios: tuple[str, ...]) -> str:
    """The ratio in ``ratios`` whose aspect is closest to ``width:height``."""

    def aspect(r: str) -> float:
        w, h = r.split(":")
        return int(w) / int(h)

    return min(ratios, key=lambda r: abs(aspect(r) - width / height))


def check_duration(duration: int | None, rules: ModelRules, model: str) -> int:
    assert rules.durations is not None
    if duration is None:
        return rules.default_duration
    lo, hi = rules.durations
    if not lo <= duration <= hi:
        raise InvalidInput(
            f"Invalid parameter 'duration': {model} takes an integer from {lo} to {hi} seconds, "
            f"got {duration}.",
            field="duration",
        )
    return duration


def price(
    model: str, settings: Settings, *, duration: float | None = None, ratio: str | None = None
) -> int:
    """Credits for one task: per second for videos, per image for stills (Runway's table)."""
    key = model
    if model == "gen4_image" and ratio in IMAGE_RATIOS_1080P:
        key = "gen4_image_1080p"
    unit = settings.prices.get(key, settings.prices.get(model))
    if unit is None:
        raise InvalidInput(f"no price configured for model {model!r} (settings.prices)")
    total = unit * duration if duration is not None else unit
    return int(round(total))
