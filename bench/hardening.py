"""Hardening figures: peak RSS and the event loop's longest stall while the server refuses the
three heavy inputs of issue #11 (DOCX bomb, image bomb, 1 h of audio), one at a time and eight
at once. The server is the real app under uvicorn, in a thread of this process, with a 5 ms
ticker on its loop; peak RSS is the process's VmHWM, reset before each run. Prints figures
against the goals (loop stall ≤ 50 ms); never passes or fails.

    python bench/hardening.py [--runs 3] [--docx-mib 2048] [--concurrent 8]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "security"))
from sec_attacks import V, attacks, thread_server  # noqa: E402

STALL_GOAL_MS = 50.0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--docx-mib", type=int, default=2048, help="inflated size of the DOCX bomb")
    ap.add_argument("--concurrent", type=int, default=8)
    args = ap.parse_args()

    from kinema.api.app import create_app
    from kinema.config import Settings
    from kinema.platform import accounts, db

    home = Path(tempfile.mkdtemp(prefix="kinema-bench-hardening-"))
    settings = Settings(home=home, workers=1)  # type: ignore[call-arg]
    db.migrate(settings)
    keys = []
    with db.session_scope(settings) as s:
        for i in range(args.concurrent):  # one organization per concurrent caller
            org = accounts.create_org(s, f"org{i}", credits=1000)
            keys.append(accounts.create_key(s, org.id)[1])
    heads = [{"Authorization": f"Bearer {k}", **V} for k in keys]
    print(f"building inputs (DOCX bomb inflating to {args.docx_mib} MiB) ...", flush=True)
    cases = attacks(docx_inflated=args.docx_mib << 20)
    print(f"{'input':44} {'status':>6} {'stall ms (max of runs)':>24} {'peak RSS +MB':>13}")
    with thread_server(create_app(settings, run_tasks=False)) as srv:
        client = httpx.Client(base_url=srv.url, timeout=120)
        client.get("/healthz")
        for attack in cases:
            stalls, rss, codes = [], [], set()
            for _ in range(args.runs):
                r, stall, grown = srv.measure(lambda a=attack: a.send(client, heads[0]))
                stalls.append(stall)
                rss.append(grown)
                codes.add(r.status_code)
            flag = "ok" if max(stalls) <= STALL_GOAL_MS else "OVER GOAL"
            print(
                f"{attack.name:44} {'/'.join(map(str, sorted(codes))):>6} "
                f"{max(stalls):10.1f} (median {statistics.median(stalls):5.1f}) {flag:>6} "
                f"{max(rss):10.1f}"
            )
        n = args.concurrent
        with ThreadPoolExecutor(n) as pool:
            clients = [httpx.Client(base_url=srv.url, timeout=120) for _ in range(n)]
            for attack in cases:

                def burst(a=attack) -> list[int]:
                    futures = [pool.submit(a.send, clients[i], heads[i]) for i in range(n)]
                    return [f.result().status_code for f in futures]

                codes_list, stall, grown = srv.measure(burst)
                flag = "ok" if stall <= STALL_GOAL_MS else "OVER GOAL"
                print(
                    f"{n} x {attack.name:40} {'/'.join(map(str, sorted(set(codes_list)))):>6} "
                    f"{stall:10.1f}{'':17} {flag:>6} {grown:10.1f}"
                )
            for c in clients:
                c.close()
        client.close()


if __name__ == "__main__":
    main()
