"""Face analysis of one portrait: landmarks, person mask and a quality report.

Public API::

    analyze(image: np.ndarray, points: ManualPoints | None = None) -> Analysis

``image`` is RGB uint8 (``kinema.media.image.load_image``). Without ``points`` the MediaPipe
face detector and 478-point face mesh (with irises) run; the mesh is accepted only when the
detector agrees and its geometry is that of a human face (the mesh returns points even on dogs).
Otherwise ``NoFace`` is raised with a tip to mark the face by hand: ``ManualPoints`` (eyes, nose
tip, mouth corners, upper/lower lip, chin, in image pixels; "left" is the image's left) from which
the full mesh is fitted by a thin-plate spline on a template face, so the same rig follows.

``Analysis.image`` is a square crop around the face with head room (large images are cropped,
small faces in large frames are found by the full-range detector); every coordinate in the
Analysis is in that crop's pixels.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import cv2
import numpy as np
from pydantic import BaseModel, ValidationError

from kinema.errors import InvalidInput, NoFace
from kinema.face import landmarks as L

MAX_WORK_SIDE = 1024  # the crop is downscaled to this; the renderer resamples to its own size
MIN_FACE_PX = 128
TINY_FACE_PX = 48
MIN_IMAGE_SIDE = 512
POINT_KEYS = tuple(L.KEYPOINTS)
NO_FACE_TIP = (
    "If the picture shows an animal, a drawing or a face the detector misses, mark the eyes, "
    "nose tip, mouth corners, upper and lower lip and chin by hand (manual keypoints): "
    "points as JSON {" + ", ".join(f'"{k}": [x, y]' for k in POINT_KEYS) + "} in image pixels, "
    'left and right as seen in the picture, optionally "kind": "animal" or "human".'
)

_lock = threading.Lock()


class ManualPoints(BaseModel):
    """Hand-marked keypoints in image pixels ``[x, y]``; left/right as seen in the image."""

    left_eye: tuple[float, float]
    right_eye: tuple[float, float]
    nose_tip: tuple[float, float]
    mouth_left: tuple[float, float]
    mouth_right: tuple[float, float]
    upper_lip: tuple[float, float]
    lower_lip: tuple[float, float]
    chin: tuple[float, float]
    # "animal" (the default for hand-marked faces): a muzzle jaw and a dark mouth with a
    # tongue, no human teeth; "human" for drawings and faces the detector misses
    kind: Literal["animal", "human"] = "animal"

    @classmethod
    def from_json(cls, data: str | bytes | Path) -> ManualPoints:
        """Parse ``{"left_eye": [x, y], ...}`` from JSON text or a file path."""
        if isinstance(data, Path):
            data = data.read_text()
        try:
            return cls.model_validate(json.loads(data))
        except (ValueError, ValidationError) as exc:
            raise InvalidInput(
                f"points: not valid keypoints JSON ({exc}).", field="points"
            ) from None

    def array(self) -> np.ndarray:
        return np.array([getattr(self, k) for k in L.KEYPOINTS], dtype=np.float64)


@dataclass(frozen=True)
class Issue:
    code: str
    message: str
    tip: str

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message, "tip": self.tip}


@dataclass
class QualityReport:
    errors: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)
    metrics: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "errors": [i.to_dict() for i in self.errors],
            "warnings": [i.to_dict() for i in self.warnings],
            "metrics": {k: round(float(v), 3) for k, v in self.metrics.items()},
        }


@dataclass
class Analysis:
    """Everything the rig needs, in the coordinates of ``image`` (the square face crop)."""

    image: np.ndarray  # HxWx3 uint8 RGB crop
    points: np.ndarray  # (478, 3) float32 mesh in crop pixels (z in the same units)
    mask: np.ndarray  # HxW float32 person mask in [0, 1]
    report: QualityReport
    source: str  # "mesh" or "manual"
    crop_box: tuple[int, int, int, int]  # x0, y0, x1, y1 in the original image
    scale: float  # crop pixels per original pixel
    faces: int = 1
    kind: str = "human"  # "human" or "animal" (hand-marked muzzle)

    def keypoints(self) -> dict[str, np.ndarray]:
        return L.keypoints_of(self.points)

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "faces": self.faces,
            "crop_box": list(self.crop_box),
            "report": self.report.to_dict(),
            "keypoints": {
                k: [
                    round(float(v[0] / self.scale + self.crop_box[0]), 1),
                    round(float(v[1] / self.scale + self.crop_box[1]), 1),
                ]
                for k, v in self.keypoints().items()
            },
        }


@lru_cache(maxsize=1)
def _models() -> tuple[Any, Any, Any]:
    import mediapipe as mp

    det = mp.solutions.face_detection.FaceDetection(model_selection=1, min_detection_confidence=0.4)
    mesh = mp.solutions.face_mesh.FaceMesh(
        static_image_mode=True, max_num_faces=1, refine_landmarks=True, min_detection_confidence=0.3
    )
    seg = mp.solutions.selfie_segmentation.SelfieSegmentation(model_selection=0)
    return det, mesh, seg


def detect_faces(image: np.ndarray) -> list[tuple[float, np.ndarray]]:
    """Faces as (score, [x0, y0, x1, y1] px), largest first."""
    det, _, _ = _models()
    h, w = image.shape[:2]
    with _lock:
        res = det.process(np.ascontiguousarray(image))
    out = []
    for d in res.detections or []:
        b = d.location_data.relative_bounding_box
        box = np.array([b.xmin * w, b.ymin * h, (b.xmin + b.width) * w, (b.ymin + b.height) * h])
        out.append((float(d.score[0]), box))
    out.sort(key=lambda sb: -(sb[1][2] - sb[1][0]) * (sb[1][3] - sb[1][1]))
    return out


def mesh_points(image: np.ndarray, box: np.ndarray | None = None) -> np.ndarray | None:
    """478 (x, y, z) points in image pixels, run on a square crop around ``box`` when given."""
    _, mesh, _ = _models()
    h, w = image.shape[:2]
    x0 = y0 = 0
    crop = image
    if box is not None:
        cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
        side = max(box[2] - box[0], box[3] - box[1]) * 2.2
        x0, y0 = int(max(0, cx - side / 2)), int(max(0, cy - side / 2))
        x1, y1 = int(min(w, cx + side / 2)), int(min(h, cy + side / 2))
        crop = image[y0:y1, x0:x1]
    ch, cw = crop.shape[:2]
    k = min(1.0, 640 / max(ch, cw))
    small = cv2.resize(crop, (round(cw * k), round(ch * k)), interpolation=cv2.INTER_AREA)
    with _lock:
        res = mesh.process(np.ascontiguousarray(small))
    if not res.multi_face_landmarks:
        return None
    sh, sw = small.shape[:2]
    lm = res.multi_face_landmarks[0].landmark
    pts = np.array([[p.x * sw, p.y * sh, p.z * sw] for p in lm], dtype=np.float64) / k
    pts[:, 0] += x0
    pts[:, 1] += y0
    return pts.astype(np.float32)


def person_mask(image: np.ndarray) -> np.ndarray:
    _, _, seg = _models()
    with _lock:
        res = seg.process(np.ascontiguousarray(image))
    if res.segmentation_mask is None:
        return np.ones(image.shape[:2], np.float32)
    return np.clip(res.segmentation_mask.astype(np.float32), 0.0, 1.0)


def face_frame(points: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Eye midpoint, unit vector along the eye line, inter-ocular distance."""
    kp = L.keypoints_of(points)
    le, re = kp["left_eye"], kp["right_eye"]
    d = re - le
    iod = float(np.hypot(*d))
    return (le + re) / 2, d / max(iod, 1e-6), iod


