"""The executor interface: where task attempts run. The dispatcher owns the database side."""

from __future__ import annotations

from typing import Protocol

from kinema.platform.jobs.worker import Job


class Executor(Protocol):
    name: str

    def free_slots(self) -> int:
        """How many more jobs can start now."""
        ...

    def submit(self, job: Job) -> None: ...

    def cancel(self, task_id: str) -> None:
        """Ask the job to stop (it polls a flag); force-stop it if it does not within ~1 s."""
        ...

    def running(self) -> set[str]: ...

    def reap(self) -> list[tuple[str, int, str | None]]:
        """Jobs that ended since the last call: (task_id, attempt, error or None)."""
        ...

    def shutdown(self) -> None: ...


def make_executor(
    name: str,
    workers: int,
    ray_address: str = "",
    *,
    prewarm: bool = True,
    resources: dict[str, dict[str, float]] | None = None,
) -> Executor:
    if name == "local":
        from kinema.platform.jobs.local import LocalExecutor

        return LocalExecutor(workers, prewarm=prewarm)
    if name == "ray":
        from kinema.platform.jobs.ray_executor import RayExecutor

        return RayExecutor(workers, address=ray_address, resources=resources)
    raise ValueError(f"unknown executor {name!r}; use 'local' or 'ray'")
