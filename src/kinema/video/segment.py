"""Subject segmentation and background fill, done once per request at reduced resolution.

People go through MediaPipe selfie segmentation (shipped in the mediapipe 0.10.21 wheel); when
that finds no plausible subject (animals, objects, art) or the reference is typed ``object``,
OpenCV GrabCut seeded with a centred box takes over. The hole left by the subject is filled by
Telea inpainting on a downscaled plate, so parallax can reveal what was behind it. The mask's
edge is then solved as a soft matte with clean foreground colours (``kinema.video.matte``).
Results are cached by image content, so a storyboard that reuses a reference segments it once.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Literal

import cv2
import numpy as np

from kinema.video.matte import refine, warm_up

ANALYSIS_SIDE = 384  # segmentation and inpainting resolution (long side)
Kind = Literal["auto", "person", "object"]

_cache: OrderedDict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = OrderedDict()
_cache_lock = threading.Lock()
_CACHE_SIZE = 16


def _key(rgb: np.ndarray) -> str:
    h = hashlib.blake2b(digest_size=16)
    h.update(str(rgb.shape).encode())
    h.update(np.ascontiguousarray(rgb).data)
    return h.hexdigest()


def _downscale(rgb: np.ndarray, side: int) -> tuple[np.ndarray, float]:
    h, w = rgb.shape[:2]
    s = min(1.0, side / max(h, w))
    if s >= 1.0:
        return rgb, 1.0
    size = (max(1, round(w * s)), max(1, round(h * s)))
    return cv2.resize(rgb, size, interpolation=cv2.INTER_AREA), s


_segmenter = None
_segmenter_lock = threading.Lock()


def _load_segmenter() -> None:
    global _segmenter
    with _segmenter_lock:
        if _segmenter is None:
            import mediapipe as mp

            _segmenter = mp.solutions.selfie_segmentation.SelfieSegmentation(model_selection=0)
            # OpenCV builds its float Lab tables on first use (~0.3 s): do that now too
            cv2.cvtColor(np.zeros((1, 1, 3), np.float32), cv2.COLOR_RGB2Lab)
    warm_up()  # pymatting's numba kernels: compiled once, then cached on disk
    from kinema.face.analyze import detect_faces

    detect_faces(np.zeros((64, 64, 3), np.uint8))  # the face models (framing, living faces)


def preload() -> None:
    """Load the segmentation model on a background thread (a second or more on a busy
    machine), so a worker's first render neither waits for it nor blocks a cancel."""
    threading.Thread(target=_load_segmenter, name="kinema-segmenter", daemon=True).start()


def _selfie(small: np.ndarray) -> np.ndarray:
    _load_segmenter()  # loaded once per process, then ~15 ms per image
    with _segmenter_lock:
        res = _segmenter.process(np.ascontiguousarray(small))  # type: ignore[union-attr]
    if res.segmentation_mask is None:
        return np.zeros(small.shape[:2], np.float32)
    return res.segmentation_mask.astype(np.float32)


