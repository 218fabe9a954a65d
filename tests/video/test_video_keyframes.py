"""A last keyframe is reached by moving the camera and the layers into its composition; the
dissolve is only the final blend (no ghosting of two pictures mid-shot)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from kinema.media.video import read_frames
from kinema.video import GenerationRequest, generate
from kinema.video.camera import ease

from .conftest import psnr


def test_the_shot_moves_into_the_last_frame(tmp_path: Path, astronaut: np.ndarray) -> None:
    zoom = np.float32([[1.35, 0, -0.35 * 200], [0, 1.35, -0.35 * 150]])  # closer on the face
    last = cv2.warpAffine(astronaut, zoom, (512, 512), borderMode=cv2.BORDER_REFLECT)
    req = GenerationRequest(
        kind="video", width=256, height=256, duration=2, first_frame=astronaut, last_frame=last
    )
    res = generate(req, tmp_path)
    move = res.plan["keyframe_move"]["camera"]
    assert move["method"] == "features" and abs(move["scale"] - 1.35) < 0.03
    frames, _ = read_frames(res.files[0])
    n = len(frames)
    first = cv2.resize(astronaut, (256, 256), interpolation=cv2.INTER_AREA)
    end = cv2.resize(last, (256, 256), interpolation=cv2.INTER_AREA)
    assert psnr(frames[-1], end) > 30
    # mid-shot the picture is the first frame moved part of the way, not a double exposure
    for i in (n // 2, int(n * 0.75)):
        e = ease(i / (n - 1))
        s = 1.35**e
        c = 128.0
        target = (c + e * (1.35 * c - 0.35 * 200 / 2 - c), c + e * (1.35 * c - 0.35 * 150 / 2 - c))
        m = np.float32([[s, 0, target[0] - s * c], [0, s, target[1] - s * c]])
        moved = cv2.warpAffine(first, m, (256, 256), borderMode=cv2.BORDER_REFLECT)
        ghost = cv2.addWeighted(first, 1 - e, end, e, 0)
        p_moved, p_ghost = psnr(frames[i], moved), psnr(frames[i], ghost)
        assert p_moved > 24 and p_moved > p_ghost + 3, (i, p_moved, p_ghost)
