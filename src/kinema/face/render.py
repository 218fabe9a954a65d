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
        # the closing lid covers the eye and its outline (the rig's lid patch is skin there);
        # its edge runs from just above the upper-lid outline (blink 0) to the lower lid (1)
        c = round(width * 0.19) + 1
        cover = cv2.dilate(opening, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * c + 1,) * 2))
        self.cover = cv2.GaussianBlur(cover.astype(np.float32) / 255, (0, 0), grow * 0.5)[..., None]
        self.ring = (self.cover * (1 - self.open_soft)).astype(np.float32)
        top = yu - c
        self.P = np.ascontiguousarray((yy - top[None])[..., None], np.float32)
        self.S = np.ascontiguousarray(np.maximum(yl - top, 1.0)[None, :, None], np.float32)
        self.soft = max(1.0, width * 0.05)
        self.lash_w = max(0.8, width * 0.035)
        cx0, cx1 = float(min(up[0, 0], up[-1, 0])), float(max(up[0, 0], up[-1, 0]))
        edge_in = np.minimum(xs - cx0, cx1 - xs) / max(width * 0.12, 1.0)
        self.taper = np.clip(edge_in + 0.4, 0, 1)[None, :, None].astype(np.float32)
        self.lash = np.asarray(e.lash, np.float32)
        self.src = src[y0:y1, x0:x1].astype(np.float32)
        self.lid = cv2.resize(e.lid, (w, h), interpolation=cv2.INTER_AREA).astype(np.float32)
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
        """Skin over the eye above the lid edge, a soft shadow and the lash line at the edge."""
        a, t = self.alpha, self.tmp
        # signed distance (px) below the edge: > 0 is still eye
        np.multiply(self.S, -b, out=t)
        np.add(t, self.P, out=t)
        np.multiply(t, -1 / self.soft, out=a)
        np.add(a, 0.5, out=a)
        np.clip(a, 0.0, 1.0, out=a)
        np.multiply(a, self.cover, out=a)
        if b > 0.6:  # the lower outline and lashes give way to skin as the lid lands
            fade = min(1.0, (b - 0.6) / 0.4)
            np.maximum(a, self.ring * (fade * fade * (3 - 2 * fade)), out=a)
        self._mix(buf, self.lid, a)
        # the lash line, centred a little below the edge, tapering out at the eye corners
        np.subtract(t, 0.3 * self.lash_w, out=a)
        np.abs(a, out=a)
        np.multiply(a, -1 / self.lash_w, out=a)
        np.add(a, 1.0, out=a)
        np.clip(a, 0.0, 1.0, out=a)
        np.multiply(a, self.taper, out=a)
        np.multiply(a, self.cover, out=a)
        np.multiply(a, 0.9 * min(1.0, b * 6.0), out=a)
        self._mix(buf, np.broadcast_to(self.lash, buf.shape), a)

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
        lip = np.array([b not in LIPS_FIXED for b in BASES], np.float32)
        self.raise_up = -(rig.bases[:, L.UPPER_INNER_MID, 1] * k * lip).astype(np.float32)
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
            vec[3] *= 1.0 - 0.4 * self.closed.weight
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
