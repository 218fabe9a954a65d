"""The official ``runwayml`` SDK (strict response validation) against kinema on loopback, with
real worker processes: documents, avatars to READY, list/update/delete, a FAILED avatar's
reason, an avatar video and an act_two task (a dog avatar with manual keypoints, by its
kinema:// URI) waited for with ``wait_for_task_output``."""

from __future__ import annotations

import socket
import threading
import time

import pytest
import runwayml
from chars_helpers import (
    DATA,
    SHIBA_POINTS,
    data_uri,
    einstein_uri,
    no_face_uri,
    talking_reference,
)

from kinema.config import Settings
from kinema.media.video import probe
from kinema.platform import accounts, db

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    import uvicorn

    from kinema.api.app import create_app

    home = tmp_path_factory.mktemp("sdk_home")
    settings = Settings(home=home, workers=2)  # type: ignore[arg-type]
    db.migrate(settings)
    with db.session_scope(settings) as s:
        org = accounts.create_org(s, "sdk", credits=1000)
        _, key = accounts.create_key(s, org.id)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    srv = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    end = time.monotonic() + 30
    while not srv.started and time.monotonic() < end:
        time.sleep(0.05)
    assert srv.started
    yield f"http://127.0.0.1:{port}", key
    srv.should_exit = True
    thread.join(15)


def _until(fetch, done, timeout=90.0):
    end = time.monotonic() + timeout
    while True:
        obj = fetch()
        if done(obj) or time.monotonic() > end:
            return obj
        time.sleep(0.3)


def test_sdk_characters(server, tmp_path):
    import httpx

    url, key = server
    client = runwayml.RunwayML(api_key=key, base_url=url, _strict_response_validation=True)
    doc = client.documents.create(name="Bio", content="# Albert\n\nBorn in Ulm in 1879.")
    assert doc.type == "text" and doc.used_by == []
    avatar = client.avatars.create(
        name="Albert",
        personality="A patient physics teacher.",
        reference_image=einstein_uri(),
        voice={"type": "runway-live-preset", "presetId": "leo"},
        document_ids=[doc.id],
        start_script="Hello!",
    )
    assert avatar.status == "PROCESSING" and avatar.voice.preset_id == "leo"
    bad = client.avatars.create(
        name="Cup",
        personality="A coffee cup.",
        reference_image=no_face_uri(),
        voice={"type": "runway-live-preset", "presetId": "mia"},
    )
    dog = client.avatars.create(  # manual keypoints (a Kinema extension) for an animal
        name="Shiba",
        personality="A good dog.",
        reference_image=data_uri((DATA / "shiba_dog.jpg").read_bytes()),
        voice={"type": "runway-live-preset", "presetId": "zach"},
        extra_body={"keypoints": SHIBA_POINTS},
    )
    ready = _until(lambda: client.avatars.retrieve(avatar.id), lambda a: a.status != "PROCESSING")
    assert ready.status == "READY", ready
    failed = _until(lambda: client.avatars.retrieve(bad.id), lambda a: a.status != "PROCESSING")
    assert failed.status == "FAILED" and "keypoints" in failed.failure_reason

    assert (
        _until(lambda: client.avatars.retrieve(dog.id), lambda a: a.status != "PROCESSING").status
        == "READY"
    )
    listed = [a.id for a in client.avatars.list(limit=1)]  # the SDK pages through
    assert set(listed) == {avatar.id, bad.id, dog.id}
    updated = client.avatars.update(avatar.id, start_script=None, name="Al")
    assert updated.start_script is None and updated.name == "Al"
    assert [u.id for u in client.documents.retrieve(doc.id).used_by] == [avatar.id]
    docs = client.documents.list(limit=10, sort="createdAt", order="desc")
    assert [d.id for d in docs] == [doc.id]

    video = client.avatar_videos.create(
        model="gwm1_avatars",
        avatar={"type": "custom", "avatarId": avatar.id},
        speech={"type": "text", "text": "Hello there, my friend."},
    )
    reference = tmp_path / "reference.mp4"
    talking_reference(reference, size=192)
    act = client.character_performance.create(
        model="act_two",
        character={"type": "image", "uri": f"kinema://avatars/{dog.id}"},
        reference={"type": "video", "uri": data_uri(reference.read_bytes(), "video/mp4")},
        ratio="960:960",
    )
    done = video.wait_for_task_output(timeout=180)
    assert done.status == "SUCCEEDED"
    out = tmp_path / "avatar.mp4"
    out.write_bytes(httpx.get(done.output[0]).content)
    assert probe(out).audio_codec == "aac"
    act_done = client.tasks.retrieve(act.id).wait_for_task_output(timeout=180)
    assert act_done.status == "SUCCEEDED" and act_done.cost.credits > 0

    client.avatars.delete(bad.id)
    with pytest.raises(runwayml.NotFoundError):
        client.avatars.retrieve(bad.id)
    client.documents.delete(doc.id)