def _grabcut(small: np.ndarray) -> np.ndarray | None:
    """GrabCut from a centred box; None when it finds no distinct subject (landscapes)."""
    h, w = small.shape[:2]
    cv2.setRNGSeed(12345)  # GrabCut's k-means seeding: keep renders deterministic
    mask = np.zeros((h, w), np.uint8)
    rect = (int(w * 0.1), int(h * 0.06), int(w * 0.8), h - int(h * 0.06))  # down to the bottom
    bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    try:
        cv2.grabCut(
            cv2.cvtColor(small, cv2.COLOR_RGB2BGR), mask, rect, bgd, fgd, 4, cv2.GC_INIT_WITH_RECT
        )
    except cv2.error:
        return None
    fg = np.where((mask == cv2.GC_FGD) | (mask == cv2.GC_PR_FGD), 1.0, 0.0).astype(np.float32)
    # keep the largest component: GrabCut leaves specks
    n, labels, stats, _ = cv2.connectedComponentsWithStats((fg > 0).astype(np.uint8))
    if n > 1:
        biggest = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
        fg = (labels == biggest).astype(np.float32)
    if fg.mean() < 0.03:
        return None
    # a subject has no holes (eyes, dark patches) and no bites out of its outline
    k = max(3, round(max(h, w) * 0.08)) | 1
    blob = cv2.morphologyEx(
        fg.astype(np.uint8), cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))
    )
    contours, _ = cv2.findContours(blob, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    solid = np.zeros((h, w), np.uint8)
    cv2.drawContours(solid, contours, -1, 1, -1)
    return solid.astype(np.float32)


def _centre_ellipse(h: int, w: int) -> np.ndarray:
    m = np.zeros((h, w), np.float32)
    cv2.ellipse(m, (w // 2, int(h * 0.55)), (int(w * 0.3), int(h * 0.4)), 0, 0, 360, 1.0, -1)
    return m


def _main_component(mask: np.ndarray) -> np.ndarray | None:
    """The largest solid blob of ``mask > 0.5`` (uint8), or None when there is none."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats((mask > 0.5).astype(np.uint8))
    if n <= 1:
        return None
    biggest = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    return (labels == biggest).astype(np.uint8)


def _plausible(mask: np.ndarray) -> bool:
    """A person mask is one big solid blob (not eyes and a nose on a dog)."""
    blob = _main_component(mask)
    if blob is None:
        return False
    area = float(blob.mean())
    contours, _ = cv2.findContours(blob, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    hull = cv2.contourArea(cv2.convexHull(max(contours, key=cv2.contourArea)))
    solidity = float(blob.sum()) / max(hull, 1.0)
    ys = np.nonzero(blob.any(axis=1))[0]
    height = (ys[-1] - ys[0] + 1) / blob.shape[0]
    # portraits measure area >= 0.4, height >= 0.9; a dog's snout ~0.07 and 0.47
    return area < 0.85 and solidity > 0.6 and (area > 0.12 or height > 0.55) and area > 0.02


def _keep_main(mask: np.ndarray) -> np.ndarray:
    """Drop stray detections away from the main subject (flags, posters, reflections)."""
    blob = _main_component(mask)
    if blob is None:
        return mask
    k = max(3, round(max(mask.shape) * 0.03)) | 1
    near = cv2.dilate(blob, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    return mask * cv2.GaussianBlur(near.astype(np.float32), (0, 0), k / 3)


def find_subject(rgb: np.ndarray, check: Callable[[], None] | None = None) -> np.ndarray | None:
    """Like ``segment_subject`` but None when the image has no distinct subject (a landscape,
    a room): then nothing should be cut out and moved on its own."""
    alpha = segment_cutout(rgb, "auto", check)[0]
    with _cache_lock:
        found = _found.get(_key(rgb), True)
    return alpha if found else None


_found: dict[str, bool] = {}


def segment_subject(rgb: np.ndarray, kind: Kind = "auto") -> np.ndarray:
    """Soft subject alpha (HxW float32, 0..1) at the image's resolution. Always returns a
    cut-out: a centred ellipse when nothing distinct is found (see ``find_subject``)."""
    return segment_cutout(rgb, kind)[0]


def segment_cutout(
    rgb: np.ndarray, kind: Kind = "auto", check: Callable[[], None] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """``(alpha, colours)``: the subject's soft matte (``kinema.video.matte``: closed-form
    matting in the band around the segmentation) and the image with the edge pixels' colours
    replaced by the estimated foreground, so the old background leaves no halo."""
    key = (_key(rgb), kind)
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    small, _ = _downscale(rgb, ANALYSIS_SIDE)
    mask = None
    if kind in ("auto", "person"):
        m = _selfie(small)
        if kind == "person" or _plausible(m):
            mask = _keep_main(np.clip((m - 0.25) / 0.5, 0, 1))
    if mask is None:
        cut = _grabcut(small)
        with _cache_lock:
            _found[key[0]] = cut is not None
            if len(_found) > 4 * _CACHE_SIZE:
                _found.clear()
        mask = cut if cut is not None else _centre_ellipse(*small.shape[:2])
        mask = cv2.GaussianBlur(mask, (0, 0), max(1.0, small.shape[1] / 300))
    if check is not None:
        check()
    alpha, clean = refine(rgb, mask, check=check)
    if clean is None:  # no pymatting: the old decontamination
        clean = decontaminate(rgb, alpha)
    entry = (alpha, clean)
    with _cache_lock:
        _cache[key] = entry
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return entry


def fill_background(rgb: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """The image with the subject removed: the hole (a dilated mask) is inpainted at low
    resolution and blended in with a feathered edge."""
    h, w = rgb.shape[:2]
    small, s = _downscale(rgb, 256)
    sh, sw = small.shape[:2]
    hole = cv2.resize((alpha > 0.15).astype(np.uint8), (sw, sh), interpolation=cv2.INTER_NEAREST)
    k = max(3, round(max(sh, sw) * 0.04)) | 1
    hole = cv2.dilate(hole, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    # coarse-to-fine: a tiny inpaint gives the broad colours, the fine one the edges
    tiny, _ = _downscale(small, 64)
    th, tw = tiny.shape[:2]
    thole = cv2.resize(hole, (tw, th), interpolation=cv2.INTER_NEAREST)
    coarse = cv2.inpaint(tiny, thole, 3, cv2.INPAINT_TELEA)
    coarse = cv2.resize(
        cv2.GaussianBlur(coarse, (0, 0), 1.5), (sw, sh), interpolation=cv2.INTER_CUBIC
    )
    seeded = np.where(hole[..., None] > 0, coarse, small)
    inner = cv2.erode(hole, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    filled = cv2.inpaint(seeded, hole - inner, 5, cv2.INPAINT_TELEA)
    filled = np.where(hole[..., None] > 0, cv2.GaussianBlur(filled, (0, 0), 2.0), small)
    up = cv2.resize(filled, (w, h), interpolation=cv2.INTER_CUBIC).astype(np.float32)
    soft = cv2.resize(hole.astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR)
    soft = cv2.GaussianBlur(soft, (0, 0), max(1.0, max(h, w) / 200))[..., None]
    # the smear is too clean next to real texture: add grain as strong as the image's own
    src = rgb.astype(np.float32)
    detail = src - cv2.GaussianBlur(src, (0, 0), 2.0)
    outside = soft[..., 0] < 0.05
    if outside.any():
        sd = detail[outside].std(axis=0)
        tile = np.random.default_rng(0).standard_normal((128, 128, 3), dtype=np.float32)
        noise = np.tile(cv2.GaussianBlur(tile, (0, 0), 0.7), (h // 128 + 1, w // 128 + 1, 1))
        up += noise[:h, :w] * (sd * 1.6)
    out = src * (1 - soft) + up * soft
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)


def decontaminate(rgb: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Replace the colour of soft edge pixels by the subject's own nearby colour, so a cut-out
    placed on a new background keeps no fringe of the old one."""
    core = (alpha > 0.95).astype(np.float32)
    if core.sum() < 16:
        return rgb
    sigma = max(1.5, max(alpha.shape) / 150)
    weight = cv2.GaussianBlur(core, (0, 0), sigma)[..., None]
    inner = cv2.GaussianBlur(rgb.astype(np.float32) * core[..., None], (0, 0), sigma)
    inner = inner / np.maximum(weight, 1e-4)
    edge = ((alpha > 0.02) & (alpha <= 0.95))[..., None] & (weight > 1e-3)
    return np.where(edge, np.clip(inner, 0, 255), rgb).astype(np.uint8)


def subject_box(alpha: np.ndarray, thresh: float = 0.2) -> tuple[int, int, int, int]:
    """Bounding box (x, y, w, h) of the subject, the whole image if none."""
    ys, xs = np.nonzero(alpha > thresh)
    if len(xs) == 0:
        return 0, 0, alpha.shape[1], alpha.shape[0]
    x0, x1, y0, y1 = xs.min(), xs.max() + 1, ys.min(), ys.max() + 1
    return int(x0), int(y0), int(x1 - x0), int(y1 - y0)
