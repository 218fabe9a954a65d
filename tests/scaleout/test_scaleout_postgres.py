"""Races that only PostgreSQL shows (SQLite's one write lock hides them): cancel vs promote,
concurrent creators against the daily and concurrency limits, concurrent promoters, servers
migrating one empty schema at once, and pooled connections that survive a dropped backend."""

from __future__ import annotations

import random
import subprocess
import sys
import threading
import time

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import func, select, text

from kinema.config import Settings
from kinema.errors import RateLimited
from kinema.platform import accounts, db, tasks
from kinema.platform.models import CreditEntry, Organization, Task

pytestmark = pytest.mark.services


def _settings(pg_settings: Settings, **kw: object) -> Settings:
    return pg_settings.model_copy(update={"db_pool_size": 24, **kw})


def _org(settings: Settings, name: str, credits: int = 10_000, **limits: int) -> str:
    with db.session_scope(settings) as s:
        org = accounts.create_org(s, name, credits=credits)
        for k, v in limits.items():
            setattr(org, k, v)
        return org.id


def _create(settings: Settings, org_id: str, cost: int = 7) -> str:
    with db.session_scope(settings) as s:
        return tasks.create_task(
            s,
            org_id=org_id,
            kind="generation",
            model="gen4_turbo",
            payload={},
            estimated_cost=cost,
            settings=settings,
        ).id


def _together(n: int, fn) -> list:  # noqa: ANN001
    """Run ``fn(i)`` in ``n`` threads released at once; re-raise the first error."""
    barrier = threading.Barrier(n)
    results: list = [None] * n
    errors: list[BaseException] = []

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = fn(i)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    if errors:
        raise errors[0]
    return results


def _ledger_holds(settings: Settings, org_id: str, grant: int) -> None:
    """Balance = grant − Σ cost of SUCCEEDED − Σ estimate still reserved by active tasks; per
    task one reserve, and refunds = estimate − cost once it ended."""
    with db.session_scope(settings) as s:
        balance = accounts.balance_of(s, org_id)
        rows = s.execute(
            select(Task.id, Task.status, Task.estimated_cost, Task.cost).where(
                Task.org_id == org_id
            )
        ).all()
        entries = s.execute(
            select(CreditEntry.task_id, CreditEntry.reason, CreditEntry.amount).where(
                CreditEntry.org_id == org_id, CreditEntry.task_id.is_not(None)
            )
        ).all()
    spent = sum(cost or 0 for _, status, _, cost in rows if status == "SUCCEEDED")
    held = sum(estimate for _, status, estimate, _ in rows if status in tasks.ACTIVE)
    assert balance == grant - spent - held
    for tid, status, estimate, cost in rows:
        mine = [(reason, amount) for t, reason, amount in entries if t == tid]
        assert [a for r, a in mine if r == "reserve"] == [-estimate]
        refunded = sum(a for r, a in mine if r == "refund")
        assert refunded == (estimate - (cost or 0) if status in tasks.TERMINAL else 0), tid


def test_cancel_never_loses_to_promote(pg_settings):
    """Cancels of THROTTLED tasks race promoters, a claimer and a finisher: a cancelled task
    stays cancelled (never runs, never charged), nothing deadlocks, the ledger is exact."""
    settings = _settings(pg_settings)
    org_id = _org(settings, "race", credits=10_000, max_concurrent_tasks=1)
    ids = [_create(settings, org_id) for _ in range(40)]
    with db.session_scope(settings) as s:
        statuses = dict(s.execute(select(Task.id, Task.status)).all())
    assert statuses[ids[0]] == "PENDING" and {statuses[i] for i in ids[1:]} == {"THROTTLED"}
    cancelled: set[str] = set()
    stop = threading.Event()
    rng = random.Random(7)
    victims = ids[1:]
    rng.shuffle(victims)
    victims = victims[:25]

    def canceller(_: int) -> None:
        for tid in victims:
            with db.session_scope(settings) as s:
                if tasks.cancel_or_delete(s, org_id, tid).status == "CANCELLED":
                    cancelled.add(tid)
            time.sleep(rng.random() * 0.004)

    def promoter(_: int) -> None:
        while not stop.is_set():
            with db.session_scope(settings) as s:
                tasks.promote_throttled(s, settings)

    def runner(_: int) -> None:  # claims and finishes whatever gets PENDING
        while not stop.is_set():
            with db.session_scope(settings) as s:
                claims = tasks.claim_pending(s, 1, "runner")
            for c in claims:
                with db.session_scope(settings) as s:
                    tasks.succeed(s, c.task_id, c.attempt, {"files": []})

    def role(i: int) -> None:
        try:
            (canceller if i == 0 else promoter if i < 3 else runner)(i)
        finally:
            if i == 0:
                time.sleep(0.3)
                stop.set()

    _together(5, role)
    while True:  # drain: everything not cancelled runs to the end
        with db.session_scope(settings) as s:
            tasks.promote_throttled(s, settings)
            claims = tasks.claim_pending(s, 5, "drain")
        for c in claims:
            with db.session_scope(settings) as s:
                tasks.succeed(s, c.task_id, c.attempt, {"files": []})
        if not claims:
            break
    with db.session_scope(settings) as s:
        final = {t: (st, c) for t, st, c in s.execute(select(Task.id, Task.status, Task.cost))}
    assert len(cancelled) >= 10  # most cancels landed while the task still waited
    assert {final[t] for t in cancelled} == {("CANCELLED", 0)}  # never resurrected, not charged
    # the rest ran once (a cancel that came after the finish deleted the task instead)
    assert all(final[t] == ("SUCCEEDED", 7) for t in ids if t not in cancelled)
    _ledger_holds(settings, org_id, 10_000)


