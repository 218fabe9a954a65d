"""Matte quality against ground truth on synthetic composites: a subject with soft edges and hair
strands over a bright wall, cut out from a coarse, blocky segmentation-like mask."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from skimage import data

from kinema.video import matte

# stated bounds, measured on the edge band (where the true alpha is fractional, +-4 px)
MAX_BAND_MSE = 0.075  # mean squared alpha error
MAX_HALO = 30.0  # mean |alpha * F - alpha_true * F_true| in 0..255 on a black background


def synthetic(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(image, true alpha, true foreground) at 480x360."""
    w, h, s = 480, 360, 4
    rng = np.random.default_rng(seed)
    big = np.zeros((h * s, w * s), np.uint8)
    cx = w * s // 2 + int(rng.integers(-40, 40)) * s
    head_y = int(h * s * 0.3)
    cv2.ellipse(big, (cx, int(h * s * 0.62)), (w * s // 5, int(h * s * 0.42)), 0, 0, 360, 255, -1)
    cv2.circle(big, (cx, head_y), int(h * s * 0.16), 255, -1)
    for _ in range(140):  # hair: thin strands off the head
        a = rng.uniform(-2.6, -0.5)
        r0, length = h * s * 0.15, rng.uniform(0.04, 0.1) * h * s
        x0, y0 = cx + r0 * np.cos(a), head_y + r0 * np.sin(a)
        bend = rng.uniform(-1, 1)
        pts = [
            (x0 + t * length * np.cos(a + 0.4 * t * bend), y0 + t * length * np.sin(a))
            for t in np.linspace(0, 1, 6)
        ]
        cv2.polylines(big, [np.int32(pts)], False, 255, int(rng.integers(2, 4)), cv2.LINE_AA)
    alpha = cv2.resize(big, (w, h), interpolation=cv2.INTER_AREA).astype(np.float32) / 255
    alpha = cv2.GaussianBlur(alpha, (0, 0), 0.6)
    fg = cv2.resize(data.coffee(), (w, h)).astype(np.float32) * 0.6 + np.float32([90, 40, 20])
    bg = cv2.resize(data.astronaut()[:, ::-1], (w, h)).astype(np.float32) * 0.4 + 150
    img = alpha[..., None] * np.clip(fg, 0, 255) + (1 - alpha[..., None]) * np.clip(bg, 0, 255)
    return np.clip(img + 0.5, 0, 255).astype(np.uint8), alpha, np.clip(fg, 0, 255)


def coarse(alpha: np.ndarray) -> np.ndarray:
    """What a segmenter gives: a sixth of the resolution, hair lost, a little too big."""
    h, w = alpha.shape
    m = (cv2.resize(alpha, (w // 6, h // 6), interpolation=cv2.INTER_AREA) > 0.45).astype(
        np.float32
    )
    m = cv2.GaussianBlur(cv2.dilate(m, np.ones((2, 2), np.uint8)), (0, 0), 0.8)
    return cv2.resize(m, (w // 2, h // 2), interpolation=cv2.INTER_LINEAR)


def band_of(alpha: np.ndarray) -> np.ndarray:
    k = np.ones((9, 9), np.uint8)
    outer = cv2.dilate((alpha > 0.01).astype(np.uint8), k)
    inner = cv2.erode((alpha > 0.99).astype(np.uint8), k)
    return (outer - inner) > 0


@pytest.mark.parametrize("seed", [0, 1])
def test_matte_beats_the_guided_filter_on_ground_truth(seed: int) -> None:
    assert matte.available(), "pymatting is a dependency"
    img, gt, fg = synthetic(seed)
    mask = coarse(gt)
    band = band_of(gt)
    old = matte.guided_matte(img, mask)
    new, clean = matte.refine(img, mask)
    assert clean is not None and new.shape == gt.shape

    def errors(a: np.ndarray, colours: np.ndarray) -> tuple[float, float, float]:
        d = a - gt
        sad = float(np.abs(d[band]).sum())
        halo = np.abs(a[..., None] * colours.astype(np.float32) - gt[..., None] * fg)[band]
        return sad, float((d[band] ** 2).mean()), float(halo.mean())

    sad_old, mse_old, halo_old = errors(old, img)  # the old cut-out kept the image's colours
    sad_new, mse_new, halo_new = errors(new, clean)
    print(
        f"seed {seed}: SAD {sad_old:.0f} -> {sad_new:.0f}, MSE {mse_old:.3f} -> {mse_new:.3f}, "
        f"halo {halo_old:.1f} -> {halo_new:.1f}"
    )
    assert mse_new < MAX_BAND_MSE and halo_new < MAX_HALO
    assert sad_new < 0.6 * sad_old and mse_new < 0.6 * mse_old and halo_new < 0.7 * halo_old
    # few slivers of background: outside the true subject (+4 px) the matte is nearly empty
    # (what remains is where the background has the subject's colours), fewer than before
    far = cv2.dilate((gt > 0.01).astype(np.uint8), np.ones((9, 9), np.uint8)) == 0
    slivers_old, slivers_new = int((old[far] > 0.05).sum()), int((new[far] > 0.05).sum())
    print(f"slivers {slivers_old} -> {slivers_new} px of {int(far.sum())}")
    assert slivers_new < 0.005 * far.sum() and slivers_new < slivers_old
    # and solid inside
    core = cv2.erode((gt > 0.99).astype(np.uint8), np.ones((9, 9), np.uint8)) > 0
    assert float(new[core].min()) > 0.95


def test_hair_strands_partly_survive() -> None:
    img, gt, _ = synthetic(0)
    new, _ = matte.refine(img, coarse(gt))
    old = matte.guided_matte(img, coarse(gt))
    hair = (gt > 0.3) & (old < 0.5)  # strands the segmentation lost
    hair &= np.arange(gt.shape[0])[:, None] < gt.shape[0] * 0.3
    assert hair.sum() > 200
    kept_old, kept_new = float(old[hair].mean()), float(new[hair].mean())
    print(f"hair alpha {kept_old:.2f} -> {kept_new:.2f} (true {float(gt[hair].mean()):.2f})")
    err_old, err_new = (float(np.abs(a[hair] - gt[hair]).mean()) for a in (old, new))
    assert kept_new > kept_old and err_new < 0.9 * err_old  # strands partly come back
