"""Frame reuse: a face that barely moved repeats its last image (and JPEG) instead of rendering."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest
import skimage.data

from kinema.face.controls import FaceControls
from kinema.live.session import LiveSession, SessionConfig, controls_close
from kinema.live.wiring import build_engines

from .collect import Collector
from .fakes import fake_engines, mouth_open


class CountingRenderer:
    def __init__(self, inner) -> None:
        self.inner, self.calls = inner, 0

    def render(self, controls):
        self.calls += 1
        return self.inner.render(controls)


def test_controls_close_tolerates_sway_not_speech_or_blinks():
    a = FaceControls(head_yaw=1.0, gaze_x=0.2)
    assert controls_close(a, FaceControls(head_yaw=1.05, gaze_x=0.205))
    assert not controls_close(a, FaceControls(head_yaw=1.3, gaze_x=0.2))
    assert not controls_close(a, FaceControls(head_yaw=1.0, gaze_x=0.2, jaw_open=0.05))
    assert not controls_close(a, FaceControls(head_yaw=1.0, gaze_x=0.2, blink_left=0.1))
    assert not controls_close(None, a)
    assert controls_close({"mouth": False}, {"mouth": False})
    assert not controls_close({"mouth": False}, {"mouth": True})


async def test_idle_frames_reuse_the_last_render_and_speech_renders_again():
    eng = fake_engines()
    counting = CountingRenderer(eng.renderer)
    eng.renderer = counting
    s = await LiveSession(eng, SessionConfig(greet=False)).start()
    s.want_jpeg()
    c = Collector(s)
    await asyncio.sleep(0.5)
    idle_frames = len(c.got.video)
    assert idle_frames >= 8 and counting.calls <= 2  # a still face is rendered once
    assert all(v.jpeg for _, v in c.got.video)  # reused frames still carry their JPEG
    await s.send_text("who are you")
    await c.got.wait_for("turn_metrics", timeout=5)
    await s.close()
    await c.stop()
    speaking = [v for _, v in c.got.video if v.speaking]
    assert any(mouth_open(v.image) for v in speaking)  # the mouth still moves on time
    assert not any(mouth_open(v.image) for _, v in c.got.video if not v.speaking)
    m = s.stats.summary()
    assert m["reused_frames"] > 0 and m["frames"] == len(c.got.video)
    assert counting.calls < m["frames"]


@pytest.mark.slow
def test_reused_idle_frames_look_like_fresh_renders():
    """On the real face at rest, most frames reuse and differ from a fresh render by < 1 level."""
    eng = build_engines(portrait=skimage.data.astronaut(), size=256, speech_input=False)
    eng.animator.set_state("idle", 0.0)
    last_controls, last_image, reused, worst = None, None, 0, 0.0
    fps, n = 24, 24 * 8
    for i in range(n):
        c = eng.animator.controls_at(i / fps)
        fresh = eng.renderer.render(c).astype(np.float32)
        if controls_close(c, last_controls):
            reused += 1
            worst = max(worst, float(np.abs(fresh - last_image).mean()))
        else:
            last_controls, last_image = c, fresh
    assert reused > n * 0.5
    assert worst < 1.0, worst
