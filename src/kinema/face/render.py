"""Rig + FaceControls -> RGB frame: the hot loop.

Public API::

    r = Renderer(rig, size=512)
    frame = r.render(controls)   # (size, size, 3) uint8; an INTERNAL buffer, overwritten by the
                                 # next call: copy it if you keep it
    still = r.rest_frame()       # the portrait at rest (a copy)

How: at construction every deformation basis is turned from vertex displacements into a dense
field on a half-resolution grid (barycentric interpolation on the rest mesh). Per frame the
fields are combined with one matrix-vector product, inverted by fixed-point iteration
(backward map ``s = x - d(s)``), upsampled and handed to ``cv2.remap``. Blinks and gaze are
composited in source space on fixed eye boxes before the warp (so they move with the head);
the mouth interior is composited after it inside the deformed inner-lip polygon. All frame- and
box-sized buffers are allocated here, none per frame. Where no basis moves a pixel the
remap is an exact copy, so the background is bit-identical to the source when the head is still.
"""

from __future__ import annotations

import cv2
import numpy as np

from kinema.face import landmarks as L
from kinema.face.controls import LIMITS, FaceControls
from kinema.face.mouth import MouthLayer
from kinema.face.rig import BASES, Rig

SIZES_FPS = (24, 25, 30, 60)
NEWTON_ITERATIONS = 2
LIPS_FIXED = ("jaw_open", "head_yaw", "head_pitch", "head_roll")
LOWRES_STEP = 4  # px of output per displacement-grid cell


def control_vector(c: FaceControls, out: np.ndarray) -> np.ndarray:
    """Write the basis weights of ``c`` (clamped to the validated limits) into ``out``."""

    def lim(name: str) -> float:
        lo, hi = LIMITS[name]
        return min(hi, max(lo, float(getattr(c, name))))

    smile, brow = lim("smile"), lim("brow_raise")
    out[0] = lim("jaw_open")
    out[1] = lim("lips_wide")
    out[2] = lim("lips_round")
    out[3] = min(1.0, 1.35 * lim("lips_press"))  # coarticulated closures still seal
    out[4] = lim("lip_tuck")
    out[5] = lim("upper_lip_up")
    out[6] = max(smile, 0.0)
    out[7] = max(-smile, 0.0)
    out[8] = max(brow, 0.0)
    out[9] = max(-brow, 0.0)
    out[10] = lim("brow_inner_up")
    out[11] = lim("head_yaw")
    out[12] = lim("head_pitch")
    out[13] = lim("head_roll")
    out[14] = lim("cheek_raise")
    out[15] = lim("eye_wide")
    return out


