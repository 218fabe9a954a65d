"""Contact sheet of visemes and emotions per test portrait -> artifacts/face_contact_sheet.png.

Run: python bench/face_contact_sheet.py [--size 256] [--out artifacts/face_contact_sheet.png]
Rows are portraits; columns are rest, visemes, emotions, blink, gaze and head pose.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np
import skimage.data

from kinema.face.analyze import ManualPoints, analyze
from kinema.face.controls import FaceControls, emotion_controls, viseme_controls
from kinema.face.render import Renderer
from kinema.face.rig import Rig
from kinema.media.image import load_image

DATA = Path(__file__).resolve().parents[1] / "tests" / "data"
PORTRAITS = [
    "einstein_photo.jpg",
    "mona_lisa_painting.jpg",
    "cartoon_boy_3d.jpg",
    "shiba_dog.jpg",
    "astronaut",
]


def columns() -> list[tuple[str, FaceControls]]:
    cols = [("rest", FaceControls())]
    cols += [(v, viseme_controls(v)) for v in ("PP", "FF", "aa", "E", "I", "O", "U", "SS")]
    cols += [(e, emotion_controls(e)) for e in ("happy", "sad", "surprised", "angry", "thinking")]
    cols.append(("blink", FaceControls(blink_left=1.0, blink_right=1.0)))
    cols.append(("half blink", FaceControls(blink_left=0.5, blink_right=0.5)))
    cols.append(("gaze", FaceControls(gaze_x=1.0, gaze_y=-0.3)))
    cols.append(("head", FaceControls(head_yaw=10, head_pitch=6, head_roll=6, jaw_open=0.5)))
    return cols


def load(name: str):
    if name == "astronaut":
        return skimage.data.astronaut(), None
    pts = DATA / name.replace(".jpg", ".points.json")
    return load_image(DATA / name), (ManualPoints.from_json(pts) if pts.exists() else None)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--out", default="artifacts/face_contact_sheet.png")
    ap.add_argument("--zoom", action="store_true", help="crop to the lower face")
    args = ap.parse_args()
    rows = []
    cols = columns()
    for name in PORTRAITS:
        img, pts = load(name)
        rig = Rig.build(None, analyze(img, pts))
        r = Renderer(rig, args.size)
        tiles = []
        for label, c in cols:
            f = r.render(c).copy()
            if args.zoom:
                s = args.size
                f = cv2.resize(f[s // 4 : 3 * s // 4, s // 4 : 3 * s // 4], (s, s))
            cv2.putText(f, label, (4, 14), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (255, 255, 0), 1)
            tiles.append(f)
        rows.append(np.hstack(tiles))
    sheet = np.vstack(rows)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(args.out, cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR))
    print(args.out, sheet.shape)


if __name__ == "__main__":
    main()
