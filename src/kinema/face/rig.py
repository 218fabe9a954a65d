"""A character's rig: built once from an ``Analysis``, saved, loaded, rendered many times.

Public API::

    rig = Rig.build(image, analysis)      # image is analysis.image (kept for symmetry)
    data = rig.to_bytes(); rig = Rig.from_bytes(data)
    rig.save(path); rig = Rig.load(path)  # versioned .npz
    rig.preview() -> np.ndarray           # mesh, regions and eyes drawn over the portrait

The rig holds a triangulated mesh (the 468 face-mesh points, three rings of band points whose
head-motion weight falls to zero so the background never tears, and the image border) and, per
deformation basis (``BASES``), a displacement of every vertex per unit of control. Regions
(lips, jaw, lids, brows, irises) are the landmark index sets in ``kinema.face.landmarks``; the
bases are written in face units (inter-ocular distance, eye line as x) so they fit any face.
It also holds the synthesised textures the warp alone cannot make: the mouth interior (dark
cavity, upper teeth, tongue) revealed when the lips part, and per eye a lid-skin patch for blinks
and an eyeball patch with the iris removed for gaze.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from scipy.spatial import Delaunay

from kinema.errors import InvalidInput, InvalidMedia
from kinema.face import landmarks as L
from kinema.face.analyze import Analysis, face_frame
from kinema.face.mouth import MouthModel, build_mouth

RIG_VERSION = (
    3  # 3: mouth interior in mouth coordinates (kinema.face.mouth), muzzle jaw, more bases
)
BASES = (
    "jaw_open",
    "lips_wide",
    "lips_round",
    "lips_press",
    "lip_tuck",
    "upper_lip_up",
    "smile_up",
    "smile_down",
    "brow_up",
    "brow_down",
    "brow_inner_up",
    "head_yaw",
    "head_pitch",
    "head_roll",
    "cheek_raise",
    "eye_wide",
)
N_MESH = 468
MOUTH_KEYS = (
    "mouth_kind",
    "mouth_width",
    "mouth_upper",
    "mouth_lower",
    "mouth_tongue",
    "mouth_cavity",
    "mouth_rest_gap",
)


def _smooth(x: np.ndarray, a: float, b: float) -> np.ndarray:
    t = np.clip((x - a) / (b - a), 0.0, 1.0)
    return t * t * (3 - 2 * t)


@dataclass
class Eye:
    """One eye in rig pixels: lid polylines, iris, a box, and the two synthesised patches."""

    upper: np.ndarray  # (9, 2) corner to corner
    lower: np.ndarray  # (9, 2)
    iris: np.ndarray  # (3,) cx, cy, r
    box: np.ndarray  # (4,) x0, y0, x1, y1 int
    lid: np.ndarray  # box-sized RGB uint8: eye opening filled with skin
    ball: np.ndarray  # box-sized RGB uint8: iris removed
    lash: np.ndarray  # (3,) float32 RGB of the lash line drawn along a closing lid


@dataclass
class Rig:
    image: np.ndarray  # SxSx3 uint8
    mask: np.ndarray  # SxS uint8 person mask
    points: np.ndarray  # (478, 3) float32
    vertices: np.ndarray  # (V, 2) float32
    triangles: np.ndarray  # (T, 3) int32
    bases: np.ndarray  # (K, V, 2) float32 px per unit control (per degree for head_*)
    eyes: list[Eye]
    mouth: MouthModel  # the interior seen through parted lips
    closed_box: np.ndarray  # (4,) x0, y0, x1, y1; all zero when the lips meet at rest
    closed: np.ndarray  # box-sized RGB: the mouth with its rest gap filled by the lips
    source: str = "mesh"
    gaze: bool = True

    @property
    def size(self) -> int:
        return int(self.image.shape[0])

    # ------------------------------------------------------------------ building
    @classmethod
    def build(cls, image: np.ndarray | None, analysis: Analysis) -> Rig:
        """Build the rig from an analysis (``image`` defaults to ``analysis.image``)."""
        if not analysis.report.ok:
            first = analysis.report.errors[0]
            raise InvalidInput(f"image: {first.message} {first.tip}", field="image")
        img = analysis.image if image is None else image
        if img.shape[:2] != analysis.image.shape[:2]:
            raise InvalidInput("image: pass the analysis crop (analysis.image) to Rig.build.")
        pts = analysis.points.astype(np.float64)
        mask = (np.clip(analysis.mask, 0, 1) * 255).astype(np.uint8)
        animal = analysis.kind == "animal"
        verts, head_w, z = _vertices(pts, mask, img.shape[0], animal)
        bases = _bases(pts, verts, head_w, z, animal)
        tri = _triangulate(verts, bases)
        eyes = [
            _eye(img, pts, L.EYE_L_UPPER, L.EYE_L_LOWER, L.IRIS_L),
            _eye(img, pts, L.EYE_R_UPPER, L.EYE_R_LOWER, L.IRIS_R),
        ]
        mouth = build_mouth(img, pts, "muzzle" if animal else "human")
        cbox, closed = _closed_mouth(img, pts) if not animal else _no_closed()
        return cls(
            img.copy(),
            mask,
            pts.astype(np.float32),
            verts.astype(np.float32),
            tri,
            bases.astype(np.float32),
            eyes,
            mouth,
            cbox,
            closed,
            analysis.source,
            gaze=analysis.source == "mesh",
        )

    def deformed(self, vec: np.ndarray) -> np.ndarray:
        """Vertex positions for a basis-weight vector (see ``render.control_vector``)."""
        return self.vertices + np.tensordot(vec, self.bases, axes=1)

    # ------------------------------------------------------------------ persistence
    def to_bytes(self) -> bytes:
        arrays: dict[str, np.ndarray] = {
            "version": np.array(RIG_VERSION),
            "image": _png(self.image),
            "mask": _png(self.mask),
            "points": self.points,
            "vertices": self.vertices,
            "triangles": self.triangles,
            "bases": self.bases,
            **{k: (_png(v) if v.ndim == 3 else v) for k, v in self.mouth.arrays().items()},
            "closed_box": self.closed_box,
            "closed": _png(self.closed),
            "source": np.array(self.source),
            "gaze": np.array(self.gaze),
        }
        for i, e in enumerate(self.eyes):
            for k in ("upper", "lower", "iris", "box", "lash"):
                arrays[f"eye{i}_{k}"] = getattr(e, k)
            arrays[f"eye{i}_lid"] = _png(e.lid)
            arrays[f"eye{i}_ball"] = _png(e.ball)
        buf = io.BytesIO()
        np.savez_compressed(buf, **arrays)
        return buf.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> Rig:
        try:
            z = np.load(io.BytesIO(data), allow_pickle=False)
            version = int(z["version"])
        except Exception as exc:  # noqa: BLE001 - any parse failure is a bad rig file
            raise InvalidMedia(f"rig: not a rig file ({type(exc).__name__}).") from None
        if version != RIG_VERSION:
            raise InvalidMedia(
                f"rig: version {version} is not supported (expected "
                f"{RIG_VERSION}); rebuild the character."
            )
        eyes = [
            Eye(
                z[f"eye{i}_upper"],
                z[f"eye{i}_lower"],
                z[f"eye{i}_iris"],
                z[f"eye{i}_box"],
                _unpng(z[f"eye{i}_lid"]),
                _unpng(z[f"eye{i}_ball"]),
                z[f"eye{i}_lash"],
            )
            for i in range(2)
        ]
        return cls(
            _unpng(z["image"]),
            _unpng(z["mask"]),
            z["points"],
            z["vertices"],
            z["triangles"],
            z["bases"],
            eyes,
            MouthModel.from_arrays(
                {
                    k: (_unpng(z[k]) if z[k].dtype == np.uint8 and z[k].ndim == 1 else z[k])
                    for k in MOUTH_KEYS
                }
            ),
            z["closed_box"],
            _unpng(z["closed"]),
            str(z["source"]),
            bool(z["gaze"]),
        )

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.write_bytes(self.to_bytes())
        return path

    @classmethod
    def load(cls, path: str | Path) -> Rig:
        return cls.from_bytes(Path(path).read_bytes())

    def preview(self) -> np.ndarray:
        """The portrait with the mesh (grey), lips (red), eyes (green), brows (blue)."""
        out = self.image.copy()
        v = self.vertices
        for t in self.triangles:
            cv2.polylines(out, [v[t].astype(np.int32)], True, (150, 150, 150), 1, cv2.LINE_AA)
        p = self.points[:, :2]
        for idx, col in (
            (L.LIP_UPPER_OUTER, (255, 0, 0)),
            (L.LIP_LOWER_OUTER, (255, 0, 0)),
            (L.LIP_UPPER_INNER, (255, 120, 0)),
            (L.LIP_LOWER_INNER, (255, 120, 0)),
            (L.BROW_L[:5], (0, 80, 255)),
            (L.BROW_R[:5], (0, 80, 255)),
        ):
            cv2.polylines(out, [p[list(idx)].astype(np.int32)], False, col, 1, cv2.LINE_AA)
        for e in self.eyes:
            for line in (e.upper, e.lower):
                cv2.polylines(out, [line.astype(np.int32)], False, (0, 255, 0), 1, cv2.LINE_AA)
            cv2.circle(out, (int(e.iris[0]), int(e.iris[1])), int(e.iris[2]), (0, 255, 0), 1)
        return out


def _png(a: np.ndarray) -> np.ndarray:
    ok, enc = cv2.imencode(
        ".png",
        a[..., ::-1]
        if a.ndim == 3 and a.shape[2] == 3
        else (a[..., [2, 1, 0, 3]] if a.ndim == 3 else a),
    )
    assert ok
    return enc.reshape(-1)


def _unpng(a: np.ndarray) -> np.ndarray:
    img = cv2.imdecode(np.asarray(a, np.uint8), cv2.IMREAD_UNCHANGED)
    if img.ndim == 3 and img.shape[2] == 3:
        return np.ascontiguousarray(img[..., ::-1])
    if img.ndim == 3:
        return np.ascontiguousarray(img[..., [2, 1, 0, 3]])
    return img


# ---------------------------------------------------------------------- geometry
HEAD_SCALE = 1.15  # an animal's warp ends at its face outline grown by this factor


def _vertices(pts: np.ndarray, mask: np.ndarray, size: int, animal: bool = False):
    """Mesh + band rings + border; per-vertex head weight and depth (in px).

    A human's band reaches well beyond the face (shoulders and hair follow the head, the person
    mask decides how much). An animal or a drawing marked by hand has no person mask to trust:
    its band ends at ``HEAD_SCALE`` times the face outline, so whatever is beside the head (a
    toy, a phone, the sofa) stays exactly still.
    """
    mesh = pts[:N_MESH, :2]
    oval = pts[list(L.FACE_OVAL), :2]
    centre = oval.mean(axis=0)
    soft = cv2.GaussianBlur(mask.astype(np.float32) / 255.0, (0, 0), size / 40)
    z_oval = float(pts[list(L.FACE_OVAL), 2].mean())
    chin_y = pts[L.CHIN, 1]
    face_h = float(np.ptp(oval[:, 1]))
    verts, weights = [mesh], [np.ones(N_MESH)]
    ring_z: list[np.ndarray] = []
    rings = ((1.25, 1.0), (1.55, 0.65), (1.9, 0.3), (2.4, 0.0))
    if animal:
        rings = ((1.07, 0.5), (HEAD_SCALE, 0.0), (1.6, 0.0), (2.2, 0.0))
    # (an animal's head reaches further below its chin than above its brow: throat and jaw)
    low = np.clip((oval[:, 1] - centre[1]) / max(0.5 * face_h, 1.0), 0, 1) * float(animal)
    for factor, ring_w in rings:
        ring = centre + (oval - centre) * (factor + (factor - 1.0) * 1.2 * low)[..., None]
        inside = (
            (ring[:, 0] > 1) & (ring[:, 0] < size - 2) & (ring[:, 1] > 1) & (ring[:, 1] < size - 2)
        )
        ring = ring[inside]
        ring_z.append(pts[list(L.FACE_OVAL), 2][inside])
        m = soft[ring[:, 1].astype(int), ring[:, 0].astype(int)]
        below = _smooth(ring[:, 1] - chin_y, 0.0, 0.4 * face_h)
        # fade to the image border, where the frame is pinned
        edge = np.minimum(ring, size - 1 - ring).min(axis=1)
        border_fade = _smooth(edge, 0.0, 0.12 * size)
        person = 1.0 if factor < 1.3 or animal else np.clip(0.6 + 0.4 * m, 0, 1)
        verts.append(ring)
        weights.append(ring_w * person * (1 - 0.5 * below) * border_fade)
    s = size - 1
    ticks = np.linspace(0, s, 6)
    border = np.array(
        [[x, 0] for x in ticks]
        + [[x, s] for x in ticks]
        + [[0, y] for y in ticks[1:-1]]
        + [[s, y] for y in ticks[1:-1]],
        float,
    )
    verts.append(border)
    weights.append(np.zeros(len(border)))
    v = np.vstack(verts)
    # (an animal's band is narrow: a steeper fade, still far from folding)
    w = _lipschitz(v, np.concatenate(weights), (0.8 if animal else 0.5) / (0.9 * _iod(pts)))
    z = np.full(len(v), z_oval)
    z[:N_MESH] = pts[:N_MESH, 2]
    # band points take the depth of the outline point they were grown from (continuous parallax)
    if ring_z:
        z[N_MESH : N_MESH + sum(len(r) for r in ring_z)] = np.concatenate(ring_z)
    return v, w, z


def _iod(pts: np.ndarray) -> float:
    return face_frame(pts)[2]


def _smooth_on_mesh(v: np.ndarray, x: np.ndarray, iterations: int) -> np.ndarray:
    """Laplacian smoothing of a per-vertex value over the Delaunay graph."""
    tri = Delaunay(v).simplices
    e = np.vstack([tri[:, [0, 1]], tri[:, [1, 2]], tri[:, [2, 0]]])
    e = np.vstack([e, e[:, ::-1]])
    deg = np.bincount(e[:, 0], minlength=len(v)).astype(float)
    x = x.astype(float).copy()
    for _ in range(iterations):
        acc = np.bincount(e[:, 0], weights=x[e[:, 1]], minlength=len(v))
        x = 0.5 * x + 0.5 * acc / np.maximum(deg, 1)
    return x


def _no_overtaking(v: np.ndarray, shift: np.ndarray, scale: float) -> np.ndarray:
    """Even out ``shift`` (x displacement = ``scale * shift`` at the widest turn) between mesh
    neighbours until no point overtakes a neighbour beside it: where depth changes steeply
    sideways (beside the nose) a warp cannot show the occlusion a real turn would."""
    tri = Delaunay(v).simplices
    e = np.vstack([tri[:, [0, 1]], tri[:, [1, 2]], tri[:, [2, 0]]])
    e = np.unique(np.sort(e, axis=1), axis=0)
    room = 0.45 * np.abs(v[e[:, 0], 0] - v[e[:, 1], 0]) + 0.2  # px each edge may shrink
    x = shift.astype(float).copy()
    for _ in range(60):
        d = (x[e[:, 0]] - x[e[:, 1]]) * scale
        over = np.abs(d) - room
        bad = over > 0
        if not bad.any():
            break
        fix = np.sign(d[bad]) * over[bad] / scale * 0.5
        delta = np.zeros_like(x)
        np.add.at(delta, e[bad, 0], -fix * 0.5)
        np.add.at(delta, e[bad, 1], fix * 0.5)
        x += delta
    return x


def _lipschitz(v: np.ndarray, w: np.ndarray, slope: float) -> np.ndarray:
    """Lower weights until neighbours differ by at most ``slope`` per px of distance, so the
    head-motion field stretches the band gently and never folds it (border stays pinned)."""
    tri = Delaunay(v).simplices
    e = np.vstack([tri[:, [0, 1]], tri[:, [1, 2]], tri[:, [2, 0]]])
    e = np.vstack([e, e[:, ::-1]])
    cap = slope * np.hypot(*(v[e[:, 0]] - v[e[:, 1]]).T)
    w = w.copy()
    for _ in range(100):
        new = w.copy()
        np.minimum.at(new, e[:, 0], w[e[:, 1]] + cap)
        if np.allclose(new, w):
            break
        w = new
    return w


def _triangulate(verts: np.ndarray, bases: np.ndarray) -> np.ndarray:
    """Delaunay on the mesh with the jaw virtually opened, so no triangle links the upper lip to
    the lower lip except the strip between the inner lip lines (which opens and closes); every
    triangle is returned counter-clockwise in that configuration."""
    drop = bases[BASES.index("jaw_open")].copy()
    drop[:, 1] = np.maximum(drop[:, 1], 0.0)  # the jaw's drop alone (not the upper lip's lift)
    ajar = verts + 0.15 * drop
    tri = Delaunay(ajar).simplices.astype(np.int32)
    a, b, c = ajar[tri[:, 0]], ajar[tri[:, 1]], ajar[tri[:, 2]]
    area = (b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (b[:, 1] - a[:, 1]) * (c[:, 0] - a[:, 0])
    tri[area < 0] = tri[area < 0][:, [0, 2, 1]]
    return tri


def _bases(
    pts: np.ndarray, verts: np.ndarray, head_w: np.ndarray, z: np.ndarray, animal: bool = False
) -> np.ndarray:
    """Per-basis vertex displacements, designed in face units then turned into pixels."""
    mid, ux, iod = face_frame(pts)
    uy = np.array([-ux[1], ux[0]])
    loc = lambda p: np.stack([(p - mid) @ ux, (p - mid) @ uy], axis=-1) / iod  # noqa: E731
    uv = loc(verts)
    u, v = uv[:, 0], uv[:, 1]
    P = loc(pts[:, :2])
    cl, cr = P[L.MOUTH_L], P[L.MOUTH_R]
    mc = (cl + cr) / 2
    half_w = max(abs(cr[0] - cl[0]) / 2, 0.1)
    up_in, lo_in = P[list(L.LIP_UPPER_INNER)], P[list(L.LIP_LOWER_INNER)]
    line = (up_in + lo_in) / 2
    order = np.argsort(line[:, 0])
    line_v = np.interp(u, line[order, 0], line[order, 1])
    rel = v - line_v  # > 0 below the lip line
    chin_v = P[L.CHIN, 1]
    n = len(verts)
    B = np.zeros((len(BASES), n, 2))
    g = lambda c, s: np.exp(-((u - c[0]) ** 2 + (v - c[1]) ** 2) / s**2)  # noqa: E731
    lat = 1 - _smooth(np.abs(u - mc[0]), half_w * 1.2, half_w * 2.8)
    mouth = np.exp(-(((u - mc[0]) / (half_w * 1.15)) ** 4) - ((v - mc[1]) / 0.3) ** 2)
    is_mesh = np.arange(n) < N_MESH
    upper_set = np.zeros(n, bool)
    lower_set = np.zeros(n, bool)
    upper_set[list(L.UPPER_LIP)] = True
    lower_set[list(L.LOWER_LIP)] = True
    corners = list(L.LIP_CORNERS)
    side = np.where(upper_set, -1.0, np.where(lower_set, 1.0, 0.0))  # which lip, 0 elsewhere

    # jaw: everything below the lip line drops, the chin most; fades to the neck and the ears
    # beside the mouth the drop fades over a band that widens away from the corners, so the
    # cheek stretches softly instead of creasing along the lip line
    spread = 0.8 * np.maximum(np.abs(u - mc[0]) - 0.8 * half_w, 0.0)
    below = _smooth(rel, -0.03 - spread, 0.05 + spread)
    below[upper_set] = 0.0
    # the lower lip drops fully except near the corners, where it eases to the corner's 0.35
    ease = _smooth(half_w - np.abs(u - mc[0]), 0.0, 0.45 * half_w)
    below[lower_set] = (0.35 + 0.65 * ease)[lower_set]
    below[corners] = 0.35
    neck = 1 - _smooth(v - chin_v, 0.0, 0.55)
    depth = 0.75 + 0.25 * np.clip(rel / max(chin_v - mc[1], 0.3), 0, 1)
    B[0, :, 1] = 0.30 * below * lat * neck * depth
    B[0, :, 0] = 0.025 * (g(cl, 0.15) - g(cr, 0.15)) * neck
    # a wide-open mouth also lifts the upper lip a little (more so in the middle)
    lift = np.where(upper_set, ease, (rel < 0) * (1 - _smooth(-rel, 0.04, 0.22)) * lat)
    lift[corners] = 0.0
    B[0, :, 1] -= 0.03 * lift * mouth
    if animal:
        # a muzzle: the lower jaw swings down about a hinge far behind the mouth corners, so
        # the front (the middle of the lower lip, the chin) drops most and the corners little;
        # the upper lip and the nose stay; the throat below the chin barely follows
        fwd = np.clip(1 - 0.7 * ((u - mc[0]) / (1.15 * half_w)) ** 2, 0.0, 1.0)
        side_fade = 1 - _smooth(np.abs(u - mc[0]), 1.1 * half_w, 1.7 * half_w)
        jaw_len = max(chin_v - mc[1], 0.2)
        under = _smooth(rel, -0.02, 0.04)
        under[upper_set] = 0.0
        throat = 1 - _smooth(v - chin_v, 0.0, max(1.6 * jaw_len, 0.35))
        B[0] = 0.0
        B[0, :, 1] = 0.2 * under * np.maximum(fwd, 0.25 * side_fade) * side_fade * throat
        B[0, corners, 1] = 0.06
    # spread / round: mouth corners out or in; rounding also pouts the lips
    B[1, :, 0] = 0.075 * (g(cr, 0.22) - g(cl, 0.22))
    B[1, :, 1] = -0.01 * (g(cr, 0.2) + g(cl, 0.2))
    sgn = np.where(side != 0, side, np.tanh(rel / 0.02))
    B[2, :, 0] = -0.11 * (g(cr, 0.25) - g(cl, 0.25))
    B[2, :, 1] = 0.028 * sgn * mouth
    # press: inner lips meet, lips thin
    gap = (lo_in[:, 1] - up_in[:, 1]).clip(0, None)
    thin = np.where(side != 0, side * _smooth(np.abs(rel), 0.0, 0.06), np.tanh(rel / 0.015))
    B[3, :, 1] = -0.012 * thin * mouth
    B[3, list(L.LIP_UPPER_INNER[1:-1]), 1] = gap[1:-1] * 0.47  # meet, leaving a hair
    B[3, list(L.LIP_LOWER_INNER[1:-1]), 1] = -gap[1:-1] * 0.47
    # tuck (f/v): lower lip rolls up towards the upper teeth
    tuck = np.where(lower_set, _smooth(rel, 0.0, 0.08), 0.0)
    B[4, :, 1] = -0.04 * tuck * mouth
    # upper lip raise: shows the upper teeth
    above = (1 - _smooth(-rel, 0.08, 0.25)) * (rel <= 0.0) * ~lower_set
    above[upper_set] = 1.0
    above[corners] = 0.5
    B[5, :, 1] = -0.035 * above * mouth
    # smile / frown
    B[6, :, 0] = 0.1 * (g(cr, 0.2) - g(cl, 0.2))
    B[6, :, 1] = -0.11 * (g(cr, 0.2) + g(cl, 0.2)) - 0.055 * (
        g(cl + [-0.1, -0.35], 0.25) + g(cr + [0.1, -0.35], 0.25)
    )
    B[7, :, 0] = -0.02 * (g(cr, 0.2) - g(cl, 0.2))
    B[7, :, 1] = 0.05 * (g(cr, 0.22) + g(cl, 0.22))
    # brows: weight near the brow lines, none on the eyes below
    brows = np.vstack([P[list(L.BROW_L)], P[list(L.BROW_R)]])
    d2 = ((uv[:, None, :] - brows[None]) ** 2).sum(-1).min(axis=1)
    near = np.exp(-d2 / 0.35**2)
    brow_v = float(brows[:, 1].mean())
    lid_v = float(min(P[159, 1], P[386, 1]))
    keep_eye = (1 - _smooth(v, brow_v, lid_v - 0.02)) * is_mesh * (1 - _smooth(np.abs(u), 0.9, 1.4))
    B[8, :, 1] = -0.11 * near * keep_eye
    inner_l = P[list(L.BROW_L_INNER)].mean(axis=0)
    inner_r = P[list(L.BROW_R_INNER)].mean(axis=0)
    ginner = g(inner_l, 0.25) + g(inner_r, 0.25)
    room = min(1.0, (lid_v - brow_v) / 0.25)  # lowering brows must not crush a short lid
    B[9, :, 1] = (0.06 * near + 0.02 * ginner) * keep_eye * room
    B[9, :, 0] = 0.02 * (g(inner_l, 0.25) - g(inner_r, 0.25)) * keep_eye * room
    outer = g(P[70], 0.2) + g(P[300], 0.2)
    B[10, :, 1] = (-0.09 * ginner + 0.02 * outer) * keep_eye
    # cheek raise (a real smile reaches the eyes): cheeks lift, lower lids push up and narrow
    # the eyes from below; the upper lids and everything above them stay
    eye_sets = (
        (L.EYE_L_UPPER, L.EYE_L_LOWER, L.KEYPOINTS["left_eye"]),
        (L.EYE_R_UPPER, L.EYE_R_LOWER, L.KEYPOINTS["right_eye"]),
    )
    for up_idx, lo_idx, c_idx in eye_sets:
        ec = P[list(c_idx)].mean(axis=0)
        ew = abs(P[up_idx[-1], 0] - P[up_idx[0], 0])
        lid_up = np.interp(u, *_sorted_line(P[list(up_idx)]))
        lid_lo = np.interp(u, *_sorted_line(P[list(lo_idx)]))
        inside_x = 1 - _smooth(np.abs(u - ec[0]), 0.45 * ew, 0.75 * ew)
        below_lid = _smooth(v - lid_up, 0.0, 0.6 * max(float((lid_lo - lid_up).max()), 0.02))
        cheek = g(ec + [0.0, 0.42], 0.28) + 0.6 * g(ec + [0.0, 0.12], 0.14) * inside_x
        B[14, :, 1] -= 0.055 * cheek * np.maximum(below_lid, 1 - inside_x) * (v > ec[1] - 0.15)
        # the lower lid itself, by at most a third of the opening there (thin at the corners)
        lo_pts = P[list(lo_idx[1:-1])]
        gap_here = lo_pts[:, 1] - np.interp(lo_pts[:, 0], *_sorted_line(P[list(up_idx)]))
        B[14, list(lo_idx[1:-1]), 1] = -np.minimum(0.032, 0.33 * np.maximum(gap_here, 0.0))
        # eyes wide (surprise, fear): the upper lid rises, the skin above it folds away
        near_lid = np.exp(-(((v - lid_up) / 0.09) ** 2)) * (v <= lid_up + 0.01) * inside_x
        B[15, :, 1] -= 0.03 * near_lid * (v < ec[1]) * is_mesh
        B[15, list(up_idx[1:-1]), 1] = -0.03
        B[15, list(lo_idx[1:-1]), 1] = 0.008
    B[14] *= is_mesh[:, None] | (np.abs(B[14]) > 0)
    # head: yaw/pitch by depth parallax about an axis behind the face, roll about the neck
    zf = z / iod
    zc = float(zf[list(L.FACE_OVAL)].mean()) + 0.9
    rad = np.pi / 180
    lever = _smooth_on_mesh(verts, np.clip(zc - zf, 0.2, 2.2), 35)  # depth before the axis
    # smoothing flattens the parallax: restore its slope over the face, so that ``head_yaw``
    # degrees look like that many degrees of turn (nose against cheeks), not fewer
    m = np.arange(len(verts)) < N_MESH
    slope = -float(np.polyfit(zf[m], lever[m], 1)[0])
    gain = float(np.clip(1.0 / max(slope, 0.4), 1.0, 2.5))
    mean = float(lever[m].mean())
    lever_yaw = np.maximum(mean + (lever - mean) * gain, 0.05)
    lever_yaw = _smooth_on_mesh(verts, lever_yaw, 6)  # no spikes beside the nose
    lever_yaw = _no_overtaking(verts, lever_yaw * head_w, rad * 8.5 * iod) / np.maximum(
        head_w, 1e-6
    )
    # a nod keeps the smoother parallax: the nose tip would crush the lip below it
    lever_pitch = _smooth_on_mesh(verts, np.clip(zc - zf, 0.4, 2.0), 80)
    # the two inner lip lines turn and nod as one, so a sealed mouth never crosses itself
    up_in, lo_in = list(L.LIP_UPPER_INNER), list(L.LIP_LOWER_INNER)
    for lev in (lever_yaw, lever_pitch):
        pair = (lev[up_in] + lev[lo_in]) / 2
        lev[up_in], lev[lo_in] = pair, pair
    B[11, :, 0] = rad * lever_yaw * head_w  # head_w is folded into the evened-out shift
    B[12, :, 1] = rad * lever_pitch * head_w * 0.9
    pivot = np.array([0.0, chin_v + 0.8])
    B[13, :, 0] = -rad * (v - pivot[1]) * head_w
    B[13, :, 1] = rad * (u - pivot[0]) * head_w
    if animal:
        # lips that are not human lips move less; nothing moves beyond the head's outline
        for k in ("lips_wide", "lips_round", "lips_press", "lip_tuck", "upper_lip_up"):
            B[BASES.index(k)] *= 0.35
        for k in ("smile_up", "smile_down", "eye_wide", "brow_up", "brow_down", "brow_inner_up"):
            B[BASES.index(k)] *= 0.6
        B[BASES.index("cheek_raise")] *= 0.4  # a muzzle's cheeks are fur
        oval = P[list(L.FACE_OVAL)]
        c0 = oval.mean(axis=0)
        ang = np.arctan2(uv[:, 1] - c0[1], uv[:, 0] - c0[0])
        oa = np.arctan2(oval[:, 1] - c0[1], oval[:, 0] - c0[0])
        order = np.argsort(oa)
        rad_o = np.interp(ang, oa[order], np.hypot(*(oval - c0).T)[order], period=2 * np.pi)
        r_rel = np.hypot(uv[:, 0] - c0[0], uv[:, 1] - c0[1]) / np.maximum(rad_o, 1e-6)
        half_h = max(float(np.ptp(oval[:, 1])) / 2, 1e-3)
        low = np.clip((uv[:, 1] - c0[1]) / half_h, 0, 1)  # as in _vertices: more room below
        edge = HEAD_SCALE + (HEAD_SCALE - 1.0) * 1.2 * low
        inside_head = 1 - _smooth(r_rel, 1.0 + (edge - 1.0) * 0.1, edge - 0.02)
        face_k = [i for i, b in enumerate(BASES) if not b.startswith("head_")]
        B[face_k] *= inside_head[None, :, None]
    # face units -> pixels
    px = (B[..., :1] * ux + B[..., 1:] * uy) * iod
    px[np.abs(px) < 1e-3] = 0.0  # Gaussian tails: exactly still, so the background is untouched
    return px


def _sorted_line(p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    o = np.argsort(p[:, 0])
    return p[o, 0], p[o, 1]


def _eye(img: np.ndarray, pts: np.ndarray, upper_idx, lower_idx, iris_idx) -> Eye:
    upper = pts[list(upper_idx), :2].astype(np.float32)
    lower = pts[list(lower_idx), :2].astype(np.float32)
    width = float(np.hypot(*(upper[-1] - upper[0])))
    ip = pts[list(iris_idx), :2]
    r = float(np.mean(np.hypot(*(ip[1:] - ip[0]).T)))
    r = float(np.clip(r, width * 0.12, width * 0.35))
    iris = np.array([ip[0, 0], ip[0, 1], r], np.float32)
    allp = np.vstack([upper, lower])
    pad = width * 0.35
    h, w = img.shape[:2]
    x0, y0 = np.maximum(allp.min(axis=0) - pad, 0).astype(int)
    x1, y1 = np.minimum(allp.max(axis=0) + pad, [w - 1, h - 1]).astype(int)
    box = np.array([x0, y0, x1 + 1, y1 + 1], np.int32)
    roi = img[y0 : y1 + 1, x0 : x1 + 1].copy()
    opening = np.zeros(roi.shape[:2], np.uint8)
    poly = np.vstack([upper, lower[::-1]]) - [x0, y0]
    cv2.fillPoly(opening, [np.round(poly).astype(np.int32)], 255)
    lid, lash = _lid_skin(roi, opening, width)
    irism = np.zeros(roi.shape[:2], np.uint8)
    cv2.circle(irism, (round(iris[0] - x0), round(iris[1] - y0)), round(r * 1.15) + 1, 255, -1)
    irism &= opening
    ball = cv2.inpaint(roi, irism, max(2, r * 0.5), cv2.INPAINT_TELEA)
    return Eye(upper, lower, iris, box, lid, ball, lash)


def _lid_skin(roi: np.ndarray, opening: np.ndarray, width: float) -> tuple[np.ndarray, np.ndarray]:
    """A closed lid: the eye and its outline filled with the surrounding skin, plus lash colour.

    The fill is a normalised convolution of the skin around the eye (dark outliers such as
    brows, lashes and drawn outlines excluded), so it carries the skin's colour and its soft
    top-to-bottom shading; grain of the skin's own strength is added back so a photo's or a
    painting's lid is not plastic. The lash colour is the darkest tone along the upper lid.
    """
    cover = round(width * 0.22) + 1
    fill = cv2.dilate(opening, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * cover + 1,) * 2))
    f = roi.astype(np.float32)
    lum = f.mean(axis=2)
    ring = fill == 0
    med = float(np.median(lum[ring])) if ring.any() else float(lum.mean())
    mad = float(np.median(np.abs(lum[ring] - med))) + 1.0 if ring.any() else 10.0
    valid = (ring & (lum > med - 2.0 * mad)).astype(np.float32)
    out = np.zeros_like(f)
    have = np.zeros(lum.shape, np.float32)
    for sigma in (width * 0.08, width * 0.2, width * 0.5):  # fine to coarse fills the gaps
        num = cv2.GaussianBlur(f * valid[..., None], (0, 0), sigma)
        den = cv2.GaussianBlur(valid, (0, 0), sigma)
        est = num / np.maximum(den, 1e-4)[..., None]
        w = np.clip(den * 4, 0, 1) * (1 - have)
        out += est * w[..., None]
        have += w
    out /= np.maximum(have, 1e-4)[..., None]
    # grain: the skin's high-pass strength, as seeded noise
    hp = f - cv2.GaussianBlur(f, (0, 0), max(1.0, width * 0.03))
    std = 1.48 * float(np.median(np.abs(hp[valid > 0]))) if valid.any() else 0.0
    rng = np.random.default_rng(7)
    noise = cv2.GaussianBlur(rng.normal(0, 1, lum.shape).astype(np.float32), (0, 0), 0.6)
    noise *= min(std, 12.0) / max(float(noise.std()), 1e-6)
    out += noise[..., None] * (out / max(float(out.mean()), 1.0))
    lid = np.where((fill > 0)[..., None], out, f)
    dark = lum[(opening > 0) | (fill > 0)]
    thr = np.percentile(dark, 8) if dark.size else 0.0
    lash = np.median(f[((opening > 0) | (fill > 0)) & (lum <= thr)].reshape(-1, 3), axis=0)
    lash = np.minimum(lash, 0.45 * np.median(out[fill > 0].reshape(-1, 3), axis=0))
    return np.clip(lid, 0, 255).astype(np.uint8), lash.astype(np.float32)


def _no_closed() -> tuple[np.ndarray, np.ndarray]:
    return np.zeros(4, np.int32), np.zeros((1, 1, 3), np.uint8)


def _closed_mouth(img: np.ndarray, pts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For a mouth open at rest: each lip stretched over its half of the gap, meeting mid-way.

    Blended in by ``lips_press`` so p, b, m close the lips even over visible teeth (a warp alone
    would have to squeeze the teeth to a line, which a backward map cannot invert). Each lip
    keeps its own shading from its outer edge to where it now meets the other (a stretch, not a
    mirror), and the patch fades out towards the mouth corners.
    """
    up = pts[list(L.LIP_UPPER_INNER), :2]
    lo = pts[list(L.LIP_LOWER_INNER), :2]
    up_o = pts[list(L.LIP_UPPER_OUTER), :2]
    lo_o = pts[list(L.LIP_LOWER_OUTER), :2]
    width = float(np.hypot(*(pts[L.MOUTH_R, :2] - pts[L.MOUTH_L, :2])))
    gap = float((lo[:, 1] - up[:, 1]).max())
    empty = (np.zeros(4, np.int32), np.zeros((1, 1, 3), np.uint8))
    if gap < max(1.5, 0.03 * width):
        return empty
    h, w = img.shape[:2]
    x0 = int(max(0, np.floor(min(up_o[:, 0].min(), lo_o[:, 0].min())) - 2))
    x1 = int(min(w, np.ceil(max(up_o[:, 0].max(), lo_o[:, 0].max())) + 3))
    y0 = int(max(0, np.floor(up_o[:, 1].min()) - 3))
    y1 = int(min(h, np.ceil(lo_o[:, 1].max()) + 4))
    if x1 - x0 < 4 or y1 - y0 < 4:
        return empty
    roi = img[y0:y1, x0:x1]
    xs = np.arange(x0, x1, dtype=np.float64)

    def line(p: np.ndarray) -> np.ndarray:
        o = np.argsort(p[:, 0])
        return np.interp(xs, p[o, 0], p[o, 1]) - y0

    yu, yl = line(up), line(lo)
    yl = np.maximum(yl, yu)
    yuo, ylo = np.minimum(line(up_o), yu - 1), np.maximum(line(lo_o), yl + 1)
    mid = (yu + yl) / 2
    yy = np.arange(y1 - y0, dtype=np.float64)[:, None]
    # each lip, from its outer edge to just short of its dark inner edge, spans its outer
    # edge to the middle of the gap
    edge = max(1.0, 0.03 * width)
    top = (yy >= yuo) & (yy <= mid)
    bot = (yy > mid) & (yy <= ylo)
    s_top = yuo + (yy - yuo) * (yu - edge - yuo) / np.maximum(mid - yuo, 1e-3)
    s_bot = ylo - (ylo - yy) * (ylo - (yl + edge)) / np.maximum(ylo - mid, 1e-3)
    src = np.where(top, s_top, np.where(bot, s_bot, yy.repeat(len(xs), axis=1)))
    mx = np.broadcast_to(np.arange(x1 - x0, dtype=np.float32)[None], src.shape)
    out = cv2.remap(
        roi,
        np.ascontiguousarray(mx),
        np.clip(src, 0, y1 - y0 - 1).astype(np.float32),
        cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_REPLICATE,
    ).astype(np.float32)
    # where the lips meet: the upper lip's soft shadow on the lower one
    below_mid = (yy - mid) / max(1.0, gap * 0.12)
    below_mid = np.where(below_mid < 0, below_mid / 0.4, below_mid)
    seam = np.exp(-(below_mid**2)) * (top | bot)
    out *= (1 - 0.12 * seam)[..., None]
    # fade out where the inner gap closes towards the corners (no step at the patch's ends)
    open_cols = np.clip((yl - yu) / max(1.0, 0.25 * gap), 0, 1)
    inside = (top | bot).astype(np.float32) * open_cols[None]
    inside = cv2.GaussianBlur(inside, (0, 0), 0.8)[..., None]
    out = out * inside + roi.astype(np.float32) * (1 - inside)
    return np.array([x0, y0, x1, y1], np.int32), np.clip(out, 0, 255).astype(np.uint8)
