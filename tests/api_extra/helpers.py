"""Run a created task's handler in-process (workers off) and read its outputs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kinema.platform import db
from kinema.platform import tasks as task_service
from kinema.platform.jobs.context import JobContext, JobOutput
from kinema.platform.jobs.registry import resolve_handler
from kinema.platform.models import Task
from kinema.platform.storage import get_storage

VERSION = {"X-Runway-Version": "2024-11-06"}


def run_task(settings: Any, task_id: str, tmp_path: Path) -> tuple[list[Path], JobOutput]:
    with db.session_scope(settings) as s:
        task = s.get(Task, task_id)
        payload, kind = dict(task.payload), task.kind
    ctx = JobContext(
        task_id=task_id,
        attempt=1,
        out_dir=tmp_path / f"scratch-{task_id}",
        storage=get_storage(settings),
        settings=settings,
    )
    out = resolve_handler(kind)(payload, ctx)
    storage = get_storage(settings)
    return [storage.local_path(k) for k in out.files], out


def task_row(settings: Any, task_id: str) -> Task:
    with db.session_scope(settings) as s:
        task = s.get(Task, task_id)
        s.expunge(task)
        return task


__all__ = ["VERSION", "run_task", "task_row", "task_service"]
