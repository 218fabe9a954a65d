"""Act-Two style retargeting: a reference performance video → per-frame ``FaceControls``.

The smallest thing that works with the face engine as it is: the face mesh is measured on every
reference frame (mouth opening and width, eyelids, brows, head pose, all in inter-ocular units),
each measure is taken relative to the performer's own resting value over the clip, and mapped
onto the rig's controls, scaled by ``expressionIntensity``. Frames where the mesh fails repeat
the previous controls. (This belongs in ``kinema.face`` once the face area offers retargeting.)
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from kinema.errors import InvalidMedia
from kinema.face import landmarks as L
from kinema.face.controls import FaceControls


def measure(pts: np.ndarray) -> np.ndarray:
    """[mouth_open, mouth_width, eye_l, eye_r, brow, yaw, pitch, roll] of one mesh."""
    p = pts[:, :2].astype(np.float64)
    eye_l, eye_r = (
        p[list(L.KEYPOINTS["left_eye"])].mean(0),
        p[list(L.KEYPOINTS["right_eye"])].mean(0),
    )
    iod = max(float(np.hypot(*(eye_r - eye_l))), 1e-6)

    def d(a: int, b: int) -> float:
        return float(np.hypot(*(p[a] - p[b])))

    mouth_open = d(L.UPPER_INNER_MID, L.LOWER_INNER_MID) / iod
    width = d(L.MOUTH_L, L.MOUTH_R) / iod
    el = d(159, 145) / max(d(L.EYE_L_OUTER, L.EYE_L_INNER), 1e-6)
    er = d(386, 374) / max(d(L.EYE_R_INNER, L.EYE_R_OUTER), 1e-6)
    brow = (
        np.linalg.norm(p[list(L.BROW_L)].mean(0) - eye_l)
        + np.linalg.norm(p[list(L.BROW_R)].mean(0) - eye_r)
    ) / (2 * iod)
    cl, cr, nose = p[L.CHEEK_L, 0], p[L.CHEEK_R, 0], p[L.NOSE_TIP, 0]
    yaw = np.degrees(
        np.arcsin(np.clip((nose - (cl + cr) / 2) / max(abs(cr - cl) / 2, 1e-6), -1, 1))
    )
    mid_eye = (eye_l + eye_r) / 2
    pitch = (p[L.NOSE_TIP, 1] - mid_eye[1]) / iod
    roll = np.degrees(np.arctan2(eye_r[1] - eye_l[1], eye_r[0] - eye_l[0]))
    corners = (p[L.MOUTH_L, 1] + p[L.MOUTH_R, 1]) / 2 - (
        p[L.UPPER_LIP_MID, 1] + p[L.LOWER_LIP_MID, 1]
    ) / 2
    return np.array([mouth_open, width, el, er, brow, yaw, pitch, roll, corners / iod])


def track(frames: list[np.ndarray], should_cancel: Callable[[], bool] | None = None) -> np.ndarray:
    """Measures per frame (rows of NaN where no face was found)."""
    from kinema.face.analyze import detect_faces, mesh_points

    out = np.full((len(frames), 9), np.nan)
    box = None
    for i, frame in enumerate(frames):
        if should_cancel is not None and should_cancel():
            from kinema.errors import Cancelled

            raise Cancelled("cancelled")
        if box is None:
            dets = detect_faces(frame)
            box = dets[0][1] if dets else None
            if box is None:
                continue
        pts = mesh_points(frame, box)
        if pts is None:
            box = None
            continue
        xy = pts[:, :2]
        box = np.array([*xy.min(0), *xy.max(0)])
        out[i] = measure(pts)
    found = ~np.isnan(out[:, 0])
    if found.mean() < 0.5:
        raise InvalidMedia(
            f"reference: a face was found in only {found.sum()} of {len(frames)} frames; the "
            "performer's face must stay visible and in frame.",
            field="reference",
        )
    return out


def controls_from_measures(m: np.ndarray, intensity: float = 1.0) -> list[FaceControls]:
    """Map measures to controls relative to the performer's resting values."""
    ok = ~np.isnan(m[:, 0])
    v = m[ok]
    rest_open = np.percentile(v[:, 0], 5)
    rest_width = np.median(v[:, 1])
    rest_eye = np.percentile(v[:, 2:4], 90, axis=0)
    rest = np.median(v[:, 4:], axis=0)  # brow, yaw, pitch, roll, corners
    out: list[FaceControls] = []
    prev = FaceControls()
    k = float(intensity)
    for row in m:
        if np.isnan(row[0]):
            out.append(prev.copy())
            continue
        c = FaceControls()
        c.jaw_open = k * (row[0] - rest_open) / 0.32
        c.lips_wide = k * max(0.0, row[1] - rest_width) / 0.15
        c.lips_round = (
            k * max(0.0, rest_width - row[1]) / 0.15 * (1 if row[0] - rest_open > 0.02 else 0.5)
        )
        c.blink_left = max(0.0, 1 - row[2] / max(rest_eye[0], 1e-6)) / 0.6
        c.blink_right = max(0.0, 1 - row[3] / max(rest_eye[1], 1e-6)) / 0.6
        c.brow_raise = k * (row[4] - rest[0]) / 0.08
        c.smile = k * -(row[8] - rest[4]) / 0.06
        c.head_yaw = row[5] - rest[1]
        c.head_pitch = (row[6] - rest[2]) * 60
        c.head_roll = row[7] - rest[3]
        c.clamp()
        # light smoothing against mesh jitter (blinks stay crisp)
        for name in (
            "jaw_open",
            "lips_wide",
            "lips_round",
            "brow_raise",
            "smile",
            "head_yaw",
            "head_pitch",
            "head_roll",
        ):
            setattr(c, name, 0.6 * getattr(c, name) + 0.4 * getattr(prev, name))
        out.append(c)
        prev = c
    return out


def intensity_scale(expression_intensity: int) -> float:
    """Runway's 1..5 (default 3) → a multiplier 0.6..1.4."""
    return 0.6 + 0.2 * (min(5, max(1, int(expression_intensity))) - 1)
