"""Retargeting a driving face onto a portrait."""

from __future__ import annotations

import numpy as np
import pytest

from kinema.errors import InvalidInput
from kinema.face.controls import FaceControls
from kinema.face.render import Renderer
from kinema.face.retarget import performance_frames, retarget_controls, write_performance_clip
from kinema.media.video import probe


@pytest.fixture(scope="module")
def driving(rigs):
    """A driver made by rendering the cartoon with known controls (ground truth)."""
    r = Renderer(rigs["cartoon"], 384)
    truth, frames = [], []
    for i in range(40):
        c = FaceControls(
            jaw_open=max(0.0, np.sin(i / 40 * 4 * np.pi)) * 0.8 if i >= 8 else 0.0,
            head_roll=4 * np.sin(i / 10) if i >= 8 else 0.0,
            blink_left=1.0 if i in (20, 21) else 0.0,
            blink_right=1.0 if i in (20, 21) else 0.0,
        )
        truth.append(c)
        frames.append(r.render(c).copy())
    return truth, frames


def test_retargeted_controls_follow_the_driver(driving):
    truth, frames = driving
    got = retarget_controls(frames)
    for name in ("jaw_open", "head_roll"):
        a = np.array([getattr(c, name) for c in truth])
        b = np.array([getattr(c, name) for c in got])
        assert np.corrcoef(a, b)[0, 1] > 0.9, name
    blink = np.array([c.blink_left for c in got])
    assert blink[20:22].max() > 2 * np.median(blink)
    weak = retarget_controls(frames, intensity=1)
    assert max(c.jaw_open for c in weak) < 0.6 * max(c.jaw_open for c in got)


def test_performance_frames_and_clip(rigs, driving, tmp_path):
    _, frames = driving
    out = list(performance_frames(rigs["einstein"], frames[:12], 24, size=128))
    assert len(out) == 12 and out[0].shape == (128, 128, 3)
    assert not np.array_equal(out[0], out[11])
    path = write_performance_clip(rigs["einstein"], frames[:12], tmp_path / "p.mp4", size=128)
    info = probe(path)
    assert info.frames == 12 and info.width == 128


def test_driver_without_a_face_is_refused():
    with pytest.raises(InvalidInput, match="no face"):
        retarget_controls([np.full((128, 128, 3), 90, np.uint8)] * 3)
    with pytest.raises(InvalidInput):
        retarget_controls([], intensity=9)
