"""What a video engine is: anything with a name, presets and ``generate``."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from kinema.video.request import CancelFn, GenerationRequest, GenerationResult, ProgressFn


class VideoEngine(Protocol):
    name: str
    presets: tuple[str, ...]

    def generate(
        self,
        req: GenerationRequest,
        out_dir: Path,
        progress: ProgressFn | None = None,
        should_cancel: CancelFn | None = None,
    ) -> GenerationResult: ...
