"""Talking clips end to end: real TTS, mp4 streams, lip sync measured on the output."""

from __future__ import annotations

import json

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from kinema.errors import Cancelled, InvalidInput
from kinema.face import metrics as M
from kinema.face.talk import render_talking_clip
from kinema.media.audio import Audio
from kinema.media.video import probe, read_frames
from kinema.voice.tts import DEFAULT_VOICE, get_tts
from kinema.voice.tts.base import Speech

from .conftest import DATA

SENTENCE = (
    "People probably buy maps when they travel. My brother bought a big blue map of the "
    "moon, and then we went walking by the pier."
)


@pytest.fixture(scope="module")
def speech() -> Speech:
    return get_tts().synthesize(SENTENCE, DEFAULT_VOICE)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["astronaut", "mona_lisa", "einstein", "cartoon"])
def test_lip_sync_measured_on_the_output(rigs, speech, tmp_path, name):
    assert speech.audio.duration >= 5.0
    path = render_talking_clip(rigs[name], speech, tmp_path / "t.mp4", fps=24, size=384)
    info = probe(path)
    assert info.codec == "h264" and info.audio_codec == "aac"
    assert abs(info.duration - info.audio_duration) <= 1 / 24
    frames, fps = read_frames(path)
    openings = M.mouth_openings(frames)
    assert np.isnan(openings).mean() < 0.05
    offset = M.av_offset(openings, speech.audio, fps)
    assert abs(offset) <= 1 / 24, f"A/V offset {offset * 1000:.0f} ms"
    assert M.bilabial_closure(openings, speech.phonemes, fps) >= 0.9
    # it really talks (the jaw is rate-limited, so only long vowels open it fully; a small
    # painted mouth reads about 0.23 at a jaw of 0.8)
    assert np.nanmax(openings) > 0.2


def test_audio_only_speech_uses_the_envelope(rigs, speech, tmp_path):
    mute = Speech(
        Audio(speech.audio.samples[: speech.audio.rate * 2], speech.audio.rate), [], "", "x"
    )
    done = []
    path = render_talking_clip(
        rigs["einstein"],
        mute,
        tmp_path / "a.mp4",
        fps=25,
        size=128,
        progress=lambda i, n: done.append((i, n)),
    )
    assert done[-1] == (50, 50)
    frames, _ = read_frames(path)
    assert np.std([f.astype(float).mean() for f in frames]) > 0.01  # the face moves
    with pytest.raises(Cancelled):
        render_talking_clip(
            rigs["einstein"], mute, tmp_path / "c.mp4", size=128, should_cancel=lambda: True
        )
    with pytest.raises(InvalidInput):
        render_talking_clip(rigs["einstein"], mute, tmp_path / "c.mp4", fps=23)


def _app() -> typer.Typer:
    from kinema.cli import face

    app = typer.Typer()
    face.register(app)
    return app


@pytest.mark.slow
def test_cli_speak_and_analyze(tmp_path):
    runner = CliRunner()
    out = tmp_path / "dog.mp4"
    res = runner.invoke(
        _app(),
        [
            "speak",
            str(DATA / "shiba_dog.jpg"),
            "Woof. I can talk.",
            "--points",
            str(DATA / "shiba_dog.points.json"),
            "--size",
            "256",
            "--emotion",
            "happy",
            "-o",
            str(out),
        ],
    )
    assert res.exit_code == 0, res.output
    info = probe(out)
    assert info.audio_codec == "aac" and info.frames > 10
    assert abs(info.duration - info.audio_duration) <= 1 / 24
    res = runner.invoke(_app(), ["analyze", str(DATA / "einstein_photo.jpg"), "--json"])
    assert res.exit_code == 0
    report = json.loads(res.stdout)
    assert report["source"] == "mesh" and "low_resolution" in {
        w["code"] for w in report["report"]["warnings"]
    }
    res = runner.invoke(_app(), ["analyze", str(DATA / "shiba_dog.jpg")])
    assert res.exit_code == 2 and "by hand" in res.output


def test_cli_errors(tmp_path):
    runner = CliRunner()
    img = str(DATA / "einstein_photo.jpg")
    cases = [
        (["speak", img, "   ", "-o", str(tmp_path / "x.mp4")], "empty"),
        (
            ["speak", img, "Hello", "--voice", "no-such-voice", "-o", str(tmp_path / "x.mp4")],
            "voice",
        ),
        (["speak", str(DATA / "shiba_dog.points.json"), "Hello"], "not an image"),
        (["speak", img, "Hello", "--emotion", "smug"], "emotion"),
    ]
    for args, needle in cases:
        res = runner.invoke(_app(), args)
        assert res.exit_code == 2, (args, res.output)
        assert needle in res.output.lower(), (needle, res.output)
