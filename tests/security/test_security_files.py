"""Data files at rest are owner-only from creation."""

from __future__ import annotations

import stat
from pathlib import Path

from kinema.config import Settings
from kinema.platform import db


def test_database_and_secret_key_are_owner_only(tmp_path: Path) -> None:
    s = Settings(home=tmp_path / "home")  # type: ignore[arg-type]
    db.migrate(s)
    s.resolved_secret_key()
    for name in ("kinema.db", "secret.key"):
        mode = stat.S_IMODE((s.home / name).stat().st_mode)
        assert mode & 0o077 == 0, f"{name} is {oct(mode)}"
    assert stat.S_IMODE(s.home.stat().st_mode) & 0o077 == 0


def _task_with_output(client, headers, settings, outputs: bool = True) -> tuple[str, str]:  # noqa: ANN001
    from kinema.platform import tasks
    from kinema.platform.storage import get_storage

    r = client.post(
        "/v1/text_to_video",
        headers=headers,
        json={"model": "gen4.5", "promptText": "x", "ratio": "1280:720", "duration": 2},
    )
    assert r.status_code == 200, r.text
    task_id = r.json()["id"]
    key = f"tasks/{task_id}/video.mp4"
    get_storage(settings).put_bytes(key, b"fake-mp4-bytes")
    get_storage(settings).put_bytes(f"tasks/{task_id}/inputs/promptImage", b"input")
    if outputs:
        with db.session_scope(settings) as s:
            assert tasks.claim_pending(s, 1, "w")[0].task_id == task_id
            assert tasks.succeed(s, task_id, 1, {"files": [key], "extra": {}})
    return task_id, key


def test_deleting_a_task_removes_its_files_and_kills_signed_urls(client, headers, settings) -> None:
    from kinema.platform.storage import get_storage

    task_id, key = _task_with_output(client, headers, settings)
    done = client.get(f"/v1/tasks/{task_id}", headers=headers).json()
    url = done["output"][0]
    assert client.get(url).content == b"fake-mp4-bytes"  # signed before the delete
    assert client.delete(f"/v1/tasks/{task_id}", headers=headers).status_code == 204
    r = client.get(url)
    assert r.status_code == 404, r.text
    storage = get_storage(settings)
    assert not storage.exists(key) and not storage.exists(f"tasks/{task_id}")
    # even if the storage kept a copy (a failed delete), the link stays dead
    storage.put_bytes(key, b"resurrected")
    assert client.get(url).status_code == 404


def test_cancelling_a_task_removes_its_inputs(client, headers, settings) -> None:
    from kinema.platform.jobs.worker import _discard_if_withdrawn
    from kinema.platform.storage import get_storage

    task_id, key = _task_with_output(client, headers, settings, outputs=False)
    storage = get_storage(settings)
    assert client.delete(f"/v1/tasks/{task_id}", headers=headers).status_code == 204
    assert client.get(f"/v1/tasks/{task_id}", headers=headers).json()["status"] == "CANCELLED"
    assert not storage.exists(f"tasks/{task_id}")
    # a worker still running it stores an output after the cancel: it is discarded at the end
    storage.put_bytes(key, b"late output")
    _discard_if_withdrawn(settings, storage, task_id)
    assert not storage.exists(key)
