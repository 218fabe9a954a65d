"""Voice measurements from audio: F0 (YIN), speaking rate (syllable nuclei), brightness.

Used by voice matching and by tests that check prosody settings really change the sound.
Pure numpy: no librosa, no models.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kinema.media.audio import Audio, resample

_RATE = 16000
_FRAME = 640  # 40 ms: two periods of a 50 Hz voice
_HOP = 160  # 10 ms


@dataclass(frozen=True)
class VoiceStats:
    f0: float  # median fundamental frequency of voiced frames, Hz (0 if none)
    f0_spread: float  # inter-quartile range of F0 in semitones (intonation liveliness)
    syllable_rate: float  # syllable nuclei per second of speech
    centroid: float  # mean spectral centroid of voiced frames, Hz (brightness)
    voiced: float  # fraction of frames that are voiced
    speech_seconds: float  # duration of non-silent audio


def _frames(x: np.ndarray, frame: int, hop: int) -> np.ndarray:
    if len(x) < frame:
        x = np.pad(x, (0, frame - len(x)))
    n = 1 + (len(x) - frame) // hop
    return np.lib.stride_tricks.as_strided(
        x, shape=(n, frame), strides=(x.strides[0] * hop, x.strides[0])
    )


def _to16k(audio: Audio) -> np.ndarray:
    x = resample(np.asarray(audio.samples), audio.rate, _RATE).astype(np.float64)
    return x / 32768.0


def f0_track(
    audio: Audio, fmin: float = 55.0, fmax: float = 500.0, threshold: float = 0.15
) -> np.ndarray:
    """YIN F0 per 10 ms frame (Hz; 0 where unvoiced or silent)."""
    x = _to16k(audio)
    frames = _frames(x, _FRAME, _HOP)
    energy = np.sqrt((frames**2).mean(axis=1))
    loud = energy > max(1e-3, 0.05 * (energy.max() if len(energy) else 0))
    f0 = np.zeros(len(frames))
    block = 1000  # frames per FFT batch: bounds memory on long samples
    for b in range(0, len(frames), block):
        f0[b : b + block] = _yin(frames[b : b + block], loud[b : b + block], fmin, fmax, threshold)
    return f0


def _yin(
    frames: np.ndarray, loud: np.ndarray, fmin: float, fmax: float, threshold: float
) -> np.ndarray:
    w = _FRAME // 2
    tau_min, tau_max = int(_RATE / fmax), min(int(_RATE / fmin), w - 1)
    # difference function d(tau) = sum_j (x_j - x_{j+tau})^2 over the first half of the frame
    n_fft = 2 * _FRAME
    spec = np.fft.rfft(frames, n_fft)
    head = np.fft.rfft(frames[:, :w], n_fft)
    cross = np.fft.irfft(spec * np.conj(head), n_fft)[:, :w]  # sum_j x_j x_{j+tau}
    cum = np.cumsum(np.pad(frames**2, ((0, 0), (1, 0))), axis=1)
    e0 = cum[:, w][:, None]
    taus = np.arange(w)
    e_tau = cum[:, taus + w] - cum[:, taus]
    d = e0 + e_tau - 2 * cross
    d[:, 0] = 0
    cmnd = d[:, 1:] * np.arange(1, w) / np.maximum(np.cumsum(d[:, 1:], axis=1), 1e-12)
    f0 = np.zeros(len(frames))
    for i in np.flatnonzero(loud):
        row = cmnd[i, tau_min - 1 : tau_max]
        below = np.flatnonzero(row < threshold)
        if len(below) == 0:
            continue
        j = below[0]
        while j + 1 < len(row) and row[j + 1] < row[j]:
            j += 1
        tau = j + tau_min
        # parabolic interpolation around the minimum
        if 1 <= j < len(row) - 1:
            a, b, c = row[j - 1], row[j], row[j + 1]
            denom = a - 2 * b + c
            tau += 0.5 * (a - c) / denom if denom else 0.0
        f0[i] = _RATE / tau
    return f0


def syllable_rate(audio: Audio) -> tuple[float, float]:
    """(syllable nuclei per second of speech, seconds of speech) from the loudness envelope."""
    x = _to16k(audio)
    frames = _frames(x, 400, _HOP)
    spec = np.abs(np.fft.rfft(frames * np.hanning(400), axis=1))
    freqs = np.fft.rfftfreq(400, 1 / _RATE)
    band = spec[:, (freqs > 250) & (freqs < 2500)].sum(axis=1)  # vowel energy
    db = 20 * np.log10(band + 1e-9)
    kernel = np.hanning(7) / np.hanning(7).sum()
    db = np.convolve(db, kernel, mode="same")
    top = np.percentile(db, 99) if len(db) else 0.0
    speech = db > top - 35
    seconds = speech.sum() * _HOP / _RATE
    peaks = 0
    last = -100
    for i in range(1, len(db) - 1):
        if (
            speech[i]
            and db[i] >= db[i - 1]
            and db[i] > db[i + 1]
            and db[i] > top - 18
            and i - last >= 8  # nuclei at least 80 ms apart
        ):
            # a nucleus must stand out from the dip before it
            lo = db[max(last, 0) : i].min() if i > last > 0 else db[i] - 10
            if db[i] - lo > 3:
                peaks += 1
                last = i
    return (peaks / seconds if seconds > 0 else 0.0), float(seconds)


def spectral_centroid(audio: Audio) -> float:
    """Mean spectral centroid (Hz) of the louder frames: a simple brightness measure."""
    x = _to16k(audio)
    frames = _frames(x, 512, 256)
    spec = np.abs(np.fft.rfft(frames * np.hanning(512), axis=1))
    freqs = np.fft.rfftfreq(512, 1 / _RATE)
    power = spec.sum(axis=1)
    loud = power > 0.1 * power.max() if len(power) else power > 0
    if not loud.any():
        return 0.0
    return float(((spec[loud] * freqs).sum(axis=1) / power[loud]).mean())


def voice_stats(audio: Audio) -> VoiceStats:
    f0 = f0_track(audio)
    voiced = f0[f0 > 0]
    if len(voiced):
        median = float(np.median(voiced))
        q1, q3 = np.percentile(voiced, [25, 75])
        spread = float(12 * np.log2(q3 / q1))
    else:
        median, spread = 0.0, 0.0
    rate, seconds = syllable_rate(audio)
    return VoiceStats(
        f0=median,
        f0_spread=spread,
        syllable_rate=rate,
        centroid=spectral_centroid(audio),
        voiced=float(len(voiced) / max(len(f0), 1)),
        speech_seconds=seconds,
    )


def _norm_words(text: str) -> list[str]:
    import re

    return re.findall(r"[a-z0-9']+", text.lower().replace("’", "'"))


def word_error_rate(reference: str, hypothesis: str) -> float:
    """Word error rate (substitutions + deletions + insertions) / reference words, after
    lower-casing and dropping punctuation."""
    ref, hyp = _norm_words(reference), _norm_words(hypothesis)
    if not ref:
        return float(bool(hyp))
    prev = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        cur = [i] + [0] * len(hyp)
        for j, h in enumerate(hyp, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (r != h))
        prev = cur
    return prev[-1] / len(ref)
