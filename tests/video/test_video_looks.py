"""Lighting, weather and camera words change the pixels the way they say."""

from __future__ import annotations

import cv2
import numpy as np

from kinema.video import GenerationRequest
from kinema.video.engines.compositor import FrameRenderer
from kinema.video.scene import build_scene


def _frame(prompt: str, image: np.ndarray, i: int = 23, **kw) -> np.ndarray:
    req = GenerationRequest(
        kind="video",
        prompt=prompt,
        width=320,
        height=180,
        duration=1.0,
        seed=2,
        references=kw.pop("references", []),
        **kw,
    )
    return FrameRenderer(build_scene(req)).render(i).copy()


def test_light_words_grade_the_frame(location: np.ndarray) -> None:
    from kinema.video import Reference

    refs = [Reference(location, "room", "location", 1.0)]
    plain = _frame("@room, static", location, references=refs).astype(float)
    night = _frame("@room at night, static", location, references=refs).astype(float)
    golden = _frame("@room, golden hour, static", location, references=refs).astype(float)
    assert night.mean() < 0.8 * plain.mean()
    assert (
        night[..., 2].mean() / night[..., 0].mean() > plain[..., 2].mean() / plain[..., 0].mean()
    )  # night is bluer
    assert (
        golden[..., 0].mean() / golden[..., 2].mean()
        > 1.2 * plain[..., 0].mean() / plain[..., 2].mean()
    )  # golden hour is warmer


def test_weather_overlays_move_and_static_camera_does_not(location: np.ndarray) -> None:
    from kinema.video import Reference

    refs = [Reference(location, "room", "location", 1.0)]
    still_a = _frame("@room, static", location, i=10, references=refs)
    still_b = _frame("@room, static", location, i=20, references=refs)
    assert np.array_equal(still_a, still_b)  # static means static
    rain_a = _frame("@room, static, rain", location, i=10, references=refs)
    rain_b = _frame("@room, static, rain", location, i=20, references=refs)
    changed = (np.abs(rain_a.astype(int) - rain_b.astype(int)).max(axis=2) > 8).mean()
    assert changed > 0.01, changed  # the rain falls: streaks are elsewhere in frame 20


def test_push_in_magnifies_and_pan_shifts(astronaut: np.ndarray) -> None:
    first = _frame("push in", astronaut, i=0, first_frame=astronaut)
    pushed = _frame("push in", astronaut, i=23, first_frame=astronaut)

    # a push in makes edges coarser: fewer strong gradients per pixel at the end of the shot
    def edges(img: np.ndarray) -> float:
        return float((cv2.Canny(cv2.cvtColor(img, cv2.COLOR_RGB2GRAY), 80, 160) > 0).mean())

    assert edges(pushed) < edges(first)
    left = _frame("pan left, static", astronaut, i=23, first_frame=astronaut)
    right = _frame("pan right, static", astronaut, i=23, first_frame=astronaut)
    g = [cv2.cvtColor(x, cv2.COLOR_RGB2GRAY).astype(np.float32) for x in (first, left, right)]
    (dx_l, _), _ = cv2.phaseCorrelate(g[0], g[1])
    (dx_r, _), _ = cv2.phaseCorrelate(g[0], g[2])
    assert dx_l > 5 and dx_r < -5  # content moves right when the camera pans left


def test_only_the_actor_moves_and_a_cut_out_person_does_not_walk() -> None:
    req = GenerationRequest(
        kind="video",
        prompt="a house by the road, a car drives right",
        width=320,
        height=180,
        duration=1.0,
    )
    scene = build_scene(req)
    assert [ly.name for ly in scene.layers if ly.animated] == ["car"]
    car = next(ly for ly in scene.layers if ly.name == "car")
    start = scene.camera.action_matrix(0.0, 0.0, car.anchor)
    end = scene.camera.action_matrix(1.0, 1.0, car.anchor)
    assert end[0, 2] - start[0, 2] > 0.25 * 320  # crosses a quarter of the frame to the right
    # a flat person sliding sideways is not walking: reported as ignored, not faked
    req.prompt = "a house by the road, a person walks right"
    scene = build_scene(req)
    assert not any(ly.animated for ly in scene.layers)
    assert "walks right" in scene.plan.ignored and "walks right" not in scene.plan.understood


def test_an_image_without_subject_moves_as_one_sheared_plate(tmp_path) -> None:  # noqa: ANN001
    from kinema.media.video import read_frames
    from kinema.video import generate

    from .conftest import psnr

    y = np.linspace(0, 1, 180, dtype=np.float32)[:, None, None]
    sky, sea = np.float32([90, 140, 220]), np.float32([30, 70, 110])
    img = np.where(y < 0.55, sky * (0.7 + 0.3 * y), sea * (1.2 - 0.4 * y))
    img = np.broadcast_to(img, (180, 320, 3)).copy()
    img += np.random.default_rng(1).normal(0, 6, img.shape).astype(np.float32)  # waves
    img = np.clip(img, 0, 255).astype(np.uint8)
    res = generate(
        GenerationRequest(
            kind="video", prompt="dolly right", first_frame=img, width=320, height=180, duration=1.0
        ),
        tmp_path,
    )
    assert res.plan["layers"] == ["plate"] and "no subject" in res.plan["base"]
    frames, _ = read_frames(res.files[0])
    assert psnr(frames[0], img) > 30
    # the near bottom of the frame travels further than the far top
    g = [cv2.cvtColor(f, cv2.COLOR_RGB2GRAY).astype(np.float32) for f in (frames[0], frames[-1])]
    (top, _), _ = cv2.phaseCorrelate(g[0][:60], g[1][:60])
    (bottom, _), _ = cv2.phaseCorrelate(g[0][130:], g[1][130:])
    assert abs(bottom) > abs(top) + 3


def test_position_words_place_the_subject(astronaut: np.ndarray, location: np.ndarray) -> None:
    from kinema.video import Reference

    refs = [Reference(astronaut, "hero"), Reference(location, "room", "location")]
    for words, lo, hi in (("on the left", 0.2, 0.4), ("on the right", 0.6, 0.8)):
        req = GenerationRequest(
            kind="image", prompt=f"@hero {words} in @room", width=320, height=180, references=refs
        )
        scene = build_scene(req)
        x, _, w, _ = scene.info["placed"][0]["box"]
        assert lo < (x + w / 2) / 320 < hi
        assert words in scene.plan.understood
    # a first frame's subject cannot be moved: the words are reported as ignored
    scene = build_scene(
        GenerationRequest(
            kind="video",
            prompt="on the left",
            width=320,
            height=180,
            duration=0.5,
            first_frame=astronaut,
        )
    )
    assert "on the left" in scene.plan.ignored
