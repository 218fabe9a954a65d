"""A real-time animator: phoneme timings + conversation state → ``FaceControls`` at any time t.

Used when the face engine offers no real-time animator of its own (``kinema.face.motion``).
Mouth: viseme shapes cross-faded over ``blend`` seconds at phoneme edges (cheap
coarticulation). Life: seeded blinks and slow head/gaze sway that never stop, so the character
does not freeze while it waits. State: an expression per state (listening leans in with raised
brows, thinking looks away), eased over ``ease`` seconds so transitions are smooth.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence

from kinema.face.controls import EMOTIONS, VISEME_SHAPES, FaceControls
from kinema.voice.tts.base import PhonemeEvent

STATE_EXPRESSIONS: dict[str, dict[str, float]] = {
    "idle": {"smile": 0.1},
    "listening": {"brow_raise": 0.3, "smile": 0.2, "head_roll": 3.0, "head_pitch": -1.5},
    "thinking": {k: 0.6 * v for k, v in EMOTIONS["thinking"].items()},
    "speaking": {"brow_raise": 0.1, "smile": 0.1},
}


class LiveAnimator:
    def __init__(self, seed: int = 0, blend: float = 0.05, ease: float = 0.3) -> None:
        self.blend, self.ease = blend, ease
        self._tracks: list[tuple[float, float, str]] = []  # (start, end, viseme) media time
        self._rng = random.Random(seed)
        self._phase = [self._rng.uniform(0, 2 * math.pi) for _ in range(5)]
        self._blinks: list[float] = []
        self._next_blink = self._rng.uniform(0.8, 2.5)
        self._from: dict[str, float] = dict(STATE_EXPRESSIONS["idle"])
        self._to: dict[str, float] = dict(STATE_EXPRESSIONS["idle"])
        self._changed = -1e9
        self._emotion: dict[str, float] = {}
        self._out = FaceControls()

    # -- driving --------------------------------------------------------------------------------

    def say(self, phonemes: Sequence[PhonemeEvent], start_time: float, emotion: str) -> None:
        for p in phonemes:
            if p.viseme != "sil" and p.end > p.start:
                self._tracks.append((start_time + p.start, start_time + p.end, p.viseme))
        self._emotion = {k: 0.5 * v for k, v in EMOTIONS.get(emotion, {}).items()}

    def stop(self, at: float) -> None:
        """Barge-in: nothing after ``at`` is said; the mouth closes within ``blend``."""
        self._tracks = [(a, min(b, at), v) for a, b, v in self._tracks if a < at]

    def set_state(self, state: str, at: float) -> None:
        self._from = self._expression(at)
        self._to = dict(STATE_EXPRESSIONS.get(state, {}))
        if state == "speaking":
            for k, v in self._emotion.items():
                self._to[k] = self._to.get(k, 0.0) + v
        self._changed = at

    # -- sampling -------------------------------------------------------------------------------

    def _expression(self, t: float) -> dict[str, float]:
        w = min(1.0, max(0.0, (t - self._changed) / self.ease))
        w = w * w * (3 - 2 * w)  # smoothstep
        keys = self._from.keys() | self._to.keys()
        return {k: (1 - w) * self._from.get(k, 0.0) + w * self._to.get(k, 0.0) for k in keys}

    def _blink(self, t: float) -> float:
        while self._next_blink < t + 1.0:
            self._blinks.append(self._next_blink)
            self._next_blink += self._rng.uniform(2.0, 5.0)
        self._blinks = [b for b in self._blinks if b > t - 0.5]
        closure = 0.0
        for b in self._blinks:
            d = abs(t - b - 0.075)
            if d < 0.075:
                closure = max(closure, 1.0 - d / 0.075)
        return closure

    def controls_at(self, t: float) -> FaceControls:
        c = self._out
        for name in vars(c):
            setattr(c, name, 0.0)
        if self._tracks and self._tracks[0][1] < t - 1.0:
            self._tracks = [tr for tr in self._tracks if tr[1] >= t - 1.0]
        total = 0.0
        for a, b, viseme in self._tracks:
            if a - self.blend <= t <= b + self.blend:
                w = min(1.0, (t - a + self.blend) / self.blend, (b + self.blend - t) / self.blend)
                if w > 0:
                    c.add(VISEME_SHAPES[viseme], w)
                    total += w
        if total > 1.0:
            for name in ("jaw_open", "lips_wide", "lips_round", "lips_press", "lip_tuck"):
                setattr(c, name, getattr(c, name) / total)
            c.upper_lip_up /= total
        c.add(self._expression(t))
        p = self._phase
        c.head_yaw += 2.0 * math.sin(0.7 * t + p[0])
        c.head_pitch += 1.2 * math.sin(0.45 * t + p[1])
        c.head_roll += 0.8 * math.sin(0.3 * t + p[2])
        c.gaze_x += 0.15 * math.sin(0.23 * t + p[3])
        c.gaze_y += 0.08 * math.sin(0.31 * t + p[4])
        blink = self._blink(t)
        c.blink_left = max(c.blink_left, blink)
        c.blink_right = max(c.blink_right, blink)
        return c.clamp()
