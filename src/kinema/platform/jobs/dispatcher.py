"""The loop that moves tasks from the database into an executor and back.

Many dispatchers may share one database. Each renews the lease (heartbeat) of the tasks it runs
every tick; on start and then periodically it recovers only RUNNING tasks whose lease expired
(their owner is dead), running them again or failing them past ``task_max_attempts``. A task
with a live lease belongs to another server and is never touched or signalled. Each tick:
reap ended jobs (a job that died without recording a result is interrupted → retry or fail),
promote THROTTLED tasks FIFO, claim PENDING tasks for free slots,
and stop jobs whose task was cancelled.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time

from sqlalchemy import select

from kinema.config import Settings
from kinema.platform import db, tasks
from kinema.platform.jobs.base import Executor, make_executor
from kinema.platform.jobs.registry import TASK_KINDS
from kinema.platform.jobs.worker import Job
from kinema.platform.models import Task

log = logging.getLogger("kinema.dispatcher")


def _kill_orphan(worker: str | None) -> None:
    """Kill a worker process of a dead server on this host (it would stop by itself soon)."""
    if not worker or ":" not in worker:
        return
    host, _, pid = worker.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit() or int(pid) == os.getpid():
        return
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            if b"multiprocessing" not in f.read():
                return
        os.kill(int(pid), signal.SIGKILL)
    except (OSError, ValueError):
        pass


class Dispatcher:
    def __init__(
        self, settings: Settings, executor: Executor | None = None, interval: float = 0.2
    ) -> None:
        self.settings = settings
        self.executor = executor or make_executor(
            settings.executor,
            settings.workers,
            settings.ray_address,
            prewarm=settings.worker_prewarm,
            resources=settings.ray_resources,
        )
        self.interval = interval
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.worker_name = f"{socket.gethostname()}:{os.getpid()}"
        self._attempts: dict[str, int] = {}  # task id -> attempt, for jobs we started
        self._job_settings = settings.for_worker()  # what each job carries: no secrets
        self._last_recover = 0.0

    # -- lifecycle ----------------------------------------------------------------------------
    def start(self) -> None:
        # a SQLite file has one server: what it left RUNNING at start is interrupted at once
        single = self.settings.resolved_database_url.startswith("sqlite")
        self.recover(lease=0.0 if single else None)
        self._thread = threading.Thread(target=self._loop, name="kinema-dispatcher", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop dispatching; running tasks go back to the queue (the attempt does not count)."""
        self._stop.set()
        self._wake.set()
        if self._thread:
            self._thread.join(5)
        running = dict(self._attempts)
        self.executor.shutdown()
        for task_id in running.keys() & self.executor.running():
            with db.session_scope(self.settings) as s:
                tasks.release(s, task_id, running[task_id])

    def wake(self) -> None:
        self._wake.set()

    def recover(self, lease: float | None = None) -> list[str]:
        """RUNNING tasks whose lease expired (their server died): run again, or fail."""
        self._last_recover = time.monotonic()
        lease = self.settings.task_lease_seconds if lease is None else lease
        with db.session_scope(self.settings) as s:
            stale = [
                row
                for row in tasks.expired_leases(s, lease)
                if row[0] not in self._attempts  # never our own
            ]
        for _, _, worker in stale:
            _kill_orphan(worker)
        out = []
        for task_id, attempt, _ in stale:
            with db.session_scope(self.settings) as s:
                out.append(
                    tasks.requeue_or_fail(
                        s,
                        task_id,
                        attempt,
                        self.settings,
                        "its server stopped during the run",
                        lease_seconds=lease,
                    )
                )
        if stale:
            log.warning("recovered %d interrupted task(s): %s", len(stale), out)
        return out

    # -- the loop -----------------------------------------------------------------------------
    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception:  # keep dispatching; the next tick retries
                log.exception("dispatcher tick failed")
            self._wake.wait(self.interval)
            self._wake.clear()

    def tick(self) -> None:
        for task_id, attempt, err in self.executor.reap():
            self._attempts.pop(task_id, None)
            if err:
                with db.session_scope(self.settings) as s:
                    tasks.requeue_or_fail(s, task_id, attempt, self.settings, err)
        if self._attempts:
            with db.session_scope(self.settings) as s:
                tasks.renew_leases(s, dict(self._attempts))
        if time.monotonic() - self._last_recover > self.settings.task_lease_seconds / 2:
            self.recover()
        running = self.executor.running()
        if running:
            with db.session_scope(self.settings) as s:
                rows = s.execute(
                    select(Task.id, Task.status, Task.cancel_requested).where(Task.id.in_(running))
                ).all()
            for task_id, status, cancel in rows:
                if cancel or status != "RUNNING":
                    self.executor.cancel(task_id)
        with db.session_scope(self.settings) as s:
            tasks.promote_throttled(s, self.settings)
            claims = tasks.claim_pending(s, self.executor.free_slots(), self.worker_name)
        for c in claims:
            job = Job(
                task_id=c.task_id,
                attempt=c.attempt,
                kind=c.kind,
                target=TASK_KINDS.get(c.kind, c.kind),
                payload=c.payload,
                settings=self._job_settings,
                model=c.model,
                engine=self.settings.models.get(c.model, "").partition(":")[0],
            )
            try:
                self.executor.submit(job)
                self._attempts[c.task_id] = c.attempt
            except Exception as exc:
                log.exception("could not start task %s", c.task_id)
                with db.session_scope(self.settings) as s:
                    tasks.requeue_or_fail(s, c.task_id, c.attempt, self.settings, str(exc))
