"""Live sessions across nodes: two API nodes (two apps, each with its own node row and address)
on one PostgreSQL. A session belongs to the node that prepared it; the other node answers GET
and consume without failing it and routes the client to the owner; a cancel through the other
node reaches the owner; a dead owner's sessions fail when its lease expires."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient

from kinema.config import Settings
from kinema.platform import accounts, db

pytestmark = [pytest.mark.services, pytest.mark.slow]

VERSION = {"X-Runway-Version": "2024-11-06"}
PRESET = {"type": "runway-preset", "presetId": "game-character"}
SECRET = "live-across-nodes-shared-secret-0123456789"


def node_settings(pg_url: str, tmp_path, name: str) -> Settings:
    return Settings(  # type: ignore[call-arg]
        home=tmp_path / name,
        database_url=pg_url,
        secret_key=SECRET,
        node_url=f"http://{name}.test",
        node_lease_seconds=3.0,
        live_size=256,
    )


@pytest.fixture
def nodes(pg_url, tmp_path):
    from kinema.api.app import create_app

    a, b = (node_settings(pg_url, tmp_path, n) for n in ("node-a", "node-b"))
    db.migrate(a)
    with db.session_scope(a) as s:
        org = accounts.create_org(s, "live", credits=100)
        _, key = accounts.create_key(s, org.id)
    headers = {"Authorization": f"Bearer {key}", **VERSION}
    with (
        TestClient(create_app(a, run_tasks=False)) as ca,
        TestClient(create_app(b, run_tasks=False)) as cb,
    ):
        yield ca, cb, headers


def get(client: TestClient, headers: dict, sid: str) -> dict:
    return client.get(f"/v1/realtime_sessions/{sid}", headers=headers).json()


def ready_on(client: TestClient, headers: dict) -> dict:
    r = client.post(
        "/v1/realtime_sessions",
        json={"model": "gwm1_avatars", "avatar": PRESET, "maxDuration": 60},
        headers=headers,
    )
    assert r.status_code == 200, r.text
    sid = r.json()["id"]
    end = time.monotonic() + 90
    while (body := get(client, headers, sid))["status"] == "NOT_READY":
        assert time.monotonic() < end
        time.sleep(0.05)
    assert body["status"] == "READY", body
    return body


def consume(client: TestClient, body: dict) -> dict:
    r = client.post(
        f"/v1/realtime_sessions/{body['id']}/consume",
        headers={"Authorization": f"Bearer {body['sessionKey']}"},
    )
    assert r.status_code == 200, r.text
    return r.json()


def test_the_other_node_routes_to_the_owner_and_never_fails_it(nodes):
    ca, cb, h = nodes
    body = ready_on(ca, h)
    sid = body["id"]
    assert get(cb, h, sid)["status"] == "READY"  # node B does not hold it, and leaves it be
    details = consume(cb, body)  # consumed through B ...
    assert details["url"] == f"ws://node-a.test/v1/live/ws/{sid}"  # ... points at A
    assert details["webrtc"]["offerUrl"] == f"http://node-a.test/v1/live/webrtc/{sid}/offer"
    path = details["url"].split("node-a.test", 1)[1]
    protocols = details["subprotocols"]  # the token rides as a subprotocol
    with cb.websocket_connect(path, subprotocols=protocols) as ws:  # knocking at the wrong node
        err = ws.receive_json()
        assert err["status"] == 409 and "node-a.test" in err["message"]
    assert get(cb, h, sid)["status"] == "READY"  # still intact, the token still unused
    with ca.websocket_connect(path, subprotocols=protocols) as ws:
        assert ws.receive_json()["type"] == "session"
        assert get(cb, h, sid)["status"] == "RUNNING"
    end = time.monotonic() + 20
    while get(cb, h, sid)["status"] == "RUNNING" and time.monotonic() < end:
        time.sleep(0.1)
    assert get(cb, h, sid)["status"] == "COMPLETED"


def test_a_cancel_through_another_node_reaches_the_owner(nodes):
    ca, cb, h = nodes
    body = ready_on(ca, h)
    sid = body["id"]
    runtime_a = ca.app.state.live
    assert sid in runtime_a.prepared
    assert cb.delete(f"/v1/realtime_sessions/{sid}", headers=h).status_code == 204
    end = time.monotonic() + 10
    while sid in runtime_a.prepared and time.monotonic() < end:  # A's heartbeat sweep
        time.sleep(0.05)
    assert sid not in runtime_a.prepared  # its engines are freed
    assert get(ca, h, sid)["status"] == "CANCELLED"


def test_a_dead_nodes_sessions_fail_when_its_lease_expires(nodes):
    ca, cb, h = nodes
    body = ready_on(ca, h)
    sid = body["id"]
    node_a = ca.app.state.node
    node_a._stop.set()  # node A stops heartbeating, as a SIGKILLed process would
    node_a._thread.join(5)
    node_a.beat()  # its last heartbeat: the lease runs 3 s from here
    assert get(cb, h, sid)["status"] == "READY"  # not run out yet: B leaves it alone
    end = time.monotonic() + 15
    while (got := get(cb, h, sid))["status"] == "READY" and time.monotonic() < end:
        time.sleep(0.1)
    assert got["status"] == "FAILED" and got["failureCode"] == "INTERNAL.SESSION_LOST"
    assert "lease expired" in got["failure"]
    assert time.monotonic() < end
