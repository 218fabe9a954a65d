"""The mouth interior: built once per portrait (``build_mouth``), drawn per frame (``MouthLayer``).

What a viewer sees through parted lips is an oral cavity that darkens with depth, the upper
teeth hanging under the upper lip as a curved, shaded row, the lower teeth mostly hidden behind
the lower lip, and the tongue once the mouth is wide open. Everything is drawn in *mouth
coordinates*, so it follows the lips whatever they do:

- x is measured from the mouth's centre in units of its rest width (``TEXW`` texels = the
  inner-lip corner-to-corner distance at rest): the teeth are rigid and do not widen with a smile;
- y is the distance below the upper lip (upper teeth, anchored to the skull: a raised lip shows
  more tooth) or above the lower lip (lower teeth and tongue, anchored to the jaw).

Three kinds of mouth:

- ``human``: teeth, cavity and tongue synthesised in the portrait's own palette (colours are the
  portrait's luminance with its own saturation, so a greyscale photo gets a greyscale mouth);
- ``own``: a portrait whose mouth is open at rest keeps its real teeth: the upper part of its
  interior travels with the upper lip, the lower part with the lower lip, and cavity fills the gap;
- ``muzzle``: animals and stylised faces: a dark cavity and a tongue, no human teeth.

Per frame the layer samples these textures with ``cv2.remap`` inside the deformed inner-lip
polygon, with a coverage computed per column from the two lip curves (sub-pixel, feathered,
fading out where the opening narrows to the corners, so there are no dark wedges there).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from kinema.face import landmarks as L

TEXW = 128  # texels across the rest mouth width (inner corner to inner corner)
TEXH = 96  # texture rows
R0 = 16  # row of the lip line: rows above it are under the lip (shown when the lip rises)
CAVH = 64  # cavity rows: depth from the nearer lip, in texels
KINDS = ("human", "own", "muzzle")
PINK = np.array([0.62, -0.42, -0.2])  # a mouth-interior hue for portraits whose lips have none


def _smooth(x: np.ndarray | float, a: float, b: float) -> np.ndarray:
    t = np.clip((np.asarray(x, np.float64) - a) / (b - a), 0.0, 1.0)
    return t * t * (3 - 2 * t)


@dataclass
class MouthModel:
    kind: str
    width: float  # rest inner-corner distance, rig px
    upper: np.ndarray  # (TEXH, TEXW, 4) uint8 RGBA: upper teeth (row R0 = upper lip line)
    lower: np.ndarray  # (TEXH, TEXW, 4) uint8 RGBA: lower teeth (row R0 = lower lip line)
    tongue: np.ndarray  # (TEXH, TEXW, 4) uint8 RGBA, rows as ``lower``
    cavity: np.ndarray  # (CAVH, TEXW + 1, 3) uint8: x = across the current opening, y = depth
    rest_gap: np.ndarray  # (TEXW + 1,) float32: the rest opening in texels across the mouth

    def arrays(self) -> dict[str, np.ndarray]:
        return {
            "mouth_kind": np.array(self.kind),
            "mouth_width": np.array(self.width, np.float64),
            "mouth_upper": self.upper,
            "mouth_lower": self.lower,
            "mouth_tongue": self.tongue,
            "mouth_cavity": self.cavity,
            "mouth_rest_gap": self.rest_gap,
        }

    @classmethod
    def from_arrays(cls, z: dict[str, np.ndarray]) -> MouthModel:
        return cls(
            str(z["mouth_kind"]),
            float(z["mouth_width"]),
            z["mouth_upper"],
            z["mouth_lower"],
            z["mouth_tongue"],
            z["mouth_cavity"],
            z["mouth_rest_gap"],
        )


# ---------------------------------------------------------------------- palette
def _tone(lum: float, sat: float, hue: np.ndarray) -> np.ndarray:
    """RGB of luminance ``lum`` with relative chroma ``sat`` along unit mean-free ``hue``."""
    return np.clip(lum * (1.0 + sat * hue), 0.0, 255.0)


def _hue_sat(c: np.ndarray) -> tuple[float, np.ndarray, float]:
    lum = float(c.mean())
    chroma = c - lum
    n = float(np.linalg.norm(chroma))
    return lum, (chroma / n if n > 1e-6 else np.zeros(3)), n / max(lum, 1.0)


def palette(img: np.ndarray, pts: np.ndarray) -> dict[str, np.ndarray | float]:
    """The portrait's own tones for the mouth: skin, lips, teeth, their saturation and grain.

    Every colour made from these is a luminance with the portrait's own relative chroma along
    the lips' hue (or, when the lips have none, a mouth pink scaled by how colourful the face
    is), never a fixed tint: a greyscale portrait gets a greyscale mouth.
    """
    h, w = img.shape[:2]
    f = img.astype(np.float32)
    face = np.zeros((h, w), np.uint8)
    cv2.fillPoly(face, [pts[list(L.FACE_OVAL), :2].astype(np.int32)], 255)
    lips = np.zeros((h, w), np.uint8)
    cv2.fillPoly(lips, [pts[list(L.LIP_UPPER_OUTER), :2].astype(np.int32)], 255)
    cv2.fillPoly(lips, [pts[list(L.LIP_LOWER_OUTER), :2].astype(np.int32)], 255)
    inner = pts[list(L.LIP_UPPER_INNER + L.LIP_LOWER_INNER[::-1]), :2].astype(np.int32)
    cv2.fillPoly(lips, [inner], 0)
    skin_px = f[(face > 0) & (lips == 0)]
    if len(skin_px) < 10:
        skin_px = f.reshape(-1, 3)
    skin = np.median(skin_px, axis=0)
    lum = skin_px.mean(axis=1)
    light = skin_px[lum >= np.percentile(lum, 92)].mean(axis=0)
    lip = np.median(f[lips > 0], axis=0) if (lips > 0).sum() > 5 else skin * 0.8
    # how colourful the face is: median relative chroma of its pixels
    rel = np.linalg.norm(skin_px - lum[:, None], axis=1) / np.maximum(lum, 1.0)
    sat_img = float(np.median(rel))
    l_lip, hue_lip, sat_lip = _hue_sat(lip)
    hue = hue_lip if sat_lip > 0.5 * sat_img and sat_lip > 0.03 else PINK / np.linalg.norm(PINK)
    # teeth: the sclera (or, without visible sclera, the lightest skin), desaturated and capped
    eyes = np.zeros((h, w), np.uint8)
    for up, lo, iris in (
        (L.EYE_L_UPPER, L.EYE_L_LOWER, L.IRIS_L),
        (L.EYE_R_UPPER, L.EYE_R_LOWER, L.IRIS_R),
    ):
        cv2.fillPoly(eyes, [pts[list(up) + list(lo)[::-1], :2].astype(np.int32)], 255)
        ip = pts[list(iris), :2]
        r = float(np.mean(np.hypot(*(ip[1:] - ip[0]).T))) * 1.2
        cv2.circle(eyes, (int(ip[0, 0]), int(ip[0, 1])), int(r) + 1, 0, -1)
    sclera_px = f[eyes > 0]
    white = light
    if len(sclera_px) > 20:
        sl = sclera_px.mean(axis=1)
        cand = sclera_px[sl >= np.percentile(sl, 60)].mean(axis=0)
        if cand.mean() > skin.mean():
            white = 0.5 * cand + 0.5 * light
    grey = float(white.mean())
    white = grey + 0.5 * (white - grey)
    cap = min(232.0, 1.3 * float(skin.mean()) + 25.0)
    white = white * min(1.0, cap / max(float(white.mean()), 1.0))
    hp = f - cv2.GaussianBlur(f, (0, 0), 1.5)
    grain = 1.48 * float(np.median(np.abs(hp[face > 0]))) if (face > 0).any() else 0.0
    return {
        "skin": skin,
        "lip": lip,
        "white": white,
        "hue": hue,
        "hue_lip": hue_lip if sat_lip > 0.03 else hue,
        "sat_img": sat_img,
        "sat_lip": sat_lip,
        "l_skin": float(skin.mean()),
        "l_lip": l_lip,
        "grain": grain,
    }


# ---------------------------------------------------------------------- textures
def _teeth(
    white: np.ndarray, bounds: tuple[float, ...], edges: tuple[float, ...], lower: bool
) -> np.ndarray:
    """A row of teeth as RGBA in mouth coordinates (rows: distance from the lip line).

    ``bounds`` are where teeth end across the mouth (|x| in half rest widths, the front view of
    the dental arch, so side teeth are foreshortened); ``edges`` the visible length of each
    tooth below the lip line in texels (the incisal edges curve up towards the corners).
    """
    rows, cols = np.mgrid[0:TEXH, 0:TEXW].astype(np.float64)
    d = rows - R0  # texels below (upper) / above (lower) the lip line
    a = (cols + 0.5 - TEXW / 2) / (TEXW / 2)
    ax = np.abs(a)
    b = np.array((0.0, *bounds))
    i = np.clip(np.searchsorted(b, ax, side="right") - 1, 0, len(bounds) - 1)
    lo, hi = b[i], b[np.minimum(i + 1, len(b) - 1)]
    p = np.clip((ax - lo) / np.maximum(hi - lo, 1e-3), 0, 1) * 2 - 1  # -1..1 across a tooth
    edge = np.asarray(edges)[i]
    if not lower:
        edge = edge + (i == 2) * 1.6 * (1 - p * p)  # a canine's point
    tw = (hi - lo) * TEXW / 2  # tooth width in texels
    corner = np.minimum(1.2 + 0.18 * tw, 0.5 * edge)
    edge_loc = edge - corner * (1 - np.sqrt(np.clip(1 - p**4, 0, 1)))  # rounded corners
    alpha = _smooth(edge_loc - d, -0.7, 0.7) * (ax < b[-1] + 0.02)
    alpha *= 1 - _smooth(ax, b[-1] - 0.1, b[-1] + 0.02)  # the row ends in shadow
    # shading: each tooth convex, darker away from the front and the light, under the lip
    convex = 0.8 + 0.2 * np.sqrt(np.clip(1 - p * p, 0, 1))
    side = 1 - 0.5 * _smooth(ax, 0.25, b[-1])
    lip_shadow = 0.62 + 0.38 * _smooth(d, -1.0, 4.5)
    tip = 1 - 0.1 * _smooth(d, edge_loc - 3.0, edge_loc)
    gap = 0.72 + 0.28 * _smooth(1 - np.abs(p), 0.0, 0.14)
    shade = convex * side * lip_shadow * tip * gap * (0.82 if lower else 1.0)
    gum = d < -R0 + 5  # the gum line, far under the lip: a smile rarely shows it
    out = np.zeros((TEXH, TEXW, 4))
    out[..., :3] = white[None, None] * shade[..., None]
    out[..., :3] = np.where(gum[..., None], out[..., :3] * 0.8, out[..., :3])
    out[..., 3] = 255 * alpha
    return out


def _tongue(col: np.ndarray, top: float, half_w: float, muzzle: bool) -> np.ndarray:
    """The tongue's front, as seen over the lower teeth: a dome with a midline groove."""
    rows, cols = np.mgrid[0:TEXH, 0:TEXW].astype(np.float64)
    d = rows - R0  # above the lower lip line
    a = (cols + 0.5 - TEXW / 2) / (TEXW / 2)
    t = a / half_w
    surface = top * (1 - t * t)  # dome: highest in the middle
    inside = _smooth(surface - d, -0.8, 0.8) * (np.abs(t) < 1.0)
    inside *= 1 - _smooth(np.abs(t), 0.85, 1.0)
    depth = np.clip((surface - d) / max(top, 1.0), 0, 1)  # 0 at its top edge
    shade = (0.72 + 0.28 * (1 - t * t)) * (1 - 0.25 * _smooth(depth, 0.2, 1.0))
    shade *= 1 - 0.12 * np.exp(-((a / 0.035) ** 2))  # midline groove
    shade *= 0.7 + 0.3 * _smooth(surface - d, 0.0, 3.0)  # the tip's upper edge darker
    if not muzzle:
        shade *= 0.85
    out = np.zeros((TEXH, TEXW, 4))
    out[..., :3] = col[None, None] * shade[..., None]
    out[..., 3] = 255 * inside
    return out