def implausible(points: np.ndarray) -> str | None:
    """Why a mesh is not a human face (None when it is plausible)."""
    mid, ux, iod = face_frame(points)
    if iod < 4:
        return "the eyes are too close together"
    uy = np.array([-ux[1], ux[0]])
    kp = L.keypoints_of(points)

    def drop(name: str) -> float:
        return float((kp[name] - mid) @ uy) / iod

    mouth_w = float(np.hypot(*(kp["mouth_right"] - kp["mouth_left"]))) / iod
    checks = {
        "nose": (drop("nose_tip"), 0.3, 1.2),
        "mouth": ((drop("mouth_left") + drop("mouth_right")) / 2, 0.7, 1.9),
        "chin": (drop("chin"), 1.2, 2.9),
        "mouth width": (mouth_w, 0.45, 1.6),
    }
    for name, (v, lo, hi) in checks.items():
        if not lo <= v <= hi:
            return f"{name} proportion {v:.2f} is outside the human range [{lo}, {hi}]"
    return None


def _square_crop(shape: tuple[int, ...], points2d: np.ndarray) -> tuple[int, int, int, int]:
    """A square box around the face with head room, clamped to the image."""
    h, w = shape[:2]
    x0, y0 = points2d.min(axis=0)
    x1, y1 = points2d.max(axis=0)
    fh = max(y1 - y0, x1 - x0, 8.0)
    side = int(min(max(fh * 2.6, 64), h, w))
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2 - 0.12 * fh
    left = int(np.clip(round(cx - side / 2), 0, w - side))
    top = int(np.clip(round(cy - side / 2), 0, h - side))
    return left, top, left + side, top + side


