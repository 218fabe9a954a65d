"""Cartoon portraits drawn by code, for the preset characters that have no photo we may ship.

Each ``Look`` is a handful of colours and shapes (hair style, hat, glasses, earrings, beard);
``draw`` paints a 512² front-facing bust with OpenCV and returns the eight manual keypoints of
the face it drew, so the face engine rigs it exactly (no detector guess). Nothing is random: the
same look draws the same pixels on every machine, and no image file is involved.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

SIZE = 512
_SHIFT = 4  # sub-pixel bits for anti-aliased drawing
_K = 1 << _SHIFT
Color = tuple[int, int, int]


def hex_rgb(value: str) -> Color:
    v = value.lstrip("#")
    return int(v[0:2], 16), int(v[2:4], 16), int(v[4:6], 16)


def _shade(c: Color, k: float) -> Color:
    r, g, b = (int(max(0.0, min(255.0, v * k))) for v in c)
    return r, g, b


@dataclass(frozen=True)
class Look:
    """The few choices that make one drawn character."""

    skin: str
    hair: str
    shirt: str
    background: tuple[str, str]  # top and bottom of a vertical gradient
    eyes: str = "#4b3621"
    hair_style: str = "short"  # short | long | bun | curly | ponytail
    hat: str | None = None  # chef | headband | cap
    glasses: bool = False
    lips: str | None = None
    moustache: bool = False
    earrings: str | None = None


def _ell(
    img: np.ndarray,
    c: tuple[float, float],
    axes: tuple[float, float],
    angle: float,
    color: Color,
    thick: int = -1,
    a0: float = 0,
    a1: float = 360,
) -> None:
    center = (round(c[0] * _K), round(c[1] * _K))
    size = (round(axes[0] * _K), round(axes[1] * _K))
    cv2.ellipse(img, center, size, angle, a0, a1, color, thick, cv2.LINE_AA, _SHIFT)


def _poly(img: np.ndarray, pts: list[tuple[float, float]], color: Color) -> None:
    arr = np.round(np.asarray(pts, np.float64) * _K).astype(np.int32)
    cv2.fillPoly(img, [arr], color, cv2.LINE_AA, _SHIFT)


def _line(
    img: np.ndarray, a: tuple[float, float], b: tuple[float, float], c: Color, t: int
) -> None:
    p = (round(a[0] * _K), round(a[1] * _K))
    q = (round(b[0] * _K), round(b[1] * _K))
    cv2.line(img, p, q, c, t, cv2.LINE_AA, _SHIFT)


def draw(look: Look) -> tuple[np.ndarray, dict[str, list[float]]]:
    """The portrait (512×512 RGB uint8) and its keypoints in image pixels."""
    img = np.empty((SIZE, SIZE, 3), np.uint8)
    top, bottom = (np.array(hex_rgb(c), np.float32) for c in look.background)
    t = np.linspace(0.0, 1.0, SIZE, dtype=np.float32)[:, None, None]
    img[:] = (top * (1 - t) + bottom * t).astype(np.uint8)
    skin, hair, shirt = hex_rgb(look.skin), hex_rgb(look.hair), hex_rgb(look.shirt)
    cx, cy, fw, fh = 256.0, 262.0, 122.0, 150.0

    if look.hair_style == "long":  # hair behind the shoulders
        _poly(img, [(cx - fw - 20, cy - 40), (cx + fw + 20, cy - 40),
                    (cx + fw + 32, cy + 200), (cx - fw - 32, cy + 200)], hair)  # fmt: skip
        _ell(img, (cx, cy - 40), (fw + 22, fh * 0.85), 0, hair)
    if look.hair_style == "ponytail":
        _ell(img, (cx + fw + 10, cy + 10), (30, 84), -20, hair)
    _ell(img, (cx, SIZE + 60), (236, 150), 0, shirt)  # shoulders
    _poly(img, [(cx - 44, cy + fh * 0.6), (cx + 44, cy + fh * 0.6),
                (cx + 50, cy + fh + 56), (cx - 50, cy + fh + 56)], _shade(skin, 0.86))  # fmt: skip
    _ell(img, (cx, cy + fh + 52), (64, 20), 0, _shade(shirt, 0.75), -1, 0, 180)  # collar
    for sx in (-1, 1):  # ears
        _ell(img, (cx + sx * fw * 0.98, cy + 8), (20, 30), 0, _shade(skin, 0.95))
        _ell(img, (cx + sx * fw * 0.98, cy + 8), (10, 18), 0, _shade(skin, 0.8))
        if look.earrings:
            _ell(img, (cx + sx * fw * 0.98, cy + 44), (6, 6), 0, hex_rgb(look.earrings))
    _ell(img, (cx, cy), (fw, fh), 0, skin)  # face

    if look.hair_style in ("short", "long", "bun", "ponytail", "curly"):
        _ell(img, (cx, cy - fh * 0.30), (fw * 1.06, fh * 0.80), 0, hair, -1, 180, 360)
        _ell(img, (cx - fw * 0.30, cy - fh * 0.52), (fw * 0.80, fh * 0.30), 12, hair)
        _ell(img, (cx + fw * 0.55, cy - fh * 0.50), (fw * 0.52, fh * 0.26), -24, hair)
        for sx in (-1, 1):
            _ell(img, (cx + sx * fw * 0.93, cy - fh * 0.22), (fw * 0.16, fh * 0.34), 0, hair)
    if look.hair_style == "curly":
        for k in range(11):
            a = np.pi + k * np.pi / 10
            c = (cx + np.cos(a) * fw * 1.02, cy - fh * 0.3 + np.sin(a) * fh * 0.75)
            _ell(img, c, (30, 30), 0, hair)
    if look.hair_style == "bun":
        _ell(img, (cx, cy - fh * 1.08), (46, 40), 0, hair)

    ey, ex = cy - 8, fw * 0.42
    for sx in (-1, 1):  # eyes and brows
        c = (cx + sx * ex, ey)
        _ell(img, c, (24, 17), 0, (250, 250, 250))
        _ell(img, (c[0], c[1] + 1), (12, 12), 0, hex_rgb(look.eyes))
        _ell(img, (c[0], c[1] + 1), (5.5, 5.5), 0, (20, 20, 24))
        _ell(img, (c[0] + 4, c[1] - 4), (3, 3), 0, (255, 255, 255))
        _ell(img, c, (24, 17), 0, _shade(skin, 0.55), 2, 190, 350)
        _ell(img, (c[0], c[1] - 30), (25, 7), 0, _shade(hair, 0.8), -1, 190, 350)
    if look.glasses:
        frame = (40, 40, 48)
        for sx in (-1, 1):
            _ell(img, (cx + sx * ex, ey), (34, 32), 0, frame, 4)
        _line(img, (cx - ex + 34, ey), (cx + ex - 34, ey), frame, 4)

    nose = (cx, cy + 40)
    _ell(img, nose, (12, 8), 0, _shade(skin, 0.78), -1, 0, 180)
    for sx in (-1, 1):  # cheeks
        _ell(img, (cx + sx * fw * 0.62, cy + 52), (21, 12), 0, (240, 138, 138))
    lip = hex_rgb(look.lips) if look.lips else _shade(skin, 0.62)
    my = cy + 86
    if look.moustache:
        _ell(img, (cx - 22, my - 14), (26, 10), 10, hair)
        _ell(img, (cx + 22, my - 14), (26, 10), -10, hair)
    _ell(img, (cx, my), (34, 8), 0, lip)
    _ell(img, (cx, my + 4), (30, 8), 0, _shade(lip, 0.92), -1, 0, 180)
    _line(img, (cx - 32, my), (cx + 32, my), _shade(lip, 0.55), 3)

    if look.hat == "chef":
        white = (246, 246, 246)
        band = [(cx - fw * 0.8, cy - fh * 0.62), (cx + fw * 0.8, cy - fh * 0.62),
                (cx + fw * 0.82, cy - fh * 0.95), (cx - fw * 0.82, cy - fh * 0.95)]  # fmt: skip
        _poly(img, band, white)
        for dx in (-62.0, 0.0, 62.0):
            _ell(img, (cx + dx, cy - fh * 1.12), (58, 52), 0, (250, 250, 250))
        _line(
            img, (cx - fw * 0.8, cy - fh * 0.7), (cx + fw * 0.8, cy - fh * 0.7), (220, 220, 225), 3
        )
    elif look.hat == "headband":
        band = [(cx - fw, cy - fh * 0.5), (cx + fw, cy - fh * 0.5),
                (cx + fw * 0.97, cy - fh * 0.36), (cx - fw * 0.97, cy - fh * 0.36)]  # fmt: skip
        _poly(img, band, (220, 40, 50))
    elif look.hat == "cap":
        blue = hex_rgb("#2b4a8c")
        _ell(img, (cx, cy - fh * 0.5), (fw * 1.05, fh * 0.55), 0, blue, -1, 180, 360)
        _ell(img, (cx + 36, cy - fh * 0.5), (fw * 0.95, 20), 0, _shade(blue, 0.8), -1, 0, 180)

    points = {
        "left_eye": [cx - ex, ey + 1], "right_eye": [cx + ex, ey + 1],
        "nose_tip": [nose[0], nose[1]],
        "mouth_left": [cx - 34, my], "mouth_right": [cx + 34, my], "upper_lip": [cx, my - 7],
        "lower_lip": [cx, my + 11], "chin": [cx, cy + fh],
    }  # fmt: skip
    return img, points
