"""The life of a task, as database transitions.

Create (daily limit, credits reserved, THROTTLED when the organization is at its concurrency
limit) → PENDING → RUNNING (attempt n, progress) → SUCCEEDED (charged) | FAILED (refunded) |
CANCELLED (refunded). Every transition is a conditional UPDATE on (id, status, attempt), so a
stale worker, a cancel and a finish racing each other cannot double-charge or resurrect a task.

Limits hold across any number of servers on PostgreSQL because everything that counts an
organization's tasks and then acts on the count (create, promote) first takes that
organization's row lock. Lock order is always organization row, then task rows: a cancel takes
the organization first too, so it never deadlocks against a promotion.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from kinema.config import Settings
from kinema.errors import NotFound, RateLimited
from kinema.platform import accounts
from kinema.platform.models import Organization, Task, new_id, utcnow

log = logging.getLogger(__name__)

ACTIVE = ("THROTTLED", "PENDING", "RUNNING")
TERMINAL = ("SUCCEEDED", "FAILED", "CANCELLED")


def as_utc(dt: datetime) -> datetime:
    """SQLite hands back naive datetimes; they are UTC."""
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def limits_for(org: Organization, settings: Settings) -> tuple[int, int]:
    return (
        org.max_concurrent_tasks or settings.max_concurrent_tasks,
        org.max_daily_tasks or settings.max_daily_tasks,
    )


def create_task(
    session: Session,
    *,
    org_id: str,
    kind: str,
    model: str,
    payload: dict[str, Any],
    estimated_cost: int,
    settings: Settings,
    api_key_id: str | None = None,
    task_id: str | None = None,
) -> Task:
    """Insert a task in the caller's transaction: 429 past the daily limit, 400 when credits
    are short, THROTTLED behind the organization's running/queued tasks."""
    # the organization's row lock serializes its creators (PostgreSQL; SQLite's BEGIN
    # IMMEDIATE already does), so count-then-insert cannot overshoot the limits
    org = lock_org(session, org_id)
    if org is None:
        raise NotFound(f"organization {org_id!r} not found")
    concurrent, daily = limits_for(org, settings)
    since = utcnow() - timedelta(days=1)
    day_times = session.scalars(
        select(Task.created_at)
        .where(Task.org_id == org_id, Task.created_at >= since)
        .order_by(Task.created_at)
    ).all()
    if len(day_times) >= daily:
        oldest = as_utc(day_times[len(day_times) - daily])
        retry = max(1.0, (oldest + timedelta(days=1) - utcnow()).total_seconds())
        raise RateLimited(
            f"Daily task limit reached ({daily} tasks per 24 h for this organization).",
            retry_after=retry,
        )
    task_id = task_id or new_id()
    accounts.reserve(session, org_id, estimated_cost, task_id=task_id, model=model)
    counts = dict(
        session.execute(
            select(Task.status, func.count())
            .where(Task.org_id == org_id, Task.status.in_(ACTIVE))
            .group_by(Task.status)
        ).all()
    )
    busy = counts.get("PENDING", 0) + counts.get("RUNNING", 0)
    status = "THROTTLED" if counts.get("THROTTLED", 0) or busy >= concurrent else "PENDING"
    task = Task(
        id=task_id,
        org_id=org_id,
        api_key_id=api_key_id,
        kind=kind,
        model=model,
        status=status,
        payload=payload,
        estimated_cost=estimated_cost,
        created_at=utcnow(),
    )
    session.add(task)
    session.flush()
    return task


def get_task(session: Session, org_id: str, task_id: str) -> Task:
    task = session.get(Task, task_id, populate_existing=True)
    if task is None or task.org_id != org_id or task.deleted:
        raise NotFound("Task not found.")
    return task


def lock_org(session: Session, org_id: str) -> Organization | None:
    """Take the organization's row lock (PostgreSQL; SQLite's BEGIN IMMEDIATE already holds
    the database) for the rest of the transaction."""
    return session.get(Organization, org_id, with_for_update=True, populate_existing=True)


def files_prefix(task_id: str) -> str:
    """Every file of a task (inputs, outputs) lives under this storage prefix."""
    return f"tasks/{task_id}"


def task_id_of_key(key: str) -> str | None:
    """The task a storage key belongs to (``tasks/<id>/...``), else None."""
    parts = key.strip("/").split("/")
    return parts[1] if len(parts) >= 3 and parts[0] == "tasks" else None


def withdrawn(session: Session, task_id: str) -> bool:
    """True when the task's files must no longer be served: deleted, cancelled or unknown."""
    row = session.execute(select(Task.status, Task.deleted).where(Task.id == task_id)).first()
    return row is None or bool(row[1]) or row[0] == "CANCELLED"


