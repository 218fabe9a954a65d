"""Rig: build, bytes/file round trip, versioning, preview."""

from __future__ import annotations

import io

import numpy as np
import pytest

from kinema.errors import InvalidMedia
from kinema.face.controls import FaceControls, viseme_controls
from kinema.face.render import Renderer
from kinema.face.rig import BASES, Rig

from .conftest import NAMES


@pytest.mark.parametrize("name", NAMES)
def test_rig_round_trip(rigs, tmp_path, name):
    rig = rigs[name]
    assert rig.bases.shape == (len(BASES), len(rig.vertices), 2)
    assert rig.triangles.max() < len(rig.vertices)
    back = Rig.from_bytes(rig.to_bytes())
    for field in (
        "image",
        "mask",
        "points",
        "vertices",
        "triangles",
        "bases",
        "closed_box",
        "closed",
    ):
        np.testing.assert_array_equal(getattr(back, field), getattr(rig, field), err_msg=field)
    for key, arr in rig.mouth.arrays().items():
        np.testing.assert_array_equal(back.mouth.arrays()[key], arr, err_msg=key)
    for e0, e1 in zip(rig.eyes, back.eyes, strict=True):
        np.testing.assert_array_equal(e0.lid, e1.lid)
        np.testing.assert_array_equal(e0.ball, e1.ball)
    assert (back.source, back.gaze) == (rig.source, rig.gaze)
    loaded = Rig.load(rig.save(tmp_path / "r.npz"))
    c = viseme_controls("aa").add({"blink_left": 0.6, "head_yaw": 5.0})
    a = Renderer(rig, 128).render(c).copy()
    b = Renderer(loaded, 128).render(c)
    np.testing.assert_array_equal(a, b)


def test_rig_bytes_are_checked(rigs):
    with pytest.raises(InvalidMedia, match="not a rig"):
        Rig.from_bytes(b"garbage")
    data = dict(np.load(io.BytesIO(rigs["einstein"].to_bytes())))
    data["version"] = np.array(99)
    buf = io.BytesIO()
    np.savez(buf, **data)
    with pytest.raises(InvalidMedia, match="version 99"):
        Rig.from_bytes(buf.getvalue())


def test_regions_and_preview(rigs):
    rig = rigs["cartoon"]
    # the dog (manual points) gets no gaze; human faces do
    assert rig.gaze and not rigs["dog"].gaze
    # the mouth of an open-mouthed portrait gets a closed-lips patch; a closed one needs none
    assert rigs["astronaut"].closed_box.any() and not rigs["einstein"].closed_box.any()
    prev = rig.preview()
    assert prev.shape == rig.image.shape and (prev != rig.image).mean() > 0.05
    # band rings reach beyond the face but the image corners stay pinned
    corners = np.array([[0, 0], [rig.size - 1, rig.size - 1]])
    for c in corners:
        i = int(np.argmin(np.hypot(*(rig.vertices - c).T)))
        assert np.abs(rig.bases[:, i]).max() == 0.0
    assert Renderer(rig, 64).render(FaceControls()).shape == (64, 64, 3)
