"""Subject cut-outs and the background plate behind them."""

from __future__ import annotations

import cv2
import numpy as np

from kinema.video.segment import fill_background, segment_subject


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / max(1, (a | b).sum()))


def test_object_cut_out_by_grabcut() -> None:
    rng = np.random.default_rng(0)
    img = np.clip(rng.normal(150, 20, (240, 320, 3)), 0, 255).astype(np.uint8)  # textured wall
    truth = np.zeros((240, 320), np.uint8)
    cv2.ellipse(truth, (160, 130), (70, 85), 0, 0, 360, 1, -1)
    img[truth > 0] = (200, 40, 40)
    alpha = segment_subject(img, "object")
    assert _iou(alpha > 0.5, truth > 0) > 0.85


def test_person_mask_covers_the_astronaut(astronaut: np.ndarray) -> None:
    alpha = segment_subject(astronaut)
    face = alpha[60:160, 180:280]  # the face in skimage's astronaut
    assert face.mean() > 0.9
    assert alpha[:60, :60].mean() < 0.1  # the flag's corner is background


def test_plate_removes_the_subject() -> None:
    img = np.full((200, 300, 3), (60, 120, 200), np.uint8)
    img[60:160, 110:190] = (250, 250, 0)
    alpha = np.zeros((200, 300), np.float32)
    alpha[60:160, 110:190] = 1
    plate = fill_background(img, alpha)
    hole = plate[80:140, 130:170].astype(int)
    assert np.abs(hole - (60, 120, 200)).mean() < 15  # filled with the surroundings
    assert np.array_equal(plate[:40], img[:40])  # untouched away from the subject
