"""The embedded executor: one spawned process per task attempt, at most ``workers`` at once.

A process per attempt (rather than a pool) makes the last-resort stop simple and safe: a render
that ignores its cancel flag for a second is terminated, then killed, without breaking others.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import threading
import time
from dataclasses import dataclass
from typing import Any

from kinema.platform.jobs.worker import Job, run_job

GRACE_S = 0.8  # after cancel(): time to stop cooperatively before terminate()


def _entry(job: Job, cancel_event: Any, parent_pid: int) -> None:
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    run_job(job, cancel_event, parent_pid)


@dataclass
class _Running:
    job: Job
    process: Any
    cancel_event: Any
    cancel_at: float | None = None


class LocalExecutor:
    name = "local"

    def __init__(self, workers: int = 2) -> None:
        self.workers = max(1, workers)
        self._ctx = mp.get_context("spawn")
        self._jobs: dict[str, _Running] = {}
        self._lock = threading.Lock()

    def free_slots(self) -> int:
        with self._lock:
            return self.workers - len(self._jobs)

    def submit(self, job: Job) -> None:
        event = self._ctx.Event()
        proc = self._ctx.Process(
            target=_entry,
            args=(job, event, os.getpid()),
            name=f"kinema-task-{job.task_id[:8]}",
            daemon=True,
        )
        proc.start()
        with self._lock:
            self._jobs[job.task_id] = _Running(job, proc, event)

    def cancel(self, task_id: str) -> None:
        with self._lock:
            run = self._jobs.get(task_id)
            if run is None or run.cancel_at is not None:
                return
            run.cancel_event.set()
            run.cancel_at = time.monotonic()

    def running(self) -> set[str]:
        with self._lock:
            return set(self._jobs)

    def pids(self) -> dict[str, int]:
        with self._lock:
            return {tid: r.process.pid for tid, r in self._jobs.items()}

    def reap(self) -> list[tuple[str, int, str | None]]:
        done = []
        now = time.monotonic()
        with self._lock:
            for tid, run in list(self._jobs.items()):
                proc = run.process
                if proc.is_alive():
                    if run.cancel_at is not None and now - run.cancel_at > GRACE_S:
                        proc.terminate()
                        if now - run.cancel_at > GRACE_S + 1.0:
                            proc.kill()
                    continue
                proc.join(0)
                code = proc.exitcode
                err = None if code == 0 else f"worker exited with code {code}"
                done.append((tid, run.job.attempt, err))
                del self._jobs[tid]
        return done

    def shutdown(self) -> None:
        with self._lock:
            runs = list(self._jobs.values())
        for run in runs:
            run.cancel_event.set()
        for run in runs:
            run.process.join(1.0)
            if run.process.is_alive():
                run.process.kill()
