"""``kinema serve --role all|api|dispatcher``: API servers and dispatchers as separate processes
on one PostgreSQL, sharing one secret key (a node with another key refuses to start)."""

from __future__ import annotations

import time

import httpx
import pytest
from cluster import SECRET, Node

pytestmark = [pytest.mark.services, pytest.mark.slow]

VERSION = {"X-Runway-Version": "2024-11-06"}
SPEECH = {
    "model": "eleven_multilingual_v2",
    "promptText": "Hello from a dispatcher.",
    "voice": {"type": "runway-preset", "presetId": "Maya"},
}


def test_split_roles_refuse_to_start_without_a_shared_key(pg_url, tmp_path):
    node = Node(tmp_path / "a", role="api", KINEMA_DATABASE_URL=pg_url)
    out = node.cli("serve", "--role", "api", check=False)
    assert out.returncode == 2
    assert "KINEMA_SECRET_KEY" in out.stdout + out.stderr
    out = node.cli("serve", "--role", "workers", check=False)
    assert out.returncode == 2 and "is not one of all, api, dispatcher" in out.stdout + out.stderr


def test_api_servers_and_a_dispatcher_share_one_postgres(pg_url, tmp_path):
    env = dict(KINEMA_DATABASE_URL=pg_url, KINEMA_SECRET_KEY=SECRET, KINEMA_TTS="espeak")
    env.update(KINEMA_STORAGE_URL=str(tmp_path / "shared-files"))  # one store for all nodes
    env.update(KINEMA_WORKERS="1", KINEMA_NODE_LEASE_SECONDS="3")
    api1 = Node(tmp_path / "api1", role="api", **env)
    api2 = Node(tmp_path / "api2", role="api", **env)
    disp = Node(tmp_path / "disp", role="dispatcher", **env)
    nodes = [api1, api2, disp]
    try:
        for n in nodes:
            n.spawn()
        for n in nodes:
            n.wait_ready()
        key = api1.cli("keys", "create", "--org", "acme").stdout.strip().splitlines()[-1]
        h = {"Authorization": f"Bearer {key}", **VERSION}
        r = httpx.post(f"{api1.url}/v1/text_to_speech", json=SPEECH, headers=h, timeout=30)
        assert r.status_code == 200, r.text
        tid = r.json()["id"]
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:  # polled on the other API server
            t = httpx.get(f"{api2.url}/v1/tasks/{tid}", headers=h, timeout=10).json()
            if t["status"] in ("SUCCEEDED", "FAILED"):
                break
            time.sleep(0.2)
        assert t["status"] == "SUCCEEDED", t
        url = t["output"][0]
        assert url.startswith(api2.url)
        # signed by api2, served by api1: the nodes share the key
        wav = httpx.get(api1.url + url[len(api2.url) :], timeout=10)
        assert wav.status_code == 200 and wav.content[:4] == b"RIFF"

        listed = api1.cli("nodes").stdout
        assert listed.count("alive") == 3, listed
        for role in ("api", "dispatcher"):
            assert role in listed

        # a node whose key differs from its live peers' refuses to start
        stranger = Node(tmp_path / "x", role="all", KINEMA_DATABASE_URL=pg_url)
        out = stranger.cli("serve", check=False)
        assert out.returncode == 2
        assert "different secret key" in out.stdout + out.stderr

        disp.stop()
        assert "dispatcher stopped" in disp.lines
        assert disp.proc is not None and disp.proc.returncode == 0
        listed = api1.cli("nodes").stdout
        assert listed.count("alive") == 2 and "stopped" in listed, listed
    finally:
        for n in nodes:
            n.stop()
            n.reap()
