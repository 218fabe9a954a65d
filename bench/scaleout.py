"""Scale-out figures: task submit latency (p50/p99) and polls per second against 1 and 3 API
servers (``kinema serve --role api``) and one dispatcher on one PostgreSQL.

Each round starts the nodes on a fresh schema, submits ``--tasks`` text_to_speech tasks
(espeak, the cheapest kind) from ``--clients`` threads spread over the API servers, lets the
dispatcher drain them, then polls ``GET /v1/tasks/{id}`` from the same threads for
``--seconds``. Prints figures; never passes or fails. On a shared 2-core machine the servers
compete with the clients and with each other, so 3 servers cannot show a 3x gain here; the
figures say what one box does, the topology is what carries over to more machines.

    python bench/scaleout.py [--servers 1,3] [--tasks 200] [--clients 8] [--seconds 10]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "scaleout"))
from cluster import SECRET, Node  # noqa: E402

PG = os.environ.get("KINEMA_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
VERSION = {"X-Runway-Version": "2024-11-06"}
BODY = {
    "model": "eleven_multilingual_v2",
    "promptText": "A short line.",
    "voice": {"type": "runway-preset", "presetId": "Maya"},
}


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] * 1000


def run(n_servers: int, n_tasks: int, clients: int, seconds: float) -> dict[str, float]:
    admin = create_engine(PG)
    schema = f"kinema_bench_{uuid.uuid4().hex[:8]}"
    with admin.begin() as conn:
        conn.execute(text(f'create schema "{schema}"'))
    url = f"{PG}?options=-csearch_path%3D{schema}"
    home = Path(tempfile.mkdtemp(prefix="kinema-scaleout-bench-"))
    env = dict(
        KINEMA_DATABASE_URL=url,
        KINEMA_SECRET_KEY=SECRET,
        KINEMA_STORAGE_URL=str(home / "files"),
        KINEMA_TTS="espeak",
        KINEMA_MAX_CONCURRENT_TASKS="4",
        KINEMA_INITIAL_CREDITS="100000",
        KINEMA_WORKER_PREWARM="false",
    )
    apis = [Node(home / f"api{i}", role="api", **env) for i in range(n_servers)]
    nodes = [*apis, Node(home / "disp", role="dispatcher", **env)]
    try:
        apis[0].cli("keys", "list")  # migrate once
        key = apis[0].cli("keys", "create", "--org", "bench").stdout.strip().splitlines()[-1]
        for n in nodes:
            n.spawn()
        for n in nodes:
            n.wait_ready()
        h = {"Authorization": f"Bearer {key}", **VERSION}
        local = threading.local()

        def client(i: int) -> tuple[httpx.Client, str]:
            if not hasattr(local, "c"):
                local.c = httpx.Client(headers=h, timeout=60)
            return local.c, apis[i % len(apis)].url

        def submit(i: int) -> tuple[float, str]:
            c, base = client(i)
            t = time.perf_counter()
            r = c.post(f"{base}/v1/text_to_speech", json=BODY)
            r.raise_for_status()
            return time.perf_counter() - t, r.json()["id"]

        t0 = time.perf_counter()
        with ThreadPoolExecutor(clients) as pool:
            results = list(pool.map(submit, range(n_tasks)))
        submit_s = time.perf_counter() - t0
        ids = [tid for _, tid in results]
        lat = [dt for dt, _ in results]
        engine = create_engine(url)
        drain0 = time.perf_counter()
        while True:
            with engine.connect() as conn:
                left = conn.execute(
                    text(
                        "select count(*) from tasks where status not in "
                        "('SUCCEEDED','FAILED','CANCELLED')"
                    )
                ).scalar()
            if not left:
                break
            time.sleep(0.2)
        drain = time.perf_counter() - drain0
        engine.dispose()

        stop = time.perf_counter() + seconds
        counts = [0] * clients

        def poll(i: int) -> None:
            while time.perf_counter() < stop:
                c, base = client(i + counts[i])
                c.get(f"{base}/v1/tasks/{ids[(i * 7 + counts[i]) % len(ids)]}").raise_for_status()
                counts[i] += 1

        with ThreadPoolExecutor(clients) as pool:
            list(pool.map(poll, range(clients)))
        return {
            "submit_p50_ms": pct(lat, 0.5),
            "submit_p99_ms": pct(lat, 0.99),
            "submits_per_s": n_tasks / submit_s,
            "drain_s": drain,
            "polls_per_s": sum(counts) / seconds,
            "mean_submit_ms": statistics.mean(lat) * 1000,
        }
    finally:
        for n in nodes:
            n.stop()
            n.reap()
        with admin.begin() as conn:
            conn.execute(text(f'drop schema "{schema}" cascade'))
        admin.dispose()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--servers", default="1,3")
    ap.add_argument("--tasks", type=int, default=200)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=10.0)
    args = ap.parse_args()
    print(
        f"{os.cpu_count()} cores; {args.tasks} submits and {args.seconds:.0f} s of polling "
        f"from {args.clients} client threads; 1 dispatcher (2 workers); PostgreSQL on loopback"
    )
    print(
        f"{'api servers':>11} {'submit p50':>11} {'submit p99':>11} {'submits/s':>10} "
        f"{'drain':>7} {'polls/s':>8}"
    )
    for n in (int(x) for x in args.servers.split(",")):
        r = run(n, args.tasks, args.clients, args.seconds)
        print(
            f"{n:>11} {r['submit_p50_ms']:>8.1f} ms {r['submit_p99_ms']:>8.1f} ms "
            f"{r['submits_per_s']:>10.1f} {r['drain_s']:>5.1f} s {r['polls_per_s']:>8.0f}"
        )


if __name__ == "__main__":
    main()
