"""Helpers for the studio tests: a realtime session driven to READY, and a WebSocket reader."""

from __future__ import annotations

import json
import time
from typing import Any

VERSION = {"X-Runway-Version": "2024-11-06"}
PRESET = {"type": "runway-preset", "presetId": "game-character"}


def wait_status(client: Any, headers: dict, sid: str, leave: str = "NOT_READY", timeout=60.0):
    deadline = time.monotonic() + timeout
    while True:
        body = client.get(f"/v1/realtime_sessions/{sid}", headers=headers).json()
        if body["status"] != leave or time.monotonic() > deadline:
            return body
        time.sleep(0.05)


def ready_session(client: Any, headers: dict, **extra: Any) -> dict:
    """Create a preset session and wait until READY; returns the READY body."""
    payload = {"model": "gwm1_avatars", "avatar": PRESET, **extra}
    r = client.post("/v1/realtime_sessions", json=payload, headers=headers)
    assert r.status_code == 200, r.text
    body = wait_status(client, headers, r.json()["id"])
    assert body["status"] == "READY", body
    return body


def consume(client: Any, body: dict) -> dict:
    r = client.post(
        f"/v1/realtime_sessions/{body['id']}/consume",
        headers={"Authorization": f"Bearer {body['sessionKey']}"},
    )
    assert r.status_code == 200, r.text
    return r.json()


def read_until(ws: Any, stop: Any, timeout: float = 20.0) -> tuple[list[dict], int]:
    """JSON events and the count of binary media messages until ``stop(event)`` is true."""
    events: list[dict] = []
    media = 0
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        message = ws.receive()
        if message.get("type") == "websocket.close":
            break
        if message.get("bytes") is not None:
            media += 1
            continue
        event = json.loads(message["text"])
        events.append(event)
        if stop(event):
            return events, media
    raise AssertionError(f"stop condition not met; got {[e['type'] for e in events]}")


def run_tasks(settings: Any) -> list[str]:
    """Run every queued task to its end in this process, through the worker's own code."""
    from kinema.platform import db, tasks
    from kinema.platform.jobs.registry import TASK_KINDS
    from kinema.platform.jobs.worker import Job, run_job

    with db.session_scope(settings) as s:
        claims = tasks.claim_pending(s, 50, "test")
    for c in claims:
        run_job(
            Job(
                c.task_id,
                c.attempt,
                c.kind,
                TASK_KINDS[c.kind],
                c.payload,
                settings.model_dump(mode="json"),
            )  # fmt: skip
        )
    return [c.task_id for c in claims]