def remove_files(storage: Any, task_id: str) -> bool:
    """Delete a task's files (after its row says deleted/cancelled); False if storage failed,
    in which case the file route still refuses them (``withdrawn``)."""
    try:
        storage.delete(files_prefix(task_id))
    except Exception:  # storage trouble must not turn a DELETE into a 500
        log.exception("could not remove the files of task %s", task_id)
        return False
    return True


def cancel_or_delete(session: Session, org_id: str, task_id: str) -> Task:
    """DELETE semantics: cancel an active task (refund) or delete a finished one (404 after).
    The caller then removes its files (``remove_files``) once the transaction committed."""
    lock_org(session, org_id)  # organization first: the order promote_throttled takes
    task = get_task(session, org_id, task_id)
    if task.status == "CANCELLED":
        raise NotFound("Task not found (already cancelled).")
    if task.status in ACTIVE:
        _finish(session, task, "CANCELLED", cost=0, cancel=True)
    else:
        task.deleted = True
    return task


def _finish(
    session: Session,
    task: Task,
    status: str,
    *,
    cost: int,
    failure: str | None = None,
    failure_code: str | None = None,
    outputs: dict[str, Any] | None = None,
    attempt: int | None = None,
    cancel: bool = False,
) -> bool:
    """Move an active task to a terminal state once; refund what was not charged."""
    cond = [Task.id == task.id, Task.status.in_(ACTIVE)]
    if attempt is not None:
        cond += [Task.status == "RUNNING", Task.attempts == attempt]
    values: dict[str, Any] = dict(
        status=status, cost=cost, failure=failure, failure_code=failure_code, finished_at=utcnow()
    )
    if outputs is not None:
        values.update(outputs=outputs, progress=1.0)
    if cancel:
        values["cancel_requested"] = True
    res = session.execute(
        update(Task).where(*cond).values(**values).execution_options(synchronize_session=False)
    )
    if res.rowcount != 1:  # type: ignore[attr-defined]
        return False
    accounts.refund(
        session, task.org_id, task.estimated_cost - cost, task_id=task.id, model=task.model
    )
    session.refresh(task)
    return True


@dataclass
class Claim:
    task_id: str
    attempt: int
    kind: str
    payload: dict[str, Any]
    model: str = ""


def promote_throttled(session: Session, settings: Settings) -> int:
    """THROTTLED → PENDING, oldest first, while each organization is under its limit.

    Each organization is counted and promoted under its row lock (taken in id order), so two
    dispatchers promoting at once cannot both fill the last slot."""
    org_ids = sorted(
        set(session.scalars(select(Task.org_id).where(Task.status == "THROTTLED")).all())
    )
    moved = 0
    for org_id in org_ids:
        org = lock_org(session, org_id)
        limit = limits_for(org, settings)[0] if org else settings.max_concurrent_tasks
        busy = int(
            session.scalar(
                select(func.count()).where(
                    Task.org_id == org_id, Task.status.in_(("PENDING", "RUNNING"))
                )
            )
            or 0
        )
        if busy >= limit:
            continue
        for task_id in session.scalars(
            select(Task.id)
            .where(Task.org_id == org_id, Task.status == "THROTTLED")
            .order_by(Task.created_at)
            .limit(limit - busy)
        ).all():
            # conditional on the state it leaves: a task cancelled meanwhile stays cancelled
            res = session.execute(
                update(Task)
                .where(Task.id == task_id, Task.status == "THROTTLED")
                .values(status="PENDING")
                .execution_options(synchronize_session=False)
            )
            moved += res.rowcount  # type: ignore[attr-defined]
    return moved


def claim_pending(session: Session, n: int, worker: str) -> list[Claim]:
    """Mark up to ``n`` oldest PENDING tasks RUNNING (attempt + 1) and hand them out."""
    if n <= 0:
        return []
    claims = []
    # SKIP LOCKED: concurrent dispatchers on PostgreSQL take disjoint rows (SQLite ignores it;
    # its write lock serializes claims); the UPDATE below stays conditional either way
    for task in session.scalars(
        select(Task)
        .where(Task.status == "PENDING")
        .order_by(Task.created_at)
        .limit(n)
        .with_for_update(skip_locked=True)
    ).all():
        attempt = task.attempts + 1
        res = session.execute(
            update(Task)
            .where(Task.id == task.id, Task.status == "PENDING")
            .values(
                status="RUNNING",
                attempts=attempt,
                progress=0.0,
                started_at=utcnow(),
                heartbeat_at=utcnow(),
                worker=worker,
            )
            .execution_options(synchronize_session=False)
        )
        if res.rowcount == 1:  # type: ignore[attr-defined]
            claims.append(Claim(task.id, attempt, task.kind, dict(task.payload), task.model))
    return claims


