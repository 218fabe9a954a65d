"""The embedded executor: ``workers`` long-lived spawned processes, one task at a time each.

Worker processes import the engines once (a fresh Python with NumPy, OpenCV and PyAV takes
seconds to start on a small machine, longer than a short render), then run task after task.
A task is stopped by its cancel flag; a worker that ignores the flag for ``GRACE_S`` is
terminated, then killed, and replaced — the other workers carry on. Workers die with the
server that started them (``PR_SET_PDEATHSIG`` on Linux; elsewhere they notice within 0.5 s).
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing as mp
import os
import threading
import time
from typing import Any

from kinema.platform.jobs.worker import Job, run_job

log = logging.getLogger("kinema.executor")

GRACE_S = 0.8  # after cancel(): time to stop cooperatively before terminate()
MAX_JOBS_PER_WORKER = 100  # recycle a process after this many tasks (bounded memory growth)
PREWARM = ("kinema.platform.generation", "kinema.video.engines.compositor")


def _prewarm() -> None:
    import importlib

    for name in PREWARM:
        try:
            importlib.import_module(name)
        except Exception:  # an engine that cannot import fails its tasks instead
            log.debug("prewarm of %s failed", name, exc_info=True)


def _die_with_parent(parent_pid: int) -> None:
    """Linux: the kernel kills this worker the moment its server dies (even by SIGKILL), so
    no orphan keeps rendering a task whose lease another dispatcher is about to recover."""
    try:
        import ctypes
        import signal

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: the parent poll below still stops us
        return
    if os.getppid() != parent_pid:  # the server died before prctl took effect
        os._exit(0)


def _worker_main(conn: Any, cancel_event: Any, parent_pid: int, prewarm: bool) -> None:
    _die_with_parent(parent_pid)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    if prewarm:
        _prewarm()
    while True:
        if not conn.poll(0.5):
            if os.getppid() != parent_pid:
                return  # the server is gone
            continue
        job = conn.recv()
        if job is None:
            return
        status = run_job(job, cancel_event, parent_pid)
        if status == "ABANDONED":
            return
        conn.send((job.task_id, status))


class _Worker:
    def __init__(self, ctx: Any, prewarm: bool) -> None:
        self.conn, child = ctx.Pipe()
        self.cancel_event = ctx.Event()
        self.process = ctx.Process(
            target=_worker_main,
            args=(child, self.cancel_event, os.getpid(), prewarm),
            name="kinema-worker",
            daemon=True,
        )
        self.process.start()
        child.close()
        self.job: Job | None = None
        self.cancel_at: float | None = None
        self.jobs_done = 0


class LocalExecutor:
    name = "local"

    def __init__(self, workers: int = 2, *, prewarm: bool = True) -> None:
        self._ctx = mp.get_context("spawn")
        self._lock = threading.Lock()
        self._prewarm = prewarm
        self._workers = [self._spawn() for _ in range(max(1, workers))]

    def _spawn(self) -> _Worker:
        return _Worker(self._ctx, self._prewarm)

    def free_slots(self) -> int:
        with self._lock:
            return sum(1 for w in self._workers if w.job is None)

    def submit(self, job: Job) -> None:
        with self._lock:
            for i, w in enumerate(self._workers):
                if w.job is None:
                    if not w.process.is_alive() or w.jobs_done >= MAX_JOBS_PER_WORKER:
                        self._retire(w)
                        w = self._workers[i] = self._spawn()
                    w.cancel_event.clear()
                    w.cancel_at = None
                    w.job = job
                    w.conn.send(job)
                    return
        raise RuntimeError("no free worker")

    def cancel(self, task_id: str) -> None:
        with self._lock:
            for w in self._workers:
                if w.job is not None and w.job.task_id == task_id and w.cancel_at is None:
                    w.cancel_event.set()
                    w.cancel_at = time.monotonic()

    def running(self) -> set[str]:
        with self._lock:
            return {w.job.task_id for w in self._workers if w.job is not None}

    def pids(self) -> dict[str, int]:
        with self._lock:
            return {w.job.task_id: w.process.pid for w in self._workers if w.job is not None}

    def reap(self) -> list[tuple[str, int, str | None]]:
        done: list[tuple[str, int, str | None]] = []
        now = time.monotonic()
        with self._lock:
            for i, w in enumerate(self._workers):
                if w.job is None:
                    if not w.process.is_alive():
                        self._workers[i] = self._spawn()
                    continue
                job = w.job
                try:
                    if w.conn.poll(0):
                        w.conn.recv()
                        done.append((job.task_id, job.attempt, None))
                        w.job, w.cancel_at = None, None
                        w.jobs_done += 1
                        continue
                except (EOFError, OSError):
                    pass
                if w.process.is_alive():
                    if w.cancel_at is not None and now - w.cancel_at > GRACE_S:
                        w.process.terminate()
                        if now - w.cancel_at > GRACE_S + 1.0:
                            w.process.kill()
                    continue
                w.process.join(0)
                done.append(
                    (job.task_id, job.attempt, f"worker exited with code {w.process.exitcode}")
                )
                self._workers[i] = self._spawn()
        return done

    def _retire(self, w: _Worker) -> None:
        with contextlib.suppress(OSError, BrokenPipeError):
            w.conn.send(None)
        w.process.join(0.5)
        if w.process.is_alive():
            w.process.kill()

    def shutdown(self) -> None:
        with self._lock:
            workers = list(self._workers)
        for w in workers:
            w.cancel_event.set()
            with contextlib.suppress(OSError, BrokenPipeError):
                w.conn.send(None)
        deadline = time.monotonic() + 0.5
        for w in workers:
            w.process.join(max(0.0, deadline - time.monotonic()))
            if w.process.is_alive():
                w.process.kill()
