"""The code that runs one task attempt in a worker (a local process or a Ray task).

The worker talks to the database itself: it writes progress (throttled), polls for cancellation
and records the result. Every write is fenced by the attempt number, so an orphaned worker whose
server died cannot overwrite a re-run. It stops when its parent process disappears.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import tempfile
import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kinema.config import Settings
from kinema.errors import Cancelled, KinemaError

log = logging.getLogger("kinema.worker")

DB_POLL_S = 0.4  # how often a running job reads its task row for a cancel (Ray has no Event)


@dataclass
class Job:
    task_id: str
    attempt: int
    kind: str
    target: str  # "module:function" of the handler
    payload: dict[str, Any]
    # ``Settings.for_worker()``: no secrets; the worker's own environment supplies those
    settings: dict[str, Any] = field(default_factory=dict)
    model: str = ""
    engine: str = ""  # the model's engine ("compositor", "voice", ...): picks Ray resources


class Abandoned(Exception):
    """The server that started this worker is gone; stop without recording anything."""


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def worker_settings(fields: dict[str, Any]) -> Settings:
    """The job's settings over this worker's environment (and its home's ``kinema.env``), which
    is where secrets left out of the job come from."""
    if not fields:
        return Settings()
    home = Path(str(fields.get("home") or "~/.kinema")).expanduser()
    env_file = home / "kinema.env"
    if env_file.exists():
        return Settings(_env_file=env_file, **fields)  # type: ignore[call-arg]
    return Settings(**fields)


def run_job(job: Job, cancel_event: Any = None, parent_pid: int | None = None) -> str:
    """Run one attempt to its end; returns the status recorded (or "ABANDONED")."""
    from kinema.platform import db, tasks
    from kinema.platform.jobs.context import JobContext
    from kinema.platform.jobs.registry import resolve_handler
    from kinema.platform.storage import get_storage

    settings = worker_settings(job.settings)
    name = worker_name()
    last_write = [0.0]
    latest = [0.0]
    lock = threading.Lock()

    def parent_gone() -> bool:
        return parent_pid is not None and os.getppid() != parent_pid

    def progress(f: float) -> None:
        latest[0] = f
        now = time.monotonic()
        if now - last_write[0] < 0.25:
            return
        last_write[0] = now
        with lock, db.session_scope(settings) as s:
            tasks.report_progress(s, job.task_id, job.attempt, f, worker=name)

    last_db_check = [0.0]

    def cancelled() -> bool:
        """The executor's flag (instant), else the task row (at most every DB_POLL_S)."""
        if parent_gone():
            raise Abandoned("parent process exited")
        if cancel_event is not None and cancel_event.is_set():
            return True
        now = time.monotonic()
        if now - last_db_check[0] < DB_POLL_S:
            return False
        last_db_check[0] = now
        with db.session_scope(settings) as s:
            return tasks.is_cancelled(s, job.task_id, job.attempt)

    scratch = Path(tempfile.mkdtemp(prefix=f"kinema-{job.task_id[:8]}-"))
    ctx = JobContext(
        task_id=job.task_id,
        attempt=job.attempt,
        out_dir=scratch,
        storage=get_storage(settings),
        settings=settings,
        _progress=progress,
        _cancelled=cancelled,
    )
    try:
        handler = resolve_handler(job.target or job.kind)
        with db.session_scope(settings) as s:
            tasks.report_progress(s, job.task_id, job.attempt, 0.0, worker=name)
        output = handler(job.payload, ctx)
        with db.session_scope(settings) as s:
            ok = tasks.succeed(s, job.task_id, job.attempt, output.to_json())
        return "SUCCEEDED" if ok else "STALE"
    except Cancelled:
        return "CANCELLED"
    except Abandoned:
        return "ABANDONED"
    except KinemaError as exc:
        code = exc.code if exc.code not in ("INVALID_INPUT",) else "ASSET.INVALID"
        with db.session_scope(settings) as s:
            tasks.fail(s, job.task_id, str(exc), code, attempt=job.attempt)
        return "FAILED"
    except Exception as exc:  # engine bug: the task fails, the worker survives
        log.error("task %s failed:\n%s", job.task_id, traceback.format_exc())
        with db.session_scope(settings) as s:
            tasks.fail(
                s,
                job.task_id,
                f"An internal error occurred ({type(exc).__name__}).",
                "INTERNAL",
                attempt=job.attempt,
            )
        return "FAILED"
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        _discard_if_withdrawn(settings, ctx.storage, job.task_id)


def _discard_if_withdrawn(settings: Any, storage: Any, task_id: str) -> None:
    """A task cancelled or deleted while this attempt ran: what it stored meanwhile goes too."""
    from kinema.platform import db, tasks

    try:
        with db.session_scope(settings) as s:
            gone = tasks.withdrawn(s, task_id)
    except Exception:  # the database is unreachable: leave the files (the file route refuses
        log.warning("could not check task %s after its attempt", task_id)  # them anyway)
        return
    if gone:
        tasks.remove_files(storage, task_id)
