"""Run task attempts as Ray tasks (``KINEMA_EXECUTOR=ray``; extra ``kinema[ray]``).

Workers reach the same database and storage URLs (use PostgreSQL and s3:// across machines) and
poll the task row for cancellation; ``cancel`` also force-cancels the Ray task after a grace.
Each job asks Ray for the resources its engine needs (``settings.ray_resources``: by engine, by
task kind, else ``default``), so GPU engines land on GPU nodes. A job carries its settings
without secrets; workers read those from their own environment.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from kinema.errors import BackendUnavailable
from kinema.platform.jobs.worker import Job, run_job

GRACE_S = 1.0


def _run_remote(job: Job, driver_path: list[str]) -> str:
    import os
    import sys

    # the driver's import path, where it exists here (same machine, or a shared checkout)
    sys.path.extend(p for p in driver_path if p not in sys.path and os.path.isdir(p))
    return run_job(job)


class RayExecutor:
    name = "ray"

    def __init__(
        self,
        workers: int = 2,
        address: str = "",
        resources: dict[str, dict[str, float]] | None = None,
    ) -> None:
        try:
            import ray
        except ImportError:
            raise BackendUnavailable(
                "The Ray executor needs Ray: pip install 'kinema[ray]'."
            ) from None
        self._ray = ray
        if not ray.is_initialized():
            local: dict[str, Any] = {} if address else {"_node_ip_address": "127.0.0.1"}
            ray.init(
                address=address or None,
                ignore_reinit_error=True,
                include_dashboard=False,
                log_to_driver=False,
                **local,
            )
        self._remote = ray.remote(max_retries=0)(_run_remote)
        self.resources = resources if resources is not None else {"default": {"num_cpus": 1}}
        self.workers = max(1, workers)
        self._refs: dict[str, tuple[Any, Job, float | None]] = {}
        self._lock = threading.Lock()

    def free_slots(self) -> int:
        with self._lock:
            return self.workers - len(self._refs)

    def options_for(self, job: Job) -> dict[str, Any]:
        """Ray task options for ``job``: its engine's resources, else its kind's, else default."""
        spec = (
            self.resources.get(job.engine)
            or self.resources.get(job.kind)
            or self.resources.get("default")
            or {"num_cpus": 1}
        )
        known = ("num_cpus", "num_gpus", "memory")
        opts: dict[str, Any] = {k: spec[k] for k in known if k in spec}
        custom = {k: float(v) for k, v in spec.items() if k not in known}
        if custom:
            opts["resources"] = custom
        opts.setdefault("num_cpus", 1)
        return opts

    def submit(self, job: Job) -> None:
        import sys

        ref = self._remote.options(**self.options_for(job)).remote(job, list(sys.path))
        with self._lock:
            self._refs[job.task_id] = (ref, job, None)

    def cancel(self, task_id: str) -> None:
        with self._lock:
            if task_id in self._refs and self._refs[task_id][2] is None:
                ref, job, _ = self._refs[task_id]
                self._refs[task_id] = (ref, job, time.monotonic())

    def running(self) -> set[str]:
        with self._lock:
            return set(self._refs)

    def reap(self) -> list[tuple[str, int, str | None]]:
        done = []
        with self._lock:
            items = list(self._refs.items())
        for tid, (ref, job, cancel_at) in items:
            ready, _ = self._ray.wait([ref], timeout=0)
            if not ready:
                if cancel_at is not None and time.monotonic() - cancel_at > GRACE_S:
                    self._ray.cancel(ref, force=True)
                continue
            err = None
            try:
                self._ray.get(ref)
            except Exception as exc:  # worker crashed or was force-cancelled
                err = f"ray task ended: {type(exc).__name__}"
            done.append((tid, job.attempt, err))
            with self._lock:
                self._refs.pop(tid, None)
        return done

    def shutdown(self) -> None:
        with self._lock:
            refs = [r for r, _, _ in self._refs.values()]
        for ref in refs:
            self._ray.cancel(ref, force=True)
