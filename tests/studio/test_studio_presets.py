"""Preset characters: nine distinct faces the project can ship, usable everywhere an avatar is
(realtime sessions, publishable keys, ``/v1/avatar_videos``) and adoptable as one's own."""

from __future__ import annotations

import io
import time

import numpy as np
from PIL import Image
from studio_helpers import run_tasks

from kinema.face.controls import FaceControls
from kinema.face.render import Renderer
from kinema.media.video import probe, read_frames
from kinema.platform.characters import presets


def _png(client, url: str) -> np.ndarray:
    r = client.get(url.split("testserver", 1)[-1])
    assert r.status_code == 200 and r.headers["content-type"] == "image/png", r.text
    return np.asarray(Image.open(io.BytesIO(r.content)).convert("RGB").resize((128, 128)))


def test_presets_are_distinct_characters_with_their_own_faces(client, headers):
    r = client.get("/v1/studio/presets", headers=headers)
    assert r.status_code == 200, r.text
    listed = r.json()["data"]
    assert [p["id"] for p in listed] == list(presets.PRESETS)
    assert len({p["name"] for p in listed}) == len(listed) == 9
    assert len({p["voice"]["presetId"] for p in listed}) == 9  # each its own voice
    assert all(p["credit"] and p["art"] in ("photo", "drawing") for p in listed)
    images = {p["id"]: _png(client, p["imageUrl"]).astype(np.float32) for p in listed}
    ids = list(images)
    for i, a in enumerate(ids):  # every pair of portraits differs visibly
        for b in ids[i + 1 :]:
            diff = float(np.abs(images[a] - images[b]).mean())
            assert diff > 12, (a, b, diff)
    assert client.get("/studio/presets/nobody.png").status_code == 404
    assert client.get("/v1/studio/presets").status_code == 401


def test_every_preset_rig_talks():
    for p in presets.PRESETS.values():
        r = Renderer(p.rig(), 128)
        rest = r.render(FaceControls()).astype(np.float32)
        talking = r.render(FaceControls(jaw_open=0.8)).astype(np.float32)
        h = rest.shape[0]
        changed = np.abs(rest - talking).max(axis=2) > 30  # clearly visible at 128 px
        mouth = changed[h // 2 :].mean()  # share of the lower half that moved
        eyes = changed[: h // 3].mean()
        assert mouth > 0.005 and eyes < 0.001, (p.id, mouth, eyes)


def test_preset_avatar_video_and_publishable_key(client, headers, settings, tmp_path):
    body = {
        "model": "gwm1_avatars",
        "avatar": {"type": "runway-preset", "presetId": "cooking-teacher"},
        "speech": {"type": "text", "text": "Whisk the eggs first."},
        "size": 128,
    }
    r = client.post("/v1/avatar_videos", json=body, headers=headers)
    assert r.status_code == 200, r.text
    bad = client.post(
        "/v1/avatar_videos",
        json={**body, "avatar": {"type": "runway-preset", "presetId": "robot"}},
        headers=headers,
    )
    assert bad.status_code == 400 and "avatar.presetId" in bad.json()["error"]
    run_tasks(settings)
    task = client.get(f"/v1/tasks/{r.json()['id']}", headers=headers).json()
    assert task["status"] == "SUCCEEDED", task
    path = tmp_path / "chef.mp4"
    path.write_bytes(client.get(task["output"][0].split("testserver", 1)[1]).content)
    assert probe(path).width == 128
    frames, _ = read_frames(path, max_frames=1)
    first = frames[0].astype(np.float32)

    def rest(preset_id: str) -> np.ndarray:
        return (
            Renderer(presets.PRESETS[preset_id].rig(), 128)
            .render(FaceControls())
            .astype(np.float32)
        )

    chef, nova = (
        np.abs(first - rest("cooking-teacher")).mean(),
        np.abs(first - rest("game-character")).mean(),
    )
    assert chef < 12 < nova, (chef, nova)  # the chef's own face, not the astronaut

    pk = client.post(
        "/v1/publishable_keys",
        json={"avatarId": "cat-character", "allowedOrigins": ["https://shop.example"]},
        headers=headers,
    )
    assert pk.status_code == 201, pk.text
    other = client.post(
        "/v1/publishable_keys",
        json={"avatarId": "someone-elses-avatar", "allowedOrigins": ["https://shop.example"]},
        headers=headers,
    )
    assert other.status_code == 404


def test_adopting_a_preset_makes_an_editable_avatar(client, headers, settings):
    r = client.post("/v1/studio/presets/cat-character/adopt", headers=headers)
    assert r.status_code == 201, r.text
    avatar = r.json()
    assert avatar["name"] == "Whiskers" and avatar["status"] == "PROCESSING"
    run_tasks(settings)
    for _ in range(50):
        got = client.get(f"/v1/avatars/{avatar['id']}", headers=headers).json()
        if got["status"] != "PROCESSING":
            break
        time.sleep(0.1)
    assert got["status"] == "READY", got
    assert got["voice"]["presetId"] == "mia"
    missing = client.post("/v1/studio/presets/robot/adopt", headers=headers)
    assert missing.status_code == 400 and "presetId" in missing.json()["error"]
