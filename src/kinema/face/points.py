"""Hand-marked points made usable: a labelled diagram, suggestions and a preview.

Public API::

    DIAGRAM_TEXT                       # where each point goes, for a terminal
    diagram(height=480) -> np.ndarray  # the same as a labelled picture (RGB)
    suggest_points(image) -> (ManualPoints, how)   # a starting point to adjust
    preview(image, points) -> np.ndarray           # the points (and the fitted face) drawn

Points are image pixels ``[x, y]``; "left" and "right" are as seen in the picture. Suggestions
come from the face mesh even when it was rejected as a face (on a dog it still lands near the
eyes and the nose), then from the face detector's box, else from a typical portrait's layout;
eye suggestions snap to a dark eye nearby.
"""

from __future__ import annotations

import cv2
import numpy as np

from kinema.errors import KinemaError
from kinema.face import landmarks as L
from kinema.face.analyze import (
    ManualPoints,
    _eye_blob,
    analyze,
    check_points,
    detect_faces,
    mesh_points,
)
from kinema.face.rig import HEAD_SCALE as HEAD_SCALE_HINT

DIAGRAM_TEXT = """\
   where each point goes (left/right as seen in the picture, [x, y] in image pixels)

        left_eye  o                    o  right_eye      centre of each eye
                          \\    /
                            o            nose_tip        tip of the nose
                            |
         mouth_left  o------o------o  mouth_right        corners of the mouth
                          upper_lip                      middle of the upper lip's edge
                            o
                          lower_lip                      middle of the lower lip's edge
                            |
                            o  chin                      bottom of the chin (jaw)

   optional: "kind": "animal" (default: a muzzle, no human teeth) or "human" (a drawing)
"""

COLOURS = {
    "left_eye": (0, 200, 255),
    "right_eye": (0, 120, 255),
    "nose_tip": (255, 200, 0),
    "mouth_left": (255, 80, 80),
    "mouth_right": (255, 0, 160),
    "upper_lip": (120, 255, 0),
    "lower_lip": (0, 255, 140),
    "chin": (255, 255, 255),
}


def _text(img: np.ndarray, s: str, org: tuple[int, int], col, scale: float = 0.5) -> None:
    cv2.putText(img, s, org, cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), 3, cv2.LINE_AA)
    cv2.putText(img, s, org, cv2.FONT_HERSHEY_SIMPLEX, scale, col, 1, cv2.LINE_AA)


def diagram(height: int = 480) -> np.ndarray:
    """A schematic face with each point labelled where it goes."""
    w, h = round(height * 0.85), height
    img = np.full((h, w, 3), 40, np.uint8)
    cx = w // 2
    cv2.ellipse(
        img, (cx, round(h * 0.5)), (round(w * 0.34), round(h * 0.4)), 0, 0, 360, (200, 170, 150), 2
    )
    pts = {
        "left_eye": (cx - round(w * 0.15), round(h * 0.4)),
        "right_eye": (cx + round(w * 0.15), round(h * 0.4)),
        "nose_tip": (cx, round(h * 0.55)),
        "mouth_left": (cx - round(w * 0.12), round(h * 0.67)),
        "mouth_right": (cx + round(w * 0.12), round(h * 0.67)),
        "upper_lip": (cx, round(h * 0.645)),
        "lower_lip": (cx, round(h * 0.71)),
        "chin": (cx, round(h * 0.86)),
    }
    for p in (pts["left_eye"], pts["right_eye"]):
        cv2.ellipse(img, p, (round(w * 0.06), round(h * 0.025)), 0, 0, 360, (230, 230, 230), 1)
    cv2.line(img, (cx, round(h * 0.42)), pts["nose_tip"], (200, 170, 150), 1, cv2.LINE_AA)
    lips = np.array([pts["mouth_left"], pts["upper_lip"], pts["mouth_right"], pts["lower_lip"]])
    cv2.polylines(img, [lips.astype(np.int32)], True, (200, 110, 110), 1, cv2.LINE_AA)
    offsets = {
        "left_eye": (-90, -14),
        "right_eye": (12, -14),
        "nose_tip": (10, 4),
        "mouth_left": (-112, 4),
        "mouth_right": (10, 4),
        "upper_lip": (10, -10),
        "lower_lip": (10, 16),
        "chin": (10, 4),
    }
    for name, p in pts.items():
        cv2.circle(img, p, 5, COLOURS[name], -1, cv2.LINE_AA)
        dx, dy = offsets[name]
        _text(img, name, (p[0] + dx, p[1] + dy), COLOURS[name], 0.45)
    _text(img, "left/right as seen in the picture", (8, h - 12), (220, 220, 220), 0.42)
    return img


def _layout(box: np.ndarray) -> dict[str, tuple[float, float]]:
    """Typical keypoints inside a face box (x0, y0, x1, y1)."""
    x0, y0, x1, y1 = (float(v) for v in box)
    w, h = x1 - x0, y1 - y0
    cx = (x0 + x1) / 2
    return {
        "left_eye": (cx - 0.2 * w, y0 + 0.38 * h),
        "right_eye": (cx + 0.2 * w, y0 + 0.38 * h),
        "nose_tip": (cx, y0 + 0.58 * h),
        "mouth_left": (cx - 0.15 * w, y0 + 0.74 * h),
        "mouth_right": (cx + 0.15 * w, y0 + 0.74 * h),
        "upper_lip": (cx, y0 + 0.71 * h),
        "lower_lip": (cx, y0 + 0.79 * h),
        "chin": (cx, y0 + 0.93 * h),
    }


