"""Voice benchmarks: TTS speed, streaming first-audio latency, ASR, VAD and matching costs.

Prints figures; never passes or fails. On shared machines other jobs skew the numbers.
Run: ``python bench/tts.py``.
"""

from __future__ import annotations

import time

import numpy as np

from kinema.media.audio import resample
from kinema.voice.asr import get_asr
from kinema.voice.design import match_from_sample
from kinema.voice.presets import PRESETS, sample_text
from kinema.voice.tts import get_tts
from kinema.voice.vad import StreamingVAD

PARAGRAPH = (
    "Welcome back. Today we will talk about the weather on Mars. Dr. Rivera says the dust "
    "storms can last for weeks. Isn't that amazing? Let's look at the pictures together."
)


def _timed(fn, repeat: int = 5):
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def main() -> None:
    tts = get_tts("espeak")
    tts.synthesize("warm up", "emma")
    t, speech = _timed(lambda: tts.synthesize(PARAGRAPH, "emma"))
    print(
        f"tts paragraph: {speech.audio.duration:.2f} s audio in {t * 1000:.1f} ms "
        f"({speech.audio.duration / t:.0f}x real time), {len(speech.phonemes)} phonemes"
    )
    rtf = []
    for pid, p in PRESETS.items():
        t, s = _timed(lambda pid=pid, p=p: tts.synthesize(sample_text(p.language), pid), 3)
        rtf.append(s.audio.duration / t)
    med, low = np.median(rtf), min(rtf)
    print(f"tts all {len(PRESETS)} presets: median {med:.0f}x, min {low:.0f}x real time")

    def first():
        t0 = time.perf_counter()
        next(iter(tts.stream(PARAGRAPH, "emma")))
        return time.perf_counter() - t0

    print(f"stream: first sentence ready after {min(first() for _ in range(5)) * 1000:.1f} ms")

    asr = get_asr("pocketsphinx")
    s = tts.synthesize("hello what is the weather today", "emma")
    c0 = time.process_time()
    t, tr = _timed(lambda: asr.transcribe(s.audio), 3)
    cpu = (time.process_time() - c0) / 3
    print(
        f"asr pocketsphinx: {s.audio.duration:.2f} s audio, best wall {t:.2f} s, "
        f"CPU {cpu:.2f} s ({cpu / s.audio.duration:.2f}x) -> {tr.text!r} conf {tr.confidence:.2f}"
    )

    x = resample(speech.audio.samples, speech.audio.rate, 16000)
    vad = StreamingVAD()
    t0 = time.perf_counter()
    for i in range(0, len(x), 320):
        vad.feed(x[i : i + 320])
    dt = time.perf_counter() - t0
    print(f"vad: {dt / (len(x) / 320) * 1e6:.0f} us per 20 ms frame")

    sample = tts.synthesize(PARAGRAPH, "james").audio
    t0 = time.perf_counter()
    match_from_sample(sample)
    cold = time.perf_counter() - t0
    t, (spec, _) = _timed(lambda: match_from_sample(sample), 3)
    print(
        f"voice matching: {cold:.2f} s cold (calibrates presets), {t * 1000:.0f} ms warm "
        f"-> {spec.espeak_name} pitch {spec.pitch} rate {spec.rate}"
    )


if __name__ == "__main__":
    main()
