"""The dispatcher and the local executor with real spawned worker processes."""

from __future__ import annotations

import os
import time

import pytest
from platform_helpers import make_settings

from kinema.platform import accounts, db, tasks
from kinema.platform.jobs.dispatcher import Dispatcher
from kinema.platform.jobs.registry import TASK_KINDS, register_task_kind
from kinema.platform.models import Task
from kinema.platform.storage import get_storage

for name in ("steps", "stubborn", "crash", "bad_input", "boom"):
    register_task_kind(f"test.{name}", f"kinds_for_tests:{name}")


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    """One database and one dispatcher (two worker processes) for the tests below: spawning
    workers costs seconds on a busy machine. Each test gets its own organization."""
    settings = make_settings(tmp_path_factory.mktemp("dispatch") / "home")
    db.migrate(settings)
    d = Dispatcher(settings, interval=0.05)
    d.start()
    yield settings, d
    d.stop()


@pytest.fixture
def dispatcher(shared):
    return shared[1]


@pytest.fixture
def shared_org(shared, request):
    settings = shared[0]
    with db.session_scope(settings) as s:
        row = accounts.create_org(s, request.node.name[:60], credits=1000)
        return accounts.Caller(org_id=row.id, org_name=row.name, key_id="")


def submit(settings, org, kind, payload=None, cost=10):
    with db.session_scope(settings) as s:
        return tasks.create_task(
            s,
            org_id=org.org_id,
            kind=kind,
            model="gen4_turbo",
            payload=payload or {},
            estimated_cost=cost,
            settings=settings,
        ).id


def wait_for(settings, task_id, states, timeout=30.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        with db.session_scope(settings) as s:
            t = s.get(Task, task_id)
            if t.status in states:
                return t
        time.sleep(0.05)
    raise AssertionError(f"task {task_id} stuck in {t.status}")


def test_task_runs_reports_progress_and_stores_output(shared, shared_org, dispatcher):
    settings, org = shared[0], shared_org
    tid = submit(settings, org, "test.steps", {"n": 20, "dt": 0.1, "text": "hi"})
    running = wait_for(settings, tid, {"RUNNING"})
    assert running.attempts == 1
    seen = set()
    end = time.monotonic() + 30
    while time.monotonic() < end:
        with db.session_scope(settings) as s:
            t = s.get(Task, tid)
        if t.status == "SUCCEEDED":
            break
        seen.add(round(t.progress, 2))
        time.sleep(0.05)
    assert t.status == "SUCCEEDED" and t.cost == 10 and t.progress == 1.0
    assert len({p for p in seen if 0 < p < 1}) >= 2  # progress moved while it ran
    (key,) = t.outputs["files"]
    assert get_storage(settings).get_bytes(key) == b"hi attempt=1"
    assert t.outputs["extra"] == {"steps": 20}


def test_cancel_stops_a_running_task_within_a_second(shared, shared_org, dispatcher):
    settings, org = shared[0], shared_org
    tid = submit(settings, org, "test.steps", {"n": 400, "dt": 0.05})
    wait_for(settings, tid, {"RUNNING"})
    time.sleep(0.5)
    with db.session_scope(settings) as s:
        tasks.cancel_or_delete(s, org.org_id, tid)
    dispatcher.wake()
    t0 = time.monotonic()
    while tid in dispatcher.executor.running() and time.monotonic() - t0 < 5:
        time.sleep(0.02)
    assert time.monotonic() - t0 < 1.0
    with db.session_scope(settings) as s:
        assert s.get(Task, tid).status == "CANCELLED"
        assert accounts.balance_of(s, org.org_id) == 1000


def test_a_worker_that_ignores_cancel_is_killed(shared, shared_org, dispatcher, tmp_path):
    settings, org = shared[0], shared_org
    marker = tmp_path / "pid"
    tid = submit(settings, org, "test.stubborn", {"marker": str(marker)})
    end = time.monotonic() + 30
    while not marker.exists() and time.monotonic() < end:
        time.sleep(0.05)
    pid = int(marker.read_text())
    with db.session_scope(settings) as s:
        tasks.cancel_or_delete(s, org.org_id, tid)
    dispatcher.wake()
    t0 = time.monotonic()
    while time.monotonic() - t0 < 5:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    assert time.monotonic() - t0 < 2.5, "stubborn worker still alive"


def test_crashing_worker_is_retried_then_failed(shared, shared_org, dispatcher):
    settings, org = shared[0], shared_org
    tid = submit(settings, org, "test.crash")
    t = wait_for(settings, tid, {"FAILED"}, timeout=60)
    assert t.attempts == settings.task_max_attempts == 2
    assert t.failure_code == "INTERNAL" and "exited with code 3" in t.failure


def test_engine_errors_map_to_failure_codes(shared, shared_org, dispatcher):
    settings, org = shared[0], shared_org
    bad = submit(settings, org, "test.bad_input")
    bug = submit(settings, org, "test.boom")
    t1 = wait_for(settings, bad, {"FAILED"})
    t2 = wait_for(settings, bug, {"FAILED"})
    assert t1.failure_code == "ASSET.INVALID" and "could not use this image" in t1.failure
    assert t2.failure_code == "INTERNAL" and "RuntimeError" in t2.failure
    with db.session_scope(settings) as s:
        assert accounts.balance_of(s, org.org_id) == 1000


def test_recover_requeues_interrupted_tasks(settings, org):
    tid = submit(settings, org, "test.steps", {"n": 2, "dt": 0.01})
    gone = submit(settings, org, "test.steps")
    with db.session_scope(settings) as s:
        tasks.claim_pending(s, 2, "elsewhere:1")
        s.get(Task, gone).attempts = settings.task_max_attempts
    d = Dispatcher(settings, interval=0.05)
    assert d.recover() == []  # live leases belong to another server: untouched
    assert sorted(d.recover(lease=0.0)) == ["FAILED", "PENDING"]  # expired: recovered
    d.start()
    try:
        t = wait_for(settings, tid, {"SUCCEEDED"})
        assert t.attempts == 2
    finally:
        d.stop()
    assert "test.steps" in TASK_KINDS


def test_clean_stop_hands_running_tasks_back(settings, org):
    d = Dispatcher(settings, interval=0.05)
    d.start()
    try:
        tid = submit(settings, org, "test.steps", {"n": 400, "dt": 0.05})
        wait_for(settings, tid, {"RUNNING"})
    finally:
        d.stop()
    with db.session_scope(settings) as s:
        t = s.get(Task, tid)
        assert (t.status, t.attempts) == ("PENDING", 0)
