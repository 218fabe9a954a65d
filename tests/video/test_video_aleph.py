"""Aleph object edits: remove a moving person (no trace against the clean plate), add a
reference with a contact shadow that moves with the camera, refuse a change of angle."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from skimage import data

from kinema.errors import InvalidInput
from kinema.media.video import VideoWriter, read_frames
from kinema.video import GenerationRequest, Reference, generate
from kinema.video.aleph import parse_edit
from kinema.video.segment import segment_cutout

W, H, N = 320, 240, 36


def _background() -> np.ndarray:
    street = cv2.resize(data.coffee(), (W + 80, H), interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(street)


@pytest.fixture(scope="module")
def walker(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, np.ndarray]:
    """A person (the astronaut, cut out) crossing a still background; and the clean plate."""
    alpha, colours = segment_cutout(data.astronaut())
    person = cv2.resize(colours, (120, 120), interpolation=cv2.INTER_AREA).astype(np.float32)
    a = cv2.resize(alpha, (120, 120), interpolation=cv2.INTER_AREA)[..., None]
    plate = _background()[:, :W]
    path = tmp_path_factory.mktemp("aleph") / "walk.mp4"
    with VideoWriter(path, W, H, 24, crf=16) as w:
        for i in range(N):
            f = plate.astype(np.float32)
            x = i * 200 // (N - 1)  # it crosses the frame: every place is seen at some time
            roi = f[H - 120 :, x : x + 120]
            f[H - 120 :, x : x + 120] = roi * (1 - a) + person * a
            w.write(np.clip(f + 0.5, 0, 255).astype(np.uint8))
    return path, plate


def _edit(tmp: Path, clip: Path, prompt: str, refs: list[Reference] | None = None):  # noqa: ANN202
    req = GenerationRequest(
        kind="video", prompt=prompt, video=clip, preset="edit", width=W, height=H,
        duration=N / 24, references=refs or [],
    )  # fmt: skip
    return generate(req, tmp)


@pytest.mark.slow
def test_remove_a_moving_person_leaves_no_trace(tmp_path: Path, walker) -> None:  # noqa: ANN001
    clip, plate = walker
    before, _ = read_frames(clip)
    res = _edit(tmp_path, clip, "remove the person")
    assert "remove the person" in res.understood and res.plan["retouch"]["removed_area"] > 0.05
    frames, _ = read_frames(res.files[0])
    assert len(frames) == N
    where = [np.abs(b.astype(float) - plate).max(axis=2) > 30 for b in before]  # the person
    errors, kept = [], []
    for f, b, m in zip(frames, before, where, strict=True):
        d = np.abs(f.astype(float) - plate).mean(axis=2)
        errors.append(float(d[m].mean()))  # where the person was: the background again
        kept.append(float(d[~m].mean()))  # elsewhere: untouched
        assert float(np.abs(b.astype(float) - plate).mean(axis=2)[m].mean()) > 40
    print(f"mean error under the person {np.mean(errors):.1f}, elsewhere {np.mean(kept):.1f}")
    assert np.mean(errors) < 8 and max(errors) < 14  # bound: no trace of the person
    assert np.mean(kept) < 4
    # temporally consistent: the filled region does not flicker from frame to frame
    fill = [f.astype(float)[H - 120 :, 150:170] for f in frames[10:26]]
    steps = [float(np.abs(a - b).mean()) for a, b in zip(fill, fill[1:], strict=False)]
    assert max(steps) < 4


def test_add_a_reference_with_a_contact_shadow_that_follows_the_camera(tmp_path: Path) -> None:
    base = _background()
    clip = tmp_path / "pan.mp4"
    with VideoWriter(clip, W, H, 24, crf=16) as w:  # the camera pans: content moves left
        for i in range(24):
            w.write(np.ascontiguousarray(base[:, i * 2 : i * 2 + W]))
    cup = np.full((200, 200, 3), 235, np.uint8)
    cv2.circle(cup, (100, 100), 70, (30, 60, 200), -1)  # a blue disc on white
    res = _edit(tmp_path / "o", clip, "add @prop on the left", [Reference(cup, "prop", "style")])
    x, y, bw, bh = res.plan["retouch"]["added_box"]
    frames, _ = read_frames(res.files[0])
    src, _ = read_frames(clip)
    f0 = frames[0].astype(float)
    body = f0[y + bh // 3 : y + 2 * bh // 3, x + bw // 3 : x + 2 * bw // 3]
    assert body[..., 2].mean() > body[..., 0].mean() + 60  # the blue prop is there
    below = slice(y + bh - 3, min(H, y + bh + 2)), slice(x + bw // 3, x + 2 * bw // 3)
    assert f0[below].mean() < src[0].astype(float)[below].mean() - 10  # its contact shadow

    # it stays put in the scene: it moves left with the pan (2 px a frame)
    def centre(f: np.ndarray) -> float:
        blue = (f[..., 2].astype(int) - f[..., 0].astype(int)) > 80
        return float(np.nonzero(blue)[1].mean())

    shift = centre(frames[0]) - centre(frames[20])
    assert 30 < shift < 50, shift


def test_angle_changes_and_other_removals_are_refused(tmp_path: Path) -> None:
    for prompt in ("show it from above", "change the camera angle", "a reverse shot"):
        with pytest.raises(InvalidInput, match="angle"):
            parse_edit(prompt)
    with pytest.raises(InvalidInput, match="only people"):
        parse_edit("remove the car")
    assert parse_edit("remove the woman, night").remove


def test_submit_refuses_an_angle_change_before_any_work() -> None:
    from kinema.platform.generation import precheck

    edit = {"kind": "video", "engine": "compositor", "prompt": "the same street from above"}
    with pytest.raises(InvalidInput, match="angle") as err:
        precheck(edit, {"video": b"..."})
    assert err.value.field == "promptText"
    with pytest.raises(InvalidInput, match="reference"):
        precheck({**edit, "prompt": "add a lamp"}, {"video": b"..."})
    precheck({**edit, "prompt": "remove the person, night"}, {"video": b"..."})
