"""Caps on what one caller can hold: live sessions per organization and per key (API keys and
public ``pk_`` keys), heavy decodes per organization. Each refusal is a 429 naming the limit."""

from __future__ import annotations

import io
import threading
import wave
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from kinema.api.live.runtime import LiveRuntime
from kinema.config import Settings
from kinema.errors import RateLimited
from kinema.media import limits
from kinema.media.limits import DecodeOwner, decode_owner, heavy_decode
from kinema.platform import accounts, db
from kinema.platform.deployments import keys
from kinema.platform.deployments import sessions as rows

V = "2024-11-06"
PRESET = {"type": "runway-preset", "presetId": "cooking-teacher"}
SITE = "https://shop.example"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    s = Settings(  # type: ignore[call-arg]
        home=tmp_path / "home",
        workers=1,
        live_max_sessions_per_org=3,
        live_max_sessions_per_key=2,
        max_heavy_decodes_per_org=1,
        max_heavy_decodes_queued_per_org=0,
    )
    db.migrate(s)
    return s


@pytest.fixture
def no_engines(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> None:
    """Sessions turn READY at once without building engines (the caps are about rows)."""

    def prepare(self: LiveRuntime, session_id: str) -> None:
        with db.session_scope(settings) as s:
            rows.mark_ready(s, session_id, ttl=300)

    monkeypatch.setattr(LiveRuntime, "prepare", prepare)


def _org(settings: Settings, name: str, n_keys: int = 1) -> tuple[str, list[str]]:
    with db.session_scope(settings) as s:
        org = accounts.create_org(s, name, credits=1000)
        plains = [accounts.create_key(s, org.id)[1] for _ in range(n_keys)]
        return org.id, plains


def _h(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}", "X-Runway-Version": V}


def _create(client: TestClient, key: str):  # noqa: ANN202
    return client.post(
        "/v1/realtime_sessions", headers=_h(key), json={"model": "gwm1_avatars", "avatar": PRESET}
    )


@pytest.fixture
def client(settings: Settings, no_engines: None) -> Iterator[TestClient]:
    from kinema.api.app import create_app

    with TestClient(create_app(settings, run_tasks=False)) as c:
        yield c


def test_sessions_are_capped_per_api_key_and_per_organization(client, settings) -> None:
    _, (k1, k2) = _org(settings, "acme", n_keys=2)
    _, (other,) = _org(settings, "other")
    assert _create(client, k1).status_code == 200
    assert _create(client, k1).status_code == 200
    r = _create(client, k1)  # the key's third
    assert r.status_code == 429, r.text
    assert "live_max_sessions_per_key" in r.json()["error"] and "limit is 2" in r.json()["error"]
    assert int(r.headers["Retry-After"]) >= 1
    first = _create(client, k2)  # another key of the same organization: its third in all
    assert first.status_code == 200
    r = _create(client, k2)
    assert r.status_code == 429
    assert "live_max_sessions_per_org" in r.json()["error"] and "limit is 3" in r.json()["error"]
    assert _create(client, other).status_code == 200  # other organizations are not affected
    # ending a session frees its place
    sid = first.json()["id"]
    assert client.delete(f"/v1/realtime_sessions/{sid}", headers=_h(k2)).status_code == 204
    assert _create(client, k2).status_code == 200
    assert client.get("/healthz").json() == {"ok": True}


def test_sessions_left_unfinished_by_a_crash_stop_counting(client, settings) -> None:
    from datetime import timedelta

    from kinema.platform.deployments.models import RealtimeSession
    from kinema.platform.models import utcnow

    _, (k1,) = _org(settings, "acme")
    ids = [_create(client, k1).json()["id"] for _ in range(2)]
    assert _create(client, k1).status_code == 429
    with db.session_scope(settings) as s:  # as if a server died a day ago holding them
        for sid in ids:
            s.get(RealtimeSession, sid).created_at = utcnow() - timedelta(days=1)
    assert _create(client, k1).status_code == 200


def test_publishable_key_sessions_are_capped(client, settings) -> None:
    org_id, _ = _org(settings, "acme")
    with db.session_scope(settings) as s:
        pk = keys.create(s, org_id, "game-character", [SITE]).key
    h = {"Authorization": f"Bearer {pk}", "Origin": SITE}
    for _ in range(2):
        r = client.post("/v1/live/embed/sessions", headers=h, json={})
        assert r.status_code == 200, r.text
    r = client.post("/v1/live/embed/sessions", headers=h, json={})
    assert r.status_code == 429, r.text
    body = r.json()["error"]
    assert "publishable key" in body and "live_max_sessions_per_key" in body
    # the widget can read the refusal: it carries CORS headers for the key's origin
    assert r.headers["access-control-allow-origin"] == SITE
    assert "Retry-After" in r.headers
    with db.session_scope(settings) as s:
        assert rows.count_unfinished(s, org_id, horizon=3600) == 2


def _hold(owner: DecodeOwner, started: threading.Event, release: threading.Event) -> None:
    decode_owner.set(owner)
    with heavy_decode():
        started.set()
        release.wait(10)


def test_heavy_decodes_are_capped_per_organization() -> None:
    started, release = threading.Event(), threading.Event()
    a = DecodeOwner(id="org-a", limit=1, queued=1)
    holder = threading.Thread(target=_hold, args=(a, started, release))
    holder.start()
    assert started.wait(5)
    try:
        waited = threading.Event()
        queued_done = threading.Event()

        def queued() -> None:  # org A's second decode waits for A's slot...
            decode_owner.set(DecodeOwner(id="org-a", limit=1, queued=1))
            waited.set()
            with heavy_decode():
                queued_done.set()

        q = threading.Thread(target=queued)
        q.start()
        assert waited.wait(5)
        for _ in range(100):  # ...and is counted as waiting
            if limits._waiting.get("org-a"):
                break
            threading.Event().wait(0.01)
        token = decode_owner.set(DecodeOwner(id="org-a", limit=1, queued=1))
        try:
            with pytest.raises(RateLimited) as err, heavy_decode():  # a third: no room
                pass
            assert "max_heavy_decodes_per_org" in str(err.value)
        finally:
            decode_owner.reset(token)
        token = decode_owner.set(DecodeOwner(id="org-b", limit=1, queued=1))
        try:
            with heavy_decode():  # another organization still gets the process's other slot
                pass
        finally:
            decode_owner.reset(token)
        assert not queued_done.is_set()
    finally:
        release.set()
        holder.join(5)
    q.join(5)
    assert queued_done.is_set()  # the queued decode ran once A's first finished
    assert not limits._running and not limits._waiting


def _wav(seconds: float, rate: int = 16000) -> str:
    import base64

    t = np.arange(int(seconds * rate)) / rate
    pcm = (np.sin(2 * np.pi * 220 * t) * 8000).astype(np.int16)
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())
    return "data:audio/wav;base64," + base64.b64encode(buf.getvalue()).decode()


def test_an_organization_at_its_decode_cap_gets_a_429_over_http(client, settings) -> None:
    org_a, (ka,) = _org(settings, "acme")
    _, (kb,) = _org(settings, "other")
    audio = _wav(5.0)
    started, release = threading.Event(), threading.Event()
    holder = threading.Thread(
        target=_hold, args=(DecodeOwner(id=org_a, limit=1, queued=0), started, release)
    )
    holder.start()
    assert started.wait(5)
    try:
        body = {"model": "eleven_voice_isolation", "audioUri": audio}
        r = client.post("/v1/voice_isolation", headers=_h(ka), json=body)
        assert r.status_code == 429, r.text
        assert "max_heavy_decodes_per_org" in r.json()["error"]
        r = client.post("/v1/voice_isolation", headers=_h(kb), json=body)
        assert r.status_code == 200, r.text  # the other organization's decode runs
    finally:
        release.set()
        holder.join(5)
    r = client.post("/v1/voice_isolation", headers=_h(ka), json=body)
    assert r.status_code == 200, r.text
