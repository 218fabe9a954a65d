"""``/v1/realtime_sessions`` lifecycle over the real engines (preset avatar, 256² frames)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from studio_helpers import PRESET, consume, read_until, ready_session, wait_status, ws_connect


def test_lifecycle_consume_once_run_complete_with_transcript(client, headers):
    body = ready_session(client, headers, maxDuration=60)
    sid = body["id"]
    assert body["sessionKey"].startswith("sk_") and body["expiresAt"] > body["createdAt"]

    bad = client.post(
        f"/v1/realtime_sessions/{sid}/consume", headers={"Authorization": "Bearer sk_wrong"}
    )
    assert bad.status_code == 401
    details = consume(client, body)
    assert details["roomName"] == sid and details["url"].startswith("ws://")
    assert details["url"].endswith(f"/v1/live/ws/{sid}")  # no token in any URL (access logs)
    assert details["webrtc"]["offerUrl"].endswith(f"/v1/live/webrtc/{sid}/offer")
    assert details["subprotocols"] == ["kinema-live-1", f"token.{details['token']}"]
    again = client.post(
        f"/v1/realtime_sessions/{sid}/consume",
        headers={"Authorization": f"Bearer {body['sessionKey']}"},
    )
    assert again.status_code == 409, again.text

    with ws_connect(client, details, token="ct_invalid") as ws:
        assert ws.receive_json()["status"] == 401
    with ws_connect(client, details) as ws:
        assert ws.receive_json()["type"] == "session"
        running = client.get(f"/v1/realtime_sessions/{sid}", headers=headers).json()
        assert running == {"id": sid, "createdAt": body["createdAt"], "status": "RUNNING"}
        ws.send_json({"type": "text", "text": "Hello, who are you?"})
        events, media = read_until(ws, text_turn_done)
        time.sleep(1.0)  # the session runs for at least a second before the client leaves
    captions = " ".join(e["text"] for e in events if e["type"] == "caption")
    assert "Nova" in captions  # the preset's persona answers with its own name
    assert media > 10  # video frames and speech audio arrived

    done = wait_status(client, headers, sid, leave="RUNNING")
    assert done["status"] == "COMPLETED" and done["duration"] >= 1
    detail = client.get(f"/v1/live/sessions/{sid}", headers=headers).json()
    transcript = detail["transcript"]
    asked = [i for i, m in enumerate(transcript) if m["content"] == "Hello, who are you?"]
    assert asked and transcript[asked[0]]["role"] == "user"
    assert transcript[asked[0] + 1]["role"] == "assistant"
    assert "Nova" in transcript[asked[0] + 1]["content"]
    assert detail["endReason"] == "client_disconnected"
    text_turns = [t for t in detail["turns"] if t["source"] == "text"]
    assert text_turns[0]["turnaround_ms"] > 0
    conv = client.get(f"/v1/avatar_conversations/{sid}", headers=headers)
    paths = {getattr(route, "path", "") for route in client.app.routes}
    if any("avatar_conversations" in p for p in paths):
        assert conv.status_code == 200, conv.text  # stored via the characters service
        assert "Nova" in str(conv.json()["transcript"])
        today = datetime.now(UTC).date()
        usage = client.get(
            f"/v1/avatar_usage?startDate={today}&endDate={today + timedelta(days=1)}",
            headers=headers,
        ).json()
        assert usage["totalSessions"] == 1 and usage["totalSeconds"] >= 1


def text_turn_done(event: dict) -> bool:
    return event["type"] == "turn_metrics" and event.get("source") == "text"


def test_start_script_and_personality_overrides(client, headers):
    body = ready_session(
        client,
        headers,
        startScript="Welcome aboard the Kinema starship!",
        personality="A grumpy pirate who guards buried treasure.",
    )
    details = consume(client, body)
    with ws_connect(client, details) as ws:
        events, _ = read_until(ws, lambda e: e["type"] == "caption")
        assert events[-1]["text"] == "Welcome aboard the Kinema starship!"
        ws.send_json({"type": "text", "text": "Who are you?"})
        events, _ = read_until(ws, text_turn_done)
    said = " ".join(e["text"] for e in events if e["type"] == "caption")
    assert "pirate" in said and "Nova" in said


def test_delete_cancels_ready_and_running_sessions(client, headers):
    body = ready_session(client, headers)
    assert client.delete(f"/v1/realtime_sessions/{body['id']}", headers=headers).status_code == 204
    assert wait_status(client, headers, body["id"])["status"] == "CANCELLED"
    late = client.post(
        f"/v1/realtime_sessions/{body['id']}/consume",
        headers={"Authorization": f"Bearer {body['sessionKey']}"},
    )
    assert late.status_code == 409

    body = ready_session(client, headers)
    details = consume(client, body)
    with ws_connect(client, details) as ws:
        ws.receive_json()
        r = client.delete(f"/v1/realtime_sessions/{body['id']}", headers=headers)
        assert r.status_code == 204
        events, _ = read_until(ws, lambda e: e["type"] == "closed")
        assert events[-1]["reason"] == "cancelled"
    final = wait_status(client, headers, body["id"], leave="RUNNING")
    assert final["status"] == "CANCELLED"


def test_max_duration_ends_the_session(client, headers):
    body = ready_session(client, headers, maxDuration=2)
    details = consume(client, body)
    t0 = time.monotonic()
    with ws_connect(client, details) as ws:
        events, media = read_until(ws, lambda e: e["type"] == "closed", timeout=15)
    elapsed = time.monotonic() - t0
    assert events[-1]["reason"] == "max_duration"
    assert 1.5 < elapsed < 6 and media > 0
    for _ in range(100):
        final = client.get(f"/v1/realtime_sessions/{body['id']}", headers=headers).json()
        if final["status"] != "RUNNING":
            break
        time.sleep(0.05)
    assert final["status"] == "COMPLETED" and final["duration"] == 2


def test_client_event_tool_reaches_the_client(client, headers):
    tool = {
        "type": "client_event",
        "name": "show_pricing",
        "description": "Show the pricing table when the user asks about prices or plans.",
    }
    body = ready_session(client, headers, tools=[tool])
    details = consume(client, body)
    with ws_connect(client, details) as ws:
        ws.send_json({"type": "text", "text": "Can you show pricing please?"})
        events, _ = read_until(ws, lambda e: e["type"] == "client_event")
    assert events[-1]["name"] == "show_pricing"


@pytest.mark.parametrize(
    ("patch", "status", "needle"),
    [
        ({"avatar": {"type": "runway-preset", "presetId": "robot"}}, 400, "presetId"),
        ({"avatar": {"type": "custom", "avatarId": "nope"}}, 404, "nope"),
        ({"maxDuration": 100000}, 400, "maxDuration"),
        (
            {"integration": {"type": "livekit", "url": "wss://x", "token": "t", "roomName": "r"}},
            400,
            "integration",
        ),
        ({"tools": [{"type": "backend_rpc", "name": "lookup", "description": "d"}]}, 400, "rpc"),
        ({"tools": [{"type": "client_event", "name": "9bad", "description": "d"}]}, 400, "name"),
        ({"model": "gen4_turbo"}, 400, "model"),
    ],
)
def test_bad_requests(client, headers, patch, status, needle):
    payload = {"model": "gwm1_avatars", "avatar": PRESET, **patch}
    r = client.post("/v1/realtime_sessions", json=payload, headers=headers)
    assert r.status_code == status, r.text
    assert needle.lower() in r.json()["error"].lower()


def test_auth_and_version_are_required(client, headers):
    payload = {"model": "gwm1_avatars", "avatar": PRESET}
    version_only = {"X-Runway-Version": headers["X-Runway-Version"]}
    r = client.post("/v1/realtime_sessions", json=payload, headers=version_only)
    assert r.status_code == 401
    no_version = {"Authorization": headers["Authorization"]}
    r = client.post("/v1/realtime_sessions", json=payload, headers=no_version)
    assert r.status_code == 400 and "X-Runway-Version" in r.json()["error"]
    assert client.get("/v1/realtime_sessions/unknown", headers=headers).status_code == 404


def test_sessions_lost_in_a_restart_fail_cleanly(client, headers, settings):
    """Live sessions exist in memory only: after a restart a READY one reads FAILED with a
    clear failure and failureCode, and can neither be consumed nor joined."""
    from fastapi.testclient import TestClient

    from kinema.api.app import create_app

    ready = ready_session(client, headers, maxDuration=60)
    consumed = ready_session(client, headers, maxDuration=60)
    details = consume(client, consumed)
    with TestClient(create_app(settings, run_tasks=False)) as restarted:  # a new server process
        got = restarted.get(f"/v1/realtime_sessions/{ready['id']}", headers=headers).json()
        assert got["status"] == "FAILED" and got["failureCode"] == "INTERNAL.SESSION_LOST"
        assert "restarted" in got["failure"]
        res = restarted.post(
            f"/v1/realtime_sessions/{ready['id']}/consume",
            headers={"Authorization": f"Bearer {ready['sessionKey']}"},
        )
        assert res.status_code == 409, res.text
        with ws_connect(restarted, details) as ws:
            error = ws.receive_json()
            assert error["type"] == "error" and error["status"] == 409
        lost = restarted.get(f"/v1/realtime_sessions/{consumed['id']}", headers=headers).json()
        assert lost["status"] == "FAILED" and lost["failureCode"] == "INTERNAL.SESSION_LOST"
    # the row is FAILED for good, whichever server answers
    again = client.get(f"/v1/realtime_sessions/{ready['id']}", headers=headers).json()
    assert again["status"] == "FAILED"
