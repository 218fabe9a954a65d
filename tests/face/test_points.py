"""Manual points people can use: validation naming the point, suggestions, `kinema points`,
the no-face error's instructions, and `kinema speak` showing the whole picture."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from kinema.errors import InvalidInput
from kinema.face.analyze import ManualPoints, analyze, check_points
from kinema.face.points import diagram, preview, suggest_points
from kinema.media.video import probe, read_frames

from .conftest import DATA, dog_points, portrait


def _app() -> typer.Typer:
    from kinema.cli import face

    app = typer.Typer()
    face.register(app)
    return app


@pytest.mark.parametrize(
    ("update", "named"),
    [
        ({"chin": (240, 300)}, "chin"),  # the chin above the mouth
        ({"left_eye": (304, 230), "right_eye": (172, 234)}, "left_eye"),  # eyes swapped
        ({"lower_lip": (238, 310)}, "lower_lip"),  # lower lip above the upper lip
        ({"mouth_left": (290, 330), "mouth_right": (186, 334)}, "mouth_right"),  # corners swapped
        ({"nose_tip": (222, 200)}, "nose_tip"),  # nose above the eyes
        ({"upper_lip": (400, 318)}, "upper_lip"),  # far outside the mouth corners
    ],
)
def test_validation_names_the_point_to_move(update, named):
    p = dog_points().model_copy(update=update)
    with pytest.raises(InvalidInput) as exc:
        check_points(p, (512, 512, 3))
    assert exc.value.field == "points"
    msg = str(exc.value)
    assert msg.split(":", 1)[1].strip().startswith(named), msg
    with pytest.raises(InvalidInput):
        analyze(portrait("dog"), p)


def test_suggestions_start_near_the_real_eyes():
    img = portrait("dog")
    sug, how = suggest_points(img)
    check_points(sug, img.shape)
    hand = dog_points()
    iod = float(np.hypot(*(np.subtract(hand.right_eye, hand.left_eye))))
    for name in ("left_eye", "right_eye"):
        assert np.hypot(*np.subtract(getattr(sug, name), getattr(hand, name))) < 0.15 * iod, name
    assert how and sug.kind == "animal"


def test_preview_and_diagram_are_labelled_pictures():
    img = portrait("dog")
    pic = preview(img, dog_points())
    assert pic.shape[0] == img.shape[0] and pic.shape[1] > img.shape[1]
    left = pic[:, : img.shape[1]]
    assert (np.abs(left.astype(int) - img).sum(axis=2) > 60).mean() > 0.01  # drawn over
    d = diagram(300)
    assert d.shape[0] == 300 and d.std() > 10


def test_cli_points_suggests_checks_and_previews(tmp_path):
    runner = CliRunner()
    img = tmp_path / "dog.jpg"
    img.write_bytes((DATA / "shiba_dog.jpg").read_bytes())
    res = runner.invoke(_app(), ["points", str(img)])
    assert res.exit_code == 0, res.output
    assert "left_eye" in res.output and "chin" in res.output  # the diagram
    sug = json.loads((tmp_path / "dog.points.json").read_text())
    ManualPoints.model_validate(sug)
    png = cv2.imread(str(tmp_path / "dog.points.png"))
    assert png is not None and png.shape[1] > 512
    bad = dict(sug, chin=[240, 300])
    (tmp_path / "bad.json").write_text(json.dumps(bad))
    res = runner.invoke(_app(), ["points", str(img), "--points", str(tmp_path / "bad.json")])
    assert res.exit_code == 2 and "chin" in res.output and "below" in res.output
    good = tmp_path / "good.json"
    good.write_text((DATA / "shiba_dog.points.json").read_text())
    res = runner.invoke(_app(), ["points", str(img), "--points", str(good)])
    assert res.exit_code == 0 and "ok" in res.output


def test_no_face_error_tells_how_to_give_points():
    runner = CliRunner()
    res = runner.invoke(_app(), ["analyze", str(DATA / "shiba_dog.jpg")])
    assert res.exit_code == 2
    out = " ".join(res.output.split())
    assert "--points" in out and "kinema points" in out
    for key in ("left_eye", "right_eye", "nose_tip", "mouth_left", "lower_lip", "chin"):
        assert key in out


@pytest.mark.slow
def test_speak_shows_the_whole_picture_by_default(tmp_path):
    runner = CliRunner()
    img = str(DATA / "einstein_photo.jpg")  # 375 x 500
    whole, crop = tmp_path / "whole.mp4", tmp_path / "crop.mp4"
    res = runner.invoke(
        _app(), ["speak", img, "Hello, my friend.", "--size", "256", "-o", str(whole)]
    )
    assert res.exit_code == 0, res.output
    res = runner.invoke(
        _app(), ["speak", img, "Hello, my friend.", "--size", "256", "--crop", "-o", str(crop)]
    )
    assert res.exit_code == 0, res.output
    frames, _ = read_frames(whole)
    assert frames[0].shape[:2] == (256, 192)  # the picture's own 3:4, long side 256
    assert probe(crop).duration > 0 and read_frames(crop)[0][0].shape[:2] == (256, 256)
    # the face talks, the rest of the picture (outside the face crop) stays still
    a = analyze(portrait("einstein"))
    k = 256 / 500
    x0, y0, x1, y1 = (round(v * k) for v in a.crop_box)
    stack = np.stack([f.astype(np.float32) for f in frames])
    still = np.ones(frames[0].shape[:2], bool)
    still[max(0, y0 - 2) : y1 + 2, max(0, x0 - 2) : x1 + 2] = False
    assert still.any()
    assert stack.std(axis=0).mean(axis=-1)[still].mean() < 1.5  # codec noise only
    inside = ~still
    assert stack.std(axis=0).mean(axis=-1)[inside].max() > 5  # the face moves
