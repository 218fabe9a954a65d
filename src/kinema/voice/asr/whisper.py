"""ASR with faster-whisper (``pip install 'kinema[whisper]'``); the model is loaded lazily
from the local cache or a path, so no download happens at run time unless you allow it."""

from __future__ import annotations

import math

import numpy as np

from kinema.errors import BackendUnavailable
from kinema.media.audio import Audio, resample
from kinema.voice.asr.base import Transcript, Word


class WhisperASR:
    name = "whisper"

    def __init__(self, model: str = "base.en", device: str = "cpu") -> None:
        try:
            from faster_whisper import WhisperModel
        except ImportError:
            raise BackendUnavailable(
                "asr: faster-whisper is not installed: pip install 'kinema[whisper]'."
            ) from None
        self._model = WhisperModel(model, device=device, compute_type="int8")

    def transcribe(self, audio: Audio) -> Transcript:
        x = resample(np.asarray(audio.samples), audio.rate, 16000).astype(np.float32) / 32768.0
        segments, info = self._model.transcribe(x, word_timestamps=True)
        words: list[Word] = []
        texts, logprobs = [], []
        for seg in segments:
            texts.append(seg.text.strip())
            logprobs.append(seg.avg_logprob)
            words += [Word(w.word.strip(), w.start, w.end) for w in seg.words or []]
        conf = math.exp(float(np.mean(logprobs))) if logprobs else 0.0
        return Transcript(" ".join(texts).strip(), conf, words, info.language)
