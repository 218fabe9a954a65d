"""Weather overlays that cost almost nothing per frame.

Each overlay is drawn once, seeded, into a periodic texture twice the frame in each direction;
a frame takes a scrolled *view* of it (no copy) and adds it with ``cv2.add`` (light streaks,
flakes, dust motes) — so rain, snow and dust are a slice and one saturating add per frame.
Fog is a soft, slowly drifting haze applied the same way plus a depth fog baked into far layers.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass
class Overlay:
    texture: np.ndarray  # (2H, 2W, 3) uint8, periodic with period (H, W)
    velocity: tuple[float, float]  # pixels per frame (x, y)
    sway: float = 0.0  # horizontal oscillation amplitude (pixels)
    name: str = ""

    def view(self, frame_index: int, h: int, w: int) -> np.ndarray:
        vx, vy = self.velocity
        x = vx * frame_index + self.sway * np.sin(frame_index * 0.07)
        y = vy * frame_index
        # texture scrolls down/right: take the window starting at (-y, -x) modulo the period
        oy = int(round(-y)) % h
        ox = int(round(-x)) % w
        return self.texture[oy : oy + h, ox : ox + w]


def _tile(layer: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(np.tile(layer, (2, 2, 1)))


def _wrap_draw(h: int, w: int, draw) -> np.ndarray:  # noqa: ANN001 - small local helper
    """Draw on a canvas with a margin, then fold the margins so the texture tiles seamlessly."""
    m = max(h, w) // 8
    big = np.zeros((h + 2 * m, w + 2 * m, 3), np.uint16)
    draw(big, m)
    out = big[m : m + h, m : m + w].copy()
    out[:m] += big[h + m :, m : m + w]
    out[-m:] += big[:m, m : m + w]
    out[:, :m] += big[m : m + h, w + m :]
    out[:, -m:] += big[m : m + h, :m]
    return np.clip(out, 0, 255).astype(np.uint8)


def rain(h: int, w: int, rng: np.random.Generator, fps: int, tint=(190, 200, 215)) -> Overlay:
    n = int(w * h / 2600)
    slant = 0.18
    length = h * 0.06

    def draw(big: np.ndarray, m: int) -> None:
        canvas = np.zeros(big.shape, np.uint8)
        xs = rng.uniform(0, big.shape[1], n)
        ys = rng.uniform(0, big.shape[0], n)
        ls = rng.uniform(0.5, 1.0, n) * length
        bs = rng.uniform(0.25, 0.8, n)
        for x, y, ln, b in zip(xs, ys, ls, bs, strict=True):
            col = tuple(int(c * b * 0.55) for c in tint)
            p2 = (int(x + slant * ln), int(y + ln))
            cv2.line(canvas, (int(x), int(y)), p2, col, 1, cv2.LINE_AA)
        big += cv2.GaussianBlur(canvas, (0, 0), 0.6)

    tex = _wrap_draw(h, w, draw)
    speed = h * 1.4 / fps  # streaks cross the frame in ~0.7 s
    return Overlay(_tile(tex), (speed * slant, speed), name="rain")


def snow(h: int, w: int, rng: np.random.Generator, fps: int) -> Overlay:
    n = int(w * h / 4000)

    def draw(big: np.ndarray, m: int) -> None:
        canvas = np.zeros(big.shape, np.uint8)
        xs = rng.uniform(0, big.shape[1], n)
        ys = rng.uniform(0, big.shape[0], n)
        rs = rng.uniform(0.6, 2.4, n) * max(h, w) / 720
        for x, y, r in zip(xs, ys, rs, strict=True):
            b = int(140 + 110 * min(1.0, r / 2.4))
            cv2.circle(canvas, (int(x), int(y)), max(1, int(round(r))), (b, b, b), -1, cv2.LINE_AA)
        big += cv2.GaussianBlur(canvas, (0, 0), 0.9)

    tex = _wrap_draw(h, w, draw)
    return Overlay(_tile(tex), (h * 0.02 / fps, h * 0.12 / fps), sway=w * 0.01, name="snow")


def dust(h: int, w: int, rng: np.random.Generator, fps: int) -> Overlay:
    n = int(w * h / 9000)

    def draw(big: np.ndarray, m: int) -> None:
        canvas = np.zeros(big.shape, np.uint8)
        xs = rng.uniform(0, big.shape[1], n)
        ys = rng.uniform(0, big.shape[0], n)
        rs = rng.uniform(0.5, 1.8, n) * max(h, w) / 720
        for x, y, r in zip(xs, ys, rs, strict=True):
            b = rng.uniform(60, 150)
            cv2.circle(
                canvas,
                (int(x), int(y)),
                max(1, int(round(r))),
                (int(b), int(b * 0.8), int(b * 0.55)),
                -1,
                cv2.LINE_AA,
            )
        big += cv2.GaussianBlur(canvas, (0, 0), 1.2)

    tex = _wrap_draw(h, w, draw)
    return Overlay(_tile(tex), (w * 0.06 / fps, -h * 0.01 / fps), sway=h * 0.01, name="dust")


def fog(h: int, w: int, rng: np.random.Generator, fps: int) -> Overlay:
    """Drifting haze: periodic low-frequency noise, additive pale grey."""
    gh, gw = 3, 5
    grid = rng.uniform(0, 1, (gh, gw)).astype(np.float32)
    grid = np.tile(grid, (3, 3))  # periodic by construction after resize of the middle tile
    big = cv2.resize(grid, (w * 3, h * 3), interpolation=cv2.INTER_CUBIC)
    tex = big[h : 2 * h, w : 2 * w]  # cubic interpolation of a periodic grid: smooth, tiling
    tex = (np.clip(tex, 0, 1) ** 2 * 38).astype(np.uint8)
    tex = np.repeat(tex[..., None], 3, axis=2)
    return Overlay(_tile(tex), (w * 0.03 / fps, 0.0), name="fog")


BUILDERS = {"rain": rain, "snow": snow, "dust": dust, "fog": fog}


def build_overlays(weather: list[str], h: int, w: int, seed: int, fps: int) -> list[Overlay]:
    rng = np.random.default_rng([seed, 7])
    return [BUILDERS[name](h, w, rng, fps) for name in weather if name in BUILDERS]


def depth_haze(img: np.ndarray, weather: list[str], depth: float) -> np.ndarray:
    """Bake atmospheric haze into a float RGB layer: far layers (small depth) get more."""
    if "fog" in weather:
        amount, colour = 0.45 * (1.0 - depth) + 0.08, (0.78, 0.8, 0.82)
    elif "dust" in weather:
        amount, colour = 0.35 * (1.0 - depth) + 0.08, (0.85, 0.7, 0.5)
    elif "rain" in weather or "snow" in weather:
        amount, colour = 0.22 * (1.0 - depth) + 0.05, (0.7, 0.74, 0.8)
    else:
        return img
    return img * (1 - amount) + np.asarray(colour, np.float32) * amount
