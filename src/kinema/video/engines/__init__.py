"""Video engines by name. The embedded ``compositor`` is always there; heavier engines (e.g. a
diffusers backend on a GPU) register here and import their extras inside ``generate``."""

from __future__ import annotations

from collections.abc import Callable

from kinema.errors import BackendUnavailable
from kinema.video.engines.base import VideoEngine


def _compositor() -> VideoEngine:
    from kinema.video.engines.compositor import CompositorEngine

    return CompositorEngine()


def _diffusers() -> VideoEngine:
    # LTX-Video / Wan on a GPU; torch and diffusers are imported only when it renders
    from kinema.video.engines.diffusers_engine import DiffusersEngine

    return DiffusersEngine()


ENGINES: dict[str, Callable[[], VideoEngine]] = {
    "compositor": _compositor,
    "diffusers": _diffusers,
}
_instances: dict[str, VideoEngine] = {}


def get_engine(name: str = "compositor") -> VideoEngine:
    """The engine registered as ``name`` (built once per process)."""
    if name not in _instances:
        if name not in ENGINES:
            raise BackendUnavailable(
                f"video engine {name!r} is not available; installed: {', '.join(ENGINES)}."
            )
        _instances[name] = ENGINES[name]()
    return _instances[name]
