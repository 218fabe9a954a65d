"""Contact sheets of the face engine, one per test portrait -> artifacts/face_sheets/<name>.png.

Run: python bench/face_contact_sheet.py [--size 512] [--out artifacts/face_sheets] [--only dog]

Each sheet has two rows for the same columns (rest, wide vowel, bilabial, f/v, rounded vowel,
blink, half blink, smile, surprised, sad, angry, head extremes): the whole frame at ``--size`` / 2
and a 2x crop of the mouth (a 2x crop of the eyes for the blink columns). ``overview.png`` stacks
the first rows of every portrait. Look at them: they are what a viewer sees.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np
import skimage.data

from kinema.face import landmarks as L
from kinema.face.analyze import ManualPoints, analyze
from kinema.face.controls import FaceControls, emotion_controls, viseme_controls
from kinema.face.render import Renderer
from kinema.face.rig import Rig
from kinema.media.image import load_image

DATA = Path(__file__).resolve().parents[1] / "tests" / "data"
PORTRAITS = {
    "einstein": "einstein_photo.jpg",
    "mona_lisa": "mona_lisa_painting.jpg",
    "cartoon": "cartoon_boy_3d.jpg",
    "dog": "shiba_dog.jpg",
    "astronaut": "astronaut",
}


def columns() -> list[tuple[str, FaceControls, str]]:
    """(label, controls, what the second row zooms on: mouth or eyes)."""
    c: list[tuple[str, FaceControls, str]] = [("rest", FaceControls(), "mouth")]
    c.append(("aa (wide)", viseme_controls("aa"), "mouth"))
    c.append(("E", viseme_controls("E"), "mouth"))
    c.append(("PP (bilabial)", viseme_controls("PP"), "mouth"))
    c.append(("FF", viseme_controls("FF"), "mouth"))
    c.append(("O", viseme_controls("O"), "mouth"))
    c.append(("blink", FaceControls(blink_left=1.0, blink_right=1.0), "eyes"))
    c.append(("half blink", FaceControls(blink_left=0.5, blink_right=0.5), "eyes"))
    c.append(("smile", emotion_controls("happy"), "eyes"))
    c.append(("happy + aa", emotion_controls("happy").add(viseme_controls("aa"), 0.7), "mouth"))
    c.append(("surprised", emotion_controls("surprised"), "eyes"))
    c.append(("sad", emotion_controls("sad"), "eyes"))
    c.append(("angry", emotion_controls("angry"), "eyes"))
    c.append(("yaw -6", FaceControls(head_yaw=-6.0), "mouth"))
    c.append(("yaw +6 aa", FaceControls(head_yaw=6.0).add(viseme_controls("aa"), 0.8), "mouth"))
    c.append(("pitch +5 roll 4", FaceControls(head_pitch=5.0, head_roll=4.0), "mouth"))
    c.append(("pitch -5 yaw 4", FaceControls(head_pitch=-5.0, head_yaw=4.0), "mouth"))
    return c


def load(name: str) -> tuple[np.ndarray, ManualPoints | None]:
    file = PORTRAITS[name]
    if file == "astronaut":
        return skimage.data.astronaut(), None
    pts = DATA / file.replace(".jpg", ".points.json")
    return load_image(DATA / file), (ManualPoints.from_json(pts) if pts.exists() else None)


def _label(img: np.ndarray, text: str) -> np.ndarray:
    cv2.putText(img, text, (4, 14), cv2.FONT_HERSHEY_SIMPLEX, 0.42, (0, 0, 0), 3, cv2.LINE_AA)
    cv2.putText(img, text, (4, 14), cv2.FONT_HERSHEY_SIMPLEX, 0.42, (255, 255, 0), 1, cv2.LINE_AA)
    return img


def _crop2x(frame: np.ndarray, centre: np.ndarray, half: int) -> np.ndarray:
    n = frame.shape[0]
    cx, cy = np.clip(np.round(centre).astype(int), half, n - half)
    roi = frame[cy - half : cy + half, cx - half : cx + half]
    return cv2.resize(roi, (4 * half, 4 * half), interpolation=cv2.INTER_NEAREST)


def sheet(name: str, size: int) -> np.ndarray:
    img, pts = load(name)
    rig = Rig.build(None, analyze(img, pts))
    r = Renderer(rig, size)
    k = size / rig.size
    p = rig.points[:, :2] * k
    mouth = (p[L.MOUTH_L] + p[L.MOUTH_R]) / 2 + [0, 0.1 * np.hypot(*(p[L.MOUTH_R] - p[L.MOUTH_L]))]
    eye_c = [p[list(L.KEYPOINTS[k])].mean(0) for k in ("left_eye", "right_eye")]
    eye_w = max(float(np.hypot(*(p[L.EYE_L_INNER] - p[L.EYE_L_OUTER]))), 8.0)
    half = size // 8  # the crop is a quarter of the frame, shown at 2x: half the tile
    top, bottom = [], []
    t = size // 2
    for label, c, zoom in columns():
        f = r.render(c).copy()
        top.append(_label(cv2.resize(f, (t, t), interpolation=cv2.INTER_AREA), label))
        if zoom == "mouth":
            z = cv2.resize(_crop2x(f, mouth, half), (t, t), interpolation=cv2.INTER_NEAREST)
            bottom.append(_label(z, "2x mouth"))
        else:  # each eye, zoomed to half the tile's width
            hw = max(8, round(0.8 * eye_w))
            pair = [
                cv2.resize(_crop2x(f, ce, hw), (t // 2, t // 2), interpolation=cv2.INTER_CUBIC)
                for ce in eye_c
            ]
            z = np.vstack([np.hstack(pair), np.hstack(pair) * 0])
            z[t // 2 :] = cv2.resize(f, (t, t), interpolation=cv2.INTER_AREA)[t // 4 : 3 * t // 4]
            bottom.append(_label(z, f"eyes {2 * t / (4 * hw):.1f}x"))
    return np.vstack([np.hstack(top), np.hstack(bottom)])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=512, help="render size (tiles are half)")
    ap.add_argument("--out", default="artifacts/face_sheets")
    ap.add_argument("--only", default=None, help="one portrait: " + ", ".join(PORTRAITS))
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    firsts = []
    for name in [args.only] if args.only else list(PORTRAITS):
        s = sheet(name, args.size)
        path = out / f"{name}.png"
        cv2.imwrite(str(path), cv2.cvtColor(s, cv2.COLOR_RGB2BGR))
        firsts.append(s[: s.shape[0] // 2])
        print(path, s.shape)
    if not args.only:
        cv2.imwrite(str(out / "overview.png"), cv2.cvtColor(np.vstack(firsts), cv2.COLOR_RGB2BGR))
        print(out / "overview.png")


if __name__ == "__main__":
    main()
