"""Task transitions as database operations: limits, throttling, credits, fencing, recovery."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from kinema.errors import InsufficientCredits, NotFound, RateLimited
from kinema.platform import accounts, db, tasks
from kinema.platform.models import Organization, Task


def create(settings, org, cost=50, **kw):
    with db.session_scope(settings) as s:
        return tasks.create_task(
            s,
            org_id=org.org_id,
            kind="k",
            model="gen4_turbo",
            payload={},
            estimated_cost=cost,
            settings=settings,
            **kw,
        )


def balance(settings, org):
    with db.session_scope(settings) as s:
        return accounts.balance_of(s, org.org_id)


def status(settings, task_id):
    with db.session_scope(settings) as s:
        return s.get(Task, task_id).status


def test_create_reserves_and_throttles_fifo(settings, org):
    made = [create(settings, org) for _ in range(4)]
    assert [t.status for t in made] == ["PENDING", "PENDING", "THROTTLED", "THROTTLED"]
    assert balance(settings, org) == 1000 - 4 * 50
    with db.session_scope(settings) as s:
        claims = tasks.claim_pending(s, 5, "w")
    assert [c.task_id for c in claims] == [made[0].id, made[1].id]
    with db.session_scope(settings) as s:
        assert tasks.succeed(s, made[0].id, 1, {"files": []})
        assert tasks.promote_throttled(s, settings) == 1
    assert status(settings, made[2].id) == "PENDING"
    assert status(settings, made[3].id) == "THROTTLED"
    assert balance(settings, org) == 1000 - 4 * 50  # success charges what was reserved


def test_insufficient_credits_creates_nothing(settings, org):
    with pytest.raises(InsufficientCredits):
        create(settings, org, cost=1001)
    assert balance(settings, org) == 1000


def test_daily_limit_is_429_with_retry_after(settings, org):
    with db.session_scope(settings) as s:
        s.execute(update(Organization).values(max_daily_tasks=2))
    create(settings, org, cost=1)
    create(settings, org, cost=1)
    with pytest.raises(RateLimited) as err:
        create(settings, org, cost=1)
    assert 3600 * 23 < err.value.retry_after <= 86400
    with db.session_scope(settings) as s:  # tasks older than a day no longer count
        s.execute(update(Task).values(created_at=Task.created_at - timedelta(days=1, seconds=5)))
    create(settings, org, cost=1)


def test_cancel_refunds_and_failure_refunds(settings, org):
    a, b = create(settings, org), create(settings, org)
    with db.session_scope(settings) as s:
        tasks.cancel_or_delete(s, org.org_id, a.id)
        claims = tasks.claim_pending(s, 1, "w")
    assert [c.task_id for c in claims] == [b.id]
    with db.session_scope(settings) as s:
        assert tasks.fail(s, b.id, "bad", "ASSET.INVALID", attempt=1)
        assert not tasks.succeed(s, b.id, 1, {"files": []})  # already terminal
    assert balance(settings, org) == 1000
    with db.session_scope(settings) as s:
        t = s.get(Task, b.id)
        assert (t.status, t.cost, t.failure_code) == ("FAILED", 0, "ASSET.INVALID")
        with pytest.raises(NotFound):
            tasks.cancel_or_delete(s, org.org_id, a.id)  # already cancelled
        tasks.cancel_or_delete(s, org.org_id, b.id)  # delete a finished task
    with db.session_scope(settings) as s, pytest.raises(NotFound):
        tasks.get_task(s, org.org_id, b.id)


def test_stale_attempt_cannot_finish_and_requeue_limit(settings, org):
    t = create(settings, org)
    with db.session_scope(settings) as s:
        tasks.claim_pending(s, 1, "w")
    with db.session_scope(settings) as s:
        assert tasks.requeue_or_fail(s, t.id, 1, settings, "crash") == "PENDING"
    with db.session_scope(settings) as s:
        (claim,) = tasks.claim_pending(s, 1, "w")
        assert claim.attempt == 2
        assert not tasks.succeed(s, t.id, 1, {"files": []})  # attempt 1 is stale
        assert not tasks.report_progress(s, t.id, 1, 0.5)
        assert tasks.report_progress(s, t.id, 2, 0.5)
    with db.session_scope(settings) as s:
        assert tasks.requeue_or_fail(s, t.id, 2, settings, "crash") == "FAILED"
        row = s.get(Task, t.id)
        assert row.failure_code == "INTERNAL" and "interrupted 2 times" in row.failure
    assert balance(settings, org) == 1000


def test_other_org_cannot_see_task(settings, org):
    t = create(settings, org)
    with db.session_scope(settings) as s:
        other = accounts.create_org(s, "other", credits=0)
    with db.session_scope(settings) as s, pytest.raises(NotFound):
        tasks.get_task(s, other.id, t.id)