@lru_cache(maxsize=1)
def template() -> np.ndarray:
    """Mean human face mesh (478, 3): eye midpoint at 0, eyes along +x, inter-ocular distance 1."""
    return np.load(Path(__file__).with_name("data") / "face_template.npy").astype(np.float64)


def fit_template(keypoints: np.ndarray) -> np.ndarray:
    """Fit the template mesh to eight keypoints: similarity, then a thin-plate spline residual."""
    from scipy.interpolate import RBFInterpolator

    tpl = template()
    src = np.array([tpl[list(idx), :2].mean(axis=0) for idx in L.KEYPOINTS.values()])
    # similarity from the eyes gives scale for z; the spline bends the rest onto the points
    d = keypoints[1] - keypoints[0]
    iod = float(np.hypot(*d))
    # anchor the far field with a similarity so the spline does not extrapolate wildly
    ang = np.arctan2(d[1], d[0])
    rot = np.array([[np.cos(ang), -np.sin(ang)], [np.sin(ang), np.cos(ang)]]) * iod
    mid = (keypoints[0] + keypoints[1]) / 2
    anchors = np.array([[-2.5, -3.0], [2.5, -3.0], [-2.5, 3.5], [2.5, 3.5]])
    ctrl_src = np.vstack([src, anchors])
    ctrl_dst = np.vstack([keypoints, anchors @ rot.T + mid])
    tps = RBFInterpolator(ctrl_src, ctrl_dst, kernel="thin_plate_spline", smoothing=0.0)
    out = np.empty((tpl.shape[0], 3))
    out[:, :2] = tps(tpl[:, :2])
    out[:, 2] = tpl[:, 2] * iod
    return out.astype(np.float32)


