"""The Studio's helper endpoints: account, quality check, templates, voice samples, task list."""

from __future__ import annotations

import base64
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "data"


def _data_uri(path: Path) -> str:
    return "data:image/jpeg;base64," + base64.b64encode(path.read_bytes()).decode()


def test_me_and_templates(client, headers):
    me = client.get("/v1/studio/me", headers=headers).json()
    assert me["organization"] == "studio-test" and me["creditBalance"] == 100
    keys = [t["key"] for t in client.get("/v1/studio/templates", headers=headers).json()["data"]]
    assert "tutor" in keys and "friendly_assistant" in keys
    assert client.get("/v1/studio/me").status_code == 401


def test_analyze_reports_quality_or_asks_for_points(client, headers):
    face = client.post(
        "/v1/studio/analyze",
        json={"image": _data_uri(DATA / "einstein_photo.jpg")},
        headers=headers,
    ).json()
    assert face["faceFound"] is True and face["width"] == 375
    assert any("512" in w["message"] for w in face["report"]["warnings"])  # small picture tip
    lx, ly = face["keypoints"]["left_eye"]
    assert 0 < lx < face["width"] and 0 < ly < face["height"]
    dog = client.post(
        "/v1/studio/analyze", json={"image": _data_uri(DATA / "shiba_dog.jpg")}, headers=headers
    ).json()
    assert dog["faceFound"] is False and "by hand" in dog["message"]
    assert len(dog["keypointNames"]) == 8
    bad = client.post(
        "/v1/studio/analyze", json={"image": "data:image/png;base64,AAAA"}, headers=headers
    )
    assert bad.status_code == 400


def test_voice_preview_is_a_wav(client, headers):
    r = client.get("/v1/studio/voice_preview/victoria", headers=headers)
    assert r.status_code == 200 and r.headers["content-type"] == "audio/wav"
    assert r.content[:4] == b"RIFF" and len(r.content) > 20_000
    assert client.get("/v1/studio/voice_preview/nobody", headers=headers).status_code == 400


def test_task_list_shows_generation_tasks_newest_first(client, headers):
    for prompt in ("a lighthouse at dusk", "rain over a harbour"):
        r = client.post(
            "/v1/text_to_video",
            json={"model": "gen4.5", "promptText": prompt, "ratio": "1280:720", "duration": 2},
            headers=headers,
        )
        assert r.status_code == 200, r.text
    tasks = client.get("/v1/studio/tasks", headers=headers).json()["data"]
    assert [t["promptText"] for t in tasks] == ["rain over a harbour", "a lighthouse at dusk"]
    assert all(t["status"] == "PENDING" and t["model"] == "gen4.5" for t in tasks)
