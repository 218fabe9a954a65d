"""Relighting: a cut-out takes the scene's light — colour temperature, key direction and rim —
from the light words or the location plate, scaled by the reference's strength."""

from __future__ import annotations

import numpy as np
from skimage import data

from kinema.video import GenerationRequest, Reference, grade
from kinema.video.scene import build_scene


def _hero(prompt: str, strength: float = 0.85, refs: list[Reference] | None = None):  # noqa: ANN202
    req = GenerationRequest(
        kind="image",
        prompt=prompt,
        width=320,
        height=180,
        references=[Reference(data.astronaut(), "hero", "character", strength), *(refs or [])],
    )
    scene = build_scene(req)
    layer = next(ly for ly in scene.layers if ly.name == "@hero")
    rgb = layer.rgb.astype(np.float32)
    inside = layer.alpha > 0.9
    cols = np.nonzero(inside.any(axis=0))[0]
    mid = (cols[0] + cols[-1]) // 2
    left, right = inside.copy(), inside.copy()
    left[:, mid:] = False
    right[:, :mid] = False
    return scene, rgb, inside, left, right


def _magenta(rgb: np.ndarray, m: np.ndarray) -> float:
    r, g, b = (rgb[..., c][m].mean() for c in range(3))
    return float((r + b) / 2 - g)


def test_neon_at_night_tints_the_subject_magenta_and_cyan() -> None:
    base, rgb0, in0, l0, r0 = _hero("close-up of @hero in a city")
    scene, rgb, inside, left, right = _hero("close-up of @hero in a city at night, neon")
    assert scene.info["relight"]["light"] == "neon"
    assert scene.info["relight"]["layers"] == ["@hero"]
    assert "relight" not in base.info
    assert _magenta(rgb, inside) > _magenta(rgb0, in0) + 8  # the neon colours the subject
    # the magenta key from the left, the cyan rim from the right
    assert _magenta(rgb, left) - _magenta(rgb, right) > _magenta(rgb0, l0) - _magenta(rgb0, r0) + 4
    blue = lambda x, m: float(x[..., 2][m].mean() - x[..., 0][m].mean())  # noqa: E731
    assert blue(rgb, right) - blue(rgb, left) > blue(rgb0, r0) - blue(rgb0, l0) + 4


def test_golden_hour_warms_and_lights_from_the_sun_side() -> None:
    _, rgb0, in0, l0, r0 = _hero("close-up of @hero in a city")
    _, rgb, inside, left, right = _hero("close-up of @hero in a city at golden hour")
    warmth = lambda x, m: float(x[..., 0][m].mean() / max(1.0, x[..., 2][m].mean()))  # noqa: E731
    assert warmth(rgb, inside) > 1.15 * warmth(rgb0, in0)
    luma = lambda x, m: float(x[m].mean())  # noqa: E731
    assert luma(rgb, right) - luma(rgb, left) > luma(rgb0, r0) - luma(rgb0, l0) + 3


def test_strength_scales_the_relight() -> None:
    neon = "close-up of @hero in a city at night, neon"
    amounts = [_hero(neon, s)[0].info["relight"]["amounts"][0] for s in (0.0, 0.5, 1.0)]
    assert amounts[0] > amounts[1] > amounts[2] > 0
    # and the effect follows the amount: the relit cut-out moves further from the unlit one
    rgb = data.astronaut().astype(np.float32) / 255
    alpha = np.zeros(rgb.shape[:2], np.float32)
    alpha[60:500, 100:420] = 1.0
    rig = grade.RIGS["neon"]
    moved = [float(np.abs(grade.relight(rgb, alpha, rig, a) - rgb).mean()) for a in amounts]
    assert moved[0] > moved[1] > moved[2] > 0.01


def test_a_location_plate_lights_the_subject_from_its_bright_side() -> None:
    plate = np.zeros((180, 320, 3), np.uint8)
    plate[:, :160] = (250, 200, 120)  # a warm window on the left, darkness on the right
    plate[:, 160:] = (20, 20, 30)
    loc = [Reference(plate, "room", "location")]
    # a reference of modest strength gives way to the place's light
    scene, rgb, _, left, right = _hero("close-up of @hero in @room", 0.3, refs=loc)
    assert scene.info["relight"]["light"] == "location plate"
    scene0, rgb0, _, l0, r0 = _hero("close-up of @hero in @room", 0.3)  # no plate: no rig
    assert "relight" not in scene0.info
    luma = lambda x, m: float(x[m].mean())  # noqa: E731
    assert luma(rgb, left) - luma(rgb, right) > luma(rgb0, l0) - luma(rgb0, r0) + 3
