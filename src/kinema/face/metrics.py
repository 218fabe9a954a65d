"""Quality measures as code (tests and benches use these, not eyeballs).

- ``mouth_openings(frames)``: the landmark model re-run on rendered frames: inner-lip gap over
  mouth width per frame (NaN where no face is found).
- ``av_offset(openings, audio, fps)``: cross-correlation of the measured mouth opening with the
  audio loudness envelope; the lag in seconds (positive: video late).
- ``bilabial_closure(openings, phonemes, fps)``: share of p/b/m whose frame shows closed lips.
- ``mesh_folds(rig, vec)`` and ``map_folds(map)``: fold-over of triangles / of the dense warp.
- ``psnr(a, b, mask)`` and ``face_mask(rig, size)``: image agreement outside the face.
"""

from __future__ import annotations

import cv2
import numpy as np

from kinema.face import landmarks as L
from kinema.face.analyze import mesh_points
from kinema.face.rig import BASES, Rig
from kinema.media.audio import Audio
from kinema.voice.tts.base import PhonemeEvent

CLOSED = 0.06  # inner-lip gap / mouth width at or below which lips count as closed


def mouth_opening(frame: np.ndarray) -> float:
    """Inner-lip gap over mouth width, measured by the face mesh (NaN without a face)."""
    pts = mesh_points(frame)
    if pts is None:
        return float("nan")
    gap = float(np.hypot(*(pts[L.LOWER_INNER_MID, :2] - pts[L.UPPER_INNER_MID, :2])))
    width = float(np.hypot(*(pts[L.MOUTH_R, :2] - pts[L.MOUTH_L, :2])))
    return gap / max(width, 1e-6)


def mouth_openings(frames: list[np.ndarray]) -> np.ndarray:
    return np.array([mouth_opening(f) for f in frames])


def audio_envelope(audio: Audio, fps: float, n: int | None = None) -> np.ndarray:
    """RMS loudness per video frame; frame i (shown at i/fps) covers i/fps +- half a frame."""
    x = audio.samples.astype(np.float64) / 32768.0
    n = n if n is not None else int(np.ceil(audio.duration * fps))
    out = np.zeros(n)
    for i in range(n):
        a = max(0, int((i - 0.5) * audio.rate / fps))
        b = int((i + 0.5) * audio.rate / fps)
        seg = x[a:b]
        out[i] = np.sqrt((seg**2).mean()) if len(seg) else 0.0
    return out


def av_offset(openings: np.ndarray, audio: Audio, fps: float, max_lag: int = 6) -> float:
    """Lag (s) maximising the correlation of mouth opening and loudness; > 0: video late."""
    env = audio_envelope(audio, fps, len(openings))
    m = np.nan_to_num(openings, nan=float(np.nanmedian(openings)))
    m = (m - m.mean()) / (m.std() + 1e-9)
    e = (env - env.mean()) / (env.std() + 1e-9)
    lags = np.arange(-max_lag, max_lag + 1)
    corr = []
    for lag in lags:
        if lag >= 0:
            a, b = m[lag:], e[: len(e) - lag]
        else:
            a, b = m[: len(m) + lag], e[-lag:]
        corr.append(float(np.mean(a * b)))
    corr_a = np.array(corr)
    i = int(np.argmax(corr_a))
    frac = 0.0
    if 0 < i < len(lags) - 1:  # parabolic refinement
        y0, y1, y2 = corr_a[i - 1], corr_a[i], corr_a[i + 1]
        den = y0 - 2 * y1 + y2
        frac = 0.5 * (y0 - y2) / den if den != 0 else 0.0
    return float((lags[i] + frac) / fps)


def bilabial_closure(
    openings: np.ndarray, phonemes: list[PhonemeEvent], fps: float, closed: float | None = None
) -> float:
    """Share of bilabial phonemes (viseme PP) with a closed-lip frame during them.

    Closed means an opening at most ``closed``; by default ``CLOSED`` or, when the tracker's
    floor is higher on small faces, 30 % of the clip's wide-open level (90th percentile).
    """
    events = [p for p in phonemes if p.viseme == "PP"]
    if not events:
        return float("nan")
    if closed is None:
        closed = max(CLOSED, 0.3 * float(np.nanpercentile(openings, 90)))
    hits = 0
    for p in events:
        lo = int(np.floor((p.start - 0.04) * fps))
        hi = int(np.ceil(p.end * fps))
        window = openings[max(0, lo) : max(lo + 1, min(len(openings), hi + 1))]
        if len(window) and np.nanmin(window) <= closed:
            hits += 1
    return hits / len(events)


