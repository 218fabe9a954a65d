"""The ``generation`` task kind in-process: payload → engine → checked, stored outputs."""

from __future__ import annotations

import numpy as np
import pytest
from skimage import data

from kinema.errors import Cancelled, EngineFailure
from kinema.media.image import encode_image
from kinema.media.video import VideoWriter, probe
from kinema.platform.generation import check_video, run_generation
from kinema.platform.jobs.context import JobContext
from kinema.platform.moderation import UnsafeInput
from kinema.platform.storage import get_storage
from kinema.platform.submit import input_key


def context(settings, tmp_path, task_id="t1", cancel=lambda: False, seen=None):
    return JobContext(
        task_id=task_id,
        attempt=1,
        out_dir=tmp_path / "scratch",
        storage=get_storage(settings),
        settings=settings,
        _progress=(seen.append if seen is not None else lambda f: None),
        _cancelled=cancel,
    )


def payload(settings, **kw):
    key = get_storage(settings).put_bytes(
        input_key("t1", "first_frame"), encode_image(data.astronaut())
    )
    return {
        "kind": "video",
        "prompt": "slow zoom",
        "width": 128,
        "height": 96,
        "duration": 1,
        "fps": 24,
        "preset": "fast",
        "engine": "compositor",
        "inputs": {"first_frame": key},
        **kw,
    }


def test_video_task_renders_checks_and_stores(settings, tmp_path):
    seen: list[float] = []
    out = run_generation(payload(settings), context(settings, tmp_path, seen=seen))
    assert out.files == ["tasks/t1/video.mp4"] and out.extra["poster"] == "tasks/t1/poster.jpg"
    assert "slow" in out.extra["promptUnderstood"]
    local = get_storage(settings).local_path(out.files[0])
    info = probe(local)
    assert (info.codec, info.width, info.height, info.frames) == ("h264", 128, 96, 24)
    assert seen and seen[-1] == 1.0 and seen == sorted(seen)


def test_cancel_and_moderation(settings, tmp_path):
    with pytest.raises(Cancelled):
        run_generation(payload(settings), context(settings, tmp_path, cancel=lambda: True))
    settings.blocked_terms = ["forbiddenword"]
    with pytest.raises(UnsafeInput) as err:
        run_generation(
            payload(settings, prompt="A ForbiddenWord here"), context(settings, tmp_path)
        )
    assert err.value.code == "SAFETY.INPUT.TEXT"


def test_bad_output_is_refused(tmp_path):
    path = tmp_path / "v.mp4"
    with VideoWriter(path, 64, 48, 24) as w:
        for _ in range(24):
            w.write(np.zeros((48, 64, 3), np.uint8))
    check_video(path, 64, 48, 24, 1.0)
    for args in [(128, 96, 24, 1.0), (64, 48, 30, 1.0), (64, 48, 24, 2.0)]:
        with pytest.raises(EngineFailure) as err:
            check_video(path, *args)
        assert err.value.code == "INTERNAL.BAD_OUTPUT.CODE01"
    (tmp_path / "junk.mp4").write_bytes(b"junk")
    with pytest.raises(EngineFailure, match="unreadable"):
        check_video(tmp_path / "junk.mp4", 64, 48, 24, 1.0)


def test_render_threads_share_the_cores_among_workers(settings, tmp_path, monkeypatch):
    from kinema.platform.generation import build_request, render_threads

    monkeypatch.setattr("os.cpu_count", lambda: 2)
    assert render_threads(settings.model_copy(update={"workers": 2, "video_threads": 0})) == 1
    assert render_threads(settings.model_copy(update={"workers": 1, "video_threads": 0})) == 2
    assert render_threads(settings.model_copy(update={"workers": 4, "video_threads": 0})) == 1
    assert render_threads(settings.model_copy(update={"workers": 2, "video_threads": 3})) == 3
    two = settings.model_copy(update={"workers": 2, "video_threads": 0})
    req = build_request(payload(two), context(two, tmp_path))
    assert req.options["threads"] == 1  # the compositor sets cv2 threads from this
    explicit = build_request(payload(two, options={"threads": 2}), context(two, tmp_path))
    assert explicit.options["threads"] == 2
