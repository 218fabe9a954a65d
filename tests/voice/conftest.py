"""Shared helpers for voice tests: one espeak engine per process, cheap synthesis."""

from __future__ import annotations

import pytest

from kinema.voice.tts import get_tts


@pytest.fixture(scope="session")
def tts():
    return get_tts("espeak")
