"""Task kinds: ``kind -> "module:function"``.

Handlers are named by import path, not registered by side effect, so a fresh worker process
(spawned locally or on a Ray node) finds them without importing the whole application. Add a
kind by adding a line here (or calling ``register_task_kind`` before the server starts; entries
added at run time are passed to workers with each job).

A handler is ``def run(payload: dict, ctx: JobContext) -> JobOutput`` and raises
``kinema.errors.Cancelled`` when ``ctx.should_cancel()`` turns true.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

TASK_KINDS: dict[str, str] = {
    "generation": "kinema.platform.generation:run_generation",
    # audio, upscaling and recipe endpoints (kinema.platform.media_tasks)
    "speech": "kinema.platform.media_tasks:run_speech",
    "voice_isolation": "kinema.platform.media_tasks:run_voice_isolation",
    "image_upscale": "kinema.platform.media_tasks:run_image_upscale",
    "video_upscale": "kinema.platform.media_tasks:run_video_upscale",
    "multi_shot": "kinema.platform.media_tasks:run_multi_shot",
}


def register_task_kind(kind: str, target: str) -> None:
    """Register ``kind`` → ``"package.module:function"``."""
    if ":" not in target:
        raise ValueError("target must look like 'package.module:function'")
    TASK_KINDS[kind] = target


def resolve_handler(kind_or_target: str) -> Callable[..., Any]:
    target = TASK_KINDS.get(kind_or_target, kind_or_target)
    if ":" not in target:
        raise KeyError(f"unknown task kind {kind_or_target!r}; known: {', '.join(TASK_KINDS)}")
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)
