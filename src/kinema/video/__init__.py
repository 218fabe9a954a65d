"""Video generation: scene plans from prompt + references + keyframes, rendered by an engine.

The platform (and the CLI) call one function, ``generate``; the request says which engine and
preset. The embedded engine is the compositor (``kinema.video.engines.compositor``): a
reference-driven 2.5D compositor for animatics, not a diffusion model.
"""

from __future__ import annotations

from pathlib import Path

from kinema.video.request import (
    CancelFn,
    GenerationRequest,
    GenerationResult,
    ProgressFn,
    Reference,
)

__all__ = [
    "generate",
    "GenerationRequest",
    "GenerationResult",
    "Reference",
    "ProgressFn",
    "CancelFn",
    "parse_engine",
]


def parse_engine(spec: str) -> tuple[str, str]:
    """``"compositor:fast"`` → ``("compositor", "fast")`` (the format of ``Settings.models``)."""
    engine, _, preset = spec.partition(":")
    return engine or "compositor", preset or "fast"


def generate(
    req: GenerationRequest,
    out_dir: Path,
    progress: ProgressFn | None = None,
    should_cancel: CancelFn | None = None,
) -> GenerationResult:
    """Render ``req`` into ``out_dir``: ``video.mp4`` + ``poster.jpg``, or ``image.png``.

    Calls ``progress(0..1)`` as frames render and ``should_cancel()`` before every frame
    (raising ``kinema.errors.Cancelled``). Input problems raise ``InvalidMedia``.
    """
    from kinema.video.engines import get_engine

    return get_engine(req.engine).generate(req, Path(out_dir), progress, should_cancel)
