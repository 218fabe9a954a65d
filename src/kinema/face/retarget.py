"""Drive a portrait with a face in a video (Runway ``character_performance`` / act_two).

Public API::

    controls = retarget_controls(driving_frames, intensity=3)     # list[FaceControls]
    for frame in performance_frames(rig, driving_frames, fps, intensity=3, size=512): ...
    write_performance_clip(rig, driving_frames, out_path, fps=24, size=512, audio=None,
                           intensity=3, progress=None, should_cancel=None) -> Path

The face mesh is tracked on every driving frame; each measure (mouth opening and width, mouth
corner lift, eye openness, brow height, head roll/yaw/pitch, iris position) is taken relative
to the driver's own rest pose over the clip (most-closed mouth, most-open eyes, median of the
rest), so a driver with a big mouth does not make every portrait shout. ``intensity`` 1..5
scales the expression (3 = as performed).
Frames without a face hold the last controls and ease back to rest.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import numpy as np

from kinema.errors import Cancelled, InvalidInput
from kinema.face import landmarks as L
from kinema.face.analyze import face_frame, mesh_points
from kinema.face.controls import FaceControls
from kinema.face.render import Renderer
from kinema.face.rig import Rig
from kinema.media.audio import Audio
from kinema.media.video import VideoWriter


def measure(points: np.ndarray) -> np.ndarray:
    """Face measures of one mesh, in face units (inter-ocular distance) and degrees."""
    mid, ux, iod = face_frame(points)
    uy = np.array([-ux[1], ux[0]])
    p = points[:, :2]

    def loc(i: int) -> np.ndarray:
        return np.array([(p[i] - mid) @ ux, (p[i] - mid) @ uy]) / iod

    gap = np.hypot(*(loc(L.LOWER_INNER_MID) - loc(L.UPPER_INNER_MID)))
    width = np.hypot(*(loc(L.MOUTH_R) - loc(L.MOUTH_L)))
    lip_mid = (loc(L.UPPER_INNER_MID) + loc(L.LOWER_INNER_MID)) / 2
    corner_lift = lip_mid[1] - (loc(L.MOUTH_L)[1] + loc(L.MOUTH_R)[1]) / 2
    ears = [np.hypot(*(loc(a) - loc(b))) for a, b in ((159, 145), (386, 374))]
    brow = -np.mean([loc(i)[1] for i in L.BROW_L[:5] + L.BROW_R[:5]])
    brow_inner = -np.mean([loc(i)[1] for i in L.BROW_L_INNER + L.BROW_R_INNER])
    roll = np.degrees(np.arctan2(ux[1], ux[0]))
    nose = loc(L.NOSE_TIP)
    cheeks = points[L.CHEEK_R] - points[L.CHEEK_L]
    yaw = np.degrees(np.arctan2(cheeks[2], cheeks[0]))  # the mesh's z is in x units
    pitch = nose[1] / max(loc(L.CHIN)[1], 1e-6)
    gx = np.mean(
        [
            (loc(c)[0] - (loc(a)[0] + loc(b)[0]) / 2) / max(abs(loc(b)[0] - loc(a)[0]), 1e-6)
            for c, a, b in ((468, 33, 133), (473, 362, 263))
        ]
    )
    return np.array(
        [gap, width, corner_lift, ears[0], ears[1], brow, brow_inner, roll, yaw, pitch, gx]
    )


def _controls(m: np.ndarray, neutral: np.ndarray, k: float) -> FaceControls:
    d = m - neutral
    c = FaceControls()
    c.jaw_open = float(np.clip(d[0] / 0.35, 0, 1)) * k
    c.lips_wide = float(np.clip(d[1] / (0.15 * neutral[1]), 0, 1)) * k
    c.lips_round = float(np.clip(-d[1] / (0.2 * neutral[1]), 0, 1)) * k
    c.smile = float(np.clip(d[2] / 0.06, -1, 1)) * k
    for i, name in ((3, "blink_left"), (4, "blink_right")):
        setattr(c, name, float(np.clip(1 - m[i] / max(neutral[i], 1e-6), 0, 1) * 1.4))
    c.brow_raise = float(np.clip(d[5] / 0.08, -1, 1)) * k
    c.brow_inner_up = float(np.clip((d[6] - d[5]) / 0.05, 0, 1)) * k
    c.head_roll = float(d[7]) * k
    c.head_yaw = float(d[8]) * k
    c.head_pitch = float(d[9] / 0.01) * k
    c.gaze_x = float(np.clip(d[10] / 0.2, -1, 1))
    return c.clamp()


def retarget_controls(
    frames: Iterable[np.ndarray],
    intensity: float = 3,
    should_cancel: Callable[[], bool] | None = None,
) -> list[FaceControls]:
    """FaceControls per driving frame (RGB uint8), relative to the driver's neutral.

    Tracking is the slow part (a mesh per frame), so ``should_cancel`` is polled per frame.
    """
    if not 1 <= intensity <= 5:
        raise InvalidInput(
            "expressionIntensity must be between 1 and 5.", field="expressionIntensity"
        )
    k = intensity / 3
    measures: list[np.ndarray | None] = []
    for f in frames:
        if should_cancel is not None and should_cancel():
            raise Cancelled("cancelled")
        pts = mesh_points(np.ascontiguousarray(f))
        measures.append(None if pts is None else measure(pts))
    found = [m for m in measures if m is not None]
    if not found:
        raise InvalidInput(
            "the driving video shows no face the tracker can follow.", field="reference"
        )
    # The performer's rest pose over the whole clip: a talker rarely starts at rest, so the mouth
    # gap's rest is its most closed (5th percentile) and the eyes' their most open (90th);
    # everything else is the median.
    arr = np.array(found)
    neutral = np.median(arr, axis=0)
    neutral[0] = np.percentile(arr[:, 0], 5)
    neutral[3:5] = np.percentile(arr[:, 3:5], 90, axis=0)
    out: list[FaceControls] = []
    prev = FaceControls()
    for m in measures:
        if m is None:
            c = FaceControls().add(prev, 0.8)  # hold, easing back to rest
        else:
            c = _controls(m, neutral, k)
            # light smoothing against tracker jitter (blinks stay sharp)
            for name in (
                "jaw_open",
                "smile",
                "brow_raise",
                "head_yaw",
                "head_pitch",
                "head_roll",
                "gaze_x",
            ):
                setattr(c, name, 0.7 * getattr(c, name) + 0.3 * getattr(prev, name))
        out.append(c)
        prev = c
    return out


def performance_frames(
    rig: Rig,
    driving_frames: Iterable[np.ndarray],
    fps: float,
    intensity: float = 3,
    size: int = 512,
) -> Iterator[np.ndarray]:
    """Rendered frames (copies) of ``rig`` performing the driving video, one per input frame."""
    del fps  # one output frame per driving frame; kept for the public signature
    renderer = Renderer(rig, size)
    for c in retarget_controls(driving_frames, intensity):
        yield renderer.render(c).copy()


def write_performance_clip(
    rig: Rig,
    driving_frames: list[np.ndarray],
    out_path: str | Path,
    *,
    fps: int = 24,
    size: int = 512,
    audio: Audio | None = None,
    intensity: float = 3,
    progress: Callable[[int, int], None] | None = None,
    should_cancel: Callable[[], bool] | None = None,
) -> Path:
    """An mp4 of the performance, with the driving video's audio when given."""
    controls = retarget_controls(driving_frames, intensity)
    renderer = Renderer(rig, size)
    out_path = Path(out_path)
    n = len(controls)
    with VideoWriter(out_path, size, size, fps, audio_rate=audio.rate if audio else None) as w:
        for i, c in enumerate(controls):
            if should_cancel is not None and should_cancel():
                raise Cancelled("cancelled")
            w.write(renderer.render(c))
            if progress is not None:
                progress(i + 1, n)
        if audio is not None:
            w.write_audio(audio.samples[: round(n / fps * audio.rate)])
    return out_path
