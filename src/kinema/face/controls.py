"""One frame's face state: ``FaceControls``, viseme mouth shapes and emotion presets.

Mouth shapes are a handful of linear components (jaw, spread, round, press, lower-lip tuck,
upper-lip raise) so visemes can be blended by weight and the renderer can combine precomputed
deformation fields linearly. ``VISEME_SHAPES`` covers the 15 visemes of
``kinema.voice.visemes.VISEMES``; ``EMOTIONS`` are presets at intensity 1.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from kinema.errors import InvalidInput
from kinema.voice.visemes import VISEMES

MOUTH = ("jaw_open", "lips_wide", "lips_round", "lips_press", "lip_tuck", "upper_lip_up")


@dataclass
class FaceControls:
    """All values are ~[0, 1] unless noted; zero everywhere is the portrait at rest."""

    jaw_open: float = 0.0
    lips_wide: float = 0.0
    lips_round: float = 0.0
    lips_press: float = 0.0
    lip_tuck: float = 0.0  # lower lip under the upper teeth (f, v)
    upper_lip_up: float = 0.0
    smile: float = 0.0  # -1 (corners down) .. 1
    brow_raise: float = 0.0  # -1 (lowered, knitted) .. 1
    brow_inner_up: float = 0.0  # worried / sad
    cheek_raise: float = 0.0  # cheeks up, lower lids up: a smile that reaches the eyes
    eye_wide: float = 0.0  # upper lids up: surprise
    blink_left: float = 0.0  # image-left eye; 1 = closed
    blink_right: float = 0.0
    gaze_x: float = 0.0  # -1 .. 1, image right positive
    gaze_y: float = 0.0  # -1 .. 1, down positive
    head_yaw: float = 0.0  # degrees, image right positive
    head_pitch: float = 0.0  # degrees, down (nod) positive
    head_roll: float = 0.0  # degrees, clockwise positive

    def copy(self) -> FaceControls:
        return FaceControls(**self.as_dict())

    def as_dict(self) -> dict[str, float]:
        return {f.name: float(getattr(self, f.name)) for f in fields(self)}

    def add(self, other: dict[str, float] | FaceControls, weight: float = 1.0) -> FaceControls:
        """In place: ``self += weight * other``; returns self."""
        items = other.as_dict().items() if isinstance(other, FaceControls) else other.items()
        for k, v in items:
            setattr(self, k, getattr(self, k) + weight * v)
        return self

    def clamp(self) -> FaceControls:
        """Keep every control in the range the rig is validated for (no fold-over)."""
        for name, (lo, hi) in LIMITS.items():
            setattr(self, name, min(hi, max(lo, getattr(self, name))))
        return self


LIMITS: dict[str, tuple[float, float]] = {
    "jaw_open": (0.0, 1.0),
    "lips_wide": (0.0, 1.0),
    "lips_round": (0.0, 1.0),
    "lips_press": (0.0, 1.0),
    "lip_tuck": (0.0, 1.0),
    "upper_lip_up": (0.0, 1.0),
    "smile": (-1.0, 1.0),
    "brow_raise": (-1.0, 1.0),
    "brow_inner_up": (0.0, 1.0),
    "cheek_raise": (0.0, 1.0),
    "eye_wide": (0.0, 1.0),
    "blink_left": (0.0, 1.0),
    "blink_right": (0.0, 1.0),
    "gaze_x": (-1.0, 1.0),
    "gaze_y": (-1.0, 1.0),
    "head_yaw": (-7.0, 7.0),
    "head_pitch": (-6.0, 6.0),
    "head_roll": (-7.0, 7.0),
}

VISEME_SHAPES: dict[str, dict[str, float]] = {
    "sil": {},
    "PP": {"lips_press": 1.0},
    "FF": {"jaw_open": 0.18, "lip_tuck": 1.0, "upper_lip_up": 0.5},
    "TH": {"jaw_open": 0.25, "upper_lip_up": 0.3},
    "DD": {"jaw_open": 0.35, "lips_wide": 0.2},
    "kk": {"jaw_open": 0.45},
    "CH": {"jaw_open": 0.2, "lips_round": 0.6, "upper_lip_up": 0.3},
    "SS": {"jaw_open": 0.12, "lips_wide": 0.5, "upper_lip_up": 0.4},
    "nn": {"jaw_open": 0.25, "lips_wide": 0.1},
    "RR": {"jaw_open": 0.25, "lips_round": 0.5},
    "aa": {"jaw_open": 1.0},
    "E": {"jaw_open": 0.65, "lips_wide": 0.6, "upper_lip_up": 0.3},
    "I": {"jaw_open": 0.25, "lips_wide": 0.9, "upper_lip_up": 0.4},
    "O": {"jaw_open": 0.66, "lips_round": 0.9},
    "U": {"jaw_open": 0.22, "lips_round": 1.0},
}
assert set(VISEME_SHAPES) == set(VISEMES)

EMOTIONS: dict[str, dict[str, float]] = {
    "neutral": {},
    "happy": {
        "smile": 0.9,
        "cheek_raise": 0.75,
        "brow_raise": 0.15,
        "blink_left": 0.1,
        "blink_right": 0.1,
    },
    "sad": {
        "smile": -0.7,
        "brow_inner_up": 1.0,
        "head_pitch": 3.0,
        "gaze_y": 0.3,
        "blink_left": 0.25,
        "blink_right": 0.25,
    },
    "surprised": {
        "brow_raise": 1.0,
        "eye_wide": 1.0,
        "jaw_open": 0.3,
        "lips_round": 0.2,
        "head_pitch": -2.0,
    },
    "angry": {
        "brow_raise": -1.0,
        "smile": -0.35,
        "lips_press": 0.4,
        "head_pitch": 2.0,
        "cheek_raise": 0.35,
        "blink_left": 0.2,
        "blink_right": 0.2,
    },
    "thinking": {
        "brow_inner_up": 0.3,
        "brow_raise": -0.2,
        "gaze_x": 0.5,
        "gaze_y": -0.5,
        "head_roll": 4.0,
        "head_yaw": -3.0,
        "lips_press": 0.3,
        "cheek_raise": 0.1,
    },
}


def viseme_controls(name: str, weight: float = 1.0) -> FaceControls:
    """A FaceControls showing one viseme."""
    if name not in VISEME_SHAPES:
        raise InvalidInput(f"unknown viseme {name!r}; expected one of {', '.join(VISEMES)}.")
    return FaceControls().add(VISEME_SHAPES[name], weight)


def emotion_controls(name: str, intensity: float = 1.0) -> FaceControls:
    """A FaceControls showing one emotion preset at ``intensity`` (0..1)."""
    if name not in EMOTIONS:
        raise InvalidInput(
            f"unknown emotion {name!r}; expected one of {', '.join(EMOTIONS)}.", field="emotion"
        )
    return FaceControls().add(EMOTIONS[name], float(np.clip(intensity, 0.0, 1.5)))