def _locate(v: np.ndarray, tris: np.ndarray, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each query point, the rig triangle holding it and its barycentric weights.

    Uses the rig's own (lip-aware) triangles, not a fresh Delaunay of the rest positions,
    so the lips' deformations are interpolated within each lip.
    """
    verts = np.zeros((len(q), 3), np.int64)
    bary = np.zeros((len(q), 3))
    bary[:, 0] = 1.0
    found = np.zeros(len(q), bool)
    order = np.lexsort((q[:, 0], q[:, 1]))
    qs = q[order]
    for t in tris:
        a, b, c = v[t]
        lo, hi = np.minimum(np.minimum(a, b), c) - 1e-6, np.maximum(np.maximum(a, b), c) + 1e-6
        i0, i1 = np.searchsorted(qs[:, 1], [lo[1], hi[1]])
        if i0 == i1:
            continue
        cand = order[i0:i1]
        p = q[cand]
        sel = (p[:, 0] >= lo[0]) & (p[:, 0] <= hi[0]) & ~found[cand]
        if not sel.any():
            continue
        cand, p = cand[sel], p[sel]
        den = (b[1] - c[1]) * (a[0] - c[0]) + (c[0] - b[0]) * (a[1] - c[1])
        if abs(den) < 1e-9:
            continue
        w0 = ((b[1] - c[1]) * (p[:, 0] - c[0]) + (c[0] - b[0]) * (p[:, 1] - c[1])) / den
        w1 = ((c[1] - a[1]) * (p[:, 0] - c[0]) + (a[0] - c[0]) * (p[:, 1] - c[1])) / den
        w2 = 1 - w0 - w1
        inside = (w0 >= -1e-7) & (w1 >= -1e-7) & (w2 >= -1e-7)
        idx = cand[inside]
        verts[idx] = t
        bary[idx] = np.column_stack([w0, w1, w2])[inside]
        found[idx] = True
    return verts, bary


def _lash_band(
    roi: np.ndarray, yu: np.ndarray, yl: np.ndarray, width: float, band: float
) -> tuple[float, float]:
    """How far the dark lash line reaches above the upper lid line and below it (px).

    Read on the eye's middle columns: rows darker than the lid skin above, next to the line.
    """
    lum = roi.astype(np.float32).mean(axis=2)
    h, w = lum.shape
    up_px, dn_px = [], []
    xs = np.flatnonzero((yl - yu) > 0.35 * float((yl - yu).max()))
    for x in xs[len(xs) // 4 : max(len(xs) // 4 + 1, 3 * len(xs) // 4)]:
        y = float(yu[x])
        top = max(0, int(y - band))
        col = lum[top : min(h, int(y + 0.5 * (yl[x] - y)) + 1), x]
        if len(col) < 4:
            continue
        skin = float(np.median(lum[top : max(top + 1, int(y - 0.5 * band)), x]))
        dark = col < skin - 0.35 * max(skin - float(col.min()), 1.0)
        rel = np.arange(len(col)) + top - y
        i0 = int(np.argmin(np.abs(rel)))  # the lid line's row; the lash run must touch it
        near = [j for j in range(max(0, i0 - 2), min(len(col), i0 + 3)) if dark[j]]
        if not near:
            continue
        lo_j = hi_j = near[0]
        while lo_j > 0 and dark[lo_j - 1]:
            lo_j -= 1
        while hi_j + 1 < len(col) and dark[hi_j + 1]:
            hi_j += 1
        up_px.append(-rel[lo_j])
        dn_px.append(rel[hi_j])
    up = float(np.median(up_px)) if up_px else 0.05 * width
    dn = float(np.median(dn_px)) if dn_px else 0.0
    return float(np.clip(up, max(1.0, 0.03 * width), 0.16 * width)), float(
        np.clip(dn, 0.5, max(0.5, 0.02 * width))
    )


class _EyeLayer:
    """Preallocated buffers and maps for one eye (in output pixels)."""

    def __init__(self, rig: Rig, idx: int, k: float, src: np.ndarray) -> None:
        e = rig.eyes[idx]
        n = src.shape[0]
        x0, y0, x1, y1 = np.clip(np.round(e.box * k).astype(int), 0, n)
        self.box = (x0, y0, x1, y1)
        h, w = y1 - y0, x1 - x0
        self.ok = h > 2 and w > 2
        if not self.ok:
            return
        up, lo = e.upper * k - [x0, y0], e.lower * k - [x0, y0]
        xs = np.arange(w, dtype=np.float32)
        ou, ol = np.argsort(up[:, 0]), np.argsort(lo[:, 0])
        yu = np.interp(xs, up[ou, 0], up[ou, 1])
        yl = np.interp(xs, lo[ol, 0], lo[ol, 1])
        yy = np.arange(h, dtype=np.float32)[:, None]
        opening = np.zeros((h, w), np.uint8)
        cv2.fillPoly(opening, [np.round(np.vstack([up, lo[::-1]])).astype(np.int32)], 255)
        width = float(np.hypot(*(up[-1] - up[0])))
        grow = max(1, round(width * 0.1))
        self.open_soft = cv2.GaussianBlur(opening.astype(np.float32) / 255, (0, 0), 0.6)[..., None]
        # the closing lid covers the eye and its outline (the rig's lid patch is skin there)
        c = round(width * 0.19) + 1
        cover = cv2.dilate(opening, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * c + 1,) * 2))
        self.cover = cv2.GaussianBlur(cover.astype(np.float32) / 255, (0, 0), grow * 0.5)[..., None]
        self.ring = (self.cover * (1 - self.open_soft)).astype(np.float32)
        # the upper lid sweeps down: the band of lid skin above the eye slides over it and
        # stretches, its lash line (kept rigid) travelling from the upper to the lower lid
        band = float(min(round(width * 0.26) + 1, max(2.0, float(yu.min()) - 1.0)))
        self.top = (yu - band).astype(np.float32)
        self.yu = yu.astype(np.float32)
        self.yl = np.maximum(yl, yu + 0.5).astype(np.float32)
        lash_up, lash_dn = _lash_band(src[y0:y1, x0:x1], yu, yl, width, band)
        self.lash_up, self.lash_dn = lash_up, lash_dn
        self.yy = np.ascontiguousarray(np.broadcast_to(yy, (h, w)), np.float32)
        self.mapx = np.ascontiguousarray(np.broadcast_to(xs[None], (h, w)), np.float32)
        self.mapy = np.zeros((h, w), np.float32)
        self.disp = np.zeros((h, w), np.float32)
        cx0, cx1 = float(min(up[0, 0], up[-1, 0])), float(max(up[0, 0], up[-1, 0]))
        edge_in = np.minimum(xs - cx0, cx1 - xs) / max(width * 0.08, 1.0)
        self.htaper = np.clip(edge_in + 1.0, 0, 1).astype(np.float32)  # 0 just beyond the corners
        fin = np.clip(np.minimum(xs - cx0, cx1 - xs) / max(width * 0.22, 1.0) + 0.15, 0, 1)
        self.ftaper = (fin * fin * (3 - 2 * fin)).astype(np.float32)  # the fill fades at corners
        self.swept = np.empty((h, w, 3), np.float32)
        self.lash_src = np.ascontiguousarray(src[y0:y1, x0:x1].astype(np.float32))
        self.soft = max(1.0, width * 0.1)
        # a closed lid comes to rest on the lower lid's outline, not on the mesh's eye line
        self.overshoot = float(min(0.5 * lash_dn + 0.04 * width, 0.12 * width))
        self.lash = np.asarray(e.lash, np.float32)
        self.src = src[y0:y1, x0:x1].astype(np.float32)
        lid = cv2.resize(e.lid, (w, h), interpolation=cv2.INTER_AREA).astype(np.float32)
        self.skin = lid  # the skin around the eye, for the lower outline under a closed lid
        # uncovered lid skin: the skin just above the lash line, carried down (so it joins
        # the real skin above without a seam), with the skin fill's grain
        f = src[y0:y1, x0:x1].astype(np.float32)
        y_top = np.clip(self.yu - self.lash_up - self.soft, 1, h - 1)
        rows = np.stack([np.clip(y_top - d, 0, h - 1) for d in (0.0, 1.0, 2.0)])
        mx = np.broadcast_to(xs[None], rows.shape).astype(np.float32)
        col = cv2.remap(f, mx, rows.astype(np.float32), cv2.INTER_LINEAR).mean(axis=0)
        col = cv2.GaussianBlur(col[None], (0, 0), max(1.0, 0.05 * width))[0]
        # a shadowed crease above the lashes would make the whole lid dark: lean towards the
        # skin around the eye in proportion to how much darker the row is
        ring_px = lid[(cover > 0) & (opening == 0)].reshape(-1, 3)
        ref = np.median(ring_px, axis=0) if len(ring_px) else col.mean(axis=0)
        dark = np.clip((ref.mean() - col.mean(axis=1)) / max(float(ref.mean()), 1.0) * 2.5, 0, 0.75)
        col = col * (1 - dark[:, None]) + ref[None] * dark[:, None]
        grain = lid - cv2.GaussianBlur(lid, (0, 0), max(1.0, 0.04 * width))
        # a convex lid: lighter where it faces the light, darker towards the lashes and corners
        cxm = float((up[0, 0] + up[-1, 0]) / 2)
        across = ((xs - cxm) / max(width * 0.5, 1.0)) ** 2
        down = np.clip((yy - y_top[None]) / max(1.0, float((self.yl - y_top).mean())), 0, 1)
        shade = (1 - 0.1 * down**2) * (1 - 0.08 * np.clip(across, 0, 1))[None]
        self.lid = np.clip(col[None] * shade[..., None] + grain, 0, 255).astype(np.float32)
        self.ball = cv2.resize(e.ball, (w, h), interpolation=cv2.INTER_AREA).astype(np.float32)
        cx, cy, r = e.iris[0] * k - x0, e.iris[1] * k - y0, e.iris[2] * k
        a = np.zeros((h, w), np.float32)
        cv2.circle(a, (round(cx), round(cy)), max(1, round(r * 1.05)), 1.0, -1, cv2.LINE_AA)
        self.iris = np.dstack([self.src, a])  # RGBA float
        self.gaze_dx, self.gaze_dy = max(width * 0.5 - r, 0) * 0.55, r * 0.35
        self.buf = np.empty((h, w, 3), np.float32)
        self.ibuf = np.empty((h, w, 4), np.float32)
        self.alpha = np.empty((h, w, 1), np.float32)
        self.tmp = np.empty((h, w, 1), np.float32)
        self.out8 = np.empty((h, w, 3), np.uint8)
        self.m = np.zeros((2, 3), np.float32)
        self.m[0, 0] = self.m[1, 1] = 1.0
        self.src8 = np.ascontiguousarray(src[y0:y1, x0:x1])
        self.dirty = False
        self.last = (0.0, 0.0, 0.0)

    def apply(self, work: np.ndarray, blink: float, gx: float, gy: float, gaze: bool) -> None:
        if not self.ok:
            return
        x0, y0, x1, y1 = self.box
        moving = gaze and (abs(gx) > 1e-3 or abs(gy) > 1e-3)
        if blink < 0.02 and not moving:
            if self.dirty:
                work[y0:y1, x0:x1] = self.src8
                self.dirty = False
            return
        if self.dirty and self.last == (blink, gx, gy):
            return  # a held gaze (saccades hold for seconds): the composite is already there
        self.last = (blink, gx, gy)
        buf = self.buf
        if moving:
            np.copyto(buf, self.ball)
            self.m[0, 2], self.m[1, 2] = gx * self.gaze_dx, gy * self.gaze_dy
            cv2.warpAffine(
                self.iris,
                self.m,
                (x1 - x0, y1 - y0),
                dst=self.ibuf,
                flags=cv2.INTER_LINEAR,
                borderMode=cv2.BORDER_CONSTANT,
            )
            np.multiply(self.ibuf[..., 3:], self.open_soft, out=self.alpha)
            self._mix(buf, self.ibuf[..., :3], self.alpha)
        else:
            np.copyto(buf, self.src)
        if blink >= 0.02:
            self._lid(buf, min(1.0, blink))
        np.copyto(self.out8, buf, casting="unsafe")
        work[y0:y1, x0:x1] = self.out8
        self.dirty = True

    def _lid(self, buf: np.ndarray, b: float) -> None:
        """The upper lid swept down to ``b`` (0 open .. 1 closed), in place.

        The portrait's own lash line travels down rigidly from the upper lid towards the lower
        lid; the lid skin it uncovers above it is the rig's skin fill (the fold of lid skin a
        closing eye unrolls), so the brow and the crease stay where they are.
        """
        a, disp, mapy = self.alpha, self.disp, self.mapy
        land = b**3  # the lid lands on the lower outline only at the end
        m = self.yu + b * (self.yl - self.yu) + self.overshoot * land  # the lid margin
        drop = (m - self.yu) * self.htaper
        # uncovered lid skin: from where the lash line was down to where it is now
        np.subtract((m - self.lash_up + 0.5)[None], self.yy, out=disp)
        np.clip(disp, 0.0, 1.0, out=disp)
        np.subtract(self.yy, (self.yu - self.lash_up - self.soft)[None], out=mapy)
        np.multiply(mapy, 1.0 / self.soft, out=mapy)
        np.clip(mapy, 0.0, 1.0, out=mapy)
        np.multiply(disp, mapy, out=a[..., 0])
        np.multiply(a[..., 0], self.ftaper[None], out=a[..., 0])
        np.multiply(a, self.cover, out=a)
        if b > 0.6:  # the lower outline and lashes give way to skin as the lid lands
            fade = min(1.0, (b - 0.6) / 0.4)
            np.multiply(self.ring, 0.6 * fade * fade * (3 - 2 * fade), out=self.tmp)
            np.multiply(self.tmp[..., 0], self.yy > m[None], out=self.tmp[..., 0])
            self._mix(buf, self.skin, self.tmp)
        self._mix(buf, self.lid, a)
        # the lash line, moved down by the drop (and a little thinner as it lands: the upper
        # lashes fold onto the lower ones)
        squash = 1.0 + 0.8 * land
        np.subtract(self.yy, m[None], out=mapy)
        np.multiply(mapy, squash, out=mapy)
        np.add(mapy, (m - drop)[None], out=mapy)
        cv2.remap(
            self.lash_src,
            self.mapx,
            mapy,
            cv2.INTER_LINEAR,
            dst=self.swept,
            borderMode=cv2.BORDER_REPLICATE,
        )
        np.subtract(self.yy, (m - self.lash_up / squash - 0.5)[None], out=disp)
        np.clip(disp, 0.0, 1.0, out=disp)
        np.subtract((m + self.lash_dn + 0.5)[None], self.yy, out=a[..., 0])
        np.clip(a, 0.0, 1.0, out=a)
        np.multiply(a[..., 0], disp, out=a[..., 0])
        np.multiply(a[..., 0], (self.htaper * min(1.0, b * 8.0))[None], out=a[..., 0])
        self._mix(buf, self.swept, a)

    def _mix(self, base: np.ndarray, top: np.ndarray, alpha: np.ndarray) -> None:
        """base += alpha * (top - base), in place."""
        np.subtract(top, base, out=self.ibuf[..., :3])
        np.multiply(self.ibuf[..., :3], alpha, out=self.ibuf[..., :3])
        np.add(base, self.ibuf[..., :3], out=base)


class _ClosedLayer:
    """Blends the rig's closed-lips patch into the source by ``lips_press`` (source space)."""

    def __init__(self, rig: Rig, k: float, src: np.ndarray) -> None:
        n = src.shape[0]
        x0, y0, x1, y1 = np.clip(np.round(rig.closed_box * k).astype(int), 0, n)
        self.box = (x0, y0, x1, y1)
        self.ok = x1 - x0 > 2 and y1 - y0 > 2
        self.dirty = False
        self.weight = 0.0  # how much of the closed patch the last frame showed
        if not self.ok:
            return
        self.src = np.ascontiguousarray(src[y0:y1, x0:x1])
        self.patch = cv2.resize(rig.closed, (x1 - x0, y1 - y0), interpolation=cv2.INTER_AREA)
        self.out = np.empty_like(self.src)

    def apply(self, work: np.ndarray, press: float) -> None:
        self.weight = 0.0
        if not self.ok:
            return
        x0, y0, x1, y1 = self.box
        if press < 0.01:
            if self.dirty:
                work[y0:y1, x0:x1] = self.src
                self.dirty = False
            return
        p = min(1.0, press * 1.6)
        self.weight = p
        cv2.addWeighted(self.patch, p, self.src, 1.0 - p, 0.0, dst=self.out)
        work[y0:y1, x0:x1] = self.out
        self.dirty = True


