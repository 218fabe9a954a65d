"""``/v1/avatar_videos`` and ``/v1/character_performance`` (act_two): create-time checks,
exact prices, and the tasks run through the worker code to real videos."""

from __future__ import annotations

import numpy as np
import pytest
from chars_helpers import (
    data_uri,
    einstein_uri,
    make_avatar,
    no_face_uri,
    run_tasks,
    speech_wav,
    talking_reference,
)

from kinema.media.video import probe, read_frames


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """A talking-head performance and the controls that drove it."""
    path = tmp_path_factory.mktemp("ref") / "reference.mp4"
    return path, talking_reference(path)


def _task(client, headers, task_id):
    return client.get(f"/v1/tasks/{task_id}", headers=headers).json()


def _fetch(client, url, tmp_path, name="out.mp4"):
    path = tmp_path / name
    path.write_bytes(client.get(url).content)
    return path


def test_retargeting_follows_the_performers_jaw(reference):
    """act_two retargets with the face engine: the portrait's jaw follows the performer's."""
    from kinema.face.retarget import retarget_controls

    path, driving = reference
    frames, fps = read_frames(path)
    assert fps == 24
    got = retarget_controls(frames)
    n = min(len(got), len(driving))
    jaw_in = np.array([c.jaw_open for c in driving[:n]])
    jaw_out = np.array([c.jaw_open for c in got[:n]])
    assert jaw_in.std() > 0.05 and jaw_out.std() > 0.05
    assert np.corrcoef(jaw_in, jaw_out)[0, 1] > 0.6


def test_retargeting_stops_when_cancelled(reference):
    from kinema.errors import Cancelled
    from kinema.face.retarget import retarget_controls

    frames, _ = read_frames(reference[0], max_frames=6)
    calls = iter([False, False, True])
    with pytest.raises(Cancelled):
        retarget_controls(frames, 3, lambda: next(calls))


@pytest.mark.slow
def test_act_two_task(client, headers, settings, reference, tmp_path):
    path, _ = reference
    seconds = probe(path).duration
    body = {
        "model": "act_two",
        "character": {"type": "image", "uri": einstein_uri()},
        "reference": {"type": "video", "uri": data_uri(path.read_bytes(), "video/mp4")},
        "ratio": "960:960",
        "expressionIntensity": 4,
    }
    r = client.post("/v1/character_performance", json=body, headers=headers)
    assert r.status_code == 200, r.text
    assert r.json()["estimatedCost"]["credits"] == 5 * int(np.ceil(seconds))
    run_tasks(settings)
    task = _task(client, headers, r.json()["id"])
    assert task["status"] == "SUCCEEDED", task
    out = _fetch(client, task["output"][0], tmp_path)
    info = probe(out)
    assert (info.width, info.height, info.codec) == (960, 960, "h264")
    assert abs(info.duration - seconds) < 0.1 and info.audio_codec == "aac"
    frames, _ = read_frames(out, size=(240, 240))
    stack = np.stack(frames).astype(np.float32)
    motion = stack.std(axis=0).mean(axis=2)  # per-pixel change over time
    # Einstein's mouth (lower middle) moves far more than the picture's corners
    assert motion[150:200, 90:150].mean() > 4 * motion[:40, :40].mean() + 0.5


def test_act_two_bad_inputs(client, headers, reference):
    path, _ = reference
    ok = {
        "model": "act_two",
        "character": {"type": "image", "uri": einstein_uri()},
        "reference": {"type": "video", "uri": data_uri(path.read_bytes(), "video/mp4")},
    }
    cases = [
        ({"ratio": "1920:1080"}, "ratio"),
        ({"expressionIntensity": 6}, "expressionIntensity"),
        ({"model": "gen4_turbo"}, "model"),
        ({"character": {"type": "image", "uri": "data:image/png;base64,AAAA"}}, "character"),
    ]
    for extra, field in cases:
        r = client.post("/v1/character_performance", json={**ok, **extra}, headers=headers)
        assert r.status_code == 400 and field in r.json()["error"], (extra, r.text)
    import av

    short = path.parent / "short.mp4"
    with av.open(str(path)) as src, av.open(str(short), "w", format="mp4") as dst:
        stream = dst.add_stream("libx264", rate=24)
        stream.width = stream.height = 256
        stream.pix_fmt = "yuv420p"
        for i, frame in enumerate(src.decode(video=0)):
            if i >= 24:
                break
            frame.pts = None
            for packet in stream.encode(frame):
                dst.mux(packet)
        for packet in stream.encode(None):
            dst.mux(packet)
    r = client.post(
        "/v1/character_performance",
        json={
            **ok,
            "reference": {"type": "video", "uri": data_uri(short.read_bytes(), "video/mp4")},
        },
        headers=headers,
    )
    assert r.status_code == 400 and "3 to 30 s" in r.json()["error"]


