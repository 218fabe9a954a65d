"""Chaos: 3 API servers and 2 dispatchers, real ``kinema serve`` processes on one PostgreSQL.

220 text_to_speech tasks (the cheapest kind: espeak, 1 credit) are submitted across the API
servers by two organizations whose daily limit is 100 and concurrency limit 3. Meanwhile one
dispatcher is SIGKILLed twice (each time while its workers run tasks) and everything else is
restarted one node at a time. Checked: every task ends, none leaves a terminal state or
succeeds twice (a trigger logs every status change), the limits hold (exactly 100 accepted per
organization; a sampler never sees more than 3 active), the API keeps answering, and each
organization's balance is its grant minus its succeeded tasks' costs, entry by entry.
"""

from __future__ import annotations

import itertools
import random
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from cluster import SECRET, Node
from sqlalchemy import create_engine, text

pytestmark = [pytest.mark.services, pytest.mark.slow, pytest.mark.timeout(300)]

VERSION = {"X-Runway-Version": "2024-11-06"}
PER_ORG, DAILY, CONCURRENT, GRANT = 110, 100, 3, 1000
SUBMIT_RATE = 4.0  # submissions per second: slower than the cluster drains, so work never runs out
HELD_BACK = 60
TERMINAL = {"SUCCEEDED", "FAILED", "CANCELLED"}

AUDIT = """
CREATE TABLE status_log (
    seq bigserial PRIMARY KEY, task_id text, org_id text, old text, new text, attempts int,
    at timestamptz DEFAULT clock_timestamp()
);
CREATE FUNCTION log_status() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO status_log (task_id, org_id, old, new, attempts)
        VALUES (NEW.id, NEW.org_id, NULL, NEW.status, NEW.attempts);
    ELSIF NEW.status IS DISTINCT FROM OLD.status THEN
        INSERT INTO status_log (task_id, org_id, old, new, attempts)
        VALUES (NEW.id, NEW.org_id, OLD.status, NEW.status, NEW.attempts);
    END IF;
    RETURN NEW;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER tasks_status_log AFTER INSERT OR UPDATE ON tasks
    FOR EACH ROW EXECUTE FUNCTION log_status();
"""


def children(pid: int) -> set[int]:
    out = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.add(int(stat.parent.name))
    return out


