"""Procedural scenes for text-only prompts: an animatic, not a photograph.

Without an image the compositor draws a plausible stage from the prompt's nouns: a sky gradient
for the light and time of day, sun/moon/stars/clouds, far mountains or a city skyline, ground
(field, sea, desert, road in perspective) and simple flat shapes for named subjects (car, person,
house, boat, trees). Everything is seeded, so the same prompt and seed draw the same scene.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

SKIES: dict[str | None, tuple[tuple[int, int, int], tuple[int, int, int]]] = {
    None: ((62, 118, 200), (190, 215, 238)),
    "golden_hour": ((58, 66, 128), (252, 172, 96)),
    "night": ((4, 7, 22), (28, 38, 78)),
    "neon": ((18, 6, 40), (110, 28, 110)),
    "overcast": ((128, 134, 142), (196, 199, 203)),
    "dramatic": ((34, 38, 54), (140, 118, 102)),
    "studio": ((92, 94, 100), (160, 162, 168)),
}
GROUNDS = {
    "field": (70, 122, 52),
    "desert": (206, 170, 112),
    "beach": (214, 196, 150),
    "road": (92, 96, 88),
    "city": (70, 72, 78),
    "sea": (28, 80, 130),
    "roof": (104, 100, 96),
    "studio": (118, 120, 126),  # a seamless backdrop's floor
    None: (84, 118, 64),
}
SUBJECTS = ("person", "car", "boat", "house", "lighthouse")


@dataclass
class Sprite:
    rgb: np.ndarray  # h x w x 3 uint8
    alpha: np.ndarray  # h x w float32
    x: int  # top-left in canvas coordinates
    y: int
    name: str


def _lerp(a, b, t):  # noqa: ANN001, ANN202 - tiny numeric helper
    return np.asarray(a, np.float32) * (1 - t) + np.asarray(b, np.float32) * t


def _soft(img: np.ndarray, sigma: float) -> np.ndarray:
    """A wide Gaussian blur done at reduced size (glows and clouds are low-frequency)."""
    f = int(min(8, max(1, sigma // 3)))
    if f <= 1:
        return cv2.GaussianBlur(img, (0, 0), sigma)
    h, w = img.shape[:2]
    small = cv2.resize(img, (max(1, w // f), max(1, h // f)), interpolation=cv2.INTER_AREA)
    return cv2.resize(
        cv2.GaussianBlur(small, (0, 0), sigma / f), (w, h), interpolation=cv2.INTER_LINEAR
    )


def _ridge(rng: np.random.Generator, w: int, base: float, amp: float, rough: int) -> np.ndarray:
    """A 1-D mountain profile: a few octaves of smoothed noise."""
    y = np.zeros(w, np.float32)
    for octave in range(4):
        n = rough * (2**octave) + 2
        pts = rng.uniform(-1, 1, n).astype(np.float32)
        y += (
            cv2.resize(pts[None, :], (w, 1), interpolation=cv2.INTER_CUBIC)[0] * amp / (1.8**octave)
        )
    return base - np.abs(y)


def draw_stage(
    width: int,
    height: int,
    objects: list[tuple[str, str | None]],
    light: str | None,
    seed: int,
    frame_box: tuple[int, int, int, int],
    actor_x: float = 0.5,
) -> tuple[np.ndarray, list[Sprite]]:
    """Draw the background plate (canvas-sized uint8 RGB) and subject sprites; the first
    (likeliest actor) stands at ``actor_x`` of the frame width."""
    from kinema.video.plan import COLOURS

    rng = np.random.default_rng([seed, 11])
    fx, fy, fw, fh = frame_box
    names = [o for o, _ in objects]
    if light == "neon" and not set(names) & {"sea", "mountains", "hills", "desert", "field"}:
        names = names + ["city"]  # neon light implies streets and signs
    if "roof" in names and "city" not in names:
        names = names + ["city"]  # a rooftop looks out over a skyline
    colour_of = {o: c for o, c in objects if c}
    horizon = fy + int(fh * (0.62 if "sea" in names else 0.6))
    ys = np.arange(height, dtype=np.float32)[:, None, None]
    top, bottom = SKIES.get(light, SKIES[None])
    t = np.clip((ys - fy) / max(1, horizon - fy), 0, 1) ** 0.8
    img = np.broadcast_to(_lerp(top, bottom, t), (height, width, 3)).copy()
    night = light in ("night", "neon")

    if night or "stars" in names:
        n = int(width * height / 1800)
        sx, sy = rng.uniform(0, width, n), rng.uniform(0, horizon, n)
        for x, y in zip(sx, sy, strict=True):
            b = rng.uniform(120, 255)
            img[int(y), int(x)] = (b, b, b * 0.95)
    # sun or moon
    if "moon" in names or (night and "sun" not in names):
        cx, cy, r = fx + int(fw * 0.78), fy + int(fh * 0.18), int(fh * 0.045)
        glow = np.zeros((height, width), np.float32)
        cv2.circle(glow, (cx, cy), r * 3, 1.0, -1)
        glow = _soft(glow, r * 1.5)
        img += glow[..., None] * np.array([40, 45, 60], np.float32)
        cv2.circle(img, (cx, cy), r, (235, 235, 220), -1, cv2.LINE_AA)
    elif "sun" in names or light == "golden_hour":
        cx = fx + int(fw * 0.7)
        cy = horizon - int(fh * (0.06 if light == "golden_hour" else 0.35))
        r = int(fh * 0.06)
        glow = np.zeros((height, width), np.float32)
        cv2.circle(glow, (cx, cy), r * 2, 1.0, -1)
        glow = _soft(glow, r * 2.5)
        img += glow[..., None] * np.array([120, 80, 30], np.float32)
        cv2.circle(img, (cx, cy), r, (255, 236, 190), -1, cv2.LINE_AA)
    if "clouds" in names or light == "overcast":
        layer = np.zeros((height, width), np.float32)
        for _ in range(int(rng.integers(5, 9))):
            ux, uy = rng.uniform(0, width), fy + rng.uniform(0.05, 0.4) * fh
            for _ in range(5):
                ax, ay = int(rng.uniform(0.04, 0.1) * fw), int(rng.uniform(0.02, 0.04) * fh)
                ox, oy = rng.uniform(-0.06, 0.06) * fw, rng.uniform(-0.015, 0.015) * fh
                cv2.ellipse(layer, (int(ux + ox), int(uy + oy)), (ax, ay), 0, 0, 360, 1.0, -1)
        layer = _soft(layer, fh * 0.012)[..., None] * 0.8
        cloud = np.array([60, 62, 80] if night else [245, 240, 238], np.float32)
        img = img * (1 - layer) + cloud * layer

    studio = light == "studio" and not set(names) & {"mountains", "hills", "field", "desert"}
    if "mountains" in names or "hills" in names or not (set(names) & {"city", "sea"} or studio):
        hills = "hills" in names and "mountains" not in names
        for k, (amp, col) in enumerate([(0.22, (112, 128, 160)), (0.14, (76, 98, 112))]):
            amp = amp * (0.45 if hills else 1.0)
            prof = _ridge(rng, width, horizon + k * fh * 0.02, amp * fh, 2 + k)
            mask = (ys[..., 0] >= prof[None, :]).astype(np.float32)
            shade = _lerp(col, bottom, 0.35 - 0.15 * k)
            if hills:
                shade = _lerp((72, 118, 64), bottom, 0.3 - 0.15 * k)
            if night:
                shade = shade * 0.35
            img = img * (1 - mask[..., None]) + shade * mask[..., None]
    if "city" in names:
        glow = np.zeros_like(img)
        x = float(fx - fw * 0.1)
        win = max(2, round(fh * 0.009))
        while x < fx + fw * 1.1:
            bw = rng.uniform(0.05, 0.11) * fw
            bh = rng.uniform(0.14, 0.45) * fh
            x0, x1, y0 = int(x), int(x + bw), int(horizon - bh)
            base = rng.uniform(26, 48) if night else rng.uniform(90, 140)
            cv2.rectangle(img, (x0, y0), (x1, horizon), (base, base, base * 1.15), -1)
            lit = (255, 200, 130)
            step_y, step_x = max(4, round(win * 2.6)), max(4, round(win * 2.2))
            for wy in range(y0 + step_y, horizon - step_y, step_y):
                for wx in range(x0 + win, x1 - 2 * win, step_x):
                    if rng.random() < (0.42 if night else 0.25):
                        c = lit if night else (170, 190, 210)
                        if light == "neon" and rng.random() < 0.4:
                            c = (90, 220, 255)
                        cv2.rectangle(img, (wx, wy), (wx + win, wy + round(win * 1.3)), c, -1)
            if light == "neon" and rng.random() < 0.55:  # a glowing sign on the facade
                c = [(255, 40, 190), (40, 230, 255), (255, 220, 60), (150, 60, 255)][
                    int(rng.integers(0, 4))
                ]
                sx0 = int(x0 + bw * rng.uniform(0.1, 0.4))
                sy0 = int(y0 + bh * rng.uniform(0.1, 0.5))
                if rng.random() < 0.5:
                    sx1, sy1 = sx0 + max(3, int(bw * 0.18)), sy0 + int(bh * 0.4)
                else:
                    sx1, sy1 = sx0 + int(bw * 0.6), sy0 + max(3, int(fh * 0.025))
                cv2.rectangle(glow, (sx0, sy0), (sx1, sy1), c, -1)
            x += bw + rng.uniform(0, 0.012) * fw
        if glow.any():
            img += _soft(glow, fh * 0.02) * 1.6 + glow * 0.9
    # ground
    ground_kind = next(
        (n for n in ("roof", "sea", "desert", "beach", "road", "field") if n in names),
        "city" if "city" in names else ("studio" if studio else None),
    )
    gcol = GROUNDS[ground_kind]
    if ground_kind == "sea":
        gcol = _lerp(gcol, bottom, 0.3)
    gt = np.clip((ys - horizon) / max(1, height - horizon), 0, 1)
    ground = _lerp(_lerp(gcol, bottom, 0.35), np.asarray(gcol) * 0.7, gt)
    if night:
        ground = ground * 0.35
    gmask = (ys >= horizon).astype(np.float32)
    img = img * (1 - gmask) + ground * gmask
    if ground_kind == "sea":
        for _ in range(int(fh * 0.6)):
            y = int(horizon + rng.uniform(0, 1) ** 2 * (height - horizon))
            x = rng.uniform(0, width)
            ln = rng.uniform(0.01, 0.05) * fw * (1 + (y - horizon) / fh)
            lc = tuple(float(v) for v in _lerp(gcol, (230, 230, 240), 0.45) * (0.4 if night else 1))
            cv2.line(img, (int(x), y), (int(x + ln), y), lc, 1, cv2.LINE_AA)
        if set(names) & {"person", "house", "lighthouse", "car", "trees"}:  # land needs a shore
            shore = fy + fh * 0.8
            xs = np.arange(width, dtype=np.float32)
            edge = shore + np.sin(xs / fw * 9.0 + rng.uniform(0, 6)) * fh * 0.012
            sand = np.asarray(GROUNDS["beach"], np.float32) * (0.35 if night else 1.0)
            band = (ys[..., 0] >= edge[None, :]).astype(np.float32)[..., None]
            wet = np.clip((ys[..., 0] - edge[None, :]) / (fh * 0.03), 0, 1)[..., None]
            img = img * (1 - band) + (sand * (0.8 + 0.2 * wet)) * band
    if ground_kind == "roof":  # a parapet ledge between the roof and the drop to the streets
        ledge = horizon + int(fh * 0.05)
        ledge_rgb = np.asarray(GROUNDS["roof"], np.float32) * (0.45 if night else 1.15)
        cv2.rectangle(img, (0, horizon), (width, ledge), tuple(float(v) for v in ledge_rgb), -1)
        cv2.line(img, (0, ledge), (width, ledge), tuple(float(v) * 0.6 for v in ledge_rgb), 2)
        for k in range(1, 8):  # expansion joints in perspective
            y = int(ledge + (height - ledge) * (k / 8) ** 1.6)
            cv2.line(img, (0, y), (width, y), tuple(float(v) * 0.8 for v in ground[-1, 0]), 1)
    if "road" in names:
        vx = fx + fw * 0.5
        near = fh * 1.1
        pts = np.array(
            [
                [vx - fw * 0.01, horizon],
                [vx + fw * 0.01, horizon],
                [vx + near, height],
                [vx - near, height],
            ],
            np.int32,
        )
        road = (62, 62, 66) if not night else (34, 34, 40)
        cv2.fillPoly(img, [pts], road, cv2.LINE_AA)
        edge = (200, 200, 195) if not night else (110, 110, 115)
        for side in (-1, 1):
            p0 = (int(vx + side * fw * 0.012), horizon)
            p1 = (int(vx + side * near * 0.92), height)
            cv2.line(img, p0, p1, edge, max(1, round(fh * 0.004)), cv2.LINE_AA)
        for k in range(12):
            a, b = (k / 12) ** 2, ((k + 0.5) / 12) ** 2
            ya, yb = horizon + a * (height - horizon), horizon + b * (height - horizon)
            wa, wb = 1 + a * fw * 0.012, 1 + b * fw * 0.012
            line = np.array([[vx - wa, ya], [vx + wa, ya], [vx + wb, yb], [vx - wb, yb]], np.int32)
            cv2.fillPoly(img, [line], (225, 210, 120) if not night else (150, 140, 90), cv2.LINE_AA)
    if night and ground_kind in ("road", "city", "sea"):
        # wet ground: the lit skyline reflects, blurred and dimmed, below the horizon
        k = min(horizon, height - horizon)
        mirror = img[horizon - k : horizon][::-1]
        refl = cv2.GaussianBlur(mirror, (0, 0), sigmaX=fh * 0.004, sigmaY=fh * 0.02)
        fade = np.linspace(0.45, 0.0, k, dtype=np.float32)[:, None, None]
        img[horizon : horizon + k] += np.clip(refl - 30, 0, None) * fade
    if "trees" in names:
        for _ in range(int(rng.integers(5, 10))):
            tx = rng.uniform(fx, fx + fw)
            if "road" in names and abs(tx - (fx + fw * 0.5)) < fw * 0.18:
                continue
            ty = horizon + rng.uniform(0.02, 0.2) * fh
            s = fh * (0.08 + 0.25 * (ty - horizon) / fh)
            trunk = (70, 50, 35) if not night else (20, 16, 12)
            cv2.rectangle(
                img,
                (int(tx - s * 0.05), int(ty - s * 0.4)),
                (int(tx + s * 0.05), int(ty)),
                trunk,
                -1,
            )
            leaf = np.asarray((44, 98, 48)) * (0.35 if night else 1.0) * rng.uniform(0.8, 1.2)
            tri = np.array(
                [[tx, ty - s * 1.5], [tx - s * 0.35, ty - s * 0.3], [tx + s * 0.35, ty - s * 0.3]],
                np.int32,
            )
            cv2.fillPoly(img, [tri], tuple(float(v) for v in leaf), cv2.LINE_AA)
    plate = np.clip(img, 0, 255).astype(np.uint8)

    sprites: list[Sprite] = []
    # the likeliest actor (a person, then a car, a boat) takes the centre; others flank it
    subjects = sorted(dict.fromkeys(n for n in names if n in SUBJECTS), key=SUBJECTS.index)
    for i, name in enumerate(subjects):
        rgb = COLOURS.get(colour_of.get(name, ""), None)
        sprite = _draw_subject(name, fh, rgb, night, rng)
        h, w = sprite.shape[:2]
        side = (i % 2 * 2 - 1) * ((i + 1) // 2) * (1 if actor_x <= 0.5 else -1)
        spr_x = fx + fw * (actor_x + 0.28 * side if i else actor_x)
        base_y = fy + fh * (0.9 if name != "boat" else 0.74)
        if name in ("house", "lighthouse"):
            base_y = horizon + fh * 0.08
        sprites.append(
            Sprite(
                sprite[..., :3].copy(),
                sprite[..., 3].astype(np.float32) / 255,
                int(spr_x - w / 2),
                int(base_y - h),
                name,
            )
        )
    sprites.sort(key=lambda sp: sp.y + sp.rgb.shape[0])  # far (higher feet line) first
    return plate, sprites


def _draw_subject(
    name: str, fh: int, colour: tuple[int, int, int] | None, night: bool, rng: np.random.Generator
) -> np.ndarray:
    """An RGBA sprite of a simple flat shape, height relative to the frame height ``fh``."""
    s = fh / 720
    if name == "car":
        s *= 1.25
        w, h = int(520 * s), int(190 * s)
        col = colour or (200, 30, 35)
        img = np.zeros((h, w, 4), np.uint8)
        body = (
            np.array(
                [
                    [10, 150],
                    [30, 95],
                    [150, 80],
                    [200, 30],
                    [360, 25],
                    [430, 80],
                    [505, 95],
                    [512, 150],
                    [480, 160],
                    [40, 160],
                ],
                np.float32,
            )
            * s
        )
        cv2.fillPoly(img, [body.astype(np.int32)], (*col, 255), cv2.LINE_AA)
        glass = np.array([[165, 82], [210, 40], [285, 38], [285, 82]], np.float32) * s
        cv2.fillPoly(img, [glass.astype(np.int32)], (120, 150, 175, 255), cv2.LINE_AA)
        glass2 = np.array([[300, 82], [300, 38], [352, 38], [410, 82]], np.float32) * s
        cv2.fillPoly(img, [glass2.astype(np.int32)], (120, 150, 175, 255), cv2.LINE_AA)
        for cx in (120, 400):
            cv2.circle(
                img, (int(cx * s), int(158 * s)), int(30 * s), (22, 22, 24, 255), -1, cv2.LINE_AA
            )
            cv2.circle(
                img, (int(cx * s), int(158 * s)), int(13 * s), (150, 150, 155, 255), -1, cv2.LINE_AA
            )
        lamp = (255, 250, 210, 255) if night else (240, 230, 200, 255)
        cv2.ellipse(
            img,
            (int(500 * s), int(112 * s)),
            (int(8 * s), int(7 * s)),
            0,
            0,
            360,
            lamp,
            -1,
            cv2.LINE_AA,
        )
        cv2.ellipse(
            img,
            (int(16 * s), int(112 * s)),
            (int(6 * s), int(6 * s)),
            0,
            0,
            360,
            (230, 30, 20, 255),
            -1,
            cv2.LINE_AA,
        )
        # soft contact shadow under the wheels, drawn behind the body
        shadow = np.zeros((h + int(12 * s), w, 4), np.uint8)
        cv2.ellipse(
            shadow,
            (w // 2, int(172 * s)),
            (int(250 * s), int(14 * s)),
            0,
            0,
            360,
            (0, 0, 0, 150),
            -1,
            cv2.LINE_AA,
        )
        shadow[..., 3] = cv2.GaussianBlur(shadow[..., 3], (0, 0), 6 * s)
        body_a = img[..., 3:4].astype(np.float32) / 255
        top = shadow[:h].astype(np.float32)
        top[..., :3] = img[..., :3] * body_a + top[..., :3] * (1 - body_a)
        top[..., 3] = np.maximum(img[..., 3], top[..., 3])
        shadow[:h] = top.astype(np.uint8)
        return shadow
    if name == "person":
        w, h = int(130 * s), int(380 * s)
        col = colour or (60, 70, 110)
        img = np.zeros((h, w, 4), np.uint8)
        cv2.circle(img, (w // 2, int(38 * s)), int(30 * s), (224, 180, 150, 255), -1, cv2.LINE_AA)
        torso = np.array([[25, 78], [105, 78], [115, 220], [15, 220]], np.float32) * s
        cv2.fillPoly(img, [torso.astype(np.int32)], (*col, 255), cv2.LINE_AA)
        for lx in (38, 78):
            cv2.rectangle(
                img,
                (int(lx * s), int(215 * s)),
                (int((lx + 18) * s), int(375 * s)),
                (40, 40, 50, 255),
                -1,
            )
        return img
    if name == "house":
        w, h = int(360 * s), int(320 * s)
        col = colour or (200, 180, 150)
        img = np.zeros((h, w, 4), np.uint8)
        cv2.rectangle(img, (int(30 * s), int(130 * s)), (int(330 * s), h - 1), (*col, 255), -1)
        roof = np.array([[10, 135], [180, 10], [350, 135]], np.float32) * s
        cv2.fillPoly(img, [roof.astype(np.int32)], (130, 50, 40, 255), cv2.LINE_AA)
        cv2.rectangle(
            img, (int(155 * s), int(220 * s)), (int(205 * s), h - 1), (90, 60, 40, 255), -1
        )
        win = (255, 210, 120, 255) if night else (150, 190, 220, 255)
        for wx in (60, 250):
            cv2.rectangle(
                img, (int(wx * s), int(180 * s)), (int((wx + 50) * s), int(230 * s)), win, -1
            )
        return img
    if name == "lighthouse":  # a tapering striped tower with a lit lantern
        w, h = int(120 * s), int(460 * s)
        img = np.zeros((h, w, 4), np.uint8)
        crown, base = int(90 * s), h - 1
        for k in range(6):  # red and white bands
            y0, y1 = crown + (base - crown) * k // 6, crown + (base - crown) * (k + 1) // 6
            half0, half1 = (22 + 26 * k / 6) * s, (22 + 26 * (k + 1) / 6) * s
            band = np.array(
                [[w / 2 - half0, y0], [w / 2 + half0, y0]]
                + [[w / 2 + half1, y1], [w / 2 - half1, y1]],
                np.int32,
            )
            col = (colour or (200, 40, 40)) if k % 2 else (238, 236, 230)
            cv2.fillPoly(img, [band], (*col, 255), cv2.LINE_AA)
        lamp = (255, 240, 170, 255) if night else (250, 240, 200, 255)
        cv2.rectangle(
            img, (int(w / 2 - 18 * s), int(45 * s)), (int(w / 2 + 18 * s), crown), lamp, -1
        )
        roof = np.array([[w / 2 - 26 * s, 48 * s], [w / 2, 10 * s], [w / 2 + 26 * s, 48 * s]])
        cv2.fillPoly(img, [roof.astype(np.int32)], (40, 40, 44, 255), cv2.LINE_AA)
        return img
    # boat
    w, h = int(300 * s), int(260 * s)
    col = colour or (240, 240, 235)
    img = np.zeros((h, w, 4), np.uint8)
    hull = np.array([[0, 200], [300, 200], [250, 258], [40, 258]], np.float32) * s
    cv2.fillPoly(img, [hull.astype(np.int32)], (*col, 255), cv2.LINE_AA)
    cv2.rectangle(
        img, (int(146 * s), int(10 * s)), (int(152 * s), int(200 * s)), (90, 70, 50, 255), -1
    )
    sail = np.array([[155, 15], [155, 190], [270, 190]], np.float32) * s
    cv2.fillPoly(img, [sail.astype(np.int32)], (245, 245, 240, 255), cv2.LINE_AA)
    return img
