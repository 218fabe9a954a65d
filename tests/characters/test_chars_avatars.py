"""Avatars through the API: PROCESSING → READY with a quality report, PATCH/list/delete,
FAILED with a useful reason, manual keypoints for an animal, the kinema:// character URI."""

from __future__ import annotations

from chars_helpers import (
    DATA,
    SHIBA_POINTS,
    data_uri,
    einstein_uri,
    make_avatar,
    no_face_uri,
    run_tasks,
)


def _create(client, headers, **fields):
    body = {
        "name": "Albert",
        "personality": "A patient physics teacher.",
        "referenceImage": einstein_uri(),
        "voice": {"type": "runway-live-preset", "presetId": "vincent"},
        **fields,
    }
    return client.post("/v1/avatars", json=body, headers=headers)


def test_avatar_lifecycle(client, headers, settings):
    doc = client.post(
        "/v1/documents", json={"name": "Bio", "content": "Born in Ulm."}, headers=headers
    ).json()
    r = _create(client, headers, documentIds=[doc["id"]], startScript="Hello there!")
    assert r.status_code == 200, r.text
    created = r.json()
    assert created["status"] == "PROCESSING" and "failureReason" not in created
    assert created["voice"] == {
        "type": "runway-live-preset",
        "presetId": "vincent",
        "name": "Vincent",
        "description": created["voice"]["description"],
    }
    assert client.get(created["referenceImageUri"]).headers["content-type"] == "image/jpeg"
    assert created["processedImageUri"] is None

    run_tasks(settings)
    ready = client.get(f"/v1/avatars/{created['id']}", headers=headers).json()
    assert ready["status"] == "READY" and ready["documentIds"] == [doc["id"]]
    assert ready["quality"]["ok"] and ready["quality"]["metrics"]["face_px"] > 100
    assert ready["startScript"] == "Hello there!"
    assert client.get(ready["processedImageUri"]).headers["content-type"] == "image/png"

    patched = client.patch(
        f"/v1/avatars/{created['id']}",
        json={"startScript": None, "documentIds": [], "name": "Al", "emotion": "happy"},
        headers=headers,
    ).json()
    assert patched["startScript"] is None and patched["documentIds"] == []
    assert patched["name"] == "Al" and patched["status"] == "READY"
    assert patched["emotion"] == "happy"

    second = _create(client, headers, name="Second").json()
    page = client.get("/v1/avatars?limit=1", headers=headers).json()
    assert [a["id"] for a in page["data"]] == [second["id"]] and page["nextCursor"]

    assert client.delete(f"/v1/avatars/{created['id']}", headers=headers).status_code == 204
    assert client.get(f"/v1/avatars/{created['id']}", headers=headers).status_code == 404


def test_no_face_fails_with_a_tip(client, headers, settings):
    created = _create(client, headers, referenceImage=no_face_uri()).json()
    run_tasks(settings)
    failed = client.get(f"/v1/avatars/{created['id']}", headers=headers).json()
    assert failed["status"] == "FAILED"
    reason = failed["failureReason"]
    assert "no face" in reason.lower() and "by hand" in reason and "keypoints" in reason


def test_manual_keypoints_make_a_dog_an_avatar(client, headers, settings):
    shiba = data_uri((DATA / "shiba_dog.jpg").read_bytes())
    avatar = make_avatar(client, headers, settings, referenceImage=shiba, keypoints=SHIBA_POINTS)
    assert avatar["status"] == "READY", avatar.get("failureReason")
    assert avatar["keypoints"]["nose_tip"] == [222.0, 275.0]
    # without them the same picture fails, and marking them later rebuilds it
    plain = make_avatar(client, headers, settings, referenceImage=shiba)
    assert plain["status"] == "FAILED"
    r = client.patch(
        f"/v1/avatars/{plain['id']}", json={"keypoints": SHIBA_POINTS}, headers=headers
    )
    assert r.json()["status"] == "PROCESSING"
    run_tasks(settings)
    assert client.get(f"/v1/avatars/{plain['id']}", headers=headers).json()["status"] == "READY"


