"""The simple Gen-4 request shape tutorials use, beside the Runway one, on the same tasks.

``POST /v1/gen4 {prompt, model: "gen4"|"gen4-turbo", duration, fps, visual_references: [{image_url,
type, strength}], generation_options: {motion_physics, world_consistency, prompt_adherence}}``
→ ``{id}``; ``GET /v1/gen4/tasks/{id}`` → ``{id, status, progress (0–100), output: {url},
credits_used, failure_reason}``. Bearer key required; no version header.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from kinema.api.deps import base_url, current_org, get_app_settings, wake_dispatcher
from kinema.api.runway_v1.generation import image_input
from kinema.api.runway_v1.schemas import output_urls
from kinema.config import Settings
from kinema.platform import catalog, db
from kinema.platform import tasks as task_service
from kinema.platform.accounts import Caller
from kinema.platform.generation import avatar_voice
from kinema.platform.submit import submit_task

router = APIRouter(prefix="/v1/gen4", tags=["gen4 (simple)"])

MODELS = {"gen4": "gen4", "gen4-turbo": "gen4_turbo"}
RATIOS = catalog.VIDEO_RATIOS


class VisualReference(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)  # strict: false is not a strength
    image_url: str
    type: Literal["character", "object", "location", "style"] = "character"
    strength: float = Field(default=0.85, ge=0, le=1)


class GenerationOptions(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)  # strict: no bools for numbers
    motion_physics: float = Field(default=0.5, ge=0, le=1)
    world_consistency: float = Field(default=0.5, ge=0, le=1)
    prompt_adherence: float = Field(default=0.5, ge=0, le=1)


class Gen4In(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)  # "seed": false is no seed
    prompt: str = Field(min_length=1, max_length=1000)
    model: Literal["gen4", "gen4-turbo"] = "gen4-turbo"
    duration: int = Field(default=5, ge=2, le=10)
    fps: int = Field(default=24, ge=8, le=60)
    ratio: Literal[RATIOS] = "1280:720"  # type: ignore[valid-type]
    seed: int = Field(default=0, ge=0, le=4294967295)
    visual_references: list[VisualReference] = Field(default_factory=list, max_length=3)
    generation_options: GenerationOptions = Field(default_factory=GenerationOptions)


@router.post("")
def create(
    body: Gen4In,
    request: Request,
    caller: Caller = Depends(current_org),
    settings: Settings = Depends(get_app_settings),
) -> dict:
    model = MODELS[body.model]
    catalog.rules_for("image_to_video", model, settings)  # 400 when not enabled here
    engine, preset = catalog.engine_preset(model, settings)
    width, height = (int(x) for x in body.ratio.split(":"))
    inputs, references = {}, []
    for n, ref in enumerate(body.visual_references):
        field = f"visual_references.{n}.image_url"
        inputs[f"reference_{n}"] = image_input(ref.image_url, field, caller, settings)
        entry: dict = {"input": f"reference_{n}", "type": ref.type, "strength": ref.strength}
        entry["field"] = field
        if (avatar := avatar_voice(ref.image_url, caller.org_id, settings)) is not None:
            entry["avatar_id"], entry["voice"] = avatar  # the avatar acts with its voice
        references.append(entry)
    payload = {
        "kind": "video",
        "prompt": body.prompt,
        "width": width,
        "height": height,
        "duration": body.duration,
        "fps": body.fps,
        "seed": body.seed,
        "engine": engine,
        "preset": preset,
        "references": references,
        "options": body.generation_options.model_dump(),
    }
    cost = catalog.price(model, settings, duration=body.duration)
    task = submit_task(
        settings, caller, kind="generation", model=model, payload=payload, cost=cost, inputs=inputs
    )
    wake_dispatcher(request)
    return {"id": task.id}


@router.get("/tasks/{task_id}")
def status(
    task_id: str,
    request: Request,
    caller: Caller = Depends(current_org),
    settings: Settings = Depends(get_app_settings),
) -> dict:
    with db.session_scope(settings) as s:
        task = task_service.get_task(s, caller.org_id, task_id)
    done = task.status == "SUCCEEDED"
    urls = output_urls(task, base_url(request, settings), settings) if done else []
    return {
        "id": task.id,
        "status": task.status,
        "progress": round(100.0 * (1.0 if done else float(task.progress)), 1),
        "output": {"url": urls[0]} if urls else None,
        "credits_used": int(task.cost) if task.cost is not None else task.estimated_cost,
        "failure_reason": task.failure,
    }
