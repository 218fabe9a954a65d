"""Kill ``kinema serve`` with SIGKILL mid-render, restart it: nothing is lost, credits exact."""

from __future__ import annotations

import base64
import sqlite3
import time

import httpx
import pytest
from api_helpers import VERSION, png_bytes
from server_proc import Server

pytestmark = pytest.mark.slow

TERMINAL = {"SUCCEEDED", "FAILED", "CANCELLED"}


def test_sigkill_mid_render_then_restart(tmp_path):
    home = tmp_path / "home"
    srv = Server(home, KINEMA_INITIAL_CREDITS="500")
    keys = {
        org: srv.cli("keys", "create", "--org", org).strip().splitlines()[-1]
        for org in ("alpha", "beta")
    }
    image = "data:image/png;base64," + base64.b64encode(png_bytes(256, 256)).decode()
    srv.start()
    ids: dict[str, list[str]] = {"alpha": [], "beta": []}
    try:
        for org, key in keys.items():
            h = {"Authorization": f"Bearer {key}", **VERSION}
            for n in range(2):
                r = httpx.post(
                    f"{srv.url}/v1/image_to_video",
                    headers=h,
                    timeout=30,
                    json={
                        "model": "gen4_turbo",
                        "promptImage": image,
                        "ratio": "832:1104",
                        "duration": 3 + n,
                        "promptText": f"take {n}",
                    },
                )
                assert r.status_code == 200, r.text
                ids[org].append(r.json()["id"])
        h = {"Authorization": f"Bearer {keys['alpha']}", **VERSION}
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # kill while a render is under way
            t = httpx.get(f"{srv.url}/v1/tasks/{ids['alpha'][0]}", headers=h).json()
            if t["status"] == "RUNNING" and t["progress"] > 0.1:
                break
            time.sleep(0.1)
        assert t["status"] == "RUNNING"
        srv.kill()
        with sqlite3.connect(home / "kinema.db") as db:
            interrupted = {
                r[0] for r in db.execute("select id from tasks where status = 'RUNNING'")
            }
        assert interrupted
        srv.start()
        results: dict[str, dict] = {}
        deadline = time.monotonic() + 240
        pending = [(org, tid) for org in ids for tid in ids[org]]
        while pending and time.monotonic() < deadline:
            org, tid = pending.pop(0)
            h = {"Authorization": f"Bearer {keys[org]}", **VERSION}
            t = httpx.get(f"{srv.url}/v1/tasks/{tid}", headers=h).json()
            if t["status"] in TERMINAL:
                results[tid] = t
            else:
                pending.append((org, tid))
                time.sleep(0.2)
        assert not pending, f"not finished: {pending}"
        assert all(results[t]["status"] == "SUCCEEDED" for t in interrupted)
        with sqlite3.connect(home / "kinema.db") as db:
            attempts = dict(db.execute("select id, attempts from tasks").fetchall())
        assert all(attempts[t] == 2 for t in interrupted)  # they ran again
        for org, key in keys.items():
            h = {"Authorization": f"Bearer {key}", **VERSION}
            spent = sum(
                results[t]["cost"]["credits"]
                for t in ids[org]
                if results[t]["status"] == "SUCCEEDED"
            )
            balance = httpx.get(f"{srv.url}/v1/organization", headers=h).json()["creditBalance"]
            assert balance == 500 - spent
            assert spent > 0
    finally:
        srv.stop()