def test_chaos_three_api_servers_two_dispatchers(pg_url, tmp_path):
    engine = create_engine(pg_url)
    env = dict(
        KINEMA_DATABASE_URL=pg_url,
        KINEMA_SECRET_KEY=SECRET,
        KINEMA_STORAGE_URL=str(tmp_path / "files"),
        KINEMA_TTS="espeak",
        KINEMA_INITIAL_CREDITS=str(GRANT),
        KINEMA_MAX_DAILY_TASKS=str(DAILY),
        KINEMA_MAX_CONCURRENT_TASKS=str(CONCURRENT),
        KINEMA_TASK_LEASE_SECONDS="3",
        KINEMA_TASK_MAX_ATTEMPTS="3",
        KINEMA_NODE_LEASE_SECONDS="3",
        KINEMA_WORKERS="2",
        KINEMA_WORKER_PREWARM="false",
    )
    apis = [Node(tmp_path / f"api{i}", role="api", **env) for i in range(3)]
    disps = [Node(tmp_path / f"disp{i}", role="dispatcher", **env) for i in range(2)]
    everyone = apis + disps
    first = apis[0]
    first.cli("keys", "list")  # migrates the empty schema
    with engine.begin() as conn:
        conn.execute(text(AUDIT))
    keys = {
        org: first.cli("keys", "create", "--org", org).stdout.strip().splitlines()[-1]
        for org in ("alpha", "beta")
    }
    stop = threading.Event()
    worst: Counter[str] = Counter()
    api_errors: list[str] = []

    def sample() -> None:  # the concurrency limit, as the database sees it
        with engine.connect() as conn:
            while not stop.is_set():
                rows = conn.execute(
                    text(
                        "select org_id, count(*) from tasks where status in "
                        "('PENDING', 'RUNNING') group by org_id"
                    )
                ).all()
                conn.commit()
                for org, n in rows:
                    worst[org] = max(worst[org], n)
                time.sleep(0.05)

    def call(method: str, path: str, key: str, **kw) -> httpx.Response:
        """A client that fails over: a node that refuses the connection is skipped."""
        h = {"Authorization": f"Bearer {key}", **VERSION}
        order = random.sample(apis, len(apis))
        for _ in range(40):
            for node in order:
                try:
                    return httpx.request(method, node.url + path, headers=h, timeout=30, **kw)
                except httpx.ConnectError:
                    continue
            time.sleep(0.25)
        api_errors.append(f"{method} {path}: no API server answered")
        raise AssertionError(api_errors[-1])

    def submit(args: tuple[str, int]) -> tuple[str, int, str | None]:
        org, n = args
        body = {
            "model": "eleven_multilingual_v2",
            "promptText": f"Chaos take {n}.",
            "voice": {"type": "runway-preset", "presetId": "Maya"},
        }
        r = call("POST", "/v1/text_to_speech", keys[org], json=body)
        return org, r.status_code, r.json().get("id") if r.status_code == 200 else None

    def poll() -> None:  # API availability during the restarts
        while not stop.is_set():
            call("GET", "/v1/organization", keys["alpha"])
            time.sleep(0.1)

    def done_count() -> tuple[int, int]:
        with engine.connect() as conn:
            total, ended = conn.execute(
                text(
                    "select count(*), count(*) filter (where status in "
                    "('SUCCEEDED', 'FAILED', 'CANCELLED')) from tasks"
                )
            ).one()
        return total, ended

    def kill_busy(node: Node) -> int:
        """SIGKILL ``node`` once one of its worker processes is running a task."""
        assert node.proc is not None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            workers = children(node.proc.pid) | {node.proc.pid}
            with engine.connect() as conn:
                running = conn.execute(
                    text("select worker from tasks where status = 'RUNNING'")
                ).scalars()
                mine = [w for w in running if w and int(w.rsplit(":", 1)[1]) in workers]
            if mine:
                node.kill()
                return len(mine)
            time.sleep(0.02)
        raise AssertionError(f"the dispatcher never ran a task ({done_count()} done)")

    t0 = time.monotonic()
    sampler = threading.Thread(target=sample, daemon=True)
    poller = threading.Thread(target=poll, daemon=True)
    try:
        for n in everyone:
            n.spawn()
        for n in everyone:
            n.wait_ready()
        started = time.monotonic() - t0
        sampler.start()
        poller.start()
        jobs = [(org, n) for n in range(PER_ORG) for org in ("alpha", "beta")]
        submitted: list[tuple[str, int, str | None]] = []

        rolled = threading.Event()  # the last HELD_BACK jobs wait for the rolling restart, so
        # the second kill finds work however slow the machine is

        def paced(job: tuple[str, int]) -> tuple[str, int, str | None]:
            i = jobs.index(job)
            if i >= len(jobs) - HELD_BACK:
                rolled.wait(240)
                wait = (i - len(jobs) + HELD_BACK) / SUBMIT_RATE - (time.monotonic() - t_rolled[0])
            else:
                wait = i / SUBMIT_RATE - (time.monotonic() - t_submit)
            time.sleep(max(0.0, wait))
            return submit(job)

        t_rolled = [0.0]

        t_submit = time.monotonic()
        pool = ThreadPoolExecutor(6)  # submissions go on through the kills and restarts
        futures = [pool.submit(paced, job) for job in jobs]

        marks = {"up": started}
        victim = disps[0]
        while done_count()[1] < 20:
            time.sleep(0.05)
        killed = [kill_busy(victim)]  # 1st SIGKILL, with tasks under way
        marks["kill1"] = time.monotonic() - t0
        victim.start()
        for node in [*apis, disps[1]]:  # rolling restart of all the others
            node.stop()
            node.start()
        marks["rolled"] = time.monotonic() - t0
        t_rolled[0] = time.monotonic()
        rolled.set()
        killed.append(kill_busy(victim))  # 2nd SIGKILL
        marks["kill2"] = time.monotonic() - t0
        victim.start()
        submitted = [f.result() for f in futures]
        pool.shutdown()
        marks["submitted"] = time.monotonic() - t0
        deadline = time.monotonic() + 120
        while done_count()[1] < done_count()[0] and time.monotonic() < deadline:
            time.sleep(0.2)
        elapsed = time.monotonic() - t0
        stop.set()
        poller.join(30)
        marks["done"] = elapsed
        sampler.join(5)

        # -- the limits ----------------------------------------------------------------------
        by_org = Counter((org, status) for org, status, _ in submitted)
        for org in ("alpha", "beta"):
            assert by_org[(org, 200)] == DAILY and by_org[(org, 429)] == PER_ORG - DAILY, by_org
        assert set(worst.values()) and max(worst.values()) <= CONCURRENT, worst
        ids = {tid for _, status, tid in submitted if status == 200}
        assert len(ids) == 2 * DAILY

        # -- every task ended, once ----------------------------------------------------------
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "select id, org_id, status, cost, estimated_cost, attempts, outputs from tasks"
                )
            ).all()
            log = conn.execute(text("select task_id, old, new from status_log order by seq")).all()
            ledger = conn.execute(
                text("select task_id, reason, amount from credit_entries where task_id is not null")
            ).all()
            orgs = dict(conn.execute(text("select name, id from organizations")).all())
            balances = dict(
                conn.execute(text("select id, credit_balance from organizations")).all()
            )
        assert {r.id for r in rows} == ids
        statuses = Counter(r.status for r in rows)
        assert set(statuses) <= TERMINAL, statuses
        assert not [e for e in log if e.old in TERMINAL], "a task left a terminal state"
        succeeded_events = Counter(e.task_id for e in log if e.new == "SUCCEEDED")
        assert max(succeeded_events.values()) == 1  # no task succeeded (produced output) twice
        assert sum(succeeded_events.values()) == statuses["SUCCEEDED"] >= 150
        for r in rows:
            if r.status == "SUCCEEDED":
                (key,) = r.outputs["files"]
                files = list((tmp_path / "files" / "tasks" / r.id).iterdir())
                assert [f.name for f in files] == [Path(key).name]
                assert files[0].read_bytes()[:4] == b"RIFF"
        assert sum(killed) >= 2 and any(r.attempts >= 2 for r in rows)  # kills hit running work

        # -- credits: grant − Σ succeeded costs, per task one reserve and one settlement -------
        entries: dict[str, list[tuple[str, int]]] = {}
        for tid, reason, amount in ledger:
            entries.setdefault(tid, []).append((reason, amount))
        for r in rows:
            reserves = [a for k, a in entries[r.id] if k == "reserve"]
            refunds = [a for k, a in entries[r.id] if k == "refund"]
            assert reserves == [-r.estimated_cost]
            assert sum(refunds) == r.estimated_cost - (r.cost or 0) and len(refunds) <= 1
        for name, key in keys.items():
            spent = sum(r.cost for r in rows if r.org_id == orgs[name] and r.status == "SUCCEEDED")
            assert balances[orgs[name]] == GRANT - spent
            api_view = call("GET", "/v1/organization", key).json()["creditBalance"]
            assert api_view == GRANT - spent
        sample_ids = random.sample(sorted(ids), 10)
        for tid, key in zip(sample_ids, itertools.cycle(keys.values()), strict=False):
            t = call("GET", f"/v1/tasks/{tid}", key)
            assert t.status_code in (200, 404)  # 404: the other organization's task
        assert not api_errors
        print(
            f"\nchaos: {len(ids)} tasks {dict(statuses)} in {elapsed:.0f} s "
            f"(cluster up in {started:.1f} s), kills hit {killed} running task(s), "
            f"max active per org {dict(worst)}, retried {sum(r.attempts > 1 for r in rows)}, "
            f"phases {marks}"
        )
    finally:
        stop.set()
        if "rolled" in locals():
            rolled.set()
        for n in everyone:
            n.stop(timeout=10)
            n.reap()
        engine.dispose()
