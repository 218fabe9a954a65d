"""Shared helpers for voice tests: one engine of each kind per process.

The neural engines (Piper voice, Whisper tiny.en) are loaded once per session, inside a socket
guard that fails any non-loopback connection: loading and using them must never touch the
network (no hub look-ups, no downloads).
"""

from __future__ import annotations

import pytest
from voice_netguard import no_network

from kinema.voice.tts import get_tts


@pytest.fixture(scope="session")
def tts():
    return get_tts("espeak")


@pytest.fixture(scope="session")
def neural_load() -> dict[str, object]:
    """Piper and Whisper built fresh (not from the registry cache) with networking guarded."""
    from kinema.voice.asr.whisper import WhisperASR
    from kinema.voice.tts.piper import PiperTTS

    with no_network() as attempts:
        piper = PiperTTS()
        whisper = WhisperASR()
        speech = piper.synthesize("Loading without a network.", "emma")
        heard = whisper.transcribe(speech.audio)
    return {"piper": piper, "whisper": whisper, "attempts": attempts, "heard": heard.text}


@pytest.fixture(scope="session")
def piper(neural_load):
    return neural_load["piper"]


@pytest.fixture(scope="session")
def whisper(neural_load):
    return neural_load["whisper"]
