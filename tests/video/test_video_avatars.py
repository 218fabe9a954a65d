"""One character library: an avatar named by ``kinema://avatars/<id>`` as the first frame of an
image-to-video task is animated in the shot and speaks its line with the avatar's own voice."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from kinema.config import Settings
from kinema.media.video import probe
from kinema.platform import db
from kinema.platform import tasks as task_service
from kinema.platform.jobs.registry import TASK_KINDS
from kinema.platform.jobs.worker import Job, run_job
from kinema.platform.models import Task
from kinema.platform.storage import get_storage

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    s = Settings(home=tmp_path / "home", workers=1)  # type: ignore[arg-type]
    db.migrate(s)
    return s


def _run_all(settings: Settings) -> None:
    with db.session_scope(settings) as s:
        claims = task_service.claim_pending(s, 50, "test")
    for c in claims:
        run_job(
            Job(
                c.task_id,
                c.attempt,
                c.kind,
                TASK_KINDS[c.kind],
                c.payload,
                settings.model_dump(mode="json"),
            )
        )


@pytest.mark.slow
def test_an_avatar_by_id_speaks_in_a_generated_shot(client, headers, settings) -> None:  # noqa: ANN001
    image = base64.b64encode((DATA / "einstein_photo.jpg").read_bytes()).decode()
    r = client.post(
        "/v1/avatars",
        headers=headers,
        json={
            "name": "Albert",
            "personality": "A patient physics teacher.",
            "referenceImage": f"data:image/jpeg;base64,{image}",
            "voice": {"type": "runway-live-preset", "presetId": "vincent"},
        },
    )
    assert r.status_code == 200, r.text
    avatar_id = r.json()["id"]
    _run_all(settings)
    r = client.post(
        "/v1/image_to_video",
        headers=headers,
        json={
            "model": "gen4_turbo",
            "promptImage": f"kinema://avatars/{avatar_id}",
            "promptText": 'static. he says "Good morning."',
            "ratio": "960:960",
            "duration": 3,
        },
    )
    assert r.status_code == 200, r.text
    task_id = r.json()["id"]
    with db.session_scope(settings) as s:
        payload = dict(s.get(Task, task_id).payload)
    assert payload["first_frame_avatar"] == avatar_id
    assert payload["first_frame_voice"]["name"] == "vincent"  # the avatar's voice travels along
    _run_all(settings)
    task = client.get(f"/v1/tasks/{task_id}", headers=headers).json()
    assert task["status"] == "SUCCEEDED", task
    with db.session_scope(settings) as s:
        key = s.get(Task, task_id).outputs["files"][0]
    info = probe(get_storage(settings).local_path(key))
    assert info.audio_codec == "aac" and info.frames == 72
    assert any("Good morning" in p for p in task.get("promptUnderstood", [])), task
