"""``POST /v1/image_to_video``, ``/v1/text_to_video``, ``/v1/text_to_image`` and
``/v1/video_to_video`` (gen4_aleph).

Inputs are fetched and decoded here, at create time, so a bad image is a 400 naming its field;
the task then carries the bytes (in storage) and a ``generation`` payload for the worker.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request

from kinema.api.deps import current_org, get_app_settings, require_version, wake_dispatcher
from kinema.api.runway_v1.schemas import (
    ImageToVideoIn,
    PromptImageItem,
    TextToImageIn,
    TextToVideoIn,
    VideoToVideoIn,
)
from kinema.config import Settings
from kinema.errors import InvalidInput
from kinema.media.image import load_image
from kinema.platform import catalog
from kinema.platform.accounts import Caller
from kinema.platform.generation import avatar_voice
from kinema.platform.inputs import resolve_media, video_facts
from kinema.platform.submit import submit_task

router = APIRouter(prefix="/v1", tags=["generation"], dependencies=[Depends(require_version)])


def image_input(uri: str, field: str, caller: Caller, settings: Settings) -> bytes:
    """Bytes of an image input, validated (type, size, decodable) or a 400 naming ``field``."""
    data = resolve_media(uri, "image", field, org_id=caller.org_id, settings=settings)
    load_image(data, field=field)
    return data


def check_required(body: Any, rules: catalog.ModelRules, model: str) -> None:
    for name in rules.required:
        attr = {
            "promptImage": "prompt_image",
            "promptText": "prompt_text",
            "referenceImages": "reference_images",
            "videoUri": "video_uri",
        }.get(name, name)
        if getattr(body, attr, None) in (None, [], ""):
            raise InvalidInput(
                f"Invalid parameter '{name}': required for model {model}.", field=name
            )


def check_output_format(fmt: str | None) -> None:
    if fmt not in (None, "mp4"):
        raise InvalidInput(
            f"Invalid parameter 'outputFormat': {fmt!r} is not available on "
            "this server; use 'mp4'.",
            field="outputFormat",
        )


def created(task: Any, request: Request) -> dict:
    wake_dispatcher(request)
    return {"id": task.id, "estimatedCost": {"credits": task.estimated_cost}}


def video_payload(
    model: str,
    settings: Settings,
    *,
    prompt: str,
    width: int,
    height: int,
    duration: int,
    seed: int | None,
) -> dict[str, Any]:
    engine, preset = catalog.engine_preset(model, settings)
    return {
        "kind": "video",
        "prompt": prompt,
        "width": width,
        "height": height,
        "duration": duration,
        "fps": 24,
        "seed": seed or 0,
        "engine": engine,
        "preset": preset,
    }


@router.post("/image_to_video")
def image_to_video(
    body: ImageToVideoIn,
    request: Request,
    caller: Caller = Depends(current_org),
    settings: Settings = Depends(get_app_settings),
) -> dict:
    """Animate an image (Runway's Gen-4 Turbo / Gen-4.5 request shape)."""
    rules = catalog.rules_for("image_to_video", body.model, settings)
    model = str(body.model)
    check_required(body, rules, model)
    check_output_format(body.output_format)
    width, height = catalog.parse_ratio(body.ratio, rules, model)
    duration = catalog.check_duration(body.duration, rules, model)
    items = (
        [PromptImageItem(uri=body.prompt_image)]
        if isinstance(body.prompt_image, str)
        else list(body.prompt_image or [])
    )
    if not items or len(items) > 2 or len({i.position for i in items}) != len(items):
        raise InvalidInput(
            "Invalid parameter 'promptImage': give one image, or up to two with "
            "positions 'first' and 'last'.",
            field="promptImage",
        )
    if model == "gen4_turbo" and any(i.position != "first" for i in items):
        raise InvalidInput(
            "Invalid parameter 'promptImage': gen4_turbo takes only a 'first' image.",
            field="promptImage",
        )
    inputs = {}
    first_avatar = None
    for n, item in enumerate(items):
        field = "promptImage" if isinstance(body.prompt_image, str) else f"promptImage.{n}.uri"
        inputs[f"{item.position}_frame"] = image_input(item.uri, field, caller, settings)
        if item.position == "first":  # an avatar as the first frame speaks with its voice
            first_avatar = avatar_voice(item.uri, caller.org_id, settings)
    payload = video_payload(
        model,
        settings,
        prompt=body.prompt_text or "",
        width=width,
        height=height,
        duration=duration,
        seed=body.seed,
    )
    if first_avatar is not None:
        payload["first_frame_avatar"], payload["first_frame_voice"] = first_avatar
    cost = catalog.price(model, settings, duration=duration)
    task = submit_task(
        settings, caller, kind="generation", model=model, payload=payload, cost=cost, inputs=inputs
    )
    return created(task, request)


@router.post("/text_to_video")
def text_to_video(
    body: TextToVideoIn,
    request: Request,
    caller: Caller = Depends(current_org),
    settings: Settings = Depends(get_app_settings),
) -> dict:
    """A video from a prompt alone."""
    rules = catalog.rules_for("text_to_video", body.model, settings)
    model = str(body.model)
    check_required(body, rules, model)
    check_output_format(body.output_format)
    width, height = catalog.parse_ratio(body.ratio, rules, model)
    duration = catalog.check_duration(body.duration, rules, model)
    payload = video_payload(
        model,
        settings,
        prompt=body.prompt_text or "",
        width=width,
        height=height,
        duration=duration,
        seed=body.seed,
    )
    cost = catalog.price(model, settings, duration=duration)
    task = submit_task(settings, caller, kind="generation", model=model, payload=payload, cost=cost)
    return created(task, request)


@router.post("/text_to_image")
def text_to_image(
    body: TextToImageIn,
    request: Request,
    caller: Caller = Depends(current_org),
    settings: Settings = Depends(get_app_settings),
) -> dict:
    """A still from a prompt and up to three ``@tag`` reference images."""
    rules = catalog.rules_for("text_to_image", body.model, settings)
    model = str(body.model)
    check_required(body, rules, model)
    width, height = catalog.parse_ratio(body.ratio, rules, model)
    refs = body.reference_images or []
    if not rules.min_references <= len(refs) <= rules.max_references:
        raise InvalidInput(
            f"Invalid parameter 'referenceImages': {model} takes "
            f"{rules.min_references} to {rules.max_references} images.",
            field="referenceImages",
        )
    inputs, references = {}, []
    for n, ref in enumerate(refs):
        name = f"reference_{n}"
        inputs[name] = image_input(ref.uri, f"referenceImages.{n}.uri", caller, settings)
        entry: dict[str, Any] = {
            "input": name,
            "tag": ref.tag,
            "type": "character",
            "field": f"referenceImages.{n}.uri",
        }
        if (avatar := avatar_voice(ref.uri, caller.org_id, settings)) is not None:
            entry["avatar_id"], entry["voice"] = avatar
        references.append(entry)
    engine, preset = catalog.engine_preset(model, settings)
    payload = {
        "kind": "image",
        "prompt": body.prompt_text or "",
        "width": width,
        "height": height,
        "seed": body.seed or 0,
        "engine": engine,
        "preset": preset,
        "references": references,
    }
    cost = catalog.price(model, settings, ratio=body.ratio)
    task = submit_task(
        settings, caller, kind="generation", model=model, payload=payload, cost=cost, inputs=inputs
    )
    return created(task, request)


@router.post("/video_to_video")
def video_to_video(
    body: VideoToVideoIn,
    request: Request,
    caller: Caller = Depends(current_org),
    settings: Settings = Depends(get_app_settings),
) -> dict:
    """Restyle/relight a video (Runway's ``gen4_aleph`` and ``aleph2`` shapes): the compositor's
    grade-and-effects edit, charged per second of output (the input's length, at most 30 s)."""
    rules = catalog.rules_for("video_to_video", body.model, settings)
    model = str(body.model)
    check_required(body, rules, model)
    check_output_format(body.output_format)
    for name, value in (
        ("keyframes", body.keyframes),
        ("targetAspectRatio", body.target_aspect_ratio),
    ):
        if value:
            raise InvalidInput(
                f"Invalid parameter '{name}': not available on this server (the compositor "
                "edit regrades the clip; it does not follow keyframes or outpaint).",
                field=name,
            )
    refs = body.references or []
    if len(refs) > rules.max_references:
        raise InvalidInput(
            f"Invalid parameter 'references': {model} takes at most {rules.max_references} image.",
            field="references",
        )
    if body.ratio is not None:
        width, height = catalog.parse_ratio(body.ratio, rules, model)
    data = resolve_media(
        str(body.video_uri), "video", "videoUri", org_id=caller.org_id, settings=settings
    )
    in_w, in_h, seconds = video_facts(data, "videoUri")
    if body.ratio is None:
        ratio = catalog.nearest_ratio(in_w, in_h, rules.ratios)
        width, height = catalog.parse_ratio(ratio, rules, model)
    duration = min(seconds, float(catalog.EDIT_MAX_SECONDS))
    inputs: dict[str, bytes] = {"video": data}
    references = []
    for n, ref in enumerate(refs):
        name = f"reference_{n}"
        inputs[name] = image_input(ref.uri, f"references.{n}.uri", caller, settings)
        references.append({"input": name, "type": "style", "field": f"references.{n}.uri"})
    payload = video_payload(
        model,
        settings,
        prompt=body.prompt_text or "",
        width=width,
        height=height,
        duration=1,
        seed=body.seed,
    )
    payload.update(duration=duration, references=references)
    cost = catalog.price(model, settings, duration=duration)
    task = submit_task(
        settings, caller, kind="generation", model=model, payload=payload, cost=cost, inputs=inputs
    )
    return created(task, request)
