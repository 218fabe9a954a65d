"""Look: closed lids read as skin, the mouth interior takes the portrait's palette."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from kinema.face import landmarks as L
from kinema.face.controls import FaceControls, viseme_controls
from kinema.face.render import Renderer


def _eye_region(rig, e, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Masks (frame-sized): the eye opening, and the opening grown over its outline."""
    k = size / rig.size
    poly = np.vstack([e.upper, e.lower[::-1]]) * k
    opening = np.zeros((size, size), np.uint8)
    cv2.fillPoly(opening, [np.round(poly).astype(np.int32)], 255)
    width = float(np.hypot(*(e.upper[-1] - e.upper[0]))) * k
    g = round(width * 0.12) + 1
    grown = cv2.dilate(opening, np.ones((2 * g + 1, 2 * g + 1), np.uint8))
    return opening > 0, grown > 0


@pytest.mark.parametrize("name", ["cartoon", "einstein", "astronaut"])
def test_closed_eye_is_skin_without_the_eye_outline(rigs, name):
    """The upper lid swept down: lid skin over the eye, one lash line where it landed."""
    rig = rigs[name]
    r = Renderer(rig, 256)
    rest = r.rest_frame().astype(np.float32)
    shut = r.render(FaceControls(blink_left=1.0, blink_right=1.0)).astype(np.float32)
    k = 256 / rig.size
    for e in rig.eyes:
        opening, grown = _eye_region(rig, e, 256)
        # the upper two thirds of the opening: the eye (sclera, iris) made it busy; the lid
        # that covers it is calm skin
        yy = np.arange(256)[:, None]
        xs = np.arange(256)
        yu = np.interp(xs, e.upper[:, 0] * k, e.upper[:, 1] * k)
        yl = np.interp(xs, e.lower[:, 0] * k, e.lower[:, 1] * k)
        upper = opening & (yy < (yu + 0.66 * (yl - yu))[None])
        lum_rest = rest.mean(axis=2)[upper]
        lum_shut = shut.mean(axis=2)[upper]
        assert np.std(lum_shut) < 0.6 * np.std(lum_rest), name
        # skin-toned: like the skin around the eye (a band beyond its outline)
        g = max(2, round(0.15 * float(np.hypot(*(e.upper[-1] - e.upper[0]))) * k))
        far = cv2.dilate(grown.astype(np.uint8), np.ones((2 * g + 1, 2 * g + 1), np.uint8)) > 0
        around = rest.mean(axis=2)[far & ~grown]
        assert abs(np.median(lum_shut) - np.median(around)) < 0.25 * np.median(around), name
        # one lash line, not an eye outline: few dark pixels over the eye and its surround
        lum = shut.mean(axis=2)[grown]
        assert np.mean(lum < 0.6 * np.median(lum)) < 0.16, name


@pytest.mark.parametrize("name", ["cartoon", "astronaut"])
def test_half_blink_covers_the_top_of_the_iris_only(rigs, name):
    rig = rigs[name]
    r = Renderer(rig, 256)
    rest = r.rest_frame().copy()
    half = r.render(FaceControls(blink_left=0.5, blink_right=0.5)).copy()
    k = 256 / rig.size
    for e in rig.eyes:
        cx, cy, rad = e.iris * k
        x = int(round(cx))
        top = int(round(cy - 0.8 * rad))
        bottom = int(round(cy + 0.5 * rad))
        assert np.abs(half[top, x].astype(int) - rest[top, x]).sum() > 30  # lid over the top
        assert np.array_equal(half[bottom, x], rest[bottom, x])  # lower iris still there


@pytest.mark.parametrize("name", ["mona_lisa", "einstein", "astronaut"])
def test_teeth_take_the_portrait_palette(rigs, name):
    """Read from the rendered frame: the teeth just under the upper lip of an open mouth."""
    rig = rigs[name]
    r = Renderer(rig, 512)
    k = 512 / rig.size
    frame = r.render(viseme_controls("aa")).astype(np.float32)
    p = rig.points[:, :2] * k
    w = float(np.hypot(*(p[L.MOUTH_R] - p[L.MOUTH_L])))
    x, y = p[L.UPPER_INNER_MID]
    teeth = frame[
        round(y + 0.025 * w) : round(y + 0.06 * w) + 1, round(x - 0.08 * w) : round(x + 0.08 * w)
    ].reshape(-1, 3)
    m = np.zeros(rig.image.shape[:2], np.uint8)
    cv2.fillPoly(m, [rig.points[list(L.FACE_OVAL), :2].astype(np.int32)], 255)
    skin = np.median(rig.image[m > 0].astype(np.float32), axis=0)
    tooth = teeth.mean(axis=0)
    assert tooth.mean() > skin.mean() * 0.8  # light, but
    assert tooth.mean() <= 1.3 * skin.mean() + 30  # capped relative to the face
    assert tooth.mean() < 235
    # same hue family as the skin's light tones (a yellowed painting keeps yellow-ish teeth)
    assert (
        np.sign(tooth[0] - tooth[2]) == np.sign(skin[0] - skin[2]) or abs(tooth[0] - tooth[2]) < 8
    )


def test_open_mouth_shows_teeth_and_smile_raises_the_corners(rigs):
    rig = rigs["cartoon"]
    r = Renderer(rig, 256)
    k = 256 / rig.size
    p = rig.points[:, :2] * k
    from kinema.face.render import control_vector
    from kinema.face.rig import BASES

    vec = np.zeros(len(BASES), np.float32)

    smile = rig.deformed(control_vector(FaceControls(smile=0.9), vec)) * k
    iod = float(np.hypot(*(p[L.EYE_L_UPPER[0]] - p[L.EYE_R_UPPER[-1]])))
    for c in (L.MOUTH_L, L.MOUTH_R):
        assert p[c, 1] - smile[c, 1] > 0.06 * iod  # corners go up visibly
    aa = r.render(viseme_controls("aa")).copy()
    rest = r.rest_frame()
    mid = ((p[13] + p[14]) / 2).astype(int)
    assert np.abs(aa[mid[1], mid[0]].astype(int) - rest[mid[1], mid[0]]).sum() > 40
