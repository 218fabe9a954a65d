"""Task creation, task JSON shapes, uploads, organization and usage (workers off)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from api_helpers import data_uri, png_bytes

from kinema.platform import db, tasks
from kinema.platform.models import Task

UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def test_create_returns_uuid4_and_estimated_cost(client, headers):
    r = client.post(
        "/v1/image_to_video",
        headers=headers,
        json={
            "model": "gen4.5",
            "promptImage": data_uri(png_bytes()),
            "promptText": "a walk",
            "ratio": "1280:720",
            "duration": 4,
        },
    )
    assert r.status_code == 200
    body = r.json()
    assert UUID4.match(body["id"]) and body["estimatedCost"] == {"credits": 48}
    t = client.get(f"/v1/tasks/{body['id']}", headers=headers).json()
    assert t["status"] == "PENDING" and t["estimatedCost"] == {"credits": 48}
    assert t["createdAt"].endswith("Z") and "cost" not in t
    org = client.get("/v1/organization", headers=headers).json()
    assert org["creditBalance"] == 1000 - 48
    assert org["usage"]["models"]["gen4.5"]["dailyGenerations"] == 1
    assert org["tier"]["models"]["gen4_turbo"]["maxConcurrentGenerations"] == 2


def test_text_endpoints_price_per_model(client, headers):
    r = client.post(
        "/v1/text_to_video",
        headers=headers,
        json={
            "model": "gen4.5",
            "promptText": "rain on a city",
            "ratio": "720:1280",
            "duration": 3,
        },
    )
    assert r.json()["estimatedCost"] == {"credits": 36}
    r = client.post(
        "/v1/text_to_image",
        headers=headers,
        json={
            "model": "gen4_image",
            "promptText": "@hero on a beach",
            "ratio": "1920:1080",
            "referenceImages": [{"uri": data_uri(png_bytes()), "tag": "hero"}],
        },
    )
    assert r.json()["estimatedCost"] == {"credits": 8}
    r = client.post(
        "/v1/text_to_image",
        headers=headers,
        json={"model": "gen4_image", "promptText": "a beach", "ratio": "1280:720"},
    )
    assert r.json()["estimatedCost"] == {"credits": 5}


def test_terminal_task_shapes_and_fresh_signed_urls(client, headers, settings):
    ids = [
        client.post(
            "/v1/text_to_video",
            headers=headers,
            json={"model": "gen4.5", "promptText": "x", "ratio": "1280:720", "duration": 2},
        ).json()["id"]
        for _ in range(3)
    ]
    storage_key = f"tasks/{ids[0]}/video.mp4"
    from kinema.platform.storage import get_storage

    get_storage(settings).put_bytes(storage_key, b"fake-mp4-bytes")
    with db.session_scope(settings) as s:
        claims = {c.task_id: c for c in tasks.claim_pending(s, 3, "w")}
        assert set(claims) == {ids[0], ids[1]}  # the third is THROTTLED (limit 2)
        s.get(Task, ids[0]).progress = 0.25
    t = client.get(f"/v1/tasks/{ids[0]}", headers=headers).json()
    assert t["status"] == "RUNNING" and t["progress"] == 0.25 and "estimatedCost" in t
    assert client.get(f"/v1/tasks/{ids[2]}", headers=headers).json()["status"] == "THROTTLED"
    with db.session_scope(settings) as s:
        tasks.succeed(
            s,
            ids[0],
            1,
            {"files": [storage_key], "extra": {"promptUnderstood": ["rain"], "promptIgnored": []}},
        )
        tasks.fail(s, ids[1], "The engine gave up.", "INTERNAL.BAD_OUTPUT.CODE01", attempt=1)
    done = client.get(f"/v1/tasks/{ids[0]}", headers=headers).json()
    assert done["status"] == "SUCCEEDED" and done["cost"] == {"credits": 24}
    assert done["promptUnderstood"] == ["rain"] and "estimatedCost" not in done
    url = done["output"][0]
    assert url.startswith("http://testserver/files/tasks/")
    assert client.get(url).content == b"fake-mp4-bytes"
    assert client.get(url.replace("sig=", "sig=0")).status_code == 403
    failed = client.get(f"/v1/tasks/{ids[1]}", headers=headers).json()
    assert failed["failureCode"] == "INTERNAL.BAD_OUTPUT.CODE01" and failed["cost"]["credits"] == 0
    # DELETE: a finished task is deleted (404 after), an active one cancelled (refund)
    assert client.delete(f"/v1/tasks/{ids[0]}", headers=headers).status_code == 204
    assert client.get(f"/v1/tasks/{ids[0]}", headers=headers).status_code == 404
    assert client.delete(f"/v1/tasks/{ids[2]}", headers=headers).status_code == 204
    cancelled = client.get(f"/v1/tasks/{ids[2]}", headers=headers).json()
    assert cancelled["status"] == "CANCELLED" and cancelled["cost"] == {"credits": 0}
    assert client.delete(f"/v1/tasks/{ids[2]}", headers=headers).status_code == 404
    assert client.get("/v1/organization", headers=headers).json()["creditBalance"] == 1000 - 24
    usage = client.post("/v1/organization/usage", headers=headers, json={}).json()
    today = datetime.now(UTC).date().isoformat()
    assert usage["models"] == ["gen4.5"]
    assert usage["results"] == [{"date": today, "usedCredits": [{"model": "gen4.5", "amount": 24}]}]


def test_upload_flow_then_runway_uri(client, headers):
    r = client.post(
        "/v1/uploads", headers=headers, json={"filename": "face.png", "type": "ephemeral"}
    )
    assert r.status_code == 200
    up = r.json()
    assert up["runwayUri"].startswith("runway://") and "token" in up["fields"]
    r = client.post(
        up["uploadUrl"],
        data={"token": "wrong"},
        files={"file": ("face.png", png_bytes(), "image/png")},
    )
    assert r.status_code == 403
    r = client.post(
        up["uploadUrl"], data=up["fields"], files={"file": ("face.png", png_bytes(), "image/png")}
    )
    assert r.status_code == 204
    r = client.post(
        "/v1/image_to_video",
        headers=headers,
        json={
            "model": "gen4_turbo",
            "promptImage": up["runwayUri"],
            "ratio": "960:960",
            "duration": 2,
        },
    )
    assert r.status_code == 200, r.text
    r = client.post("/v1/uploads", headers=headers, json={"filename": "notes.txt"})
    assert r.status_code == 400 and "filename" in r.json()["error"]


def test_gen4_simple_shape(client, headers):
    r = client.post(
        "/v1/gen4",
        headers={"Authorization": headers["Authorization"]},
        json={
            "prompt": "@hero walks through rain",
            "model": "gen4-turbo",
            "duration": 3,
            "fps": 24,
            "visual_references": [
                {"image_url": data_uri(png_bytes()), "type": "character", "strength": 0.9}
            ],
            "generation_options": {"motion_physics": 0.7},
        },
    )
    assert r.status_code == 200, r.text
    tid = r.json()["id"]
    s = client.get(f"/v1/gen4/tasks/{tid}", headers=headers).json()
    assert s == {
        "id": tid,
        "status": "PENDING",
        "progress": 0.0,
        "output": None,
        "credits_used": 15,
        "failure_reason": None,
    }
    r = client.post("/v1/gen4", headers=headers, json={"prompt": "x", "model": "gen5"})
    assert r.status_code == 400 and "model" in r.json()["error"]
    r = client.post(
        "/v1/gen4",
        headers=headers,
        json={"prompt": "x", "visual_references": [{"image_url": "https://10.0.0.1/a.png"}]},
    )
    assert r.status_code == 400 and "visual_references.0.image_url" in r.json()["error"]


def test_openapi_docs_are_served(client):
    html = client.get("/docs").text
    assert "cdn." not in html  # works offline: assets are served by kinema itself
    js = next(part.split('"')[0] for part in html.split('src="')[1:] if "swagger" in part)
    assert client.get(js).status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/v1/image_to_video", "/v1/tasks/{task_id}", "/v1/uploads"} <= set(paths)


def test_outputs_served_from_fsspec_memory_storage(tmp_path, key_for):
    """Non-local storage (memory://) is streamed through /files with the same signatures."""
    import uuid

    from fastapi.testclient import TestClient

    from kinema.api.app import create_app
    from kinema.config import Settings

    s = Settings(home=tmp_path / "mem", storage_url=f"memory://kinema-{uuid.uuid4().hex}")
    db.migrate(s)
    headers = key_for(s)
    with TestClient(create_app(s, run_tasks=False)) as c:
        tid = c.post(
            "/v1/text_to_image",
            headers=headers,
            json={"model": "gen4_image", "promptText": "a beach", "ratio": "720:720"},
        ).json()["id"]
        from kinema.platform.storage import get_storage

        get_storage(s).put_bytes(f"tasks/{tid}/image.png", b"png-in-memory")
        with db.session_scope(s) as ss:
            tasks.claim_pending(ss, 1, "w")
            tasks.succeed(ss, tid, 1, {"files": [f"tasks/{tid}/image.png"]})
        url = c.get(f"/v1/tasks/{tid}", headers=headers).json()["output"][0]
        r = c.get(url)
        assert r.content == b"png-in-memory" and r.headers["content-type"] == "image/png"


def test_organization_tier_reports_the_configured_monthly_cap(tmp_path, key_for):
    from fastapi.testclient import TestClient

    from kinema.api.app import create_app
    from kinema.config import Settings

    s = Settings(home=tmp_path / "h", max_monthly_credit_spend=5000, max_concurrent_tasks=3)  # type: ignore[arg-type]
    db.migrate(s)
    headers = key_for(s)
    with TestClient(create_app(s, run_tasks=False)) as c:
        org = c.get("/v1/organization", headers=headers).json()
    assert org["tier"]["maxMonthlyCreditSpend"] == 5000
    assert org["tier"]["models"]["gen4_aleph"]["maxConcurrentGenerations"] == 3
