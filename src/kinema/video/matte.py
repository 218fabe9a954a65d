"""Soft alpha mattes and clean foreground colours for cut-outs, from a coarse segmentation.

A segmenter gives a blurry, blocky mask at a few hundred pixels; cutting a subject out with it
leaves halos (the old background in the edge pixels), slivers of background and stair-stepped
outlines. Here the mask becomes a trimap (sure foreground, sure background, a band between)
and the band is solved by closed-form matting (Levin et al. 2008, through ``pymatting``) at the
analysis resolution; the alpha is brought to full resolution by a guided filter on the image,
and the foreground colour of the band is estimated by blur fusion (Germer et al. 2020), so a
cut-out placed on a new background carries none of the old one.

``guided_matte`` is the previous method (a guided filter of the mask alone), kept as the
fallback when ``pymatting`` is missing and as the baseline the tests measure against.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import cv2
import numpy as np

MATTE_SIDE = 384  # closed-form matting resolution (long side)
BAND = 0.022  # unknown band half-width, as a fraction of the long side (at least 2 px)

_warm = threading.Event()


def available() -> bool:
    try:
        import pymatting  # noqa: F401
    except ImportError:
        return False
    return True


def warm_up() -> None:
    """Import pymatting and run its numba kernels once (compiled on first use, then cached)."""
    if _warm.is_set() or not available():
        return
    img = np.random.default_rng(0).random((24, 24, 3))
    tri = np.zeros((24, 24))
    tri[6:18, 6:18] = 0.5
    tri[9:15, 9:15] = 1.0
    _solve(img, tri)
    _warm.set()


def guided_matte(rgb: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The old matte: the mask resized to the image and snapped to its edges by a guided filter."""
    h, w = rgb.shape[:2]
    alpha = cv2.resize(mask.astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR)
    if hasattr(cv2, "ximgproc"):
        radius = max(2, round(max(h, w) / 160))
        alpha = cv2.ximgproc.guidedFilter(rgb, alpha, radius, 1e-3)
    return np.clip(alpha, 0, 1).astype(np.float32)


def trimap(mask: np.ndarray) -> np.ndarray:
    """0 background, 1 foreground, 0.5 the band around the mask's 0.5 contour."""
    hard = (mask > 0.5).astype(np.uint8)
    r = max(2, round(BAND * max(mask.shape)))
    k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))
    tri = np.full(mask.shape, 0.5)
    tri[cv2.erode(hard, k) > 0] = 1.0
    tri[cv2.erode(1 - hard, k) > 0] = 0.0
    return tri


def _solve(img: np.ndarray, tri: np.ndarray) -> np.ndarray:
    from pymatting import estimate_alpha_cf

    if not (tri == 1.0).any() or not (tri == 0.0).any():
        return np.clip(tri, 0, 1)
    return np.clip(estimate_alpha_cf(img, tri), 0, 1)


def refine(
    rgb: np.ndarray,
    mask: np.ndarray,
    foreground: bool = True,
    check: Callable[[], None] | None = None,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Alpha (HxW float32) and, with ``foreground``, edge-clean colours (HxWx3 uint8) for
    ``rgb`` from a coarse ``mask`` at any resolution. Without pymatting: the guided matte."""
    if not available():
        alpha = guided_matte(rgb, mask)
        if not foreground:
            return alpha, None
        band = ((alpha > 0.002) & (alpha < 0.998))[..., None]
        clean = np.where(band, _half_res_fusion(rgb, alpha) + 0.5, rgb)
        return alpha, np.clip(clean, 0, 255).astype(np.uint8)
    h, w = rgb.shape[:2]
    k = min(1.0, MATTE_SIDE / max(h, w))
    size = (max(8, round(w * k)), max(8, round(h * k)))
    small = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA) if k < 1 else rgb
    m = cv2.resize(mask.astype(np.float32), size, interpolation=cv2.INTER_LINEAR)
    img = small.astype(np.float64) / 255.0
    tri = trimap(m)
    if check is not None:
        check()
    a_small = _solve(img, tri).astype(np.float32)
    if check is not None:
        check()
    # to full size: upsample, then let the image's own edges sharpen it (guided filter)
    alpha = cv2.resize(a_small, (w, h), interpolation=cv2.INTER_LINEAR)
    if k < 1 and hasattr(cv2, "ximgproc"):
        radius = max(2, round(1.5 / k))
        alpha = cv2.ximgproc.guidedFilter(rgb, alpha, radius, 2e-4)
    alpha = np.clip(alpha, 0, 1).astype(np.float32)
    # the matte is certain where the trimap was: keep those pixels exactly 0 or 1
    sure = cv2.resize(tri.astype(np.float32), (w, h), interpolation=cv2.INTER_NEAREST)
    alpha[sure == 1.0] = 1.0
    alpha[sure == 0.0] = 0.0
    if not foreground:
        return alpha, None
    if check is not None:
        check()
    fg = _half_res_fusion(rgb, alpha)
    band = ((alpha > 0.002) & (alpha < 0.998)).astype(np.float32)
    band = cv2.GaussianBlur(cv2.dilate(band, np.ones((3, 3), np.uint8)), (0, 0), 1.0)[..., None]
    clean = rgb.astype(np.float32) * (1 - band) + fg * band
    return alpha, np.clip(clean + 0.5, 0, 255).astype(np.uint8)


def _half_res_fusion(rgb: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Blur-fusion foreground (0..255 float) computed at half size for large images: the
    estimate is smooth, and only the edge band uses it."""
    h, w = rgb.shape[:2]
    if max(h, w) <= 512:
        return blur_fusion(rgb, alpha) * 255.0
    size = (w // 2, h // 2)
    small = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
    a = cv2.resize(alpha, size, interpolation=cv2.INTER_AREA)
    f = blur_fusion(small, a, (23, 3)) * 255.0
    return cv2.resize(f.astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR)


def blur_fusion(rgb: np.ndarray, alpha: np.ndarray, radii: tuple[int, ...] = (45, 5)) -> np.ndarray:
    """Foreground colours by blur fusion (Germer et al., "Fast multi-level foreground estimation",
    2020): local alpha-weighted means of foreground and background, corrected by the
    compositing equation; a few box filters, so it costs milliseconds at full size."""
    img = rgb.astype(np.float32) / 255.0
    a = alpha.astype(np.float32)[..., None]
    f, b = img, img
    for r in radii:
        k = (2 * r + 1, 2 * r + 1)
        wa = cv2.blur(a, k)[..., None]
        wb = 1.0 - wa
        f_blur = cv2.blur(f * a, k) / np.maximum(wa, 1e-5)
        b_blur = cv2.blur(b * (1 - a), k) / np.maximum(wb, 1e-5)
        f = np.clip(f_blur + a * (img - a * f_blur - (1 - a) * b_blur), 0, 1)
        b = b_blur
    return f
