"""Restyle/relight of an input video (the gen4_aleph path)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from kinema.errors import InvalidMedia
from kinema.media.video import VideoWriter, probe, read_frames
from kinema.video import GenerationRequest, Reference, generate


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory, location: np.ndarray) -> Path:
    """A 1 s, 30 fps clip of a slowly sliding photograph."""
    path = tmp_path_factory.mktemp("edit") / "in.mp4"
    base = cv2.resize(location, (400, 240))
    with VideoWriter(path, 320, 240, 30) as w:
        for i in range(30):
            w.write(np.ascontiguousarray(base[:, i * 2 : i * 2 + 320]))
    return path


def _lab_mean(rgb: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(rgb.astype(np.float32) / 255, cv2.COLOR_RGB2Lab).reshape(-1, 3).mean(0)


def test_relight_keeps_timing_and_darkens(tmp_path: Path, clip: Path) -> None:
    req = GenerationRequest(
        kind="video",
        prompt="night, rain",
        video=clip,
        preset="edit",
        width=320,
        height=240,
        duration=1.0,
    )
    res = generate(req, tmp_path)
    info = probe(res.files[0])
    assert (info.frames, info.fps, info.width, info.height) == (24, 24, 320, 240)
    assert res.understood == ["night", "rain"] and res.plan["preset"] == "edit"
    src, _ = read_frames(clip)
    out, _ = read_frames(res.files[0])
    assert out[0].mean() < 0.8 * src[0].mean()
    assert (
        out[0][..., 2].mean() / out[0][..., 0].mean()
        > src[0][..., 2].mean() / src[0][..., 0].mean()
    )


def test_restyle_moves_colour_by_strength(
    tmp_path: Path, clip: Path, style_image: np.ndarray
) -> None:
    req = GenerationRequest(
        kind="video",
        prompt="@look",
        video=clip,
        preset="edit",
        width=320,
        height=240,
        duration=1.5,
        references=[Reference(style_image, "look", "style", 0.7)],
    )
    out, _ = read_frames(generate(req, tmp_path).files[0])
    assert len(out) == 36  # 1.5 s asked of a 1 s clip: the last frame holds
    assert np.array_equal(out[-1], out[-5])
    src, _ = read_frames(clip)
    a, b, s = _lab_mean(src[0]), _lab_mean(out[0]), _lab_mean(style_image)
    moved = float(np.dot(b - a, s - a) / np.dot(s - a, s - a))
    assert abs(moved - 0.7) < 0.12, moved


def test_edit_without_a_readable_video_is_invalid(tmp_path: Path) -> None:
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"not a video")
    with pytest.raises(InvalidMedia):
        generate(GenerationRequest(kind="video", video=bad, preset="edit"), tmp_path / "o")
