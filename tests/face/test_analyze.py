"""Analysis: landmarks, crops, quality report, manual points, bad input."""

from __future__ import annotations

import io
import json
import struct
import zlib

import cv2
import numpy as np
import pytest
from PIL import Image

from kinema.errors import InvalidInput, InvalidMedia, NoFace
from kinema.face import landmarks as L
from kinema.face.analyze import ManualPoints, analyze, implausible
from kinema.media.image import encode_image, load_image

from .conftest import DATA, NAMES, dog_points, portrait


@pytest.mark.parametrize("name", NAMES)
def test_report_fields_on_every_portrait(analyses, name):
    a = analyses[name]
    d = a.to_dict()
    assert d["source"] == ("manual" if name == "dog" else "mesh")
    assert a.report.ok and d["report"]["ok"] is True
    for item in d["report"]["warnings"]:
        assert set(item) == {"code", "message", "tip"} and item["tip"]
    assert {"face_px", "sharpness", "brightness", "image_px"} <= set(d["report"]["metrics"])
    assert a.points.shape == (478, 3)
    h, w = a.image.shape[:2]
    assert h == w and a.mask.shape == (h, w)
    # the keypoints sit where a face is: eyes above nose above mouth above chin
    kp = a.keypoints()
    eye_y = (kp["left_eye"][1] + kp["right_eye"][1]) / 2
    assert eye_y < kp["nose_tip"][1] < kp["upper_lip"][1] < kp["lower_lip"][1] < kp["chin"][1]
    assert kp["left_eye"][0] < kp["right_eye"][0]
    # the person mask covers the face centre
    cx, cy = np.round(kp["nose_tip"]).astype(int)
    if name != "dog":
        assert a.mask[cy, cx] > 0.5


def test_small_face_in_large_painting_is_cropped(analyses):
    a = analyses["mona_lisa"]
    x0, y0, x1, y1 = a.crop_box
    assert (x1 - x0) < 720 and (y1 - y0) < 1280  # cropped, not the whole canvas
    face_h = np.ptp(a.points[list(L.FACE_OVAL), 1])
    assert 0.25 < face_h / a.image.shape[0] < 0.6  # head room around the face


def test_low_resolution_warning(analyses):
    codes = {w.code for w in analyses["einstein"].report.warnings}
    assert "low_resolution" in codes  # 375x500
    assert "low_resolution" not in {w.code for w in analyses["cartoon"].report.warnings}


def test_dog_mesh_is_rejected_with_a_tip():
    with pytest.raises(NoFace) as exc:
        analyze(portrait("dog"))
    assert "by hand" in str(exc.value)


def test_implausible_geometry_is_named():
    pts = np.zeros((478, 3), np.float32)
    for name, idx in L.KEYPOINTS.items():
        xy = {
            "left_eye": (100, 100),
            "right_eye": (200, 100),
            "nose_tip": (150, 105),
            "mouth_left": (120, 200),
            "mouth_right": (180, 200),
            "upper_lip": (150, 190),
            "lower_lip": (150, 210),
            "chin": (150, 280),
        }[name]
        pts[list(idx), :2] = xy
    assert "nose" in implausible(pts)


def test_several_faces_warn_and_use_the_largest():
    big = portrait("cartoon")
    small = cv2.resize(portrait("einstein"), (300, 400))
    canvas = np.full((900, 1300, 3), 200, np.uint8)
    canvas[:852, :852] = big
    canvas[250:650, 900:1200] = small
    a = analyze(canvas)
    warn = {w.code: w for w in a.report.warnings}
    assert a.faces >= 2 and "several_faces" in warn
    assert a.crop_box[0] < 852 / 2  # the cartoon (largest) face was used


def test_blur_and_darkness_warnings():
    img = portrait("cartoon")
    blurred = cv2.GaussianBlur(img, (0, 0), 6)
    assert "blurry" in {w.code for w in analyze(blurred).report.warnings}
    dark = (img.astype(np.float32) * 0.22).astype(np.uint8)
    assert "too_dark" in {w.code for w in analyze(dark).report.warnings}


