"""The optional Piper backend: used only when ``piper`` is importable and a voice is set."""

from __future__ import annotations

import importlib.util

import pytest

from kinema.errors import BackendUnavailable
from kinema.voice.tts import get_tts

HAVE_PIPER = importlib.util.find_spec("piper") is not None


@pytest.mark.skipif(HAVE_PIPER, reason="piper is installed; this checks the missing-extra error")
def test_missing_piper_is_a_typed_error():
    with pytest.raises(BackendUnavailable, match=r"kinema\[piper\]"):
        get_tts("piper")


@pytest.mark.skipif(not HAVE_PIPER, reason="piper-tts not installed (pip install 'kinema[piper]')")
def test_piper_speaks_with_timings():
    import os

    if not os.environ.get("KINEMA_PIPER_VOICE"):
        pytest.skip("no Piper voice file (set KINEMA_PIPER_VOICE)")
    speech = get_tts("piper").synthesize("Hello there, how are you?")
    assert speech.audio.duration > 0.5
    assert abs(speech.phonemes[-1].end - speech.audio.duration) < 0.05