def test_act_two_without_a_face_fails_and_refunds(client, headers, settings, reference):
    path, _ = reference
    body = {
        "model": "act_two",
        "character": {"type": "image", "uri": no_face_uri()},
        "reference": {"type": "video", "uri": data_uri(path.read_bytes(), "video/mp4")},
    }
    r = client.post("/v1/character_performance", json=body, headers=headers)
    assert r.status_code == 200
    run_tasks(settings)
    task = _task(client, headers, r.json()["id"])
    assert task["status"] == "FAILED" and task["failureCode"] == "ASSET.INVALID"
    assert "no face" in task["failure"].lower() and task["cost"]["credits"] == 0


def test_avatar_video_from_text_and_audio(client, headers, settings, tmp_path):
    avatar = make_avatar(client, headers, settings)
    before = client.get("/v1/organization", headers=headers).json()["creditBalance"]
    body = {
        "model": "gwm1_avatars",
        "avatar": {"type": "custom", "avatarId": avatar["id"]},
        "speech": {
            "type": "text",
            "text": "Imagination is more important than knowledge.",
            "voice": {"type": "preset", "presetId": "clara"},
        },
        "size": 256,
    }
    r = client.post("/v1/avatar_videos", json=body, headers=headers)
    assert r.status_code == 200, r.text
    cost = r.json()["estimatedCost"]["credits"]
    wav = speech_wav("Imagination is more important than knowledge.", "emma")
    audio_body = {**body, "speech": {"type": "audio", "audio": data_uri(wav, "audio/wav")}}
    r2 = client.post("/v1/avatar_videos", json=audio_body, headers=headers)
    assert r2.status_code == 200, r2.text
    # the tasks carry their own rig: deleting the avatar before they run changes nothing
    assert client.delete(f"/v1/avatars/{avatar['id']}", headers=headers).status_code == 204
    run_tasks(settings)
    for task_id in (r.json()["id"], r2.json()["id"]):
        task = _task(client, headers, task_id)
        assert task["status"] == "SUCCEEDED", task
        info = probe(_fetch(client, task["output"][0], tmp_path, f"{task_id}.mp4"))
        assert (info.width, info.height) == (256, 256) and info.audio_codec == "aac"
        assert abs(info.duration - task["duration"]) < 0.1
    assert 2 <= cost <= 5  # 1 credit per started second of speech
    after = client.get("/v1/organization", headers=headers).json()["creditBalance"]
    assert before - after == cost + r2.json()["estimatedCost"]["credits"]


def test_avatar_video_bad_inputs(client, headers, settings):
    failed = make_avatar(client, headers, settings, referenceImage=no_face_uri())
    ready = make_avatar(client, headers, settings)
    base = {
        "model": "gwm1_avatars",
        "avatar": {"type": "custom", "avatarId": ready["id"]},
        "speech": {"type": "text", "text": "Hi there."},
    }
    cases = [
        ({"avatar": {"type": "runway-preset", "presetId": "robot"}}, "avatar.presetId"),
        ({"avatar": {"type": "custom", "avatarId": failed["id"]}}, "FAILED"),
        ({"speech": {"type": "text", "text": "  "}}, "speech.text"),
        (
            {
                "speech": {
                    "type": "text",
                    "text": "Hi.",
                    "voice": {"type": "preset", "presetId": "nobody"},
                }
            },
            "victoria",
        ),
        ({"model": "act_two"}, "gwm1_avatars"),
    ]
    for extra, needle in cases:
        r = client.post("/v1/avatar_videos", json={**base, **extra}, headers=headers)
        assert r.status_code == 400 and needle in r.json()["error"], (extra, r.text)
