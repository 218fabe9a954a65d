"""Time -> FaceControls: lip sync with coarticulation, blinks, idle motion, emotion, emphasis.

Public API::

    a = Animator(seed=0)
    a.say(phonemes, start_time=t0, emotion="happy")   # PhonemeEvent times are relative to t0
    a.stop(at=t)                                       # barge-in: the mouth eases back to rest
    a.set_state("idle" | "listening" | "thinking" | "speaking")
    a.set_emotion("sad", intensity=0.7, at=t)
    c = a.controls_at(t)                               # any t, in order or not

    controls_track(phonemes, duration, fps, emotion=...) -> list[FaceControls]   # whole clips
    envelope_phonemes(audio) -> list[PhonemeEvent]      # visemes from audio alone

Lip sync follows the dominance model of Cohen & Massaro: each phoneme pulls the mouth towards
its viseme shape with a weight that is flat over the phoneme (starting ``ANTICIPATION`` early:
lips move before the sound) and falls off as a Gaussian (per viseme ``REACH``) around it, so
neighbours blend. Bilabials (p, b, m) dominate strongly, with a short reach, and are held at
least ``MIN_CLOSURE`` so the lips really close on every one of them. Stressed vowels (espeak
marks them with ``'``) add a small nod and brow lift. Everything random (blinks, saccades,
sway phases) is seeded.
"""

from __future__ import annotations

import bisect
import math
import random
from dataclasses import dataclass, field

import numpy as np

from kinema.errors import InvalidInput
from kinema.face.controls import EMOTIONS, MOUTH, VISEME_SHAPES, FaceControls
from kinema.media.audio import Audio
from kinema.voice.tts.base import PhonemeEvent

ANTICIPATION = 0.04  # s: lips lead the audio at onsets
SPREAD = 0.06  # s: the widest coarticulation reach (see REACH)
MIN_CLOSURE = 0.07  # s: shortest hold of a bilabial closure
RELEASE = 0.12  # s: mouth back to rest after stop()
STATES = ("idle", "listening", "thinking", "speaking")
DOMINANCE = {"PP": 4.0, "FF": 2.5, "sil": 0.6}
# how far (s) each viseme's influence reaches beyond its own interval: closures are crisp,
# vowels blend widely
REACH = {
    "PP": 0.012,
    "FF": 0.02,
    "sil": 0.04,
    "aa": 0.06,
    "E": 0.055,
    "I": 0.05,
    "O": 0.06,
    "U": 0.06,
}


@dataclass
class _Target:
    start: float  # absolute, anticipation applied
    end: float
    shape: np.ndarray  # mouth components (len(MOUTH))
    weight: float
    reach: float
    stressed: bool


@dataclass
class _Utterance:
    start: float
    end: float
    targets: list[_Target]
    starts: list[float]
    emotion: str | None
    cut: float = math.inf


def _shape(viseme: str) -> np.ndarray:
    s = VISEME_SHAPES.get(viseme, {})
    return np.array([s.get(k, 0.0) for k in MOUTH])


def _targets(phonemes: list[PhonemeEvent], t0: float) -> list[_Target]:
    out = []
    for p in sorted(phonemes, key=lambda e: e.start):
        if p.end < p.start:
            raise InvalidInput(f"phoneme {p.phoneme!r} ends before it starts.")
        s, e = t0 + p.start - ANTICIPATION, t0 + p.end - ANTICIPATION * 0.5
        if p.viseme == "PP" and e - s < MIN_CLOSURE:
            mid = (s + e) / 2
            s, e = mid - MIN_CLOSURE / 2, mid + MIN_CLOSURE / 2
        out.append(
            _Target(
                s,
                e,
                _shape(p.viseme),
                DOMINANCE.get(p.viseme, 1.0),
                REACH.get(p.viseme, 0.035),
                "'" in p.phoneme and p.viseme in ("aa", "E", "I", "O", "U"),
            )
        )
    return out


