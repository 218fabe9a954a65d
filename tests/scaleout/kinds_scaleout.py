"""Task kinds for the scale-out tests (run in Ray workers and spawned processes)."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from kinema.errors import Cancelled
from kinema.platform.jobs.context import JobContext, JobOutput


def first_attempt_hangs(payload: dict[str, Any], ctx: JobContext) -> JobOutput:
    """Attempt 1 writes its pid to ``marker`` and waits (to be killed); later ones finish."""
    if ctx.attempt == 1:
        Path(payload["marker"]).write_text(str(os.getpid()))
        for _ in range(600):
            if ctx.should_cancel():
                raise Cancelled("stopped")
            time.sleep(0.1)
    out = ctx.out_dir / "result.txt"
    out.write_text(f"attempt={ctx.attempt} pid={os.getpid()}")
    return JobOutput(files=[ctx.store(out)])


def report_env(payload: dict[str, Any], ctx: JobContext) -> JobOutput:
    """What the worker's settings hold of the secrets (to show they came from its env)."""
    out = ctx.out_dir / "env.txt"
    s = ctx.settings
    out.write_text(f"secret_key={s.secret_key}\nllm_api_key={s.llm_api_key}\n")
    return JobOutput(files=[ctx.store(out)])
