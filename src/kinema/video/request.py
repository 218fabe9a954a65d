"""The contract between the platform and the video engines.

The platform turns an API request into a ``GenerationRequest`` (media already fetched and decoded
into RGB arrays, model already mapped to an engine preset) and calls ``generate`` in a worker.
Engines know nothing of HTTP, databases or credits: they report progress through a callback,
poll ``should_cancel`` between frames (raising ``kinema.errors.Cancelled``), and write files
into ``out_dir``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

ReferenceType = Literal["character", "object", "location", "style"]


@dataclass
class Reference:
    image: np.ndarray  # HxWx3 uint8 RGB
    tag: str | None = None  # "@tag" in the prompt, without the "@"
    type: ReferenceType = "character"
    strength: float = 0.85  # 0..1: how strongly the reference governs the render
    voice: Any = None  # what a character speaks with: a preset id or VoiceSpec (None: default)
    avatar_id: str | None = None  # the avatar this image came from (one character library)


@dataclass
class GenerationRequest:
    kind: Literal["video", "image"]
    prompt: str = ""
    width: int = 1280
    height: int = 720
    duration: float = 5.0  # seconds (videos)
    fps: int = 24
    seed: int = 0
    preset: str = "fast"  # engine preset: fast | quality | still | still_fast | ...
    first_frame: np.ndarray | None = None
    last_frame: np.ndarray | None = None
    references: list[Reference] = field(default_factory=list)
    options: dict[str, float] = field(default_factory=dict)  # e.g. motion_physics 0..1
    engine: str = "compositor"  # registered engine name (``kinema.video.engines``)
    video: Path | None = None  # input video file for edits (preset "edit", gen4_aleph)
    first_frame_voice: Any = None  # the voice of a person in the first frame (an avatar's)


@dataclass
class GenerationResult:
    files: list[Path]  # main outputs in order (mp4 for videos, png/jpg for images)
    poster: Path | None = None
    understood: list[str] = field(default_factory=list)  # prompt phrases the plan used
    ignored: list[str] = field(default_factory=list)  # prompt words it could not use
    plan: dict = field(default_factory=dict)  # the scene plan, JSON-serialisable


ProgressFn = Callable[[float], None]  # 0..1
CancelFn = Callable[[], bool]
