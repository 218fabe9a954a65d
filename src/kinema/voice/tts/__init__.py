"""Text to speech: ``get_tts()`` gives the configured engine; every engine returns audio plus
phoneme timings (``Speech``) so the face can lip-sync to it.

``auto`` (the default) speaks each voice with its preset's engine: the neural Piper voice for
the English presets, espeak-ng for every other language and for designed/matched voices.
"""

from __future__ import annotations

from collections.abc import Iterator

from kinema.errors import InvalidInput
from kinema.voice.presets import DEFAULT_VOICE, PRESETS, VoiceSpec, resolve_voice
from kinema.voice.tts.base import TTS, PhonemeEvent, Speech, VoiceSettings

__all__ = [
    "BACKENDS",
    "DEFAULT_VOICE",
    "PRESETS",
    "TTS",
    "AutoTTS",
    "PhonemeEvent",
    "Speech",
    "VoiceSettings",
    "VoiceSpec",
    "engine_for",
    "get_tts",
]

_CACHE: dict[str, TTS] = {}
BACKENDS = ("auto", "piper", "espeak")


class AutoTTS:
    """Routes each call to the engine the voice names (``VoiceSpec.engine``)."""

    name = "auto"

    def engine(self, voice: str | VoiceSpec | None) -> TTS:
        return get_tts(resolve_voice(voice).engine)

    def synthesize(
        self, text: str, voice: str | VoiceSpec | None = None, settings: VoiceSettings | None = None
    ) -> Speech:
        return self.engine(voice).synthesize(text, voice, settings)

    def stream(
        self, text: str, voice: str | VoiceSpec | None = None, settings: VoiceSettings | None = None
    ) -> Iterator[Speech]:
        return self.engine(voice).stream(text, voice, settings)


def engine_for(voice: str | VoiceSpec | None, tts: str | None = None) -> str:
    """The engine that will speak ``voice`` under the ``tts`` setting (for catalogues)."""
    if tts is None:
        from kinema.config import get_settings

        tts = get_settings().tts
    key = tts.strip().lower()
    return resolve_voice(voice).engine if key == "auto" else key


def get_tts(name: str | None = None) -> TTS:
    """The TTS engine called ``name`` (default: ``settings.tts``, i.e. ``"auto"``), cached."""
    if name is None:
        from kinema.config import get_settings

        name = get_settings().tts
    key = name.strip().lower()
    if key not in _CACHE:
        if key == "auto":
            _CACHE[key] = AutoTTS()
        elif key == "espeak":
            from kinema.voice.tts.espeak import EspeakTTS

            _CACHE[key] = EspeakTTS()
        elif key == "piper":
            from kinema.voice.tts.piper import PiperTTS

            _CACHE[key] = PiperTTS()
        else:
            raise InvalidInput(f"tts: unknown engine {name!r}; use one of {', '.join(BACKENDS)}.")
    return _CACHE[key]
