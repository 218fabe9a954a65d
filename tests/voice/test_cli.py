"""``kinema voices`` and ``kinema say``."""

from __future__ import annotations

import json
import wave

import typer
from typer.testing import CliRunner

from kinema.cli import voices as voices_cli
from kinema.voice.presets import PRESETS


def _app() -> typer.Typer:
    app = typer.Typer()
    voices_cli.register(app)
    return app


def test_voices_json_and_language_filter():
    runner = CliRunner()
    result = runner.invoke(_app(), ["voices", "--json"])
    assert result.exit_code == 0
    assert {v["id"] for v in json.loads(result.output)} == set(PRESETS)
    result = runner.invoke(_app(), ["voices", "--json", "--language", "en-gb"])
    assert {v["language"] for v in json.loads(result.output)} == {"en-GB", "en-GB-scotland"}
    table = runner.invoke(_app(), ["voices", "-l", "de"])
    assert table.exit_code == 0 and "hannah" in table.output and "charlotte" not in table.output


def test_say_writes_a_wav(tmp_path):
    out = tmp_path / "hi.wav"
    result = CliRunner().invoke(
        _app(), ["say", "Hello there.", "--voice", "oliver", "--out", str(out), "--phonemes"]
    )
    assert result.exit_code == 0, result.output
    with wave.open(str(out)) as w:
        assert w.getframerate() == 22050 and w.getnframes() > 10000
    assert " TH" in result.output  # "there" starts with a dental
    bad = CliRunner().invoke(_app(), ["say", "Hi", "--voice", "nobody", "-o", str(out)])
    assert bad.exit_code == 2 and "unknown voice" in bad.output


def test_voices_runway_listing():
    result = CliRunner().invoke(_app(), ["voices", "--runway", "--json"])
    assert result.exit_code == 0
    rows = json.loads(result.output)
    assert len(rows) == 30 and {r["preset"] for r in rows} <= set(PRESETS)


def test_tts_is_the_runway_name_for_say(tmp_path):
    out = tmp_path / "tts.wav"
    result = CliRunner().invoke(_app(), ["tts", "Good morning.", "-v", "emma", "-o", str(out)])
    assert result.exit_code == 0, result.output
    with wave.open(str(out)) as w:
        assert w.getnframes() / w.getframerate() > 0.4  # real speech, not an empty file