def _cavity(edge: np.ndarray, deep: np.ndarray, corner: np.ndarray) -> np.ndarray:
    """Cavity colour by position across the opening and depth behind the nearer lip."""
    rows, cols = np.mgrid[0:CAVH, 0 : TEXW + 1].astype(np.float64)
    u = cols / TEXW * 2 - 1
    m = _smooth(rows, 0.0, 26.0) ** 0.8  # a wide-open mouth is darkest in its middle
    c = edge[None, None] * (1 - m[..., None]) + deep[None, None] * m[..., None]
    c *= (1 - 0.3 * u * u)[..., None]  # the sides are in the cheeks' shadow
    k = _smooth(np.abs(u), 0.72, 1.0)[..., None]
    return c * (1 - k) + corner[None, None] * k


def _soften(tex: np.ndarray, sigma: float, grain: float, ref: float, seed: int) -> None:
    """Blur to the portrait's sharpness and add its grain, in place (RGB channels)."""
    rng = np.random.default_rng(seed)
    rgb = cv2.GaussianBlur(tex[..., :3].astype(np.float32), (0, 0), sigma)
    n = cv2.GaussianBlur(rng.normal(0, 1, rgb.shape[:2]).astype(np.float32), (0, 0), sigma * 0.7)
    n *= 0.5 * grain / max(float(n.std()), 1e-6)
    tex[..., :3] = rgb + n[..., None] * (rgb / max(ref, 1.0))
    if tex.shape[2] == 4:
        tex[..., 3] = cv2.GaussianBlur(tex[..., 3].astype(np.float32), (0, 0), 0.5)