def report_progress(
    session: Session, task_id: str, attempt: int, progress: float, worker: str | None = None
) -> bool:
    """Record progress; False when the task is no longer this attempt's to run (cancelled)."""
    values: dict[str, Any] = dict(progress=max(0.0, min(1.0, progress)), heartbeat_at=utcnow())
    if worker:
        values["worker"] = worker
    res = session.execute(
        update(Task)
        .where(
            Task.id == task_id,
            Task.status == "RUNNING",
            Task.attempts == attempt,
            Task.cancel_requested.is_(False),
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return res.rowcount == 1  # type: ignore[attr-defined]


def succeed(session: Session, task_id: str, attempt: int, outputs: dict[str, Any]) -> bool:
    task = session.get(Task, task_id)
    return task is not None and _finish(
        session, task, "SUCCEEDED", cost=task.estimated_cost, outputs=outputs, attempt=attempt
    )


def fail(
    session: Session, task_id: str, message: str, code: str, attempt: int | None = None
) -> bool:
    task = session.get(Task, task_id)
    return task is not None and _finish(
        session, task, "FAILED", cost=0, failure=message, failure_code=code, attempt=attempt
    )


def requeue_or_fail(
    session: Session,
    task_id: str,
    attempt: int | None,
    settings: Settings,
    reason: str,
    *,
    lease_seconds: float | None = None,
) -> str:
    """A run was interrupted (worker died, server killed): run again, or fail past the limit.

    With ``lease_seconds`` the task is only taken when its lease is (still) expired, so a
    dispatcher never recovers a task whose owner heartbeated in the meantime."""
    task = session.get(Task, task_id, populate_existing=True, with_for_update=True)
    if task is None or task.status != "RUNNING":
        return task.status if task else "MISSING"
    if attempt is not None and task.attempts != attempt:
        return task.status
    if (
        lease_seconds is not None
        and task.heartbeat_at is not None
        and as_utc(task.heartbeat_at) >= utcnow() - timedelta(seconds=lease_seconds)
    ):
        return "RUNNING"
    if task.attempts >= settings.task_max_attempts:
        fail(
            session,
            task_id,
            f"The task was interrupted {task.attempts} times ({reason}); giving up.",
            "INTERNAL",
            attempt=task.attempts,
        )
        return "FAILED"
    session.execute(
        update(Task)
        .where(Task.id == task_id, Task.status == "RUNNING", Task.attempts == task.attempts)
        .values(status="PENDING", progress=0.0, worker=None)
        .execution_options(synchronize_session=False)
    )
    return "PENDING"


def release(session: Session, task_id: str, attempt: int) -> bool:
    """Hand a running task back to the queue without counting the attempt (clean shutdown)."""
    res = session.execute(
        update(Task)
        .where(
            Task.id == task_id,
            Task.status == "RUNNING",
            Task.attempts == attempt,
            Task.cancel_requested.is_(False),
        )
        .values(status="PENDING", attempts=attempt - 1, progress=0.0, worker=None)
        .execution_options(synchronize_session=False)
    )
    return res.rowcount == 1  # type: ignore[attr-defined]


def renew_leases(session: Session, running: dict[str, int]) -> int:
    """Heartbeat the tasks this dispatcher runs (task id -> attempt), keeping their leases."""
    renewed = 0
    for task_id, attempt in running.items():
        res = session.execute(
            update(Task)
            .where(Task.id == task_id, Task.status == "RUNNING", Task.attempts == attempt)
            .values(heartbeat_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        renewed += res.rowcount  # type: ignore[attr-defined]
    return renewed


def expired_leases(session: Session, lease_seconds: float) -> list[tuple[str, int, str | None]]:
    """RUNNING tasks whose heartbeat is older than the lease: their owner is gone."""
    cutoff = utcnow() - timedelta(seconds=lease_seconds)
    rows = session.execute(
        select(Task.id, Task.attempts, Task.worker, Task.heartbeat_at).where(
            Task.status == "RUNNING"
        )
    ).all()
    return [
        (tid, att, worker) for tid, att, worker, hb in rows if hb is None or as_utc(hb) < cutoff
    ]


def is_cancelled(session: Session, task_id: str, attempt: int) -> bool:
    row = session.execute(
        select(Task.status, Task.attempts, Task.cancel_requested).where(Task.id == task_id)
    ).first()
    return row is None or row[0] != "RUNNING" or row[1] != attempt or bool(row[2])
