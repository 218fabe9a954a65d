"""Embedded ASR: CMU PocketSphinx with the en-US model its wheel ships (no downloads).

Small and fast (≈0.25× real time of CPU) but limited: fine for commands and short
turns from clear speakers; use the OpenAI-compatible or Whisper backend for open dictation.
"""

from __future__ import annotations

import itertools
import threading

import numpy as np

from kinema.media.audio import Audio, decode_audio
from kinema.voice.asr.base import Transcript, Word, check_language

_RATE = 16000
_FRAME_S = 0.01  # pocketsphinx frames are 10 ms
_PAD = np.zeros(int(0.3 * _RATE), np.int16)  # leading/trailing silence steadies the decoder
_NBEST = 8


class PocketSphinxASR:
    """``ASR`` over pocketsphinx 5. One decoder per instance, calls serialised by a lock."""

    name = "pocketsphinx"

    def __init__(self) -> None:
        from pocketsphinx import Decoder

        # batch CMN normalises each utterance on its own: results do not drift with history.
        # Capping active HMMs/words per frame cuts CPU from ≈0.6× to ≈0.25× the audio length
        # for ≈3 points of word recall (measured on espeak speech): turn-taking latency matters.
        self._decoder = Decoder(
            samprate=_RATE, loglevel="FATAL", cmn="batch", maxhmmpf=3000, maxwpf=5
        )
        self._lock = threading.Lock()

    def transcribe(self, audio: Audio, language: str | None = None) -> Transcript:
        check_language(language, ("en",), _unsupported)
        if audio.rate != _RATE:  # the uploads' own path (ffmpeg's band-limited resampler), so a
            # clip transcribes the same whether it arrives as an Audio or as a file
            audio = decode_audio(audio.to_wav(), rate=_RATE)
        x = np.asarray(audio.samples, np.int16)
        if len(x) < int(0.1 * _RATE) or not np.any(x):
            return Transcript("", 0.0)
        pcm = np.concatenate([_PAD, x, _PAD]).astype(np.int16).tobytes()
        pad_s = len(_PAD) / _RATE
        with self._lock:
            dec = self._decoder
            # fresh feature state (CMN, noise estimate) per call: without it a transcript
            # depended on the utterances decoded before it (≈1 in 10 espeak clips differed)
            dec.reinit_feat()
            dec.start_utt()
            dec.process_raw(pcm, full_utt=True)
            dec.end_utt()
            hyp = dec.hyp()
            if hyp is None or not hyp.hypstr.strip():
                return Transcript("", 0.0)
            words = [
                Word(
                    s.word.split("(")[0],
                    max(0.0, s.start_frame * _FRAME_S - pad_s),
                    max(0.0, (s.end_frame + 1) * _FRAME_S - pad_s),
                )
                for s in dec.seg()
                if not s.word.startswith(("<", "["))
            ]
            alternatives = [n.hypstr for n in itertools.islice(dec.nbest(), 1, _NBEST)]
        return Transcript(hyp.hypstr, _agreement(hyp.hypstr, alternatives), words)


def _agreement(top: str, alternatives: list[str]) -> float:
    """Confidence as N-best agreement: how much the runner-up hypotheses share the words of
    the best one (pocketsphinx's own posteriors are not computed for full-utterance decoding).
    Clear speech scores ≈0.6–0.9, garbled ≈0.1–0.4."""
    words = set(top.split())
    if not alternatives or not words:
        return 0.5 if words else 0.0
    scores = [len(words & set(a.split())) / len(words | set(a.split())) for a in alternatives]
    return float(np.mean(scores))


def _unsupported(language: str, supported: tuple[str, ...]) -> str:
    return (
        f"language: PocketSphinx ships an en-US model only, not {language!r}; set "
        "KINEMA_ASR=whisper with a multilingual KINEMA_WHISPER_MODEL directory, or "
        "KINEMA_ASR=openai."
    )