def suggest_points(image: np.ndarray) -> tuple[ManualPoints, str]:
    """Starting points for a picture the detector rejects, and where they came from."""
    h, w = image.shape[:2]
    candidates: list[tuple[dict[str, tuple[float, float]], str]] = []
    pts = mesh_points(image)
    if pts is not None:
        mesh_kp = L.keypoints_of(pts)
        candidates.append(
            ({k: (float(v[0]), float(v[1])) for k, v in mesh_kp.items()}, "face mesh")
        )
    dets = detect_faces(image)
    if dets:
        candidates.append((_layout(dets[0][1]), "face detector"))
    side = 0.6 * min(h, w)
    centre = np.array([w / 2, h / 2])
    box = np.concatenate([centre - side / 2, centre + side / 2])
    candidates.append((_layout(box), "a typical portrait's layout"))
    for raw, how in candidates:
        kp = {
            k: (float(np.clip(x, 0, w - 1)), float(np.clip(y, 0, h - 1)))
            for k, (x, y) in raw.items()
        }
        mp = ManualPoints.model_validate(kp)
        try:
            check_points(mp, image.shape)
        except KinemaError:
            continue
        # eyes: snap to a dark eye close by (animals, cartoons)
        iod = float(np.hypot(*(np.subtract(kp["right_eye"], kp["left_eye"]))))
        snapped = dict(kp)
        for name in ("left_eye", "right_eye"):
            e = _eye_blob(image, np.array(kp[name]), iod)
            if e is not None and np.hypot(e[0] - kp[name][0], e[1] - kp[name][1]) < 0.25 * iod:
                snapped[name] = (float(e[0]), float(e[1]))
        try:
            out = ManualPoints.model_validate(snapped)
            check_points(out, image.shape)
            return out, how
        except KinemaError:
            return mp, how
    raise AssertionError("the typical layout always validates")  # pragma: no cover


def preview(image: np.ndarray, points: ManualPoints, max_side: int = 900) -> np.ndarray:
    """The picture with the points labelled and, when they are valid, the fitted face's eyes,
    lips and outline (and the region an animal's warp is confined to), beside the diagram."""
    h, w = image.shape[:2]
    k = min(1.0, max_side / max(h, w))
    img = cv2.resize(image, (round(w * k), round(h * k)), interpolation=cv2.INTER_AREA)
    img = np.ascontiguousarray(img)
    problem = None
    try:
        check_points(points, image.shape)
        a = analyze(image, points)
    except KinemaError as exc:
        problem = str(exc)
        a = None
    if a is not None:
        s = k / a.scale
        off = np.array(a.crop_box[:2], np.float64) * k
        p = a.points[:, :2].astype(np.float64) * s + off
        for idx, col in (
            (L.FACE_OVAL + L.FACE_OVAL[:1], (230, 230, 230)),
            (L.EYE_L_UPPER + L.EYE_L_LOWER[::-1], (0, 255, 0)),
            (L.EYE_R_UPPER + L.EYE_R_LOWER[::-1], (0, 255, 0)),
            (L.LIP_UPPER_OUTER + L.LIP_LOWER_OUTER[::-1], (255, 60, 60)),
        ):
            cv2.polylines(
                img, [np.round(p[list(idx)]).astype(np.int32)], False, col, 1, cv2.LINE_AA
            )
        if a.kind == "animal":
            oval = p[list(L.FACE_OVAL)]
            c = oval.mean(axis=0)
            low = np.clip((oval[:, 1] - c[1]) / max(np.ptp(oval[:, 1]) / 2, 1.0), 0, 1)
            f = HEAD_SCALE_HINT + (HEAD_SCALE_HINT - 1) * 1.2 * low
            head = c + (oval - c) * f[:, None]
            cv2.polylines(
                img, [np.round(head).astype(np.int32)], True, (255, 255, 0), 1, cv2.LINE_AA
            )
    arr = points.array() * k
    for name, (x, y) in zip(L.KEYPOINTS, arr, strict=True):
        cv2.circle(img, (round(x), round(y)), 4, COLOURS[name], -1, cv2.LINE_AA)
        cv2.circle(img, (round(x), round(y)), 5, (0, 0, 0), 1, cv2.LINE_AA)
        _text(img, name, (round(x) + 7, round(y) - 5), COLOURS[name], 0.42)
    if problem:
        for i, line in enumerate(_wrap(problem, max(20, img.shape[1] // 8))):
            _text(img, line, (8, 20 + 18 * i), (255, 80, 80), 0.5)
    else:
        legend = "fitted: eyes (green), lips (red), outline (white)"
        if a is not None and a.kind == "animal":
            legend += ", moving region (cyan)"
        _text(img, legend, (8, img.shape[0] - 10), (255, 255, 255), 0.45)
    d = diagram(img.shape[0])
    return np.hstack([img, d])


def _wrap(text: str, width: int) -> list[str]:
    words, lines, cur = text.split(), [], ""
    for wd in words:
        if len(cur) + len(wd) + 1 > width:
            lines.append(cur)
            cur = wd
        else:
            cur = f"{cur} {wd}".strip()
    return [*lines, cur] if cur else lines