def test_concurrent_creators_cannot_overshoot_the_daily_limit(pg_settings):
    settings = _settings(pg_settings)
    org_id = _org(settings, "daily", max_daily_tasks=3, max_concurrent_tasks=50)

    def create(_: int) -> str:
        try:
            return _create(settings, org_id)
        except RateLimited:
            return "429"

    results = _together(12, create)
    assert results.count("429") == 9
    with db.session_scope(settings) as s:
        assert s.scalar(select(func.count()).select_from(Task)) == 3
    _ledger_holds(settings, org_id, 10_000)


def test_concurrency_limit_holds_under_concurrent_creators_and_promoters(pg_settings):
    settings = _settings(pg_settings)
    org_id = _org(settings, "busy", max_concurrent_tasks=2)
    _together(16, lambda _: _create(settings, org_id))
    with db.session_scope(settings) as s:
        counts = dict(s.execute(select(Task.status, func.count()).group_by(Task.status)).all())
    assert counts == {"PENDING": 2, "THROTTLED": 14}

    worst = [0]
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            with db.session_scope(settings) as s:
                n = s.scalar(
                    select(func.count()).where(
                        Task.org_id == org_id, Task.status.in_(("PENDING", "RUNNING"))
                    )
                )
            worst[0] = max(worst[0], int(n or 0))

    sampler = threading.Thread(target=sample)
    sampler.start()

    def worker(i: int) -> int:  # three "dispatchers": promote, claim, finish, repeat
        done = 0
        idle = 0
        while idle < 20:
            with db.session_scope(settings) as s:
                tasks.promote_throttled(s, settings)
                claims = tasks.claim_pending(s, 1, f"d{i}")
            idle = 0 if claims else idle + 1
            for c in claims:
                with db.session_scope(settings) as s:
                    tasks.succeed(s, c.task_id, c.attempt, {"files": []})
                done += 1
        return done

    try:
        assert sum(_together(3, worker)) == 16
    finally:
        stop.set()
        sampler.join()
    assert 1 <= worst[0] <= 2
    with db.session_scope(settings) as s:
        assert s.scalar(select(func.count()).where(Task.status == "SUCCEEDED")) == 16
    _ledger_holds(settings, org_id, 10_000)


MIGRATE = """
import sys
from kinema.config import Settings
from kinema.platform import db
db.migrate(Settings(database_url=sys.argv[1], home=sys.argv[2]))
print("migrated")
"""


def test_servers_migrating_an_empty_schema_at_once(pg_url, tmp_path):
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", MIGRATE, pg_url, str(tmp_path / f"h{i}")],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for i in range(3)
    ]
    outs = [p.communicate(timeout=120)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], outs
    settings = Settings(database_url=pg_url, home=tmp_path / "h0")  # type: ignore[call-arg]
    with db.get_engine(settings).connect() as conn:
        applied = set(conn.execute(text("select version_num from alembic_version")).scalars())
        passages = conn.execute(text("select to_regclass('kinema_passages')")).scalar()
        nodes = conn.execute(text("select to_regclass('nodes')")).scalar()
    heads = ScriptDirectory.from_config(db.alembic_config(pg_url)).get_heads()
    assert applied == set(heads)
    assert passages == "kinema_passages" and nodes == "nodes"  # knowledge table by Alembic


def test_pooled_connections_survive_dropped_backends(pg_settings):
    from kinema.knowledge.chunk import Chunk
    from kinema.knowledge.postgres import PostgresIndex

    settings = pg_settings
    org_id = _org(settings, "pool")
    index = PostgresIndex(settings.resolved_database_url)  # the Alembic-made table
    try:
        index.add(org_id, "d1", "Guide", [Chunk("The lighthouse opens at nine.", "Hours", 0)])
        assert index.search(org_id, "lighthouse")[0].doc_id == "d1"
        with db.session_scope(settings) as s:  # warm both pools, then kill every backend
            s.execute(select(Organization.id)).all()
        index.search(org_id, "lighthouse")
        admin = db.make_engine(settings.resolved_database_url)
        with admin.connect() as conn:  # only this test's own backends (by application_name)
            killed = conn.execute(
                text(
                    "select count(pg_terminate_backend(pid)) from pg_stat_activity "
                    "where application_name = current_setting('application_name') "
                    "and pid <> pg_backend_pid()"
                )
            ).scalar()
        admin.dispose()
        assert killed >= 2
        with db.session_scope(settings) as s:  # pre-ping notices and reconnects
            assert accounts.balance_of(s, org_id) == 10_000
        assert index.search(org_id, "lighthouse")[0].doc_id == "d1"
    finally:
        index.close()
