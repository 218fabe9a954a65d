"""Camera and subject motion as 2x3 affine matrices per layer (the 2.5D part).

A move is a function of eased shot progress ``u`` (0..1). Each layer has a depth (0 = far plate,
1 = subject); translations and zooms are scaled by depth, which is what gives parallax. Every
path is the identity at ``u = 0`` so the first frame can equal a keyframe exactly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


def ease(u: float) -> float:
    """Smoothstep: moves start and stop gently."""
    u = min(1.0, max(0.0, u))
    return u * u * (3 - 2 * u)


def _mat(
    scale_x: float, scale_y: float, angle_deg: float, cx: float, cy: float, tx: float, ty: float
) -> np.ndarray:
    """T(c + t) · R(angle) · S(sx, sy) · T(-c) as a 3x3 matrix."""
    a = math.radians(angle_deg)
    ca, sa = math.cos(a), math.sin(a)
    m = np.array(
        [[ca * scale_x, -sa * scale_y, 0.0], [sa * scale_x, ca * scale_y, 0.0], [0.0, 0.0, 1.0]]
    )
    m[0, 2] = cx + tx - (m[0, 0] * cx + m[0, 1] * cy)
    m[1, 2] = cy + ty - (m[1, 0] * cx + m[1, 1] * cy)
    return m


@dataclass
class CameraPath:
    width: int
    height: int
    duration: float
    moves: list[str]
    speed: float = 1.0
    action: str | None = None
    seed: int = 0
    centre_walk: bool = False  # no first frame: the subject may start off its resting place

    def __post_init__(self) -> None:
        rng = np.random.default_rng([self.seed, 3])
        # seeded variation: every render with a given seed moves the same way, others differ
        self._drift = rng.uniform(-1, 1, 2)
        self._phases = rng.uniform(0, 2 * math.pi, 6)
        self._freqs = rng.uniform(0.35, 1.1, 6)

    def camera(self, u: float, t: float, depth: float) -> np.ndarray:
        """3x3 frame transform of a layer at ``depth`` at progress ``u`` and time ``t``."""
        w, h, k = self.width, self.height, self.speed
        e = ease(u)
        zoom, tx, ty, angle = 1.0, 0.0, 0.0, 0.0
        pan_f = 0.55 + 0.45 * depth  # pans move far layers a little less
        dolly_f = 0.15 + 0.85 * depth  # dollies/orbits: strong parallax
        zoom_f = 0.5 + 0.5 * depth
        moves = self.moves or ["drift"]
        for mv in moves:
            if mv == "push_in":
                zoom *= 1 + 0.16 * k * e * zoom_f
            elif mv == "pull_out":
                zoom *= 1 - 0.11 * k * e * zoom_f
            elif mv in ("pan_left", "pan_right"):
                tx += (1 if mv == "pan_left" else -1) * 0.09 * k * w * e * pan_f
            elif mv in ("tilt_up", "tilt_down"):
                ty += (1 if mv == "tilt_up" else -1) * 0.08 * k * h * e * pan_f
            elif mv in ("dolly_left", "dolly_right"):
                tx += (1 if mv == "dolly_left" else -1) * 0.1 * k * w * e * dolly_f
            elif mv == "orbit":
                tx += 0.09 * k * w * e * (depth - 0.45) * 2
                zoom *= 1 + 0.04 * e * zoom_f
                angle += 0.8 * k * e * (depth - 0.45)
            elif mv == "rotate":
                angle += 3.5 * k * e
                zoom *= 1 + 0.07 * e
            elif mv == "drift":  # no camera words: a gentle seeded push with sideways drift
                zoom *= 1 + 0.06 * e * zoom_f
                tx += 0.025 * w * e * self._drift[0] * dolly_f
                ty += 0.012 * h * e * self._drift[1] * dolly_f
        if "handheld" in moves:
            p, f = self._phases, self._freqs
            amp = 0.006 * w * k

            def wob(i: int) -> float:
                a = math.sin(2 * math.pi * f[i] * t + p[i]) - math.sin(p[i])
                b = math.sin(2 * math.pi * f[i + 3] * 2.3 * t + p[i + 3]) - math.sin(p[i + 3])
                return a + 0.4 * b

            tx += amp * wob(0) * pan_f
            ty += amp * 0.7 * wob(1) * pan_f
            angle += 0.35 * wob(2)
            zoom *= 1.015 if t > 0 else 1.0
        return _mat(zoom, zoom, angle, w / 2, h / 2, tx, ty)

    def action_matrix(self, u: float, t: float, anchor: tuple[float, float]) -> np.ndarray:
        """3x3 transform of the subject itself (walks, turns, approaches) around ``anchor``
        (its feet, in frame coordinates)."""
        if not self.action:
            return np.eye(3)
        w, h, k = self.width, self.height, self.speed
        e = ease(u)
        sx = sy = 1.0
        tx = ty = 0.0
        if self.action in ("walk_left", "walk_right"):
            sign = -1 if self.action == "walk_left" else 1
            # walking is steady, not eased; without a first frame to honour, the walk is
            # centred on the subject's place so it crosses the frame instead of leaving it
            tx = sign * 0.32 * k * w * (u - (0.5 if self.centre_walk else 0.0))
            ty = -0.012 * h * abs(math.sin(math.pi * 2.0 * t))  # step bob
        elif self.action == "approach":
            sx = sy = 1 + 0.3 * k * e
        elif self.action == "recede":
            sx = sy = 1 - 0.3 * k * e
        elif self.action == "turn":
            sx = 1 - 0.14 * math.sin(math.pi * e)  # a yaw hint: foreshorten and come back
            tx = 0.02 * w * math.sin(math.pi * e)
        return _mat(sx, sy, 0.0, anchor[0], anchor[1], tx, ty)
