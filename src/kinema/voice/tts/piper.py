"""Piper neural TTS (``pip install 'kinema[piper]'`` plus a ``.onnx`` voice file).

Piper gives better-sounding audio but no phoneme timings. Piper itself phonemises with
espeak-ng, so the timings come from the embedded espeak engine for the same text in the same
espeak voice, stretched sentence by sentence onto Piper's audio: close enough for lip-sync.
The Piper model fixes the timbre, so ``voice`` is ignored (speed still applies).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from kinema.errors import BackendUnavailable, InvalidInput
from kinema.media.audio import Audio
from kinema.voice.presets import VoiceSpec
from kinema.voice.text import split_sentences
from kinema.voice.tts.base import PhonemeEvent, Speech, VoiceSettings
from kinema.voice.tts.espeak import EspeakTTS


class PiperTTS:
    name = "piper"

    def __init__(self, model_path: str | None = None) -> None:
        try:
            from piper import PiperVoice
        except ImportError:
            raise BackendUnavailable(
                "tts: piper is not installed: pip install 'kinema[piper]'."
            ) from None
        from kinema.config import get_settings

        path = model_path or get_settings().piper_voice
        if not path or not Path(path).is_file():
            raise BackendUnavailable("tts: set KINEMA_PIPER_VOICE to a Piper .onnx voice file.")
        self._voice = PiperVoice.load(path)
        self._espeak = EspeakTTS()
        self._lock = threading.Lock()
        espeak_voice = getattr(self._voice.config, "espeak_voice", "en-us") or "en-us"
        self._timing_voice = VoiceSpec(
            name=Path(path).stem, language=espeak_voice, espeak=espeak_voice, variant=""
        )

    def synthesize(
        self, text: str, voice: str | VoiceSpec | None = None, settings: VoiceSettings | None = None
    ) -> Speech:
        from piper import SynthesisConfig

        text = " ".join((text or "").split())
        if not text:
            raise InvalidInput("text: nothing to say (the text is empty).", field="text")
        s = settings or VoiceSettings()
        config = SynthesisConfig(length_scale=1.0 / max(0.25, min(4.0, s.speed)))
        with self._lock:
            chunks = list(self._voice.synthesize(text, config))
        if not chunks:
            raise InvalidInput("text: nothing speakable in the text.", field="text")
        rate = chunks[0].sample_rate
        samples = np.concatenate([c.audio_int16_array for c in chunks])
        ref = self._espeak.synthesize(text, self._timing_voice, s)
        k = (len(samples) / rate) / max(ref.audio.duration, 1e-6)
        phonemes = [PhonemeEvent(p.phoneme, p.start * k, p.end * k, p.viseme) for p in ref.phonemes]
        words = [(w, t * k) for w, t in ref.words]
        return Speech(Audio(samples, rate), phonemes, text, self._timing_voice.name, words)

    def stream(
        self, text: str, voice: str | VoiceSpec | None = None, settings: VoiceSettings | None = None
    ) -> Iterator[Speech]:
        sentences = split_sentences(text or "")
        if not sentences:
            raise InvalidInput("text: nothing to say (the text is empty).", field="text")
        for sentence in sentences:
            yield self.synthesize(sentence, voice, settings)