def _eye_blob(image: np.ndarray, centre: np.ndarray, iod: float) -> np.ndarray | None:
    """The dark, compact region around a marked eye as an ellipse (cx, cy, w/2, h/2, deg).

    Animal and cartoon eyes are darker than the fur or skin around them; the region is grown
    from the marked point with a threshold between the eye's and its surround's luminance.
    None when nothing eye-like is there (the template's eye is kept).
    """
    h, w = image.shape[:2]
    r = max(4, round(0.32 * iod))
    x0, y0 = max(0, round(centre[0]) - r), max(0, round(centre[1]) - r)
    x1, y1 = min(w, round(centre[0]) + r + 1), min(h, round(centre[1]) + r + 1)
    roi = cv2.GaussianBlur(
        cv2.cvtColor(np.ascontiguousarray(image[y0:y1, x0:x1]), cv2.COLOR_RGB2GRAY), (0, 0), 1.0
    )
    cx, cy = round(centre[0]) - x0, round(centre[1]) - y0
    if not (0 <= cx < roi.shape[1] and 0 <= cy < roi.shape[0]):
        return None
    core = float(np.percentile(roi[max(0, cy - 2) : cy + 3, max(0, cx - 2) : cx + 3], 30))
    ring = float(np.percentile(roi, 70))
    if ring - core < 25:
        return None  # no contrast: not a dark eye
    mask = (roi < (core + ring) / 2).astype(np.uint8)
    n, labels = cv2.connectedComponents(mask)
    lab = labels[cy, cx]
    if lab == 0:
        return None
    blob = (labels == lab).astype(np.uint8)
    contours, _ = cv2.findContours(blob, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    cnt = max(contours, key=cv2.contourArea)
    if len(cnt) < 6:
        return None
    (ex, ey), (a, b), ang = cv2.fitEllipse(cnt)
    ww, hh = max(a, b), min(a, b)
    if a < b:
        ang += 90.0
    if not (0.08 * iod <= ww <= 0.6 * iod and hh >= 0.25 * ww):
        return None
    ang = (ang + 90.0) % 180.0 - 90.0  # the long axis, within +-90 degrees of horizontal
    if abs(ang) > 35:
        return None
    return np.array([ex + x0, ey + y0, ww / 2, hh / 2, ang])


def refine_eyes(image: np.ndarray, pts: np.ndarray) -> np.ndarray:
    """Fit the template's eye contours and irises to the eyes the picture really has.

    Hand-marked faces get a human template whose eyes rarely match an animal's or a drawing's;
    where a dark eye is found around a marked eye, its ellipse becomes the lid lines (so blinks
    cover the eye itself, not the fur above it) and the iris.
    """
    out = pts.copy()
    iod = float(face_frame(pts)[2])
    eyes = (
        (L.KEYPOINTS["left_eye"], L.EYE_L_UPPER, L.EYE_L_LOWER, L.IRIS_L),
        (L.KEYPOINTS["right_eye"], L.EYE_R_UPPER, L.EYE_R_LOWER, L.IRIS_R),
    )
    for kp, up, lo, iris in eyes:
        centre = pts[list(kp), :2].mean(axis=0)
        e = _eye_blob(image, centre, iod)
        if e is None:
            continue
        cx, cy, a, b, ang = e
        t = np.radians(ang)
        ca, sa = np.cos(t), np.sin(t)
        a, b = a * 1.12, b * 1.22  # the lids sit just outside the dark of the eye
        s = np.linspace(np.pi, 0.0, len(up))  # outer (image-left) corner to the other

        xe = a * np.cos(s)
        lines = []
        for sign in (-1.0, 1.0):  # upper lid, lower lid
            ye = sign * b * np.sin(s)
            lines.append(np.column_stack([cx + xe * ca - ye * sa, cy + xe * sa + ye * ca]))
        upper, lower = lines
        # the index sets run corner to corner in image order already (left to right)
        out[list(up), :2] = upper
        out[list(lo), :2] = lower
        out[iris[0], :2] = (cx, cy)
        rr = 0.8 * b
        for j, k in enumerate(iris[1:]):
            th = j * np.pi / 2
            out[k, :2] = (cx + rr * np.cos(th), cy + rr * np.sin(th))
    return out


def check_points(points: ManualPoints, shape: tuple[int, ...]) -> np.ndarray:
    """Validate hand-marked points against the image and a face's layout; the (8, 2) array.

    Each problem names the point to move and where it should go. The layout is checked in the
    face's own frame (the eye line as horizontal), so a tilted head is fine.
    """
    h, w = shape[:2]
    arr = points.array()
    kp = dict(zip(L.KEYPOINTS, arr, strict=True))

    def at(name: str) -> str:
        return f"{name} ({kp[name][0]:.0f}, {kp[name][1]:.0f})"

    def bad(msg: str) -> InvalidInput:
        return InvalidInput(f"points: {msg}", field="points")

    for name in L.KEYPOINTS:
        x, y = kp[name]
        if not (0 <= x < w and 0 <= y < h):
            raise bad(f"{at(name)} lies outside the {w}x{h} image.")
    d = kp["right_eye"] - kp["left_eye"]
    iod = float(np.hypot(*d))
    if iod < 4:
        raise bad("the two eyes are at the same place.")
    if d[0] <= 0:
        raise bad(
            f"{at('left_eye')} is right of {at('right_eye')}: left_eye is the eye on the "
            "image's left (the subject's right eye)."
        )
    ux = d / iod
    uy = np.array([-ux[1], ux[0]])
    mid = (kp["left_eye"] + kp["right_eye"]) / 2

    def across(name: str) -> float:
        return float((kp[name] - mid) @ ux) / iod

    def down(name: str) -> float:
        return float((kp[name] - mid) @ uy) / iod

    if abs(np.degrees(np.arctan2(d[1], d[0]))) > 45:
        raise bad(
            f"the eyes are tilted by more than 45°: check {at('left_eye')} and {at('right_eye')}."
        )
    rules = [
        ("nose_tip", down("nose_tip") > 0.05, "below the eyes"),
        ("mouth_left", down("mouth_left") > down("nose_tip"), "below the nose tip"),
        ("mouth_right", down("mouth_right") > down("nose_tip"), "below the nose tip"),
        ("mouth_right", across("mouth_right") > across("mouth_left"), "right of mouth_left"),
        ("upper_lip", down("upper_lip") >= down("nose_tip"), "below the nose tip"),
        ("lower_lip", down("lower_lip") > down("upper_lip"), "below upper_lip"),
        ("chin", down("chin") > down("lower_lip"), "below the mouth (lower_lip)"),
        (
            "upper_lip",
            across("mouth_left") - 0.1 <= across("upper_lip") <= across("mouth_right") + 0.1,
            "between the mouth corners",
        ),
        (
            "lower_lip",
            across("mouth_left") - 0.1 <= across("lower_lip") <= across("mouth_right") + 0.1,
            "between the mouth corners",
        ),
        ("nose_tip", -0.8 <= across("nose_tip") <= 0.8, "between the eyes, seen from the front"),
        ("chin", down("chin") < 3.5, "within three and a half eye distances below the eyes"),
        (
            "mouth_right",
            0.15 <= across("mouth_right") - across("mouth_left") <= 2.5,
            "so the mouth is 0.15 to 2.5 eye distances wide",
        ),
    ]
    for name, ok, where in rules:
        if not ok:
            raise bad(f"{at(name)} should be {where}; move it (or check the other points).")
    return arr


_check_points = check_points  # the name older callers use


def analyze(image: np.ndarray, points: ManualPoints | None = None) -> Analysis:
    """Find the face, crop around it, segment the person and judge the picture."""
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise InvalidInput("image: expected an RGB uint8 array.", field="image")
    if min(image.shape[:2]) < 16:
        raise InvalidInput(
            f"image: {image.shape[1]}x{image.shape[0]} is too small for a face.", field="image"
        )
    report = QualityReport()
    faces = 0
    if points is not None:
        kps = _check_points(points, image.shape)
        pts = fit_template(kps)
        pts = refine_eyes(image, pts)
        source = "manual"
    else:
        dets = detect_faces(image)
        faces = len(dets)
        if not dets:
            pts0 = mesh_points(image)
            why = implausible(pts0) if pts0 is not None else None
            msg = "no face found" + (f" (a face-like shape was rejected: {why})" if why else "")
            raise NoFace(f"image: {msg}. {NO_FACE_TIP}", field="image")
        measured = mesh_points(image, dets[0][1])
        if measured is None:
            raise NoFace(f"image: the face could not be measured. {NO_FACE_TIP}", field="image")
        pts = measured
        why = implausible(pts)
        if why:
            raise NoFace(f"image: no plausible human face ({why}). {NO_FACE_TIP}", field="image")
        if faces > 1:
            b = dets[0][1]
            report.warnings.append(
                Issue(
                    "several_faces",
                    f"{faces} faces found; using the largest, at x={b[0]:.0f}..{b[2]:.0f}, "
                    f"y={b[1]:.0f}..{b[3]:.0f}.",
                    "Crop the picture to the one person who should speak.",
                )
            )
        source = "mesh"

    box = _square_crop(image.shape, pts[list(L.FACE_OVAL), :2])
    crop = image[box[1] : box[3], box[0] : box[2]]
    scale = min(1.0, MAX_WORK_SIDE / crop.shape[0])
    if scale < 1.0:
        side = round(crop.shape[0] * scale)
        crop = cv2.resize(crop, (side, side), interpolation=cv2.INTER_AREA)
    crop = np.ascontiguousarray(crop)
    pts = pts.copy()
    pts[:, 0] -= box[0]
    pts[:, 1] -= box[1]
    pts *= scale
    mask = person_mask(crop)
    _judge(report, image, crop, pts, scale, source)
    kind = points.kind if points is not None else "human"
    return Analysis(crop, pts, mask, report, source, box, scale, faces, kind)


def _judge(
    report: QualityReport,
    original: np.ndarray,
    crop: np.ndarray,
    pts: np.ndarray,
    scale: float,
    source: str,
) -> None:
    m = report.metrics
    face_h = float(np.hypot(*(pts[L.CHIN, :2] - pts[L.FOREHEAD, :2]))) / scale
    m["face_px"] = face_h
    if face_h < TINY_FACE_PX:
        report.errors.append(
            Issue(
                "face_too_small",
                f"The face is {face_h:.0f} px tall; at least {TINY_FACE_PX} px are needed.",
                "Use a larger or closer picture of the face.",
            )
        )
    elif face_h < MIN_FACE_PX:
        report.warnings.append(
            Issue(
                "face_small",
                f"The face is only {face_h:.0f} px tall (< {MIN_FACE_PX}).",
                "A closer or higher-resolution picture gives sharper lips.",
            )
        )
    side = min(original.shape[:2])
    m["image_px"] = side
    if side < MIN_IMAGE_SIDE:
        report.warnings.append(
            Issue(
                "low_resolution",
                f"The picture is {original.shape[1]}x{original.shape[0]} "
                f"(< {MIN_IMAGE_SIDE} px a side).",
                "Upload a picture of at least 512x512 for a crisp video.",
            )
        )
    if source == "mesh":
        # yaw: the cheek-to-cheek line in the mesh's 3-D (z is in the same units as x)
        d = pts[L.CHEEK_R] - pts[L.CHEEK_L]
        yaw = float(np.degrees(np.arctan2(d[2], d[0])))
        m["yaw_deg"] = yaw
        if abs(yaw) > 25:
            report.warnings.append(
                Issue(
                    "side_profile",
                    f"The head is turned about {abs(yaw):.0f}° to the side.",
                    "A frontal picture (looking at the camera) animates best.",
                )
            )
        ears = []
        for up, lo, a, b in ((159, 145, 33, 133), (386, 374, 362, 263)):
            ears.append(
                np.hypot(*(pts[up, :2] - pts[lo, :2]))
                / max(np.hypot(*(pts[a, :2] - pts[b, :2])), 1e-6)
            )
        m["eye_open"] = float(min(ears))
        if max(ears) < 0.12:
            report.warnings.append(
                Issue(
                    "eyes_closed",
                    "The eyes look closed.",
                    "Use a picture with open eyes so blinks look natural.",
                )
            )
    # blur and light are judged on the face region at a fixed scale
    x0, y0 = np.maximum(pts[list(L.FACE_OVAL), :2].min(axis=0), 0).astype(int)
    x1, y1 = pts[list(L.FACE_OVAL), :2].max(axis=0).astype(int)
    face = crop[y0 : max(y1, y0 + 2), x0 : max(x1, x0 + 2)]
    gray = cv2.cvtColor(face, cv2.COLOR_RGB2GRAY)
    g256 = cv2.resize(gray, (256, 256), interpolation=cv2.INTER_AREA)
    blur = float(cv2.Laplacian(g256, cv2.CV_64F).var())
    m["sharpness"] = blur
    if blur < 20:
        report.warnings.append(
            Issue(
                "blurry",
                f"The face looks blurred (sharpness {blur:.0f}).",
                "Use a sharper picture (in focus, not upscaled).",
            )
        )
    lum = float(gray.mean())
    m["brightness"] = lum
    if lum < 50:
        report.warnings.append(
            Issue(
                "too_dark",
                f"The face is dark (mean {lum:.0f}/255).",
                "Use a brighter picture or raise the exposure.",
            )
        )
    elif lum > 215:
        report.warnings.append(
            Issue(
                "too_bright",
                f"The face is overexposed (mean {lum:.0f}/255).",
                "Use a picture with less light on the face.",
            )
        )
