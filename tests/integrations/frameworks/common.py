"""Speech and a small real face for the framework tests."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import skimage.data

from kinema.face.rig import Rig
from kinema.media.audio import resample

SIZE, FPS, RATE = 128, 24, 24000


@lru_cache(maxsize=1)
def rig() -> Rig:
    from kinema.live.wiring import RIGS

    return RIGS.get("integrations-astronaut", skimage.data.astronaut())


@lru_cache(maxsize=4)
def speech(text: str = "Hello there. I am a portrait that talks.") -> np.ndarray:
    """Real synthesised speech (espeak-ng), int16 mono at RATE."""
    from kinema.voice.tts import get_tts

    out = get_tts("espeak").synthesize(text, "emma")
    return resample(out.audio.samples, out.audio.rate, RATE)


def chunks(samples: np.ndarray, ms: int = 20) -> list[np.ndarray]:
    n = RATE * ms // 1000
    return [samples[i : i + n] for i in range(0, len(samples), n)]


def mouth_motion(images: list[np.ndarray], box: tuple[int, int, int, int]) -> np.ndarray:
    """Per frame: mean absolute change of the mouth region against the first frame."""
    x0, y0, x1, y1 = box
    ref = images[0][y0:y1, x0:x1].astype(np.float32)
    return np.array([np.abs(im[y0:y1, x0:x1].astype(np.float32) - ref).mean() for im in images])


def mouth_dark(images: list[np.ndarray], box: tuple[int, int, int, int]) -> np.ndarray:
    """Per frame: the share of the mouth region darker than half its resting brightness (the
    open mouth's cavity). Unlike ``mouth_motion`` it ignores the head's sway and nods."""
    x0, y0, x1, y1 = box
    ref = float(np.median(images[0][y0:y1, x0:x1].astype(np.float32).mean(axis=2)))
    return np.array(
        [(im[y0:y1, x0:x1].astype(np.float32).mean(axis=2) < 0.55 * ref).mean() for im in images]
    )


def mouth_box(size: int) -> tuple[int, int, int, int]:
    """The lips' bounding box (from the rig's landmarks) at ``size``, with a margin below."""
    from kinema.face import landmarks as L

    r = rig()
    pts = r.points[list(L.LIP_UPPER_OUTER + L.LIP_LOWER_OUTER), :2] * (size / r.size)
    (x0, y0), (x1, y1) = pts.min(axis=0), pts.max(axis=0)
    h = y1 - y0
    return int(x0), int(y0), int(x1) + 1, int(y1 + h) + 1  # room for the jaw to drop
