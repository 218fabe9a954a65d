"""Colour work done once per request: lighting grades and style transfer.

Grades are cheap global looks (white balance, contrast, saturation, a tinted sky glow, a vignette)
applied to each layer before the per-frame loop, so the hot loop never touches colour. Style
references use Reinhard's transfer of mean/std in CIE Lab, moved ``strength`` of the way.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class Look:
    gains: tuple[float, float, float] = (1.0, 1.0, 1.0)  # white balance, RGB multipliers
    lift: tuple[float, float, float] = (0.0, 0.0, 0.0)  # added to shadows
    exposure: float = 1.0
    gamma: float = 1.0  # >1 darkens midtones
    contrast: float = 1.0  # around mid grey
    saturation: float = 1.0
    glow: tuple[float, float, float] = (0.0, 0.0, 0.0)  # additive light from the top of frame
    vignette: float = 0.0  # 0..1 darkening of the corners


LOOKS: dict[str, Look] = {
    "golden_hour": Look(
        gains=(1.12, 0.98, 0.74),
        lift=(0.035, 0.015, 0.0),
        exposure=1.04,
        contrast=1.05,
        saturation=1.18,
        glow=(0.16, 0.08, 0.0),
        vignette=0.25,
    ),
    "night": Look(
        gains=(0.66, 0.78, 1.05),
        lift=(0.0, 0.005, 0.03),
        exposure=0.78,
        gamma=1.25,
        contrast=1.1,
        saturation=0.55,
        vignette=0.45,
    ),
    "neon": Look(
        gains=(0.98, 0.84, 1.08),
        lift=(0.035, 0.0, 0.06),
        exposure=0.8,
        gamma=1.15,
        contrast=1.2,
        saturation=1.3,
        glow=(0.08, 0.0, 0.10),
        vignette=0.4,
    ),
    "studio": Look(exposure=1.06, contrast=1.12, saturation=1.05, vignette=0.18),
    "overcast": Look(
        gains=(0.96, 1.0, 1.05),
        lift=(0.03, 0.03, 0.035),
        contrast=0.85,
        saturation=0.78,
        gamma=1.05,
    ),
    "dramatic": Look(
        gains=(1.02, 0.98, 0.95),
        exposure=0.92,
        gamma=1.2,
        contrast=1.45,
        saturation=0.8,
        vignette=0.6,
    ),
}


def to_float(rgb: np.ndarray) -> np.ndarray:
    return rgb.astype(np.float32) * (1.0 / 255.0)


def to_uint8(img: np.ndarray) -> np.ndarray:
    return np.clip(img * 255.0 + 0.5, 0, 255).astype(np.uint8)


def apply_look(
    img: np.ndarray,
    light: str | None,
    amount: float = 1.0,
    frame_box: tuple[int, int, int, int] | None = None,
) -> np.ndarray:
    """Grade a float RGB image (0..1). ``frame_box`` (x, y, w, h) places the image in the frame
    so the sky glow and vignette stay where the frame is, even on padded layers."""
    if light is None or light not in LOOKS or amount <= 0:
        return img
    lk = LOOKS[light]
    out = img * (np.asarray(lk.gains, np.float32) * lk.exposure)
    if lk.gamma != 1.0:
        np.power(np.clip(out, 0, None, out=out), lk.gamma, out=out)
    out += np.asarray(lk.lift, np.float32) * (1.0 - np.clip(out, 0, 1))
    if lk.contrast != 1.0:
        out = (out - 0.45) * lk.contrast + 0.45
    if lk.saturation != 1.0:
        lum = out @ np.asarray([0.299, 0.587, 0.114], np.float32)
        out = lum[..., None] + (out - lum[..., None]) * lk.saturation
    h, w = img.shape[:2]
    fx, fy, fw, fh = frame_box or (0, 0, w, h)
    if any(lk.glow):
        yy = (np.arange(h, dtype=np.float32) - fy) / max(fh, 1)
        fall = np.clip(1.0 - yy, 0, 1) ** 2
        out += fall[:, None, None] * np.asarray(lk.glow, np.float32)
    if lk.vignette:
        ys = (np.arange(h, dtype=np.float32) - fy) / max(fh, 1) * 2 - 1
        xs = (np.arange(w, dtype=np.float32) - fx) / max(fw, 1) * 2 - 1
        r2 = (xs[None, :] ** 2 + ys[:, None] ** 2) * 0.5
        out *= (1.0 - lk.vignette * np.clip(r2, 0, 1.5) ** 1.5)[..., None]
    np.clip(out, 0, 1, out=out)
    if amount < 1.0:
        out = img + (out - img) * amount
    return out


@dataclass(frozen=True)
class LabStats:
    mean: np.ndarray  # (3,)
    std: np.ndarray  # (3,)


def lab_stats(rgb: np.ndarray, mask: np.ndarray | None = None) -> LabStats:
    """Mean and std of an RGB image (uint8 or float 0..1) in CIE Lab, optionally under a mask."""
    h, w = rgb.shape[:2]
    k = 256 / max(h, w)
    if k < 1:  # statistics do not need every pixel
        size = (max(1, round(w * k)), max(1, round(h * k)))
        rgb = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
        if mask is not None:
            mask = cv2.resize(mask.astype(np.float32), size, interpolation=cv2.INTER_AREA)
    f = to_float(rgb) if rgb.dtype == np.uint8 else rgb.astype(np.float32)
    lab = cv2.cvtColor(f, cv2.COLOR_RGB2Lab).reshape(-1, 3)
    if mask is not None:
        lab = lab[mask.reshape(-1) > 0.5]
    return LabStats(lab.mean(0), lab.std(0) + 1e-3)


def transfer_lab(img: np.ndarray, src: LabStats, style: LabStats, strength: float) -> np.ndarray:
    """Reinhard transfer of a float RGB image: statistics move ``strength`` toward ``style``."""
    if strength <= 0:
        return img
    s = float(np.clip(strength, 0, 1))
    mean_t = src.mean + s * (style.mean - src.mean)
    std_t = src.std + s * (style.std - src.std)
    lab = cv2.cvtColor(img.astype(np.float32), cv2.COLOR_RGB2Lab)
    lab = (lab - src.mean) * (std_t / src.std) + mean_t
    lab[..., 0] = np.clip(lab[..., 0], 0, 100)
    return np.clip(cv2.cvtColor(lab.astype(np.float32), cv2.COLOR_Lab2RGB), 0, 1)


class FrameGrader:
    """The same looks and style transfer for existing footage, per frame and cheap: uint8
    OpenCV ops only (a Lab LUT for style, RGB curves + a saturation matrix for the light, then
    the glow added and the vignette multiplied from precomputed maps)."""

    def __init__(
        self,
        h: int,
        w: int,
        light: str | None,
        style: tuple[LabStats, LabStats, float] | None = None,
    ) -> None:
        self.style_lut = None
        if style is not None and style[2] > 0:
            src, sty, k = style
            mean_t = src.mean + k * (sty.mean - src.mean)
            std_t = src.std + k * (sty.std - src.std)
            v = np.arange(256, dtype=np.float32)
            lut = np.empty((1, 256, 3), np.uint8)
            for c, (to_f, to_8) in enumerate([(v / 2.55, 2.55), (v - 128, 1.0), (v - 128, 1.0)]):
                f = (to_f - src.mean[c]) * (std_t[c] / src.std[c]) + mean_t[c]
                f = f * to_8 if c == 0 else f + 128
                lut[0, :, c] = np.clip(f + 0.5, 0, 255).astype(np.uint8)
            self.style_lut = lut
        self.look = LOOKS.get(light or "")
        if self.look is None:
            return
        lk = self.look
        x = np.arange(256, dtype=np.float32)[:, None] / 255.0
        y = x * (np.asarray(lk.gains, np.float32) * lk.exposure)
        y = np.power(np.clip(y, 0, None), lk.gamma)
        y = y + np.asarray(lk.lift, np.float32) * (1.0 - np.clip(y, 0, 1))
        y = (y - 0.45) * lk.contrast + 0.45
        self.curve = np.clip(y * 255 + 0.5, 0, 255).astype(np.uint8).reshape(1, 256, 3)
        lum = np.asarray([0.299, 0.587, 0.114], np.float32)
        s = lk.saturation
        self.matrix = (s * np.eye(3) + (1 - s) * np.outer(np.ones(3), lum)).astype(np.float32)
        self.glow = None
        if any(lk.glow):
            fall = np.clip(1.0 - np.arange(h, dtype=np.float32) / h, 0, 1) ** 2
            g = fall[:, None, None] * np.asarray(lk.glow, np.float32) * 255
            self.glow = np.ascontiguousarray(np.broadcast_to(g, (h, w, 3)).astype(np.uint8))
        self.vignette = None
        if lk.vignette:
            ys = np.linspace(-1, 1, h, dtype=np.float32)[:, None]
            xs = np.linspace(-1, 1, w, dtype=np.float32)[None, :]
            m = 1.0 - lk.vignette * np.clip((xs**2 + ys**2) * 0.5, 0, 1.5) ** 1.5
            self.vignette = np.repeat((np.clip(m, 0, 1) * 255)[..., None], 3, 2).astype(np.uint8)

    def apply(self, rgb: np.ndarray) -> np.ndarray:
        out = rgb
        if self.style_lut is not None:
            lab = cv2.cvtColor(out, cv2.COLOR_RGB2Lab)
            out = cv2.cvtColor(cv2.LUT(lab, self.style_lut), cv2.COLOR_Lab2RGB)
        if self.look is None:
            return out
        out = cv2.transform(cv2.LUT(out, self.curve), self.matrix)
        if self.glow is not None:
            cv2.add(out, self.glow, dst=out)
        if self.vignette is not None:
            cv2.multiply(out, self.vignette, dst=out, scale=1.0 / 255.0)
        return out


# -- relighting cut-outs -------------------------------------------------------------------


@dataclass(frozen=True)
class LightRig:
    """How a scene's light falls on a cut-out subject (multipliers on its own colours)."""

    ambient: tuple[float, float, float]  # everywhere (the fill)
    key: tuple[float, float, float]  # added where the surface faces the key light
    key_dir: tuple[float, float, float]  # towards the key light: x right, y down, z to camera
    rim: tuple[float, float, float] = (0.0, 0.0, 0.0)  # light added along the lit edge (0..1)
    rim_dir: tuple[float, float] = (1.0, 0.0)  # the side the rim light comes from (x, y)
    rim2: tuple[float, float, float] = (0.0, 0.0, 0.0)  # a second rim from the other side
    fill_dir_tint: tuple[float, float, float] = (1.0, 1.0, 1.0)  # colour of the shadow side


