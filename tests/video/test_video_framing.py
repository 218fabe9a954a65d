"""Image-to-video never cuts off a face: subject-aware crops, or a blurred canvas extension."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from kinema.media.video import read_frames
from kinema.video import GenerationRequest, generate
from kinema.video.framing import find_faces, map_box, plan_framing
from kinema.video.scene import fit_cover


def _inside(box, w: int, h: int) -> bool:  # noqa: ANN001
    return box[0] >= 0 and box[1] >= 0 and box[2] <= w and box[3] <= h


def _iou(a, b) -> float:  # noqa: ANN001
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def _first_frame(tmp_path: Path, img: np.ndarray, w: int = 320, h: int = 180):  # noqa: ANN202
    res = generate(
        GenerationRequest(
            kind="video", prompt="static", width=w, height=h, duration=0.25, first_frame=img
        ),
        tmp_path,
    )
    frames, _ = read_frames(res.files[0], max_frames=1)
    return frames[0], res.plan["framing"]


def test_a_tall_portrait_into_16_9_keeps_the_whole_face(
    tmp_path: Path, astronaut: np.ndarray
) -> None:
    # a full-length portrait: the face near the top of a 512x1400 picture
    tall = cv2.copyMakeBorder(astronaut, 0, 888, 0, 0, cv2.BORDER_REPLICATE)
    (src_face,) = find_faces(tall)
    assert find_faces(fit_cover(tall, 320, 180)) == []  # the old centred crop lost the face
    frame, framing = _first_frame(tmp_path, tall)
    assert framing["mode"] == "crop"
    faces = find_faces(frame)
    assert faces, "no face in the first frame"
    assert _inside(faces[0], 320, 180)
    fr = plan_framing(tall.shape, 320, 180, [src_face])
    expected = map_box(src_face, fr, 320, 180)
    assert _iou(faces[0], expected) > 0.5  # the same face, where the framing put it
    # with room above for the hair: the top of the face box is not at the frame edge
    assert faces[0][1] > 0.12 * (faces[0][3] - faces[0][1])


def test_a_head_and_shoulders_portrait_extends_the_canvas(
    tmp_path: Path, astronaut: np.ndarray
) -> None:
    head = np.ascontiguousarray(astronaut[:, 110:400])  # 290x512: the face fills the width
    frame, framing = _first_frame(tmp_path, head)
    assert framing["mode"] == "extend"
    faces = find_faces(frame)
    assert faces and _inside(faces[0], 320, 180)
    # the whole picture is inside, full height; the sides are its blurred extension
    side = frame[:, :40].astype(np.float32)
    centre = frame[:, 140:180].astype(np.float32)
    detail = lambda x: float(np.abs(cv2.Laplacian(x, cv2.CV_32F)).mean())  # noqa: E731
    assert detail(side) < 0.35 * detail(centre)