def _areas(v: np.ndarray, tri: np.ndarray) -> np.ndarray:
    a, b, c = v[tri[:, 0]], v[tri[:, 1]], v[tri[:, 2]]
    return 0.5 * (
        (b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (b[:, 1] - a[:, 1]) * (c[:, 0] - a[:, 0])
    )


def mesh_folds(rig: Rig, vec: np.ndarray, tolerance: float = 0.5) -> int:
    """Triangles turned over by basis weights ``vec`` (rig triangles are counter-clockwise).

    A triangle may collapse to a line (the strip between the lips does when they press) but
    not turn over by more than ``tolerance`` px² of signed area, in pixels of a 512² frame
    when the rig is larger (so a large portrait is held to the same standard as a small one).
    """
    rest = _areas(rig.vertices.astype(np.float64), rig.triangles)
    now = _areas(rig.deformed(np.asarray(vec, np.float64)), rig.triangles)
    tol = tolerance * max(1.0, (rig.size / 512.0) ** 2)
    return int(np.sum(now < np.minimum(rest, 0.0) - tol))


def map_folds(backward: np.ndarray, ignore: np.ndarray | None = None) -> float:
    """Share of pixels where the dense backward map has a non-positive Jacobian.

    ``ignore`` (same height/width, bool) masks pixels the renderer paints over anyway: the
    mouth opening, where the lips part and the warp is replaced by the mouth interior.
    """
    mx, my = backward[..., 0].astype(np.float64), backward[..., 1].astype(np.float64)
    dxx, dxy = np.gradient(mx, axis=1), np.gradient(mx, axis=0)
    dyx, dyy = np.gradient(my, axis=1), np.gradient(my, axis=0)
    bad = (dxx * dyy - dxy * dyx) <= 0
    if ignore is not None:
        bad &= ~ignore
    return float(np.mean(bad))


def opening_mask(
    rig: Rig, vec: np.ndarray, size: int, box: tuple[int, int, int, int], grow: float = 0.18
) -> np.ndarray:
    """Where the lips part: the deformed inner-lip polygon grown by ``grow`` mouth widths.

    Inside it the renderer paints the mouth interior; at its corners the lips shear apart
    (known: a few pixels there may fold when the jaw is wide open).
    """
    x0, y0, x1, y1 = box
    idx = list(L.LIP_UPPER_INNER) + list(L.LIP_LOWER_INNER[::-1])
    pts = rig.deformed(np.asarray(vec, np.float64)) * (size / rig.size)
    poly = pts[idx] - [x0, y0]
    width = float(np.hypot(*(pts[L.MOUTH_R] - pts[L.MOUTH_L])))
    g = max(2, round(grow * width))
    mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
    cv2.fillPoly(mask, [np.round(poly).astype(np.int32)], 255)
    return cv2.dilate(mask, np.ones((2 * g + 1, 2 * g + 1), np.uint8)) > 0


def face_mask(rig: Rig, size: int, grow: int = 3) -> np.ndarray:
    """Pixels (at ``size``) the face bases can move: triangles touching a moved vertex."""
    face_bases = [i for i, b in enumerate(BASES) if not b.startswith("head_")]
    moved = np.abs(rig.bases[face_bases]).max(axis=(0, 2)) > 1e-3
    k = size / rig.size
    mask = np.zeros((size, size), np.uint8)
    for t in rig.triangles[moved[rig.triangles].any(axis=1)]:
        cv2.fillConvexPoly(mask, np.round(rig.vertices[t] * k).astype(np.int32), 255)
    for e in rig.eyes:
        x0, y0, x1, y1 = np.round(e.box * k).astype(int)
        mask[y0:y1, x0:x1] = 255
    return cv2.dilate(mask, np.ones((2 * grow + 1, 2 * grow + 1), np.uint8)) > 0


def psnr(a: np.ndarray, b: np.ndarray, mask: np.ndarray | None = None) -> float:
    """PSNR in dB over ``mask`` (all pixels when None); inf when identical."""
    d = (a.astype(np.float64) - b.astype(np.float64)) ** 2
    if mask is not None:
        d = d[mask]
    mse = float(d.mean()) if d.size else 0.0
    return float("inf") if mse == 0 else 10 * np.log10(255.0**2 / mse)


def jaw_drop(frames: list[np.ndarray], rig: Rig) -> np.ndarray:
    """How far the chin sits below the upper lip in each frame, relative to the first (px).

    Read from pixels, not from a tracker's snap to "closed": the vertical shift of a chin patch
    (lower lip edge to chin) minus that of a philtrum patch (nostrils to upper lip edge), each
    found by template matching against the first frame (sub-pixel), so head motion, which moves
    both, cancels. Frames are at any size (the rig's points are scaled to it).
    """
    n = frames[0].shape[0]
    p = rig.points[:, :2] * (n / rig.size)
    width = float(np.hypot(*(p[L.MOUTH_R] - p[L.MOUTH_L])))
    hw = max(4, round(0.3 * width))

    def box(top: np.ndarray, bottom: np.ndarray) -> tuple[int, int, int, int]:
        cx = round(float(top[0] + bottom[0]) / 2)
        return cx - hw, round(float(top[1])), cx + hw, round(float(bottom[1])) + 1

    boxes = [
        box(p[L.LOWER_LIP_MID] + [0, 0.04 * width], p[L.CHIN] + [0, 0.05 * width]),
        box(p[L.NOSE_TIP] + [0, 0.1 * width], p[L.UPPER_LIP_MID] + [0, 0.08 * width]),
    ]
    sy, sx = round(0.9 * width) + 2, round(0.25 * width) + 2
    grey = [cv2.cvtColor(f, cv2.COLOR_RGB2GRAY) for f in frames]
    refs = [grey[0][y0:y1, x0:x1] for x0, y0, x1, y1 in boxes]
    out = np.zeros(len(frames))
    for i, g in enumerate(grey):
        dys = []
        for (x0, y0, x1, y1), ref in zip(boxes, refs, strict=True):
            a0, b0 = max(0, y0 - sy), max(0, x0 - sx)
            area = g[a0 : min(n, y1 + sy), b0 : min(n, x1 + sx)]
            score = cv2.matchTemplate(area, ref, cv2.TM_CCOEFF_NORMED)
            yy, xx = np.unravel_index(int(np.argmax(score)), score.shape)
            frac = 0.0
            if 0 < yy < score.shape[0] - 1:  # parabolic sub-pixel refinement
                c0, c1, c2 = score[yy - 1, xx], score[yy, xx], score[yy + 1, xx]
                den = c0 - 2 * c1 + c2
                frac = 0.5 * (c0 - c2) / den if den != 0 else 0.0
            dys.append(a0 + yy + frac - y0)
        out[i] = dys[0] - dys[1]
    return out


def head_yaw(points: np.ndarray, rest: np.ndarray) -> float:
    """Yaw (degrees, image right positive) a frame shows, from landmarks tracked on it.

    ``points`` and ``rest`` are face meshes (``mesh_points``) of the frame and of the portrait
    at rest. A turn about a vertical axis shifts each point sideways in proportion to its
    depth (the nose more than the cheeks): the yaw is the slope of the sideways shifts against
    the rest depths, with translation and roll (a shift growing with height) fitted out.
    """
    idx = np.arange(468)
    dx = points[idx, 0].astype(np.float64) - rest[idx, 0]
    z = rest[idx, 2].astype(np.float64)
    y = rest[idx, 1].astype(np.float64)
    a = np.column_stack([np.ones_like(z), z - z.mean(), y - y.mean()])
    coef, *_ = np.linalg.lstsq(a, dx, rcond=None)
    return float(np.degrees(-coef[1]))
