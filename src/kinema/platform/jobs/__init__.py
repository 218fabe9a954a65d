"""Running tasks: the task-kind registry, the job context handlers see, the worker entry
point, executors (local processes, Ray) and the dispatcher that feeds them from the database."""

from kinema.platform.jobs.context import JobContext, JobOutput
from kinema.platform.jobs.registry import TASK_KINDS, register_task_kind, resolve_handler

__all__ = ["TASK_KINDS", "JobContext", "JobOutput", "register_task_kind", "resolve_handler"]
