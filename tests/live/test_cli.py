"""``kinema talk``: a recorded local session has synced audio and video."""

from __future__ import annotations

import av
import cv2
import pytest
import skimage.data
import typer
from typer.testing import CliRunner

from kinema.cli.live import register


@pytest.mark.slow
def test_talk_records_a_conversation(tmp_path):
    portrait = tmp_path / "astronaut.png"
    cv2.imwrite(str(portrait), cv2.cvtColor(skimage.data.astronaut(), cv2.COLOR_RGB2BGR))
    app = typer.Typer()
    register(app)
    app.command("noop")(lambda: None)  # typer needs two commands to keep the subcommand name
    out = tmp_path / "talk.mp4"
    args = ["talk", str(portrait), "--say", "Who are you?", "--name", "Ada"]
    result = CliRunner().invoke(app, [*args, "--size", "128", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "I'm Ada" in result.output
    with av.open(str(out)) as c:
        video, audio = c.streams.video[0], c.streams.audio[0]
        v = float(video.duration * video.time_base)
        a = float(audio.duration * audio.time_base)
        assert video.width == 128 and v > 1.5
        assert abs(v - a) < 0.15  # one timeline: the recording's streams end together
