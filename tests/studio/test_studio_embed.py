"""Publishable keys: one avatar, listed origins only (CORS and Origin checks), and the stats
the Deployments page charts."""

from __future__ import annotations

import time

from studio_helpers import read_until

ALLOWED = "http://shop.example:8080"
OTHER = "http://evil.example"


def _key(client, headers, origins=(ALLOWED,), avatar="game-character") -> dict:
    r = client.post(
        "/v1/publishable_keys",
        json={"avatarId": avatar, "allowedOrigins": list(origins), "name": "shop"},
        headers=headers,
    )
    assert r.status_code == 201, r.text
    return r.json()


def test_publishable_key_checks_origin_avatar_and_revocation(client, headers):
    pk = _key(client, headers, origins=[ALLOWED + "/"])
    assert pk["key"].startswith("pk_") and pk["allowedOrigins"] == [ALLOWED]
    listed = client.get("/v1/publishable_keys", headers=headers).json()["data"]
    assert [k["id"] for k in listed] == [pk["id"]]

    def open_session(origin: str | None, key: str = pk["key"], avatar: str = "game-character"):
        h = {"Authorization": f"Bearer {key}"} | ({"Origin": origin} if origin else {})
        return client.post("/v1/live/embed/sessions", json={"avatarId": avatar}, headers=h)

    pre = {"Access-Control-Request-Method": "POST"}
    ok = client.options("/v1/live/embed/sessions", headers={"Origin": ALLOWED, **pre})
    assert ok.status_code == 204 and ok.headers["access-control-allow-origin"] == ALLOWED
    # other live endpoints answer preflights only for listed origins
    rating_url = "/v1/live/sessions/x/rating"
    denied = client.options(rating_url, headers={"Origin": OTHER, **pre})
    assert denied.status_code == 403 and "access-control-allow-origin" not in denied.headers
    # the widget's first call lets every origin through the preflight, so that the refusal
    # itself reaches the page with its reason (not a bare "Failed to fetch")
    asked = client.options("/v1/live/embed/sessions", headers={"Origin": OTHER, **pre})
    assert asked.status_code == 204 and asked.headers["access-control-allow-origin"] == OTHER
    refused = open_session(OTHER)
    assert refused.status_code == 403
    assert refused.headers["access-control-allow-origin"] == OTHER
    assert f"Origin {OTHER} is not allowed" in refused.json()["error"]
    assert open_session(None).status_code == 403
    assert open_session(ALLOWED, avatar="cooking-teacher").status_code == 403
    api_key = headers["Authorization"].split()[1]
    assert open_session(ALLOWED, key=api_key).status_code == 401

    r = open_session(ALLOWED)
    assert r.status_code == 200, r.text
    assert r.headers["access-control-allow-origin"] == ALLOWED
    details = r.json()
    path = details["url"].split("testserver", 1)[1]
    with client.websocket_connect(path, headers={"origin": OTHER}) as ws:
        assert ws.receive_json()["status"] == 403  # a stolen token from another page
    with client.websocket_connect(path, headers={"origin": ALLOWED}) as ws:
        assert ws.receive_json()["type"] == "session"
        ws.send_json({"type": "text", "text": "Hello"})
        read_until(ws, lambda e: e["type"] == "turn_metrics" and e["source"] == "text")
    rating = client.post(
        f"/v1/live/sessions/{details['id']}/rating?token={details['token']}",
        json={"rating": 4},
        headers={"Origin": ALLOWED},
    )
    assert rating.status_code == 204
    bad = client.post(
        f"/v1/live/sessions/{details['id']}/rating?token={details['token']}", json={"rating": 9}
    )
    assert bad.status_code == 400

    assert client.delete(f"/v1/publishable_keys/{pk['id']}", headers=headers).status_code == 204
    assert open_session(ALLOWED).status_code == 401


def test_key_needs_real_origins(client, headers):
    for origins in ([], ["not a url"], ["https://x.example/path"]):
        r = client.post(
            "/v1/publishable_keys",
            json={"avatarId": "game-character", "allowedOrigins": origins},
            headers=headers,
        )
        assert r.status_code == 400, (origins, r.text)


def test_stats_after_a_conversation(client, headers):
    pk = _key(client, headers)
    r = client.post(
        "/v1/live/embed/sessions",
        json={},
        headers={"Authorization": f"Bearer {pk['key']}", "Origin": ALLOWED},
    )
    details = r.json()
    with client.websocket_connect(
        details["url"].split("testserver", 1)[1], headers={"origin": ALLOWED}
    ) as ws:
        ws.send_json({"type": "text", "text": "Who are you?"})
        read_until(ws, lambda e: e["type"] == "turn_metrics" and e["source"] == "text")
    client.post(
        f"/v1/live/sessions/{details['id']}/rating?token={details['token']}", json={"rating": 5}
    )
    for _ in range(100):
        stats = client.get("/v1/deployments/stats?days=7", headers=headers).json()
        if stats["sessions"] and stats["latency"]["turnaround_ms"]["n"]:
            break
        time.sleep(0.05)
    assert stats["sessions"] == 1
    assert sum(d["sessions"] for d in stats["conversationsPerDay"]) == 1
    assert len(stats["conversationsPerDay"]) == 7
    assert stats["satisfaction"]["average"] == 5
    turnaround = stats["latency"]["turnaround_ms"]
    assert turnaround["n"] >= 1 and turnaround["p95"] >= turnaround["p50"] > 0
    assert stats["fps"]["p50"] > 5
    sessions = client.get("/v1/live/sessions", headers=headers).json()["data"]
    assert sessions[0]["origin"] == ALLOWED and sessions[0]["satisfaction"] == 5


def test_studio_and_embed_files_are_served(client):
    page = client.get("/studio/")
    assert page.status_code == 200 and "<html" in page.text.lower()
    assert client.get("/studio", follow_redirects=False).status_code in (301, 302, 307)
    js = client.get("/embed.js")
    assert js.status_code == 200 and "javascript" in js.headers["content-type"]
    assert client.get("/studio/../../config.py").status_code == 404
    assert client.get("/studio/%2e%2e/%2e%2e/config.py").status_code == 404
