"""Live connect tokens: one connection per token, never in a URL, redacted from the access log;
a resume token joins once."""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from kinema.config import Settings
from kinema.platform import accounts, db

V = {"X-Runway-Version": "2024-11-06"}
PRESET = {"type": "runway-preset", "presetId": "game-character"}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    s = Settings(home=tmp_path / "home", workers=1, live_size=128)  # type: ignore[call-arg]
    db.migrate(s)
    return s


def _ready(client: TestClient, headers: dict) -> dict:
    r = client.post(
        "/v1/realtime_sessions", headers=headers, json={"model": "gwm1_avatars", "avatar": PRESET}
    )
    assert r.status_code == 200, r.text
    deadline = time.monotonic() + 60
    while (body := client.get(f"/v1/realtime_sessions/{r.json()['id']}", headers=headers).json())[
        "status"
    ] == "NOT_READY":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert body["status"] == "READY", body
    return body


def _consume(client: TestClient, body: dict) -> dict:
    r = client.post(
        f"/v1/realtime_sessions/{body['id']}/consume",
        headers={"Authorization": f"Bearer {body['sessionKey']}"},
    )
    assert r.status_code == 200, r.text
    return r.json()


def _connect(client: TestClient, details: dict, token: str | None = None) -> Any:
    path = details["url"].split("testserver", 1)[1]
    protocols = ["kinema-live-1", f"token.{token or details['token']}"]
    return client.websocket_connect(path, subprotocols=protocols)


def _until(ws: Any, kind: str, limit: int = 2000) -> list[dict]:
    events = []
    for _ in range(limit):
        message = ws.receive()
        if message.get("text"):
            events.append(json.loads(message["text"]))
            if events[-1]["type"] == kind:
                return events
    raise AssertionError(f"no {kind!r} event; got {[e['type'] for e in events]}")


@pytest.mark.slow
def test_a_connect_token_connects_once(client, headers) -> None:
    details = _consume(client, _ready(client, headers))
    token = details["token"]
    assert token not in details["url"] and token not in details["webrtc"]["offerUrl"]
    with _connect(client, details) as first:
        assert first.accepted_subprotocol == "kinema-live-1"  # browsers insist on one
        assert first.receive_json()["type"] == "session"
        with _connect(client, details) as second:  # the same token again, e.g. leaked
            refused = second.receive_json()
            assert refused["type"] == "error" and refused["status"] == 409
            assert "already used" in refused["message"]
            closed = second.receive()
            assert closed["type"] == "websocket.close"  # nothing of the conversation
        # the first client is undisturbed
        first.send_json({"type": "text", "text": "Hello"})
        events = _until(first, "caption")
        assert events[-1]["text"]
        # a one-time resume token (what a WebRTC answer carries) joins once
        runtime = client.app.state.live
        runtime.grant_resume_token(details["roomName"], "rt_test-resume")
        with _connect(client, details, token="rt_test-resume") as resumed:
            assert resumed.receive_json()["type"] == "session"
            resumed.send_json({"type": "close"})  # this one ends the session
        with _connect(client, details, token="rt_test-resume") as again:
            assert again.receive_json()["status"] in (401, 409)
    # the rating still takes the connect token, from a header
    r = client.post(
        f"/v1/live/sessions/{details['roomName']}/rating",
        json={"rating": 5},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert r.status_code == 204, r.text


def test_missing_token_is_named(client) -> None:
    with client.websocket_connect("/v1/live/ws/nope") as ws:
        err = ws.receive_json()
    assert err["status"] == 401 and "subprotocol" in err["message"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.fixture
def real_server(settings: Settings) -> Iterator[tuple[str, _Capture]]:
    """``uvicorn`` with its default logging config (as ``kinema serve`` runs it), in a thread."""
    import uvicorn

    from kinema.api.app import create_app

    port = _free_port()
    config = uvicorn.Config(create_app(settings, run_tasks=False), port=port, log_level="info")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive()
        time.sleep(0.05)
    capture = _Capture()
    loggers = [logging.getLogger(n) for n in ("uvicorn.access", "uvicorn.error")]
    for logger in loggers:
        logger.addHandler(capture)
    try:
        yield f"127.0.0.1:{port}", capture
    finally:
        for logger in loggers:
            logger.removeHandler(capture)
        server.should_exit = True
        thread.join(10)


def test_tokens_and_signatures_are_redacted_from_the_access_log(real_server) -> None:
    import websockets.sync.client

    host, capture = real_server
    secret = "ct_secret-connect-token"
    with websockets.sync.client.connect(f"ws://{host}/v1/live/ws/nope?token={secret}") as ws:
        assert json.loads(ws.recv())["status"] == 404
    r = httpx.post(f"http://{host}/v1/live/sessions/nope/rating?token={secret}", json={})
    assert r.status_code in (400, 404)
    r = httpx.get(f"http://{host}/files/some/key.png?exp=1&sig=deadbeefsig")
    assert r.status_code in (403, 404)
    deadline = time.monotonic() + 5
    while len(capture.lines) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    text = "\n".join(capture.lines)
    assert "/v1/live/ws/nope" in text and "/v1/live/sessions/nope/rating" in text, text
    assert secret not in text and "deadbeefsig" not in text, text
    assert "token=[redacted]" in text and "sig=[redacted]" in text


@pytest.fixture
def headers(settings: Settings) -> dict[str, str]:
    with db.session_scope(settings) as s:
        org = accounts.create_org(s, "acme", credits=100)
        _, plain = accounts.create_key(s, org.id)
    return {"Authorization": f"Bearer {plain}", **V}
