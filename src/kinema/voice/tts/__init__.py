"""Text to speech: ``get_tts()`` gives the configured engine; every engine returns audio plus
phoneme timings (``Speech``) so the face can lip-sync to it."""

from __future__ import annotations

from kinema.errors import InvalidInput
from kinema.voice.presets import DEFAULT_VOICE, PRESETS, VoiceSpec
from kinema.voice.tts.base import TTS, PhonemeEvent, Speech, VoiceSettings

__all__ = [
    "DEFAULT_VOICE",
    "PRESETS",
    "TTS",
    "PhonemeEvent",
    "Speech",
    "VoiceSettings",
    "VoiceSpec",
    "get_tts",
]

_CACHE: dict[str, TTS] = {}
BACKENDS = ("espeak", "piper")


def get_tts(name: str | None = None) -> TTS:
    """The TTS engine called ``name`` (default: ``settings.tts``, i.e. ``"espeak"``), cached."""
    if name is None:
        from kinema.config import get_settings

        name = get_settings().tts
    key = name.strip().lower()
    if key not in _CACHE:
        if key == "espeak":
            from kinema.voice.tts.espeak import EspeakTTS

            _CACHE[key] = EspeakTTS()
        elif key == "piper":
            from kinema.voice.tts.piper import PiperTTS

            _CACHE[key] = PiperTTS()
        else:
            raise InvalidInput(f"tts: unknown engine {name!r}; use one of {', '.join(BACKENDS)}.")
    return _CACHE[key]