def test_bad_avatar_inputs_are_400(client, headers):
    r = _create(client, headers, documentIds=["nope"])
    assert r.status_code == 400 and "documentIds.0" in r.json()["error"]
    r = _create(client, headers, referenceImage="data:image/png;base64,AAAA")
    assert r.status_code == 400 and "referenceImage" in r.json()["error"]
    r = _create(client, headers, keypoints={"left_eye": [1, 2]})
    assert r.status_code == 400 and "keypoints" in r.json()["error"]
    r = _create(client, headers, emotion="smug")
    assert r.status_code == 400 and "happy" in r.json()["error"]
    r = _create(client, headers, voice={"type": "elevenlabs"})
    assert r.status_code == 400 and "runway-live-preset" in r.json()["error"]


def test_build_task_that_died_marks_the_avatar_failed(client, headers, settings):
    from kinema.platform import db, tasks

    created = _create(client, headers).json()
    with db.session_scope(settings) as s:
        from kinema.platform.characters.models import Avatar

        task_id = s.get(Avatar, created["id"]).build_task_id
        tasks.fail(
            s, task_id, "The task was interrupted 2 times (worker died); giving up.", "INTERNAL"
        )
    got = client.get(f"/v1/avatars/{created['id']}", headers=headers).json()
    assert got["status"] == "FAILED" and "interrupted" in got["failureReason"]


def test_kinema_uri_resolves_to_the_avatar_image(client, headers, settings):
    from kinema.errors import InvalidMedia
    from kinema.platform.inputs import resolve_media

    avatar = make_avatar(client, headers, settings)
    assert avatar["kinemaUri"] == f"kinema://avatars/{avatar['id']}"
    data = resolve_media(avatar["kinemaUri"], "image", "referenceImages.0.uri", settings=settings)
    assert data == (DATA / "einstein_photo.jpg").read_bytes()
    try:
        resolve_media("kinema://avatars/missing", "image", "promptImage", settings=settings)
    except InvalidMedia as exc:
        assert "promptImage" in str(exc)
    else:
        raise AssertionError("unknown avatar resolved")
    # the same library feeds the video endpoints: an @tag reference by kinema:// URI
    r = client.post(
        "/v1/text_to_image",
        json={
            "model": "gen4_image",
            "ratio": "1024:1024",
            "promptText": "@Albert on the moon",
            "referenceImages": [{"uri": avatar["kinemaUri"], "tag": "Albert"}],
        },
        headers=headers,
    )
    assert r.status_code == 200, r.text
    # an avatar can be made from another avatar's portrait
    copy = _create(client, headers, referenceImage=avatar["kinemaUri"])
    assert copy.status_code == 200


def test_avatar_from_an_ephemeral_upload(client, headers, settings):
    up = client.post(
        "/v1/uploads", json={"filename": "albert.jpg", "type": "ephemeral"}, headers=headers
    ).json()
    path = "/" + up["uploadUrl"].split("/", 3)[3]
    r = client.post(
        path,
        data=up["fields"],
        files={"file": ("albert.jpg", (DATA / "einstein_photo.jpg").read_bytes(), "image/jpeg")},
    )
    assert r.status_code == 204, r.text
    avatar = make_avatar(client, headers, settings, referenceImage=up["runwayUri"])
    assert avatar["status"] == "READY"


def test_knowledge_per_avatar_is_capped(client, headers):
    from kinema.platform.characters.documents import MAX_AVATAR_KNOWLEDGE_TOKENS

    words = MAX_AVATAR_KNOWLEDGE_TOKENS // 2
    ids = [
        client.post(
            "/v1/documents", json={"name": f"D{i}", "content": "word " * words}, headers=headers
        ).json()["id"]
        for i in range(3)
    ]
    assert _create(client, headers, documentIds=ids[:1]).status_code == 200
    r = _create(client, headers, documentIds=ids)
    assert r.status_code == 400 and "tokens" in r.json()["error"]