RIGS: dict[str, LightRig] = {
    # low warm sun from the right (where the procedural sun sets), warm rim on that side
    "golden_hour": LightRig(
        (0.78, 0.72, 0.66), (0.55, 0.36, 0.14), (0.8, -0.15, 0.55), (0.55, 0.33, 0.1), (1, -0.2)
    ),
    # cool moonlight from above right, dim
    "night": LightRig(
        (0.55, 0.6, 0.75), (0.18, 0.24, 0.38), (0.5, -0.6, 0.6), (0.2, 0.28, 0.45), (1, -0.5)
    ),
    # neon signs: magenta key from the left, cyan rim from the right
    "neon": LightRig(
        (0.5, 0.42, 0.6),
        (0.75, 0.18, 0.62),
        (-0.8, -0.1, 0.55),
        (0.1, 0.55, 0.75),
        (1, 0.0),
        (0.45, 0.05, 0.4),
    ),
    "studio": LightRig(
        (0.8, 0.8, 0.8), (0.3, 0.3, 0.29), (-0.6, -0.4, 0.7), (0.22, 0.22, 0.22), (1, -0.3)
    ),
    "overcast": LightRig((0.88, 0.9, 0.95), (0.1, 0.1, 0.11), (0.0, -0.8, 0.6)),
    "dramatic": LightRig(
        (0.45, 0.43, 0.42), (0.75, 0.72, 0.68), (-0.85, -0.2, 0.5), (0.25, 0.24, 0.22), (1, -0.2)
    ),
}


