"""Storyboards (several shots sharing references) and the ``kinema generate`` CLI."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from kinema.errors import InvalidInput
from kinema.media.video import probe, read_frames
from kinema.video.storyboard import load_storyboard, parse_ratio, render_storyboard


def _write_story(tmp: Path, astronaut: np.ndarray, location: np.ndarray, tr: str) -> Path:
    Image.fromarray(astronaut).save(tmp / "hero.png")
    Image.fromarray(location).save(tmp / "room.jpg")
    (tmp / "story.yaml").write_text(f"""
ratio: "320:180"
seed: 4
references:
  - {{tag: hero, image: hero.png, type: character}}
  - {{tag: room, image: room.jpg, type: location}}
shots:
  - prompt: "@hero in @room, push in"
    duration: 1.0
  - prompt: "close-up of @hero in @room at night, rain"
    duration: 1.0
    transition: {tr}
    transition_duration: 0.5
""")
    return tmp / "story.yaml"


def test_crossfade_storyboard_lasts_the_summed_duration(
    tmp_path: Path, astronaut: np.ndarray, location: np.ndarray
) -> None:
    sb = load_storyboard(_write_story(tmp_path, astronaut, location, "crossfade"))
    assert sb.duration == 2.0 and len(sb.references) == 2
    res = render_storyboard(sb, tmp_path / "out")
    info = probe(res.files[0])
    assert info.frames == 48 and (info.width, info.height) == (320, 180)
    assert [s["transition"] for s in res.plan["shots"]] == ["cut", "crossfade"]
    assert all(s["placed"][0]["tag"] == "hero" for s in res.plan["shots"])  # shared reference
    frames, _ = read_frames(res.files[0])
    # a crossfade changes gradually around the cut; a hard cut jumps in one frame
    steps = [np.abs(frames[i + 1].astype(int) - frames[i].astype(int)).mean() for i in range(47)]
    cut_sb = load_storyboard(_write_story(tmp_path, astronaut, location, "cut"))
    cut_frames, _ = read_frames(render_storyboard(cut_sb, tmp_path / "cut").files[0])
    cut_steps = [
        np.abs(cut_frames[i + 1].astype(int) - cut_frames[i].astype(int)).mean() for i in range(47)
    ]
    assert max(cut_steps) > 3 * max(steps)
    assert int(np.argmax(cut_steps)) == 23  # the cut falls between frame 23 and 24


def test_bad_storyboards_are_invalid_input(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("shots: []\n")
    with pytest.raises(InvalidInput, match="shots"):
        load_storyboard(tmp_path / "a.yaml")
    (tmp_path / "b.yaml").write_text("shots:\n  - {prompt: x, transition: wipe}\n")
    with pytest.raises(InvalidInput, match="wipe"):
        load_storyboard(tmp_path / "b.yaml")
    with pytest.raises(InvalidInput, match="ratio"):
        parse_ratio("1281:720")


def test_cli_generate_text_only_and_refs(tmp_path: Path, astronaut: np.ndarray) -> None:
    from kinema.cli import _register_all, app

    _register_all()
    runner = CliRunner()
    out = tmp_path / "car.mp4"
    r = runner.invoke(
        app,
        [
            "generate",
            "a red car on a road at night, zorbing",
            "--ratio",
            "320:180",
            "--duration",
            "0.5",
            "--model",
            "gen4_turbo",
            "-o",
            str(out),
        ],
    )
    assert r.exit_code == 0, r.output
    assert probe(out).frames == 12 and out.with_suffix(".poster.jpg").exists()
    assert "zorbing" in r.output  # reported as ignored
    Image.fromarray(astronaut).save(tmp_path / "hero.png")
    still = tmp_path / "still.png"
    r = runner.invoke(
        app,
        [
            "generate",
            "@hero at golden hour",
            "--ref",
            f"@hero={tmp_path / 'hero.png'}:character:0.9",
            "--ratio",
            "320:180",
            "-o",
            str(still),
        ],
    )
    assert r.exit_code == 0, r.output
    assert Image.open(still).size == (320, 180)
    relit = tmp_path / "relit.mp4"
    r = runner.invoke(
        app,
        ["generate", "--video", str(out), "night, snow", "--ratio", "320:180", "-o", str(relit)],
    )
    assert r.exit_code == 0, r.output
    assert probe(relit).frames == 12  # the input's length
    r = runner.invoke(app, ["generate", "x", "--model", "nope", "-o", str(out)])
    assert r.exit_code == 2 and "not served" in r.output


def test_storyboard_progress_and_cancel(
    tmp_path: Path, astronaut: np.ndarray, location: np.ndarray
) -> None:
    from kinema.errors import Cancelled

    sb = load_storyboard(_write_story(tmp_path, astronaut, location, "crossfade"))
    seen: list[float] = []
    render_storyboard(sb, tmp_path / "ok", progress=seen.append)
    assert len(seen) == 48 and seen == sorted(seen) and seen[-1] == 1.0
    calls = iter(range(1000))
    with pytest.raises(Cancelled):
        render_storyboard(sb, tmp_path / "stop", should_cancel=lambda: next(calls) > 30)
    assert not (tmp_path / "stop" / "video.mp4").exists()


def test_a_storyboard_line_lands_in_its_shot(tmp_path: Path, astronaut: np.ndarray) -> None:
    import av

    from kinema.video.request import Reference
    from kinema.video.storyboard import Shot, Storyboard

    hero = Reference(astronaut, "hero", "character")
    sb = Storyboard(
        [
            Shot("close-up of @hero in a city, static", 1.5),
            Shot('close-up of @hero, static. @hero says "Hello there."', 2.0, "crossfade", 0.5),
        ],
        [hero],
        320,
        320,
        24,
    )
    res = render_storyboard(sb, tmp_path)
    info = probe(res.files[0])
    assert info.audio_codec == "aac" and abs(info.audio_duration - 3.5) < 0.05
    with av.open(str(res.files[0])) as c:
        pcm = np.concatenate([f.to_ndarray().reshape(-1) for f in c.decode(audio=0)])
        rate = c.streams.audio[0].rate
    loud = np.nonzero(np.abs(pcm) > 0.05)[0] / rate
    assert loud.min() > 1.25 and loud.max() < 3.5  # in the second shot, after the crossfade
