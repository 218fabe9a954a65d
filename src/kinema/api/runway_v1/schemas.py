"""Runway v1 wire schemas (camelCase on the wire, snake_case in Python).

Request models accept what SDK 5.24 sends; per-model rules (required fields, ratios, durations)
are checked against ``kinema.platform.catalog`` so unknown models get a 400 naming the supported
ones instead of a generic union error. Task responses are built by ``task_json``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from kinema.config import Settings
from kinema.platform.models import Task
from kinema.platform.storage import sign_path
from kinema.platform.tasks import as_utc


class Wire(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")


class PromptImageItem(Wire):
    uri: str
    position: Literal["first", "last"] = "first"


class ContentModeration(Wire):
    public_figure_threshold: Literal["auto", "low"] | None = None


class ImageToVideoIn(Wire):
    model: str | None = None
    prompt_image: str | list[PromptImageItem] | None = None
    prompt_text: str | None = Field(default=None, min_length=1, max_length=1000)
    ratio: str | None = None
    duration: int | None = None
    seed: int | None = Field(default=None, ge=0, le=4294967295)
    content_moderation: ContentModeration | None = None
    output_format: str | None = None


class TextToVideoIn(Wire):
    model: str | None = None
    prompt_text: str | None = Field(default=None, min_length=1, max_length=1000)
    ratio: str | None = None
    duration: int | None = None
    seed: int | None = Field(default=None, ge=0, le=4294967295)
    content_moderation: ContentModeration | None = None
    output_format: str | None = None


class ReferenceImage(Wire):
    uri: str
    tag: str | None = Field(default=None, pattern=r"^[A-Za-z][A-Za-z0-9_]{2,15}$")


class TextToImageIn(Wire):
    model: str | None = None
    prompt_text: str | None = Field(default=None, min_length=1, max_length=1000)
    ratio: str | None = None
    reference_images: list[ReferenceImage] | None = None
    seed: int | None = Field(default=None, ge=0, le=4294967295)
    content_moderation: ContentModeration | None = None


class VideoReference(Wire):
    type: Literal["image"] = "image"
    uri: str


class VideoToVideoIn(Wire):
    model: str | None = None
    video_uri: str | None = None
    prompt_text: str | None = Field(default=None, min_length=1, max_length=1000)
    ratio: str | None = None
    references: list[VideoReference] | None = None
    keyframes: list[dict[str, Any]] | None = None  # aleph2; refused (not served)
    target_aspect_ratio: str | None = None  # aleph2 outpaint; refused (not served)
    output_format: str | None = None
    seed: int | None = Field(default=None, ge=0, le=4294967295)
    content_moderation: ContentModeration | None = None


class Credits(BaseModel):
    credits: int


class CreatedTask(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    id: str
    estimated_cost: Credits = Field(serialization_alias="estimatedCost")


class UploadIn(Wire):
    filename: str = Field(min_length=3, max_length=255)
    type: Literal["ephemeral"] = "ephemeral"


class UploadOut(Wire):
    upload_url: str
    fields: dict[str, str]
    runway_uri: str


class UsageIn(Wire):
    start_date: str | None = None
    before_date: str | None = None


def iso(dt: datetime) -> str:
    return as_utc(dt).strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def output_urls(task: Task, base: str, settings: Settings) -> list[str]:
    files = (task.outputs or {}).get("files", [])
    secret = settings.resolved_secret_key()
    return [base + sign_path(k, secret=secret, ttl=settings.output_url_ttl) for k in files]


def task_json(task: Task, base: str, settings: Settings) -> dict[str, Any]:
    """A task as SDK 5.24 parses it: ``estimatedCost`` while active, ``cost`` once terminal."""
    out: dict[str, Any] = {"id": task.id, "createdAt": iso(task.created_at), "status": task.status}
    if task.status in ("PENDING", "THROTTLED", "RUNNING"):
        out["estimatedCost"] = {"credits": task.estimated_cost}
        if task.status == "RUNNING":
            out["progress"] = round(float(task.progress), 4)
        return out
    out["cost"] = {"credits": int(task.cost or 0)}
    if task.status == "SUCCEEDED":
        out["output"] = output_urls(task, base, settings)
        extra = (task.outputs or {}).get("extra", {})
        out.update({k: v for k, v in extra.items() if k != "poster"})
    elif task.status == "FAILED":
        out["failure"] = task.failure or "The task failed."
        out["failureCode"] = task.failure_code
    return out
