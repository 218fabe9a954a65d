"""``kinema avatars create|list`` and ``kinema chat`` on a fresh KINEMA_HOME."""

from __future__ import annotations

import pytest
import typer
from chars_helpers import DATA, pdf_bytes
from typer.testing import CliRunner

from kinema.config import get_settings


@pytest.fixture
def cli(tmp_path, monkeypatch):
    from kinema.cli import characters

    monkeypatch.setenv("KINEMA_HOME", str(tmp_path / "home"))
    get_settings.cache_clear()
    app = typer.Typer()
    characters.register(app)
    yield app
    get_settings.cache_clear()


def test_create_list_and_chat(cli, tmp_path):
    runner = CliRunner()
    handbook = tmp_path / "handbook.pdf"
    handbook.write_bytes(pdf_bytes("The museum is closed on Mondays."))
    r = runner.invoke(
        cli,
        [
            "avatars",
            "create",
            str(DATA / "einstein_photo.jpg"),
            "--name",
            "Albert",
            "--voice",
            "vincent",
            "--doc",
            str(handbook),
            "--knowledge-only",
            "--start-script",
            "Welcome to the museum!",
        ],
    )
    assert r.exit_code == 0, r.output
    avatar_id = r.output.strip().splitlines()[-1]
    assert "READY" in r.output and "512" in r.output  # the low-resolution warning and tip

    r = runner.invoke(cli, ["avatars", "list"])
    assert r.exit_code == 0 and "Albert" in r.output and "READY" in r.output

    out = tmp_path / "audio"
    r = runner.invoke(
        cli,
        ["chat", "Albert", "--speak", "--out", str(out)],
        input="When is the museum closed?\nWho are you?\nexit\n",
        env={"PATH": ""},
    )
    assert r.exit_code == 0, r.output
    assert "Welcome to the museum!" in r.output and "closed on Mondays" in r.output
    assert "[1] " in r.output  # a citation line
    # the default personality is the Friendly Assistant template: introduced once, not twice
    assert "I'm Albert, a friendly assistant." in r.output
    assert r.output.lower().count("assistant") == 1
    wavs = list(out.glob("*.wav"))
    assert len(wavs) == 2 and min(w.stat().st_size for w in wavs) > 10_000
    assert avatar_id in runner.invoke(cli, ["avatars", "list"]).output


def test_create_failures_exit_1(cli, tmp_path):
    from skimage import data as skdata

    from kinema.media.image import encode_image

    cup = tmp_path / "cup.png"
    cup.write_bytes(encode_image(skdata.coffee()))
    r = CliRunner().invoke(cli, ["avatars", "create", str(cup), "--name", "Cup"])
    assert r.exit_code == 1 and "FAILED" in r.output and "keypoints" in r.output
    r = CliRunner().invoke(
        cli,
        ["avatars", "create", str(DATA / "einstein_photo.jpg"), "--name", "X", "--voice", "nobody"],
    )
    assert r.exit_code == 1 and "victoria" in r.output
    r = CliRunner().invoke(cli, ["chat", "Ghost"])
    assert r.exit_code == 1 and "no avatar" in r.output
