"""Fitting a keyframe of another aspect ratio into the output frame without cutting off a face.

``frame_image`` crops (cover) when the crop can hold every detected face with room for hair
and chin, placing the window so the faces sit where a camera operator would put them; when the
faces do not fit the crop (a head-and-shoulders portrait into 16:9), it extends the canvas
instead: the whole picture, fitted inside, over a blurred and darkened cover-scaled copy of
itself. Without a face it crops as before (centred sideways, upper part kept vertically).
Faces come from MediaPipe face detection (``kinema.face.analyze.detect_faces``) run once on a
downscaled copy.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

# the detector's box spans brows to chin: grow it for the forehead and hair, chin and ears
MARGIN_TOP, MARGIN_BOTTOM, MARGIN_SIDE = 0.7, 0.3, 0.35
DETECT_SIDE = 640


@dataclass(frozen=True)
class Framing:
    mode: str  # "same" | "crop" | "extend"
    window: tuple[float, float, float, float]  # source x, y, w, h shown (crop) or fitted (extend)
    faces: tuple[tuple[float, float, float, float], ...] = ()  # source x0, y0, x1, y1

    def to_dict(self) -> dict:
        return {
            "mode": self.mode,
            "window": [round(v, 1) for v in self.window],
            "faces": [[round(v, 1) for v in f] for f in self.faces],
        }


def find_faces(img: np.ndarray) -> list[tuple[float, float, float, float]]:
    """Face boxes (x0, y0, x1, y1) in ``img`` pixels, largest first; [] without faces."""
    from kinema.face.analyze import detect_faces

    h, w = img.shape[:2]
    k = min(1.0, DETECT_SIDE / max(h, w))
    small = (
        img
        if k >= 1
        else cv2.resize(img, (round(w * k), round(h * k)), interpolation=cv2.INTER_AREA)
    )
    out = []
    for score, box in detect_faces(np.ascontiguousarray(small[..., :3])):
        if score >= 0.5:
            x0, y0, x1, y1 = (float(v) / k for v in box)
            out.append((max(0.0, x0), max(0.0, y0), min(float(w), x1), min(float(h), y1)))
    return out


def _grown(face: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    x0, y0, x1, y1 = face
    fh = y1 - y0
    return (
        x0 - MARGIN_SIDE * fh,
        y0 - MARGIN_TOP * fh,
        x1 + MARGIN_SIDE * fh,
        y1 + MARGIN_BOTTOM * fh,
    )


def plan_framing(
    shape: tuple[int, ...], w: int, h: int, faces: list[tuple[float, float, float, float]]
) -> Framing:
    """Where the output window goes in a source of ``shape`` (pure geometry, no pixels)."""
    ih, iw = shape[:2]
    if abs(iw / ih - w / h) < 1e-3:
        return Framing("same", (0.0, 0.0, float(iw), float(ih)), tuple(faces))
    wide = iw / ih > w / h  # the source is wider than the frame: crop the sides
    cw, ch = (ih * w / h, float(ih)) if wide else (float(iw), iw * h / w)
    if not faces:
        x = (iw - cw) / 2
        y = (ih - ch) * 0.3 if not wide else 0.0
        return Framing("crop", (x, y, cw, ch), ())
    boxes = [_grown(f) for f in faces]
    bx0, by0 = min(b[0] for b in boxes), min(b[1] for b in boxes)
    bx1, by1 = max(b[2] for b in boxes), max(b[3] for b in boxes)
    # the grown box may leave the picture (hair at the top edge): only the picture must fit
    bx0, by0, bx1, by1 = max(0.0, bx0), max(0.0, by0), min(float(iw), bx1), min(float(ih), by1)
    if bx1 - bx0 <= cw + 0.5 and by1 - by0 <= ch + 0.5:
        fx = (faces[0][0] + faces[0][2]) / 2
        fy = (faces[0][1] + faces[0][3]) / 2
        # the main face centred sideways, its eyes about a third down the frame
        x = fx - cw / 2
        y = fy - ch * 0.38
        x = min(max(x, bx1 - cw), bx0)  # keep every grown face box inside the window
        y = min(max(y, by1 - ch), by0)
        x = min(max(0.0, x), iw - cw)  # and the window inside the picture
        y = min(max(0.0, y), ih - ch)
        return Framing("crop", (x, y, cw, ch), tuple(faces))
    return Framing("extend", (0.0, 0.0, float(iw), float(ih)), tuple(faces))


def render_framing(img: np.ndarray, w: int, h: int, fr: Framing) -> np.ndarray:
    """The ``w x h`` picture for a framing of ``img``."""
    img = np.ascontiguousarray(img[..., :3])
    ih, iw = img.shape[:2]
    if fr.mode in ("same", "crop"):
        x, y, cw, ch = fr.window
        x0, y0 = int(round(x)), int(round(y))
        x1, y1 = min(iw, x0 + max(1, int(round(cw)))), min(ih, y0 + max(1, int(round(ch))))
        crop = img[y0:y1, x0:x1]
        interp = cv2.INTER_AREA if w < crop.shape[1] else cv2.INTER_CUBIC
        if crop.shape[:2] == (h, w):
            return np.ascontiguousarray(crop)
        return cv2.resize(crop, (w, h), interpolation=interp)
    # extend: the whole picture fitted inside, over a blurred cover-scaled copy of itself
    s = min(w / iw, h / ih)
    nw, nh = max(2, round(iw * s)), max(2, round(ih * s))
    fitted = cv2.resize(img, (nw, nh), interpolation=cv2.INTER_AREA if s < 1 else cv2.INTER_CUBIC)
    cover = max(w / iw, h / ih)
    small = cv2.resize(
        img,
        (max(2, round(iw * cover / 8)), max(2, round(ih * cover / 8))),
        interpolation=cv2.INTER_AREA,
    )
    small = cv2.GaussianBlur(small, (0, 0), 3.0)
    bg = cv2.resize(small, (round(iw * cover), round(ih * cover)), interpolation=cv2.INTER_LINEAR)
    by0, bx0 = (bg.shape[0] - h) // 2, (bg.shape[1] - w) // 2
    out = (bg[by0 : by0 + h, bx0 : bx0 + w].astype(np.float32) * 0.72).astype(np.uint8)
    x0, y0 = (w - nw) // 2, (h - nh) // 2
    # a short feather so the seam between the picture and its extension does not show as a line
    alpha = np.ones((nh, nw), np.float32)
    f = max(1, round(0.02 * max(nw, nh)))
    ramp = np.minimum(1.0, (np.arange(max(nw, nh), dtype=np.float32) + 1) / f)
    if nw < w:
        alpha *= np.minimum(ramp[:nw], ramp[:nw][::-1])[None, :]
    if nh < h:
        alpha *= np.minimum(ramp[:nh], ramp[:nh][::-1])[:, None]
    roi = out[y0 : y0 + nh, x0 : x0 + nw].astype(np.float32)
    a = alpha[..., None]
    out[y0 : y0 + nh, x0 : x0 + nw] = np.clip(fitted * a + roi * (1 - a) + 0.5, 0, 255).astype(
        np.uint8
    )
    return out


def frame_image(img: np.ndarray, w: int, h: int) -> tuple[np.ndarray, Framing]:
    """``img`` fitted to ``w x h`` without cutting off a face; and how it was done."""
    ih, iw = img.shape[:2]
    faces = find_faces(img) if abs(iw / ih - w / h) >= 1e-3 else []
    fr = plan_framing(img.shape, w, h, faces)
    return render_framing(img, w, h, fr), fr


def map_box(
    box: tuple[float, float, float, float], fr: Framing, w: int, h: int
) -> tuple[float, float, float, float]:
    """A source box (x0, y0, x1, y1) in output pixels under framing ``fr``."""
    x, y, cw, ch = fr.window
    if fr.mode == "extend":
        s = min(w / cw, h / ch)
        ox, oy = (w - round(cw * s)) // 2, (h - round(ch * s)) // 2
        return (box[0] * s + ox, box[1] * s + oy, box[2] * s + ox, box[3] * s + oy)
    s = w / cw
    return ((box[0] - x) * s, (box[1] - y) * s, (box[2] - x) * s, (box[3] - y) * s)
