"""Renderer: every viseme and emotion on every portrait, folds, background, sizes, overlays."""

from __future__ import annotations

import numpy as np
import pytest

from kinema.face import landmarks as L
from kinema.face import metrics as M
from kinema.face.controls import (
    EMOTIONS,
    VISEME_SHAPES,
    FaceControls,
    emotion_controls,
    viseme_controls,
)
from kinema.face.render import Renderer, control_vector
from kinema.face.rig import BASES
from kinema.voice.visemes import VISEMES

from .conftest import NAMES

SIZE = 256


def _all_controls() -> list[tuple[str, FaceControls]]:
    out = [(v, viseme_controls(v)) for v in VISEMES]
    out += [(e, emotion_controls(e)) for e in EMOTIONS]
    # extremes: each emotion with the widest viseme, full head pose
    for e in EMOTIONS:
        for v in ("aa", "PP", "FF", "U"):
            c = emotion_controls(e).add(VISEME_SHAPES[v])
            c.head_yaw, c.head_pitch, c.head_roll = 12, -10, 10  # beyond the limits: clamped
            out.append((f"{e}+{v}+head", c.clamp()))
    return out


@pytest.mark.parametrize("name", NAMES)
def test_every_viseme_and_emotion_renders_without_folds(rigs, name):
    rig = rigs[name]
    r = Renderer(rig, SIZE)
    rest = r.rest_frame()
    mask = M.face_mask(rig, SIZE)
    vec = np.zeros(len(BASES), np.float32)
    for label, c in _all_controls():
        frame = r.render(c)
        assert frame.shape == (SIZE, SIZE, 3) and frame.dtype == np.uint8
        assert M.mesh_folds(rig, control_vector(c, vec)) == 0, label
        lips = M.opening_mask(rig, vec, SIZE, r.box)
        assert M.map_folds(r.current_map(), lips) == 0.0, label
        if label not in ("sil", "neutral"):
            assert not np.array_equal(frame, rest), label
        if c.head_yaw == c.head_pitch == c.head_roll == 0.0:
            # head still: outside the face the frame is the portrait
            assert M.psnr(frame, rest, ~mask) >= 40.0, label


@pytest.mark.parametrize("name", ["einstein", "cartoon", "mona_lisa"])
def test_jaw_opens_the_mouth_as_measured_by_the_landmark_model(rigs, name):
    r = Renderer(rigs[name], 512)
    closed = M.mouth_opening(r.render(viseme_controls("PP")).copy())
    opened = M.mouth_opening(r.render(viseme_controls("aa")).copy())
    mid = M.mouth_opening(r.render(viseme_controls("E")).copy())
    assert closed <= M.CLOSED
    assert opened > 0.2 and closed < mid < opened


def test_closed_lips_cover_teeth_visible_at_rest(rigs):
    r = Renderer(rigs["astronaut"], 512)
    rest = M.mouth_opening(r.rest_frame())
    pressed = M.mouth_opening(r.render(viseme_controls("PP")).copy())
    assert rest > 0.1 and pressed <= M.CLOSED


def test_rest_frame_is_the_portrait(rigs):
    rig = rigs["cartoon"]
    r = Renderer(rig, rig.size)
    np.testing.assert_array_equal(r.rest_frame(), rig.image)


@pytest.mark.parametrize("size", [256, 512, 720])
def test_sizes(rigs, size):
    r = Renderer(rigs["mona_lisa"], size)
    assert r.render(viseme_controls("O")).shape == (size, size, 3)


def test_render_returns_an_internal_buffer(rigs):
    r = Renderer(rigs["einstein"], 128)
    a = r.render(viseme_controls("aa"))
    b = r.render(FaceControls())
    assert a is b


def test_blink_touches_only_the_eyes_and_restores(rigs):
    rig = rigs["astronaut"]
    r = Renderer(rig, SIZE)
    rest = r.rest_frame()
    shut = r.render(FaceControls(blink_left=1.0, blink_right=1.0)).copy()
    diff = np.any(shut != rest, axis=2)
    k = SIZE / rig.size
    eyes = np.zeros_like(diff)
    for e in rig.eyes:
        x0, y0, x1, y1 = np.round(e.box * k).astype(int)
        eyes[y0:y1, x0:x1] = True
    assert diff.any() and not (diff & ~eyes).any()
    # the brow above the eye is left alone by a blink (no tearing)
    brow = rig.points[list(L.BROW_L[:5]), :2] * k
    bx, by = np.round(brow.mean(axis=0)).astype(int)
    assert not diff[by - 2 : by + 3, bx - 2 : bx + 3].any()
    np.testing.assert_array_equal(r.render(FaceControls()), rest)


def test_gaze_moves_the_iris(rigs):
    from kinema.face.analyze import mesh_points

    r = Renderer(rigs["cartoon"], 512)

    def iris_rel(frame: np.ndarray) -> float:
        p = mesh_points(frame)
        return float((p[468, 0] - p[33, 0]) / (p[133, 0] - p[33, 0]))

    left = iris_rel(r.render(FaceControls(gaze_x=-1.0)).copy())
    right = iris_rel(r.render(FaceControls(gaze_x=1.0)).copy())
    assert right - left > 0.1


def test_head_pose_moves_the_face_not_the_corners(rigs):
    rig = rigs["einstein"]
    r = Renderer(rig, SIZE)
    rest = r.rest_frame()
    turned = r.render(FaceControls(head_yaw=10, head_roll=6)).copy()
    nose = np.round(rig.points[L.NOSE_TIP, :2] * SIZE / rig.size).astype(int)
    assert (
        np.abs(turned.astype(int) - rest.astype(int))[
            nose[1] - 3 : nose[1] + 4, nose[0] - 3 : nose[0] + 4
        ].mean()
        > 3
    )
    for y, x in ((0, 0), (0, SIZE - 1), (SIZE - 1, 0), (SIZE - 1, SIZE - 1)):
        assert np.array_equal(turned[y, x], rest[y, x])