def test_closed_eyes_rule_and_rendered_blink_is_measured(analyses, rigs):
    from kinema.face.analyze import QualityReport, _judge
    from kinema.face.controls import FaceControls
    from kinema.face.render import Renderer

    a = analyses["cartoon"]
    pts = a.points.copy()
    for up, lo in zip(L.EYE_L_UPPER + L.EYE_R_UPPER, L.EYE_L_LOWER + L.EYE_R_LOWER, strict=True):
        pts[up] = pts[lo]
    rep = QualityReport()
    _judge(rep, a.image, a.image, pts, 1.0, "mesh")
    assert "eyes_closed" in {w.code for w in rep.warnings}
    # the landmark model, re-run on a rendered blink, sees the eyes far less open
    r = Renderer(rigs["cartoon"], 512)
    shut = analyze(r.render(FaceControls(blink_left=1, blink_right=1)).copy())
    assert shut.report.metrics["eye_open"] < 0.75 * a.report.metrics["eye_open"]


def test_manual_points_json_round_trip(tmp_path):
    p = dog_points()
    path = tmp_path / "p.json"
    path.write_text(p.model_dump_json())
    assert ManualPoints.from_json(path) == p
    with pytest.raises(InvalidInput):
        ManualPoints.from_json('{"left_eye": [1, 2]}')


def test_manual_points_fit_lands_on_the_points(analyses):
    a = analyses["dog"]
    kp = a.keypoints()
    raw = json.loads((DATA / "shiba_dog.points.json").read_text())
    for name, (x, y) in raw.items():
        got = kp[name] / a.scale + np.array(a.crop_box[:2])
        assert np.hypot(got[0] - x, got[1] - y) < 3.0, name


def test_manual_points_outside_the_image():
    p = dog_points().model_copy(update={"chin": (240, 900)})
    with pytest.raises(InvalidInput, match="outside"):
        analyze(portrait("dog"), p)


def test_bad_image_inputs():
    with pytest.raises(InvalidMedia, match="not an image"):
        load_image(b"hello, I am text")
    jpg = encode_image(portrait("cartoon"), "JPEG")
    with pytest.raises(InvalidMedia, match="corrupt|truncated"):
        load_image(jpg[: len(jpg) // 2])
    buf = io.BytesIO()
    Image.new("RGB", (1, 1)).save(buf, "PNG")
    with pytest.raises(InvalidMedia, match="too small"):
        load_image(buf.getvalue())

    # a 20000x20000 PNG header with a few bytes of data: refused before decoding
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    bomb = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 20000, 20000, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(b"\x00" * 100))
        + chunk(b"IEND", b"")
    )
    with pytest.raises(InvalidMedia, match="too large"):
        load_image(bomb)
    with pytest.raises(InvalidInput):
        analyze(np.zeros((8, 8, 3), np.uint8))
    with pytest.raises(NoFace):
        analyze(np.full((256, 256, 3), 128, np.uint8))


def test_side_profile_rule(analyses):
    from kinema.face.analyze import QualityReport, _judge

    a = analyses["cartoon"]
    assert "side_profile" not in {w.code for w in a.report.warnings}
    pts = a.points.astype(np.float64).copy()
    c = pts.mean(axis=0)
    ang = np.radians(40)
    x, z = pts[:, 0] - c[0], pts[:, 2] - c[2]
    pts[:, 0] = c[0] + x * np.cos(ang) + z * np.sin(ang)
    pts[:, 2] = c[2] - x * np.sin(ang) + z * np.cos(ang)
    rep = QualityReport()
    _judge(rep, a.image, a.image, pts.astype(np.float32), 1.0, "mesh")
    assert "side_profile" in {w.code for w in rep.warnings}
    assert abs(rep.metrics["yaw_deg"]) > 30
