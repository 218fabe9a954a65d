"""Platform figures: create latency, API latency while two renders run, task turnaround.

Starts ``kinema serve`` on a temporary home and a free port, submits N image_to_video tasks
(gen4_turbo, 960:960, 2 s by default) and polls them, while timing ``GET /v1/tasks/{id}`` and
``GET /v1/organization``. Prints figures; never passes or fails. On a shared 2-core machine the
numbers move with whatever else runs.

    python bench/api_turnaround.py [--tasks 4] [--duration 2] [--ratio 960:960]
"""

from __future__ import annotations

import argparse
import base64
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "api"))
from api_helpers import VERSION, png_bytes  # noqa: E402
from server_proc import Server  # noqa: E402


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] * 1000


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tasks", type=int, default=4)
    ap.add_argument("--duration", type=int, default=2)
    ap.add_argument("--ratio", default="960:960")
    args = ap.parse_args()
    home = Path(tempfile.mkdtemp(prefix="kinema-bench-"))
    srv = Server(home, KINEMA_MAX_CONCURRENT_TASKS="8")
    t0 = time.monotonic()
    srv.start()
    print(f"server start (to /healthz): {time.monotonic() - t0:.2f} s")
    while srv.key is None:
        time.sleep(0.05)
    h = {"Authorization": f"Bearer {srv.key}", **VERSION}
    image = "data:image/png;base64," + base64.b64encode(png_bytes(512, 512)).decode()
    try:
        with httpx.Client(base_url=srv.url, headers=h, timeout=60) as c:
            created, create_ms = {}, []
            for n in range(args.tasks):
                t = time.monotonic()
                r = c.post(
                    "/v1/image_to_video",
                    json={
                        "model": "gen4_turbo",
                        "promptImage": image,
                        "ratio": args.ratio,
                        "duration": args.duration,
                        "promptText": f"slow zoom, take {n}",
                    },
                )
                r.raise_for_status()
                create_ms.append(time.monotonic() - t)
                created[r.json()["id"]] = time.monotonic()
            get_lat, org_lat, first_run, done = [], [], {}, {}
            while len(done) < len(created):
                for tid, start in created.items():
                    if tid in done:
                        continue
                    t = time.monotonic()
                    body = c.get(f"/v1/tasks/{tid}").json()
                    get_lat.append(time.monotonic() - t)
                    if body["status"] == "RUNNING" and tid not in first_run:
                        first_run[tid] = time.monotonic() - start
                    if body["status"] in ("SUCCEEDED", "FAILED", "CANCELLED"):
                        done[tid] = (time.monotonic() - start, body["status"])
                t = time.monotonic()
                c.get("/v1/organization")
                org_lat.append(time.monotonic() - t)
                time.sleep(0.05)
    finally:
        srv.stop()
    video_s = args.tasks * args.duration
    wall = max(d for d, _ in done.values())
    print(
        f"tasks: {args.tasks} x gen4_turbo {args.ratio} {args.duration} s "
        f"({sorted({s for _, s in done.values()})})"
    )
    print(
        f"create (incl. data-URI decode + validation): median "
        f"{statistics.median(create_ms) * 1000:.0f} ms"
    )
    print(
        "created → RUNNING per task (2 workers; later tasks wait for a slot): "
        + ", ".join(f"{v:.1f}" for v in first_run.values())
        + " s"
    )
    print(
        f"turnaround per task: {', '.join(f'{d:.1f}' for d, _ in done.values())} s; "
        f"all done in {wall:.1f} s = {video_s / wall:.2f} s of video per wall second"
    )
    print(
        f"GET /v1/tasks/{{id}} while rendering: p50 {pct(get_lat, 0.5):.1f} ms, "
        f"p95 {pct(get_lat, 0.95):.1f} ms, max {max(get_lat) * 1000:.1f} ms "
        f"({len(get_lat)} requests)"
    )
    print(
        f"GET /v1/organization while rendering: p50 {pct(org_lat, 0.5):.1f} ms, "
        f"p95 {pct(org_lat, 0.95):.1f} ms"
    )


if __name__ == "__main__":
    main()