class _Blinks:
    """A seeded stream of blink times; value(t) in [0, 1]."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.times: list[float] = []
        self.until = -1.0

    def _extend(self, t: float) -> None:
        while self.until < t + 10:
            gap = self.rng.gammavariate(4.0, 0.9)  # mean 3.6 s
            self.until = (self.until if self.times else self.rng.uniform(0.3, 2.0)) + gap
            self.times.append(self.until)
            if self.rng.random() < 0.12:  # occasional double blink
                self.times.append(self.until + 0.28)

    def value(self, t: float) -> float:
        self._extend(t)
        i = bisect.bisect_right(self.times, t)
        v = 0.0
        for b in self.times[max(0, i - 2) : i + 1]:
            d = t - b
            if 0 <= d < 0.07:
                v = max(v, d / 0.07)
            elif 0.07 <= d < 0.2:
                v = max(v, 1 - (d - 0.07) / 0.13)
        return v


@dataclass
class _Saccades:
    rng: random.Random
    times: list[float] = field(default_factory=list)
    targets: list[tuple[float, float]] = field(default_factory=list)

    def at(self, t: float, spread: float) -> tuple[float, float]:
        while not self.times or self.times[-1] < t + 5:
            last = self.times[-1] if self.times else -0.5
            self.times.append(last + self.rng.uniform(0.8, 3.0))
            self.targets.append((self.rng.gauss(0, 1), self.rng.gauss(0, 0.6)))
        i = bisect.bisect_right(self.times, t) - 1
        if i < 0:
            return 0.0, 0.0
        gx, gy = self.targets[i]
        px, py = self.targets[i - 1] if i > 0 else (0.0, 0.0)
        k = min(1.0, (t - self.times[i]) / 0.04)
        return spread * (px + (gx - px) * k), spread * (py + (gy - py) * k)


class Animator:
    """Real-time source of FaceControls on one media clock (seconds)."""

    def __init__(self, seed: int = 0, emotion: str = "neutral", intensity: float = 1.0) -> None:
        rng = random.Random(seed)
        self._blinks = _Blinks(random.Random(rng.random()))
        self._saccades = _Saccades(random.Random(rng.random()))
        self._phase = [rng.uniform(0, 2 * math.pi) for _ in range(6)]
        self._utts: list[_Utterance] = []
        self._state = "idle"
        self._emotions: list[tuple[float, str, float]] = []  # (from t, name, intensity)
        self.set_emotion(emotion, intensity, at=-1e9)

    # ------------------------------------------------------------------ commands
    def say(
        self,
        phonemes: list[PhonemeEvent],
        start_time: float,
        emotion: str | None = None,
        intensity: float = 1.0,
    ) -> None:
        """Schedule an utterance whose phoneme times are relative to ``start_time``."""
        targets = _targets(phonemes, start_time)
        end = max((p.end for p in phonemes), default=0.0) + start_time
        if emotion is not None:
            self.set_emotion(emotion, intensity, at=start_time)
        self._utts = [u for u in self._utts if u.end + 1.0 > start_time - 5.0]
        self._utts.append(_Utterance(start_time, end, targets, [x.start for x in targets], emotion))
        self._state = "speaking"

    def stop(self, at: float) -> None:
        """Barge-in: every utterance is cut at ``at`` and the mouth eases to rest."""
        for u in self._utts:
            u.cut = min(u.cut, at)
        self._state = "listening"

    def set_state(self, state: str) -> None:
        if state not in STATES:
            raise InvalidInput(f"state must be one of {', '.join(STATES)}, not {state!r}.")
        self._state = state

    def set_emotion(self, name: str, intensity: float = 1.0, at: float = 0.0) -> None:
        if name not in EMOTIONS:
            raise InvalidInput(
                f"unknown emotion {name!r}; expected one of {', '.join(EMOTIONS)}.", field="emotion"
            )
        self._emotions.append((at, name, float(np.clip(intensity, 0.0, 1.5))))
        self._emotions.sort(key=lambda e: e[0])

    @property
    def state(self) -> str:
        return self._state

    def speaking_at(self, t: float) -> bool:
        return any(u.start <= t < min(u.end, u.cut) for u in self._utts)

    # ------------------------------------------------------------------ evaluation
    def mouth_at(self, t: float) -> tuple[np.ndarray, float]:
        """Mouth components at ``t`` and the emphasis (stressed-vowel) envelope."""
        num = np.zeros(len(MOUTH))
        den = 0.02  # a faint pull towards rest, so the mouth closes far from any phoneme
        emph = 0.0
        for u in self._utts:
            if t < u.start - 0.5 or t > u.end + 0.5 or t > u.cut + RELEASE:
                continue
            fade = 1.0
            if t > u.cut:
                x = (t - u.cut) / RELEASE
                fade = 1 - x * x * (3 - 2 * x)
            i = bisect.bisect_right(u.starts, t + 4 * SPREAD)
            for tg in u.targets[max(0, i - 12) : i]:
                if tg.start > u.cut:
                    continue
                d = max(0.0, tg.start - t, t - tg.end)
                w = tg.weight * math.exp(-((d / tg.reach) ** 2))
                if w < 1e-4:
                    continue
                num += w * tg.shape * fade
                den += w
                if tg.stressed:
                    c = (tg.start + tg.end) / 2
                    emph = max(emph, fade * math.exp(-(((t - c) / 0.12) ** 2)))
        return num / den, emph

    def _emotion(self, t: float) -> FaceControls:
        """The emotion preset at ``t``, cross-faded over 0.35 s from the previous one."""
        out = FaceControls()
        i = max(0, bisect.bisect_right([e[0] for e in self._emotions], t) - 1)
        start, name, inten = self._emotions[i]
        k = min(1.0, max(0.0, (t - start) / 0.35)) if i > 0 else 1.0
        if k < 1.0:
            _, pname, pint = self._emotions[i - 1]
            out.add(EMOTIONS[pname], pint * (1 - k))
        return out.add(EMOTIONS[name], inten * k)

    def controls_at(self, t: float) -> FaceControls:
        c = self._emotion(t)
        mouth, emph = self.mouth_at(t)
        for name, v in zip(MOUTH, mouth, strict=True):
            setattr(c, name, getattr(c, name) + float(v))
        if mouth[3] > 0.3:  # a closure overrides an emotion's open mouth
            c.jaw_open *= max(0.0, 1 - mouth[3])
        speaking = self.speaking_at(t)
        ph = self._phase
        lively = 1.6 if speaking else 1.0
        # breathing and sway: sums of slow incommensurate sines
        c.head_pitch += 0.5 * math.sin(2 * math.pi * 0.23 * t + ph[0]) + 2.0 * emph
        c.head_yaw += lively * (
            1.2 * math.sin(2 * math.pi * 0.07 * t + ph[1])
            + 0.5 * math.sin(2 * math.pi * 0.19 * t + ph[2])
        )
        c.head_roll += lively * (
            0.8 * math.sin(2 * math.pi * 0.05 * t + ph[3])
            + 0.3 * math.sin(2 * math.pi * 0.17 * t + ph[4])
        )
        c.brow_raise += 0.25 * emph
        spread = {"idle": 0.35, "listening": 0.12, "thinking": 0.2, "speaking": 0.18}[self._state]
        gx, gy = self._saccades.at(t, spread)
        if self._state == "thinking":
            gx, gy = gx + 0.4, gy - 0.45
            c.brow_inner_up += 0.2
        if self._state == "listening":
            c.head_pitch += 0.8 * max(0.0, math.sin(2 * math.pi * 0.4 * t + ph[5])) ** 8
        c.gaze_x += gx
        c.gaze_y += gy
        b = self._blinks.value(t)
        c.blink_left = max(c.blink_left, b) if b else c.blink_left
        c.blink_right = max(c.blink_right, b) if b else c.blink_right
        return c.clamp()


def controls_track(
    phonemes: list[PhonemeEvent],
    duration: float,
    fps: int,
    *,
    emotion: str = "neutral",
    intensity: float = 1.0,
    seed: int = 0,
) -> list[FaceControls]:
    """Controls for every frame of a clip of ``duration`` seconds."""
    a = Animator(seed=seed, emotion=emotion, intensity=intensity)
    a.say(phonemes, 0.0)
    n = max(1, round(duration * fps))
    return [a.controls_at(i / fps) for i in range(n)]


def envelope_phonemes(audio: Audio, *, hop: float = 0.04) -> list[PhonemeEvent]:
    """Viseme events from audio alone: loudness opens the jaw, spectral tilt picks the shape.

    For speech without phoneme timings (uploaded audio, other TTS engines). Quiet stretches
    become ``sil``; dips between syllables become brief closures.
    """
    x = audio.samples.astype(np.float32) / 32768.0
    n = max(1, int(audio.rate * hop))
    frames = len(x) // n
    if frames == 0:
        return []
    x = x[: frames * n].reshape(frames, n)
    rms = np.sqrt((x**2).mean(axis=1) + 1e-12)
    db = 20 * np.log10(rms)
    top = np.percentile(db, 95)
    level = np.clip((db - (top - 30)) / 30, 0, 1)
    zc = (np.abs(np.diff(np.sign(x), axis=1)) > 0).mean(axis=1)  # high: fricatives
    events: list[PhonemeEvent] = []
    for i in range(frames):
        s, e = i * hop, (i + 1) * hop
        lv = float(level[i])
        if lv < 0.25:
            vis = "sil"
        elif zc[i] > 0.25:
            vis = "SS"
        elif lv > 0.8:
            vis = "aa"
        elif lv > 0.6:
            vis = "E"
        elif lv > 0.4:
            vis = "O" if zc[i] < 0.05 else "DD"
        else:
            vis = "nn"
        events.append(PhonemeEvent(vis, s, e, vis))
    return events
