"""Visemes estimated from audio alone, for voices that come without phoneme timings.

Unlike ``kinema.face.motion.envelope_phonemes`` (which normalises loudness over a whole clip),
this works on streaming chunks: the caller passes the running ``peak_db`` of the utterance, so
a quiet 100 ms chunk stays quiet instead of being scaled up to full mouth opening.

Band energies per 20 ms window pick a mouth shape: quiet → rest, hiss-dominated (> 3.5 kHz) →
SS, open vowels (energy in 300–1000 Hz, loud) → aa/O, front vowels (1–3 kHz formants) → E/I,
closures between loud windows → PP. Crude, but the jaw follows the loudness envelope and the
lips follow the spectrum, which is what viewers notice.
"""

from __future__ import annotations

import numpy as np

from kinema.voice.tts.base import PhonemeEvent

WINDOW = 0.02


def estimate_visemes(
    samples: np.ndarray, rate: int, *, silence_db: float = -40.0, peak_db: float | None = None
) -> list[PhonemeEvent]:
    """Viseme events for int16 mono ``samples``; times are seconds from the first sample.

    ``peak_db``: loudness reference (dBFS) of the utterance so far; default: this chunk's peak.
    """
    n = int(rate * WINDOW)
    count = len(samples) // n
    if count == 0:
        return []
    frames = samples[: count * n].astype(np.float32).reshape(count, n) / 32768.0
    rms = np.sqrt((frames**2).mean(axis=1) + 1e-12)
    db = 20 * np.log10(rms)
    spectrum = np.abs(np.fft.rfft(frames * np.hanning(n), axis=1)) ** 2
    freqs = np.fft.rfftfreq(n, 1 / rate)

    def band(lo: float, hi: float) -> np.ndarray:
        return spectrum[:, (freqs >= lo) & (freqs < hi)].sum(axis=1) + 1e-12

    low, mid, high = band(300, 1000), band(1000, 3000), band(3500, rate / 2)
    total = low + mid + high
    peak = max(float(db.max()) if peak_db is None else peak_db, silence_db + 1)
    events: list[PhonemeEvent] = []
    for i in range(count):
        if db[i] < silence_db:
            viseme = "sil"
        elif high[i] / total[i] > 0.5:
            viseme = "SS"
        else:
            loud = min(1.0, (db[i] - silence_db) / (peak - silence_db))  # relative loudness
            front = mid[i] / (low[i] + mid[i])
            if loud > 0.75:
                viseme = "aa" if front < 0.45 else "E"
            elif loud > 0.45:
                viseme = "O" if front < 0.3 else ("E" if front < 0.6 else "I")
            else:
                viseme = "nn" if front < 0.5 else "DD"
        start = i * WINDOW
        if events and events[-1].viseme == viseme:
            last = events[-1]
            events[-1] = PhonemeEvent(last.phoneme, last.start, start + WINDOW, viseme)
        else:
            events.append(PhonemeEvent(viseme, start, start + WINDOW, viseme))
    # a short silence between two voiced runs is a lip closure
    for j in range(1, len(events) - 1):
        e = events[j]
        if e.viseme == "sil" and e.end - e.start <= 0.06:
            events[j] = PhonemeEvent("PP", e.start, e.end, "PP")
    return events


def peak_dbfs(samples: np.ndarray, rate: int) -> float:
    """The loudest 20 ms window of ``samples`` in dBFS (for ``estimate_visemes(peak_db=...)``)."""
    n = int(rate * WINDOW)
    count = len(samples) // n
    if count == 0:
        return -120.0
    frames = samples[: count * n].astype(np.float32).reshape(count, n) / 32768.0
    return float(20 * np.log10(np.sqrt((frames**2).mean(axis=1) + 1e-12).max()))
