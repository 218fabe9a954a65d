"""Task kinds that exercise the machinery (not the engines): run in spawned worker processes."""

from __future__ import annotations

import os
import time
from typing import Any

from kinema.errors import Cancelled, InvalidMedia
from kinema.platform.jobs.context import JobContext, JobOutput


def steps(payload: dict[str, Any], ctx: JobContext) -> JobOutput:
    """``n`` steps of ``dt`` seconds with progress and cancellation; writes a text file."""
    n, dt = int(payload.get("n", 10)), float(payload.get("dt", 0.05))
    for i in range(n):
        if ctx.should_cancel():
            raise Cancelled("stopped")
        time.sleep(dt)
        ctx.progress((i + 1) / n)
    out = ctx.out_dir / "result.txt"
    out.write_text(f"{payload.get('text', 'done')} attempt={ctx.attempt}")
    return JobOutput(files=[ctx.store(out)], extra={"steps": n})


def stubborn(payload: dict[str, Any], ctx: JobContext) -> JobOutput:
    """Ignores cancellation: the executor must kill it."""
    marker = payload.get("marker")
    if marker:
        with open(marker, "w") as f:
            f.write(str(os.getpid()))
    time.sleep(float(payload.get("sleep", 60)))
    return JobOutput(files=[])


def crash(payload: dict[str, Any], ctx: JobContext) -> JobOutput:
    """Dies like a segfaulting engine (no result recorded)."""
    os._exit(3)


def bad_input(payload: dict[str, Any], ctx: JobContext) -> JobOutput:
    raise InvalidMedia("promptImage: the engine could not use this image.")


def boom(payload: dict[str, Any], ctx: JobContext) -> JobOutput:
    raise RuntimeError("engine bug")