class Renderer:
    """Renders a rig at ``size`` x ``size``: build once per (rig, size), render per frame."""

    def __init__(self, rig: Rig, size: int = 512) -> None:
        if size < 32 or size > 2048 or size % 2:
            raise ValueError(f"size must be even and in 32..2048, got {size}")
        self.rig, self.size = rig, size
        n = size
        k = n / rig.size
        self.k = k
        interp = cv2.INTER_AREA if k < 1 else cv2.INTER_CUBIC
        self.src = cv2.resize(rig.image, (n, n), interpolation=interp)
        self.work = self.src.copy()
        self.out = np.empty_like(self.src)
        # the warp lives in a box around every vertex that any basis moves; outside it the
        # frame is the (eye-composited) source, copied
        moving = np.abs(rig.bases).max(axis=(0, 2)) > 1e-4
        touched = np.unique(rig.triangles[moving[rig.triangles].any(axis=1)])
        lo = np.floor(rig.vertices[touched].min(axis=0) * k).astype(int) - 2
        hi = np.ceil(rig.vertices[touched].max(axis=0) * k).astype(int) + 3
        x0, y0 = np.clip(lo, 0, n)
        x1, y1 = np.clip(hi, 0, n)
        self.box = (int(x0), int(y0), int(x1), int(y1))
        bw, bh = int(x1 - x0), int(y1 - y0)
        step = LOWRES_STEP if n >= 384 else 2
        gw, gh = max(4, -(-bw // step)), max(4, -(-bh // step))
        sx, sy = bw / gw, bh / gh
        self.scale = (float(sx), float(sy), 0.0, 0.0)
        cx = x0 + (np.arange(gw) + 0.5) * sx - 0.5
        cy = y0 + (np.arange(gh) + 0.5) * sy - 0.5
        gx, gy = np.meshgrid(cx, cy)
        q = np.stack([gx.ravel(), gy.ravel()], axis=1) / k  # rig pixels
        verts, bary = _locate(rig.vertices.astype(np.float64), rig.triangles, q)
        fields = np.einsum("nj,knjc->knc", bary, rig.bases[:, verts, :].astype(np.float64))
        # in low-res grid units, so the fixed-point iteration can remap the field by itself
        fields = fields * k / np.array([sx, sy])
        # and their spatial derivatives, for Newton steps of the inversion
        f = fields.reshape(len(BASES), gh, gw, 2)
        grads = np.stack(
            [
                np.gradient(f[..., 0], axis=2),
                np.gradient(f[..., 0], axis=1),
                np.gradient(f[..., 1], axis=2),
                np.gradient(f[..., 1], axis=1),
            ],
            -1,
        )
        # per basis one row of [dx, dy, dxx, dxy, dyx, dyy] per grid cell: one scaleAdd each
        both = np.concatenate([f, grads], axis=-1)
        self.BG = np.ascontiguousarray(both.reshape(len(BASES), -1).astype(np.float32))
        self.DJ = np.zeros((gh, gw, 6), np.float32)
        self.DJs = np.zeros((gh, gw, 6), np.float32)
        self.r = np.zeros((gh, gw, 2), np.float32)
        self.det = np.zeros((gh, gw), np.float32)
        self.t1 = np.zeros((gh, gw), np.float32)
        self.t2 = np.zeros((gh, gw), np.float32)
        self.vec = np.zeros(len(BASES), np.float32)
        self.tmp = np.zeros((gh, gw, 2), np.float32)
        self.s = np.zeros((gh, gw, 2), np.float32)
        ii, jj = np.meshgrid(np.arange(gw, dtype=np.float32), np.arange(gh, dtype=np.float32))
        self.id_low = np.dstack([ii, jj]).astype(np.float32)
        fx, fy = np.meshgrid(
            np.arange(x0, x1, dtype=np.float32), np.arange(y0, y1, dtype=np.float32)
        )
        self.id_full = np.dstack([fx, fy]).astype(np.float32)
        self.disp = np.zeros((bh, bw, 2), np.float32)
        self.map = self.id_full.copy()
        self.out_box = self.out[y0:y1, x0:x1]
        np.copyto(self.out, self.src)
        self.eyes = [_EyeLayer(rig, i, k, self.src) for i in range(2)]
        self.closed = _ClosedLayer(rig, k, self.src)
        # source-space layers inside the warp box: outside it, `out` never needs refreshing
        boxes = [e.box for e in self.eyes if e.ok] + ([self.closed.box] if self.closed.ok else [])
        self.layers_inside = all(
            b[0] >= x0 and b[1] >= y0 and b[2] <= x1 and b[3] <= y1 for b in boxes
        )
        self._init_mouth()

    # ------------------------------------------------------------------ mouth
    def _init_mouth(self) -> None:
        rig, k = self.rig, self.k
        nu = len(L.LIP_UPPER_INNER)
        self.mouth_nu = nu
        self.mouth_idx = np.array(L.LIP_UPPER_INNER + L.LIP_LOWER_INNER[::-1], np.int64)
        self.mouth_v0 = rig.vertices[self.mouth_idx].astype(np.float32) * k
        mb = rig.bases[:, self.mouth_idx, :].astype(np.float32) * k
        self.mouth_b = np.ascontiguousarray(mb.reshape(len(BASES), -1))
        self.mpts = np.zeros((len(self.mouth_idx), 2), np.float32)
        self.mlower = np.zeros((nu, 2), np.float32)
        # how far the lip bases (not the jaw, not the head) lift each lip's middle: the teeth
        # stay with the skull and the jaw while the lips move over them
        head = np.array([not b.startswith("head_") for b in BASES], np.float32)
        lip = np.array([b not in LIPS_FIXED for b in BASES], np.float32)
        self.raise_up = -(rig.bases[:, L.UPPER_INNER_MID, 1] * k * head).astype(np.float32)
        self.raise_lo = -(rig.bases[:, L.LOWER_INNER_MID, 1] * k * lip).astype(np.float32)
        self.mouth = MouthLayer(rig.mouth, k, self.size, self.mouth_v0[:nu])

    def _mouth(self) -> None:
        pts = self.mpts
        np.dot(self.vec, self.mouth_b, out=pts.reshape(-1))
        np.add(pts, self.mouth_v0, out=pts)
        nu = self.mouth_nu
        np.copyto(self.mlower, pts[nu:][::-1])
        self.mouth.apply(
            self.out,
            pts[:nu],
            self.mlower,
            float(self.vec @ self.raise_up),
            float(self.vec @ self.raise_lo),
            float(self.vec[0]),
            1.0 - self.closed.weight,
        )

    # ------------------------------------------------------------------ frame
    def render(self, controls: FaceControls) -> np.ndarray:
        """The frame for ``controls``; returns an internal buffer (valid until the next call)."""
        vec = control_vector(controls, self.vec)
        for eye, blink in zip(self.eyes, (controls.blink_left, controls.blink_right), strict=True):
            eye.apply(
                self.work,
                min(1.0, max(0.0, blink)),
                controls.gaze_x,
                controls.gaze_y,
                self.rig.gaze,
            )
        self.closed.apply(self.work, float(vec[3]))
        if self.closed.weight > 0.0:
            # the patch already shows the lips meeting: squeezing its gap again would crush
            # the patch into a line
            vec[3] *= 1.0 - 0.0 * self.closed.weight
        if not vec.any():
            np.copyto(self.map, self.id_full)
            np.copyto(self.out, self.work)
            return self.out
        dj = self.DJ.reshape(-1)
        dj.fill(0.0)
        for i, w in enumerate(vec.tolist()):
            if w != 0.0:
                cv2.scaleAdd(self.BG[i], w, dj, dst=dj)
        self._invert()
        cv2.subtract(self.id_low, self.s, dst=self.tmp)
        cv2.multiply(self.tmp, self.scale, dst=self.tmp)
        x0, y0, x1, y1 = self.box
        cv2.resize(self.tmp, (x1 - x0, y1 - y0), dst=self.disp, interpolation=cv2.INTER_LINEAR)
        cv2.subtract(self.id_full, self.disp, dst=self.map)
        if not self.layers_inside:
            np.copyto(self.out, self.work)
        cv2.remap(
            self.work,
            self.map,
            None,
            cv2.INTER_LINEAR,
            dst=self.out_box,
            borderMode=cv2.BORDER_REPLICATE,
        )
        self._mouth()
        return self.out

    def _invert(self) -> None:
        """Backward map on the low-res grid: solve s + d(s) = x by Newton steps from s = x - d.

        Newton (with the precomputed field derivatives) converges where the warp stretches
        more than 2x, which plain fixed-point iteration does not (it would fold the map there).
        """
        s, r, djs, det, t1, t2 = self.s, self.r, self.DJs, self.det, self.t1, self.t2
        np.subtract(self.id_low, self.DJ[..., :2], out=s)
        for _ in range(NEWTON_ITERATIONS):
            cv2.remap(
                self.DJ,
                s,
                None,
                cv2.INTER_LINEAR,
                dst=djs,
                borderMode=cv2.BORDER_CONSTANT,
                borderValue=0,
            )
            np.add(s, djs[..., :2], out=r)
            cv2.subtract(r, self.id_low, dst=r)  # residual s + d(s) - x
            js = djs[..., 2:]
            a, b, c, e = js[..., 0], js[..., 1], js[..., 2], js[..., 3]
            a += 1.0
            e += 1.0
            np.multiply(a, e, out=det)
            np.multiply(b, c, out=t1)
            np.subtract(det, t1, out=det)
            np.maximum(det, 0.1, out=det)  # never divide by a collapsed (lip gap) cell
            r0, r1 = r[..., 0], r[..., 1]
            np.multiply(e, r0, out=t1)
            np.multiply(b, r1, out=t2)
            np.subtract(t1, t2, out=t1)
            np.divide(t1, det, out=t1)
            np.multiply(a, r1, out=t2)
            np.multiply(c, r0, out=a)  # a is no longer needed
            np.subtract(t2, a, out=t2)
            np.divide(t2, det, out=t2)
            s[..., 0] -= t1
            s[..., 1] -= t2

    def rest_frame(self) -> np.ndarray:
        return self.render(FaceControls()).copy()

    def current_map(self) -> np.ndarray:
        """The backward map (absolute source x, y) of the last frame inside ``self.box``."""
        return self.map