def _rest_lines(pts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Rest inner-lip curves sampled at the texel columns: x, y_upper, y_lower (rig px), width."""
    up = pts[list(L.LIP_UPPER_INNER), :2].astype(np.float64)
    lo = pts[list(L.LIP_LOWER_INNER), :2].astype(np.float64)
    cl, cr = up[0], up[-1]
    width = max(float(np.hypot(*(cr - cl))), 4.0)
    xs = (cl[0] + cr[0]) / 2 + (np.arange(TEXW + 1) - TEXW / 2) * width / TEXW
    yu = np.interp(xs, *_monotone(up))
    yl = np.interp(xs, *_monotone(lo))
    return xs, yu, np.maximum(yl, yu), width


def _monotone(p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x = np.maximum.accumulate(p[:, 0])
    return x, p[:, 1]


def _own_textures(
    img: np.ndarray, xs: np.ndarray, yu: np.ndarray, yl: np.ndarray, width: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The portrait's real interior split into a part that follows each lip, and its darks."""
    f = img.astype(np.float32)
    px = width / TEXW  # rig px per texel
    gap = (yl - yu) / px  # texels
    cols = range(TEXW)
    xc = (xs[:-1] + xs[1:]) / 2
    gu, gl = (yu[:-1] + yu[1:]) / 2, (yl[:-1] + yl[1:]) / 2
    g = (gap[:-1] + gap[1:]) / 2
    d = np.arange(TEXH, dtype=np.float64)[:, None] - R0
    mx = np.broadcast_to(xc[None], (TEXH, TEXW)).astype(np.float32)
    lum = cv2.remap(
        f.mean(axis=2),
        mx,
        (gu[None] + np.maximum(d, 0.0) * px).astype(np.float32),
        cv2.INTER_LINEAR,
        None,
        cv2.BORDER_REPLICATE,
    )
    # where the upper real content (the upper teeth) ends: per column the last bright row of
    # the first bright run below the lip, so the tips keep their own shape
    inside = (d >= 0) & (d <= g[None])
    vals = lum[inside]
    split = np.zeros(TEXW)
    if vals.size > 20:
        thr = float(
            np.percentile(vals, 10) + 0.55 * (np.percentile(vals, 90) - np.percentile(vals, 10))
        )
        bright = (lum > thr) & inside
        for c in cols:
            rows = np.flatnonzero(bright[:, c])
            if len(rows) == 0:
                continue
            run = rows[: int(np.argmax(np.diff(np.append(rows, 10**6)) > 1)) + 1]
            if run[0] - R0 <= max(2.0, 0.3 * g[c]):  # the run starts at the lip: teeth
                split[c] = min(float(run[-1] - R0) + 0.5, g[c])
        # shadowed columns (between teeth, towards the corners) take their neighbours' tips
        have = split > 0
        if have.any():
            idx = np.arange(TEXW)
            fill = np.interp(idx, idx[have], split[have])  # the end columns' tips held outwards
            split = np.maximum(split, np.minimum(fill, g))
    up = np.zeros((TEXH, TEXW, 4))
    lo = np.zeros((TEXH, TEXW, 4))
    # under the lip line (shown when a lip rises) the row just inside it is repeated
    dd = np.maximum(d, 1.0) * px
    up[..., :3] = cv2.remap(
        f, mx, (gu[None] + dd).astype(np.float32), cv2.INTER_CUBIC, None, cv2.BORDER_REPLICATE
    )
    lo[..., :3] = cv2.remap(
        f, mx, (gl[None] - dd).astype(np.float32), cv2.INTER_CUBIC, None, cv2.BORDER_REPLICATE
    )
    open_cols = (g > 1.0)[None]
    # towards the corners the real interior is the cheeks' shadow: let the cavity's lighter
    # corner tone through there, so a widening mouth grows no dark wedge
    a = np.abs((np.arange(TEXW) + 0.5 - TEXW / 2) / (TEXW / 2))[None]
    side = 1 - _smooth(a, 0.72, 0.95) * _smooth(d, 0.5, 2.5)
    up[..., 3] = 255 * _smooth(split[None] + 0.8 - d, 0.0, 1.6) * open_cols * side
    lo[..., 3] = 255 * _smooth((g - split)[None] + 0.8 - d, 0.0, 1.6) * open_cols * side
    # the interior's own darks, for the cavity between the parted halves
    inside = np.zeros(img.shape[:2], np.uint8)
    n = len(xs)
    poly = np.vstack([np.column_stack([xs, yu]), np.column_stack([xs, yl])[::-1]])
    if n > 2:
        cv2.fillPoly(inside, [np.round(poly).astype(np.int32)], 255)
    px_in = f[inside > 0]
    if len(px_in) > 10:
        li = px_in.mean(axis=1)
        dark = np.median(px_in[li <= np.percentile(li, 15)], axis=0)
    else:
        dark = np.zeros(3)
    return up, lo, dark


def build_mouth(img: np.ndarray, pts: np.ndarray, kind: str = "human") -> MouthModel:
    """The mouth interior of one portrait; ``kind`` ``human`` becomes ``own`` when the mouth is
    open at rest (its real teeth are kept)."""
    if kind not in KINDS:
        raise ValueError(f"mouth kind must be one of {KINDS}, not {kind!r}")
    pal = palette(img, pts)
    xs, yu, yl, width = _rest_lines(pts)
    rest_gap = ((yl - yu) * TEXW / width).astype(np.float32)
    if kind == "human" and float(rest_gap.max()) > 0.07 * TEXW:
        kind = "own"
    l_skin, l_lip = float(pal["l_skin"]), float(pal["l_lip"])
    sat_img, sat_lip = float(pal["sat_img"]), float(pal["sat_lip"])
    hue, hue_lip = np.asarray(pal["hue"]), np.asarray(pal["hue_lip"])
    sat_mouth = min(0.9, max(sat_lip, 1.4 * sat_img))
    deep = _tone(0.15 * l_skin, 1.3 * sat_mouth, hue)
    edge = _tone(0.38 * l_lip + 0.06 * l_skin, sat_lip, hue_lip)
    corner = _tone(0.55 * l_lip + 0.05 * l_skin, sat_lip, hue_lip)
    white = np.asarray(pal["white"], np.float64)
    empty = np.zeros((TEXH, TEXW, 4))
    if kind == "muzzle":
        deep = _tone(0.06 * l_skin, sat_mouth, hue)
        edge = _tone(0.16 * l_skin, sat_mouth, hue)
        corner = edge
        tongue_col = _tone(0.62 * l_skin, max(0.35 * min(1.0, sat_img / 0.15), sat_img), hue)
        upper, lower = empty, empty.copy()
        tongue = _tongue(tongue_col, top=16.0, half_w=0.6, muzzle=True)
    else:
        tongue_col = _tone(0.58 * l_skin, min(0.8, 1.3 * sat_mouth), hue)
        tongue = _tongue(tongue_col, top=13.0, half_w=0.55, muzzle=False)
        if kind == "own":
            upper, lower, dark = _own_textures(img, xs, yu, yl, width)
            deep = np.minimum(deep, dark * 0.8)
            edge = 0.5 * edge + 0.5 * dark
        else:
            upper = _teeth(white, (0.3, 0.52, 0.7, 0.81, 0.9), (11.0, 9.5, 8.5, 7.0, 5.5), False)
            lower = _teeth(white, (0.2, 0.38, 0.56, 0.72, 0.84), (3.8, 3.8, 3.8, 3.0, 2.5), True)
    cavity = _cavity(edge, deep, corner)
    sigma = max(0.5, 0.6 * TEXW / width)
    grain = float(pal["grain"])
    for seed, tex in enumerate((upper, lower, tongue, cavity)):
        if kind == "own" and seed < 2:
            continue  # the real interior has its own grain
        _soften(tex, sigma, grain, l_skin, 11 + seed)

    def u8(a: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(np.clip(np.round(a), 0, 255).astype(np.uint8))

    return MouthModel(kind, width, u8(upper), u8(lower), u8(tongue), u8(cavity), rest_gap)


# ---------------------------------------------------------------------- per frame
class MouthLayer:
    """Draws a rig's mouth interior into rendered frames; buffers are allocated once.

    ``apply(out, upper, lower, raise_up, raise_lo, jaw, opacity)`` takes the deformed inner-lip
    curves in output pixels (``upper``/``lower``: (11, 2), corner to corner), how far the lip
    bases moved the upper lip up and the lower lip up relative to the jaw (px), the jaw opening
    (0..1) and an opacity (the closed-lips patch of an open-at-rest mouth fades the real
    interior out while the lips press).
    """

    def __init__(self, model: MouthModel, k: float, size: int, rest_upper: np.ndarray) -> None:
        self.m = model
        self.k = k
        self.n = size
        w0 = model.width * k
        self.w0 = w0
        self.s = TEXW / max(w0, 1.0)  # texels per output px
        lo = rest_upper.min(axis=0) - [0.7 * w0, 0.45 * w0]
        hi = rest_upper.max(axis=0) + [0.7 * w0, 1.1 * w0]
        self.hmax = int(np.ceil(hi[1] - lo[1])) + 4
        self.wmax = int(np.ceil(hi[0] - lo[0])) + 4
        hh, ww = self.hmax, self.wmax
        f32 = np.float32
        self.yy = np.arange(hh, dtype=f32)[:, None]
        self.du = np.zeros((hh, ww), f32)
        self.dl = np.zeros((hh, ww), f32)
        self.cov = np.zeros((hh, ww), f32)
        self.t = np.zeros((hh, ww), f32)
        self.mx = np.zeros((hh, ww), f32)
        self.mxc = np.zeros((hh, ww), f32)
        self.my = np.zeros((hh, ww), f32)
        self.lay = np.zeros((hh, ww, 3), np.uint8)
        self.acc = np.zeros((2, hh, ww, 3), np.uint8)  # ping-pong
        self.roi = np.zeros((hh, ww, 3), np.uint8)
        self.wa = np.zeros((hh, ww), f32)
        self.wb = np.zeros((hh, ww), f32)
        # textures as colour (uint8) and weight (float 0..1) for cv2.blendLinear

        def split(t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            rgb = np.ascontiguousarray(t[..., :3])
            return rgb, np.ascontiguousarray(t[..., 3].astype(f32) / 255.0)

        self.tex_tongue = split(model.tongue)
        self.tex_lower = split(model.lower)
        self.tex_upper = split(model.upper)
        self.gap_cols = np.arange(TEXW + 1, dtype=f32)
        self.rest_gap_px = model.rest_gap.astype(f32) / self.s
        self.synthetic = model.kind != "own"
        self.has_teeth = model.kind != "muzzle"

    def apply(
        self,
        out: np.ndarray,
        upper: np.ndarray,
        lower: np.ndarray,
        raise_up: float,
        raise_lo: float,
        jaw: float,
        opacity: float = 1.0,
    ) -> None:
        if opacity <= 0.01:
            return
        cl, cr = upper[0], upper[-1]
        x0 = max(0, int(np.floor(min(cl[0], cr[0], lower[0, 0], lower[-1, 0]))))
        x1 = min(self.n, int(np.ceil(max(cl[0], cr[0], lower[0, 0], lower[-1, 0]))) + 1)
        y0 = max(0, int(np.floor(upper[:, 1].min())) - 1)
        y1 = min(self.n, int(np.ceil(lower[:, 1].max())) + 2)
        w, h = min(x1 - x0, self.wmax), min(y1 - y0, self.hmax)
        if w < 2 or h < 2:
            return
        xs = np.arange(x0, x0 + w, dtype=np.float32)
        yu = np.interp(xs, *_monotone(upper)).astype(np.float32) - y0
        yl = np.interp(xs, *_monotone(lower)).astype(np.float32) - y0
        span = float(cr[0] - cl[0])
        if span < 2:
            return
        u = (xs - float(cl[0])) / span  # 0..1 across the current opening
        if self.synthetic:  # the lips cover what was already open at rest
            half = np.interp(u * TEXW, self.gap_cols, self.rest_gap_px) * 0.5
            yu = yu + half
            yl = yl - half
        gap = yl - yu
        if float(gap.max()) < 0.35:
            return
        # coverage: sub-pixel distance to both lips, fading where the opening thins out
        du, dl, cov = self.du[:h, :w], self.dl[:h, :w], self.cov[:h, :w]
        np.subtract(self.yy[:h], yu[None], out=du)
        np.subtract(yl[None], self.yy[:h], out=dl)
        np.add(du, 0.5, out=cov)
        np.clip(cov, 0.0, 1.0, out=cov)
        t = self.t[:h, :w]
        np.add(dl, 0.5, out=t)
        np.clip(t, 0.0, 1.0, out=t)
        np.multiply(cov, t, out=cov)
        thin = np.clip(gap / max(1.2, 0.05 * self.w0), 0.0, 1.0)
        np.multiply(cov, (opacity * thin * thin * (3 - 2 * thin))[None], out=cov)
        # cavity: across the opening x depth behind the nearer lip
        mxc, my = self.mxc[:h, :w], self.my[:h, :w]
        mxc[...] = (u * TEXW)[None]
        np.minimum(du, dl, out=my)
        np.multiply(my, self.s, out=my)
        acc = self.acc[0, :h, :w]
        cv2.remap(
            self.m.cavity, mxc, my, cv2.INTER_LINEAR, dst=acc, borderMode=cv2.BORDER_REPLICATE
        )
        # teeth and tongue: across the mouth from its centre (rigid), along a lip
        mx = self.mx[:h, :w]
        xc = float(cl[0] + cr[0]) / 2
        mx[...] = ((xs - xc) * self.s + (TEXW / 2 - 0.5))[None]  # texel j's centre is j + 0.5
        Layer = tuple[tuple[np.ndarray, np.ndarray], np.ndarray, float, float | np.ndarray]
        layers: list[Layer] = []
        tongue_w = (
            float(_smooth(jaw, 0.35, 0.75)) if self.has_teeth else float(_smooth(jaw, 0.05, 0.3))
        )
        if tongue_w > 0.01:
            layers.append((self.tex_tongue, dl, raise_lo, tongue_w))
        if self.has_teeth:
            fac: float | np.ndarray = 1.0
            if self.synthetic:  # the lips hide the side teeth when they round or narrow
                side = np.abs(xs - xc) / max(span * 0.5, 1.0)
                fac = (1.0 - _smooth(side, 0.45, 0.9)).astype(np.float32)
            layers.append((self.tex_lower, dl, raise_lo, fac))
            layers.append((self.tex_upper, du, -raise_up, fac))
        lay, wa, wb = self.lay[:h, :w], self.wa[:h, :w], self.wb[:h, :w]
        cur = 0
        for (rgb, alpha), dist, shift, weight in layers:
            np.add(dist, shift, out=my)
            np.multiply(my, self.s, out=my)
            np.add(my, R0, out=my)
            cv2.remap(rgb, mx, my, cv2.INTER_LINEAR, dst=lay, borderMode=cv2.BORDER_REPLICATE)
            cv2.remap(alpha, mx, my, cv2.INTER_LINEAR, dst=wa, borderMode=cv2.BORDER_CONSTANT)
            if isinstance(weight, np.ndarray):
                np.multiply(wa, weight[None, :], out=wa)
            elif weight != 1.0:
                np.multiply(wa, weight, out=wa)
            np.subtract(1.0, wa, out=wb)
            cv2.blendLinear(lay, self.acc[cur, :h, :w], wa, wb, dst=self.acc[1 - cur, :h, :w])
            cur = 1 - cur
        # into the frame
        roi = out[y0 : y0 + h, x0 : x0 + w]
        tmp = self.roi[:h, :w]
        np.copyto(tmp, roi)
        np.subtract(1.0, cov, out=wb)
        cv2.blendLinear(self.acc[cur, :h, :w], tmp, cov, wb, dst=lay)
        roi[...] = lay
