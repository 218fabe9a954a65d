"""From a first keyframe towards a last one by moving, not by cross-dissolving.

``match`` finds how the last frame's composition relates to the first's: a similarity
(scale, rotation, shift) from ORB features matched with RANSAC when the two frames show the same
place, else from the subject boxes of the two frames (segmentation), else nothing. The shot then
moves the camera (and the subject layer by its own box move) along that similarity, eased, and
only the last fraction of a second blends into the exact last frame.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

MIN_INLIERS = 18
MAX_SCALE = 2.5  # beyond this the frames are not one place seen by one camera


@dataclass(frozen=True)
class KeyMove:
    """A similarity in output pixels: last-frame point = ``s R p + t`` for a first-frame ``p``."""

    scale: float
    angle: float  # degrees
    tx: float
    ty: float
    method: str  # "features" | "subject"
    inliers: int = 0

    def matrix(self) -> np.ndarray:
        a = math.radians(self.angle)
        c, s = self.scale * math.cos(a), self.scale * math.sin(a)
        return np.array([[c, -s, self.tx], [s, c, self.ty], [0.0, 0.0, 1.0]])

    def at(self, e: float, centre: tuple[float, float], k: float = 1.0) -> np.ndarray:
        """The move ``e`` (0..1) of the way, as a 3x3 matrix in pixels scaled by ``k`` (render
        size / output size). The frame centre travels in a straight line."""
        m = self.matrix()
        cx, cy = centre[0] / k, centre[1] / k
        end = m @ np.array([cx, cy, 1.0])
        sc = self.scale**e
        a = math.radians(self.angle * e)
        rot = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]]) * sc
        mid = np.array([cx + e * (end[0] - cx), cy + e * (end[1] - cy)])
        t = mid - rot @ np.array([cx, cy])
        out = np.eye(3)
        out[:2, :2] = rot
        out[:2, 2] = t * k
        return out

    def to_dict(self) -> dict:
        return {
            "method": self.method,
            "scale": round(self.scale, 4),
            "angle": round(self.angle, 3),
            "shift": [round(self.tx, 1), round(self.ty, 1)],
            "inliers": self.inliers,
        }


def _from_matrix(m: np.ndarray, method: str, inliers: int = 0) -> KeyMove | None:
    scale = float(math.hypot(m[0, 0], m[1, 0]))
    if not (1 / MAX_SCALE <= scale <= MAX_SCALE):
        return None
    angle = math.degrees(math.atan2(m[1, 0], m[0, 0]))
    if abs(angle) > 30:
        return None
    return KeyMove(scale, angle, float(m[0, 2]), float(m[1, 2]), method, inliers)


def feature_move(
    first: np.ndarray, last: np.ndarray, mask: np.ndarray | None = None
) -> KeyMove | None:
    """The similarity taking ``first`` onto ``last`` from matched ORB features (only those on
    ``mask`` of the first frame, when given), or None."""
    g1 = cv2.cvtColor(first, cv2.COLOR_RGB2GRAY)
    g2 = cv2.cvtColor(last, cv2.COLOR_RGB2GRAY)
    orb = cv2.ORB_create(nfeatures=1500, fastThreshold=12)
    m1 = None if mask is None else (mask > 0).astype(np.uint8) * 255
    k1, d1 = orb.detectAndCompute(g1, m1)
    k2, d2 = orb.detectAndCompute(g2, None)
    if d1 is None or d2 is None or len(k1) < MIN_INLIERS or len(k2) < MIN_INLIERS:
        return None
    matches = cv2.BFMatcher(cv2.NORM_HAMMING, crossCheck=True).match(d1, d2)
    if len(matches) < MIN_INLIERS:
        return None
    p1 = np.array([k1[m.queryIdx].pt for m in matches], np.float32)
    p2 = np.array([k2[m.trainIdx].pt for m in matches], np.float32)
    cv2.setRNGSeed(7)  # RANSAC: deterministic renders
    m, inl = cv2.estimateAffinePartial2D(
        p1, p2, method=cv2.RANSAC, ransacReprojThreshold=3.0, maxIters=4000, confidence=0.995
    )
    if m is None or inl is None or int(inl.sum()) < MIN_INLIERS:
        return None
    if int(inl.sum()) < 0.25 * len(matches):
        return None  # most matches disagree: not the same place
    return _from_matrix(np.vstack([m, [0, 0, 1]]), "features", int(inl.sum()))


def box_move(b1: tuple[int, int, int, int], b2: tuple[int, int, int, int]) -> KeyMove | None:
    """The similarity taking subject box ``b1`` (x, y, w, h) onto ``b2`` (by height)."""
    s = b2[3] / max(1, b1[3])
    c1 = (b1[0] + b1[2] / 2, b1[1] + b1[3] / 2)
    c2 = (b2[0] + b2[2] / 2, b2[1] + b2[3] / 2)
    m = np.array([[s, 0.0, c2[0] - s * c1[0]], [0.0, s, c2[1] - s * c1[1]], [0.0, 0.0, 1.0]])
    return _from_matrix(m, "subject")