def plate_rig(plate: np.ndarray) -> LightRig | None:
    """A rig read off a location plate: the key from its brighter side, in its colours."""
    f = to_float(cv2.resize(plate, (64, 36), interpolation=cv2.INTER_AREA))
    left, right = f[:, :32].reshape(-1, 3).mean(0), f[:, 32:].reshape(-1, 3).mean(0)
    mean = f.reshape(-1, 3).mean(0)
    if float(mean.mean()) < 1e-3:
        return None
    tint = np.clip(mean / max(float(mean.mean()), 1e-3), 0.6, 1.5)
    side = 1.0 if right.mean() >= left.mean() else -1.0
    contrast = float(abs(right.mean() - left.mean()) / max(float(mean.mean()), 1e-3))
    k = min(0.45, 0.15 + contrast)
    amb = 0.85 * (1 - k) * tint + 0.15
    key = k * tint

    def rgb3(v: np.ndarray) -> tuple[float, float, float]:
        return float(v[0]), float(v[1]), float(v[2])

    return LightRig(rgb3(amb), rgb3(key), (0.7 * side, -0.3, 0.6), rgb3(key * 0.5), (side, -0.2))


def relight(rgb: np.ndarray, alpha: np.ndarray, rig: LightRig, amount: float) -> np.ndarray:
    """Light a cut-out (float RGB 0..1) as the scene's light would: normals guessed from the
    silhouette (a smooth bulge: the edge faces sideways, the middle faces the camera), a
    Lambert key, a coloured fill, and rim light along the edge facing the rim source.
    ``amount`` 0 leaves it untouched, 1 is the full rig."""
    if amount <= 0.01:
        return rgb
    h, w = alpha.shape
    size = max(8.0, float(np.sqrt(max(1.0, float(alpha.sum())))))  # the subject's scale
    k = 0.25  # work at a quarter size: the light field is smooth
    sw, sh = max(8, round(w * k)), max(8, round(h * k))
    a = cv2.resize(alpha.astype(np.float32), (sw, sh), interpolation=cv2.INTER_AREA)
    bulge = cv2.GaussianBlur(a, (0, 0), max(1.0, 0.12 * size * k))
    gy, gx = np.gradient(bulge)
    scale = 1.0 / max(1e-4, float(np.percentile(np.hypot(gx, gy), 99)))
    nx, ny = -gx * scale, -gy * scale
    nz = np.sqrt(np.clip(1.0 - np.minimum(1.0, nx * nx + ny * ny), 0.0, 1.0)) + 0.15
    norm = np.sqrt(nx * nx + ny * ny + nz * nz)
    nx, ny, nz = nx / norm, ny / norm, nz / norm
    lx, ly, lz = (np.asarray(rig.key_dir, np.float32) / np.linalg.norm(rig.key_dir)).tolist()
    lambert = np.clip(nx * lx + ny * ly + nz * lz, 0.0, 1.0)
    # the edge: where the silhouette is near (inside the subject)
    edge = np.clip(1.0 - cv2.GaussianBlur(a, (0, 0), max(1.0, 0.035 * size * k)), 0, 1) * a
    edge = np.clip(edge * 2.5, 0, 1)
    rx, ry = rig.rim_dir
    rn = max(1e-6, float(np.hypot(rx, ry)))
    facing = nx * (rx / rn) + ny * (ry / rn)
    rim1 = edge * np.clip(facing, 0, 1) ** 1.5
    rim2 = edge * np.clip(-facing, 0, 1) ** 1.5
    up = (w, h)
    lambert = cv2.resize(lambert.astype(np.float32), up, interpolation=cv2.INTER_LINEAR)
    rim1 = cv2.resize(rim1.astype(np.float32), up, interpolation=cv2.INTER_LINEAR)
    rim2 = cv2.resize(rim2.astype(np.float32), up, interpolation=cv2.INTER_LINEAR)
    light = np.asarray(rig.ambient, np.float32) + lambert[..., None] * np.asarray(
        rig.key, np.float32
    )
    lit = rgb * light
    lit += rim1[..., None] * np.asarray(rig.rim, np.float32) * (0.6 + rgb) * 1.5
    if any(rig.rim2):
        lit += rim2[..., None] * np.asarray(rig.rim2, np.float32) * (0.6 + rgb) * 1.5
    # keep the subject's overall exposure: the grade that follows sets the scene's level
    a_mask = alpha > 0.5
    if a_mask.any():
        gain = float(rgb[a_mask].mean()) / max(1e-4, float(lit[a_mask].mean()))
        lit *= min(1.6, max(0.6, gain)) ** 0.5
    out = rgb + (np.clip(lit, 0, 1) - rgb) * float(np.clip(amount, 0, 1))
    return out.astype(np.float32)
