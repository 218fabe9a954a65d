"""A PATCH with a new portrait changes the face that REST turns render (issue 10): the rebuilt
rig gets a new storage key (rig version + content hash), so per-process caches keyed by it
(the REST turn renderers) cannot serve the old face."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import av
import cv2
import numpy as np

from kinema.face.rig import RIG_VERSION
from kinema.platform.characters import avatars as avatar_service

DATA = Path(__file__).resolve().parents[1] / "data"


def _uri(path: Path) -> str:
    return "data:image/jpeg;base64," + base64.b64encode(path.read_bytes()).decode()


def _first_frame(client, url: str) -> np.ndarray:
    res = client.get(url)
    assert res.status_code == 200, res.text
    with av.open(io.BytesIO(res.content)) as box:
        frame = next(box.decode(video=0))
        return frame.to_ndarray(format="rgb24").astype(np.float32)


def _processed(client, settings, avatar_id: str, size: int) -> np.ndarray:
    from kinema.platform import db
    from kinema.platform.characters.models import Avatar
    from kinema.platform.storage import get_storage

    with db.session_scope(settings) as s:
        key = s.get(Avatar, avatar_id).processed_key
    raw = np.frombuffer(get_storage(settings).get_bytes(key), np.uint8)
    image = cv2.cvtColor(cv2.imdecode(raw, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
    return cv2.resize(image, (size, size), interpolation=cv2.INTER_AREA).astype(np.float32)


def test_patched_portrait_changes_rig_key_and_rest_turn_face(client, headers, settings):
    size = 128
    created = client.post(
        "/v1/avatars",
        json={"name": "Albert", "personality": "A physics tutor.",
              "referenceImage": _uri(DATA / "einstein_photo.jpg"),
              "voice": {"type": "runway-live-preset", "presetId": "clara"}},
        headers=headers,
    )  # fmt: skip
    assert created.status_code == 200, created.text
    avatar_id = created.json()["id"]
    assert avatar_service.build(avatar_id, settings) == "READY"
    first_key = _rig_key(settings, avatar_id)
    assert first_key.startswith(f"avatars/{avatar_id}/rig-v{RIG_VERSION}-")
    turn = {"text": "Hello!", "video": True, "videoSize": size}
    r1 = client.post(f"/v1/avatars/{avatar_id}/conversation_turns", json=turn, headers=headers)
    assert r1.status_code == 200, r1.text
    old_face = _processed(client, settings, avatar_id, size)
    before = _first_frame(client, r1.json()["videoUrl"])

    patched = client.patch(
        f"/v1/avatars/{avatar_id}",
        json={"referenceImage": _uri(DATA / "cartoon_boy_3d.jpg")},
        headers=headers,
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["status"] == "PROCESSING"
    assert avatar_service.build(avatar_id, settings) == "READY"
    second_key = _rig_key(settings, avatar_id)
    assert second_key != first_key and second_key.startswith(f"avatars/{avatar_id}/rig-v")
    new_face = _processed(client, settings, avatar_id, size)
    r2 = client.post(f"/v1/avatars/{avatar_id}/conversation_turns", json=turn, headers=headers)
    assert r2.status_code == 200, r2.text
    after = _first_frame(client, r2.json()["videoUrl"])

    def diff(a: np.ndarray, b: np.ndarray) -> float:
        return float(np.abs(a - b).mean())

    print(
        f"before~old {diff(before, old_face):.1f} before~new {diff(before, new_face):.1f} "
        f"after~old {diff(after, old_face):.1f} after~new {diff(after, new_face):.1f}"
    )
    assert diff(before, old_face) < diff(before, new_face)  # the first clip shows Einstein
    assert diff(after, new_face) < diff(after, old_face)  # the second shows the new portrait
    assert diff(after, before) > 10


def _rig_key(settings, avatar_id: str) -> str:
    from kinema.platform import db
    from kinema.platform.characters.models import Avatar

    with db.session_scope(settings) as s:
        key = s.get(Avatar, avatar_id).rig_key
    assert key
    return key
