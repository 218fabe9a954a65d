"""``POST /v1/video_to_video`` (gen4_aleph): create-time checks and price, then the stored task
run through the generation handler (workers off; the handler runs in-process)."""

from __future__ import annotations

import numpy as np
import pytest
from api_helpers import data_uri, png_bytes
from skimage import data as skdata

from kinema.media.video import VideoWriter, probe, read_frames
from kinema.platform import db
from kinema.platform.generation import run_generation
from kinema.platform.jobs.context import JobContext
from kinema.platform.models import Task
from kinema.platform.storage import get_storage


@pytest.fixture(scope="module")
def clip_uri(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A 2 s, 24 fps, 160x120 clip of the astronaut sliding sideways, as a data URI."""
    path = tmp_path_factory.mktemp("v2v") / "in.mp4"
    base = np.ascontiguousarray(skdata.astronaut()[::4, ::2][:120])  # 120x256
    with VideoWriter(path, 160, 120, 24) as w:
        for i in range(48):
            w.write(np.ascontiguousarray(base[:, i : i + 160]))
    return data_uri(path.read_bytes(), "video/mp4")


def create(client, headers, **body):
    return client.post("/v1/video_to_video", headers=headers, json={"model": "gen4_aleph", **body})


def test_aleph_rejects_bad_requests(client, headers, clip_uri):
    cases = [
        ({"videoUri": clip_uri}, "promptText"),
        ({"promptText": "night"}, "videoUri"),
        ({"videoUri": clip_uri, "promptText": "x", "ratio": "1000:1000"}, "ratio"),
        (
            {
                "videoUri": clip_uri,
                "promptText": "x",
                "references": [{"type": "image", "uri": data_uri(png_bytes())}] * 2,
            },
            "references",
        ),
        ({"videoUri": data_uri(png_bytes(), "video/mp4"), "promptText": "x"}, "videoUri"),
        ({"videoUri": data_uri(png_bytes()), "promptText": "x"}, "videoUri"),
    ]
    for body, field in cases:
        r = create(client, headers, **body)
        assert r.status_code == 400, (field, r.text)
        assert field in r.json()["error"]
    bad_model = client.post(
        "/v1/video_to_video",
        headers=headers,
        json={"model": "gen4_turbo", "videoUri": clip_uri, "promptText": "x"},
    )
    assert bad_model.status_code == 400 and "gen4_aleph" in bad_model.json()["error"]
    assert client.get("/v1/organization", headers=headers).json()["creditBalance"] == 1000


def _run(settings, task_id, tmp_path):
    with db.session_scope(settings) as s:
        payload = dict(s.get(Task, task_id).payload)
    ctx = JobContext(
        task_id=task_id,
        attempt=1,
        out_dir=tmp_path / "scratch",
        storage=get_storage(settings),
        settings=settings,
    )
    out = run_generation(payload, ctx)
    return get_storage(settings).local_path(out.files[0]), out


def test_aleph_prices_per_second_and_edits_the_clip(client, headers, settings, clip_uri, tmp_path):
    r = create(client, headers, videoUri=clip_uri, promptText="night, slow push in", seed=3)
    assert r.status_code == 200, r.text
    assert r.json()["estimatedCost"] == {"credits": 30}  # 2 s x 15 credits/s
    assert client.get("/v1/organization", headers=headers).json()["creditBalance"] == 970
    task_id = r.json()["id"]
    path, out = _run(settings, task_id, tmp_path)
    info = probe(path)
    # no ratio: the nearest to the input's 4:3 shape
    assert (info.codec, info.width, info.height, info.frames, info.fps) == (
        "h264",
        640,
        480,
        48,
        24,
    )
    assert "night" in out.extra["promptUnderstood"]
    src, _ = read_frames(path.parent / "inputs" / "video", max_frames=1)
    edited, _ = read_frames(path, max_frames=1, size=(160, 120))
    assert edited[0].mean() < 0.8 * src[0].mean()  # relit to night


def test_aleph_style_reference_and_ratio(client, headers, settings, clip_uri, tmp_path):
    blue = np.zeros((64, 64, 3), np.uint8)
    blue[..., 2] = 220  # the source is warm (red mean ~159, blue ~96)
    from kinema.media.image import encode_image

    r = create(
        client,
        headers,
        videoUri=clip_uri,
        promptText="keep it as it is",
        ratio="960:960",
        references=[{"type": "image", "uri": data_uri(encode_image(blue))}],
    )
    assert r.status_code == 200, r.text
    path, _ = _run(settings, r.json()["id"], tmp_path)
    info = probe(path)
    assert (info.width, info.height, info.frames) == (960, 960, 48)
    frame = read_frames(path, max_frames=1)[0][0].astype(float)
    r_mean, g_mean, b_mean = frame[..., 0].mean(), frame[..., 1].mean(), frame[..., 2].mean()
    assert b_mean > r_mean + 20 and b_mean > g_mean  # moved toward the blue reference


def test_aleph2_shape_of_sdk_5(client, headers, settings, clip_uri, tmp_path):
    """aleph2 (the model SDK 5.x types): promptText optional; keyframes, outpaint, other output
    formats and references are refused by name rather than silently dropped."""
    refused = [
        ({"keyframes": [{"uri": data_uri(png_bytes()), "at": 0.5}]}, "keyframes"),
        ({"targetAspectRatio": "16:9"}, "targetAspectRatio"),
        ({"outputFormat": "prores"}, "outputFormat"),
        ({"references": [{"type": "image", "uri": data_uri(png_bytes())}]}, "references"),
    ]
    for extra, field in refused:
        r = client.post(
            "/v1/video_to_video",
            headers=headers,
            json={"model": "aleph2", "videoUri": clip_uri, **extra},
        )
        assert r.status_code == 400 and field in r.json()["error"], (field, r.text)
    r = client.post(
        "/v1/video_to_video", headers=headers, json={"model": "aleph2", "videoUri": clip_uri}
    )
    assert r.status_code == 200 and r.json()["estimatedCost"] == {"credits": 30}, r.text
    path, _ = _run(settings, r.json()["id"], tmp_path)
    assert (probe(path).width, probe(path).height, probe(path).frames) == (640, 480, 48)
