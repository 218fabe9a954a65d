"""Fixtures of the audio/upscale/recipe API tests: an app on a fresh database (workers off; the
tests run task handlers in-process), a key, small media inputs."""

from __future__ import annotations

import base64
import sys
from pathlib import Path

import pytest

from kinema.config import Settings
from kinema.platform import db

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "api"))  # server_proc helpers


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    s = Settings(home=tmp_path / "home", workers=1)  # type: ignore[arg-type]
    db.migrate(s)
    return s


def data_uri(data: bytes, mime: str) -> str:
    return f"data:{mime};base64," + base64.b64encode(data).decode()


SENTENCE = (
    "Hello there. This is a short test of the speech engine, spoken clearly and slowly, "
    "so that the recogniser has enough words to work with."
)


@pytest.fixture(scope="session")
def speech_wav() -> bytes:
    from kinema.voice.tts import get_tts

    return get_tts("espeak").synthesize(SENTENCE).audio.to_wav()
