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
least ``MIN_CLOSURE`` so the lips really close on every one of them. Each utterance's mouth
tracks are sampled once (``TRACK_HZ``) and rate-limited (``RATES``): a jaw cannot jump from
closed to open between two frames, except at a plosive release, where lips really burst open.
The limiter keeps every closure and every extreme on time (it moves the approach earlier rather
than the target later). Stressed vowels (espeak marks them with ``'``) nod the head and lift the
brows; phrase starts and some stressed syllables turn the head to a new pose (up to about ±6°
yaw, ±5° pitch) over a sway and an idle micro-motion. Blinks come every 2-6 s (the first within
3 s). Everything random (blinks, saccades, head poses, sway phases) is seeded.
"""

from __future__ import annotations

import bisect
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from kinema.errors import InvalidInput
from kinema.face.controls import EMOTIONS, MOUTH, VISEME_SHAPES, FaceControls
from kinema.media.audio import Audio
from kinema.voice.tts.base import PhonemeEvent

ANTICIPATION = 0.04  # s: lips lead the audio at onsets
TRACK_HZ = 200  # samples per second of the precomputed mouth tracks
# fastest change of each mouth component, per second (a quarter of its range per 24 fps frame
# at most); at a plosive release the lips may part as fast as ``RELEASE_RATE``
RATES = {"jaw_open": 4.2, "lips_press": 5.5, "lip_tuck": 5.5}
DEFAULT_RATE = 4.5
RELEASE_RATE = 40.0
RELEASE_WINDOW = (-0.015, 0.07)  # s around the end of a stop's target: its release
# stops (and m) whose release is a burst
PLOSIVES = frozenset(["p", "b", "m", "t", "d", "k", "g", "ɡ"])
YAW_MAX, PITCH_MAX = 6.0, 5.0  # degrees: how far motion turns and nods the head
SPREAD = 0.06  # s: the widest coarticulation reach (see REACH)
MIN_CLOSURE = 0.07  # s: shortest hold of a bilabial closure
RELEASE = 0.12  # s: mouth back to rest after stop()
STATES = ("idle", "listening", "thinking", "speaking")
DOMINANCE = {"PP": 5.0, "FF": 2.5, "sil": 0.6, "aa": 1.6, "E": 1.4, "O": 1.5}
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
    release: bool = False  # a stop: the mouth may burst open at its end


@dataclass
class _Utterance:
    start: float
    end: float
    targets: list[_Target]
    starts: list[float]
    emotion: str | None
    cut: float = math.inf
    t0: float = 0.0  # time of the first track sample
    track: np.ndarray = field(default_factory=lambda: np.zeros((0, len(MOUTH))))
    activity: np.ndarray = field(default_factory=lambda: np.zeros(0))
    emph: np.ndarray = field(default_factory=lambda: np.zeros(0))
    head: list[tuple[float, float, float, float]] = field(default_factory=list)

    def sample(self, t: float) -> tuple[np.ndarray, float, float] | None:
        """(mouth components, activity, emphasis) at ``t``, linearly interpolated."""
        x = (t - self.t0) * TRACK_HZ
        n = len(self.activity)
        if n == 0 or x < 0 or x > n - 1:
            return None
        i = min(int(x), n - 2)
        f = x - i
        m = self.track[i] * (1 - f) + self.track[i + 1] * f
        a = float(self.activity[i] * (1 - f) + self.activity[i + 1] * f)
        e = float(self.emph[i] * (1 - f) + self.emph[i + 1] * f)
        return m, a, e


def _envelope(x: np.ndarray, rise: np.ndarray, fall: float, dt: float) -> np.ndarray:
    """The largest curve <= ``x`` that rises at most ``rise`` and falls at most ``fall`` per
    second: minima (closures) stay where and when they are, the approach to them starts early."""
    y = x.tolist()  # plain floats: a Python loop over a list is several times faster
    up = (rise * dt).tolist()
    dn = fall * dt
    prev = y[0]
    for i in range(1, len(y)):
        lim = prev + up[i]
        prev = y[i] = y[i] if y[i] < lim else lim
    nxt = y[-1]
    for i in range(len(y) - 2, -1, -1):
        lim = nxt + dn
        nxt = y[i] = y[i] if y[i] < lim else lim
    return np.array(y)


def _build_track(u: _Utterance) -> None:
    """Sample the utterance's dominance-blended mouth, then rate-limit it (see ``RATES``)."""
    t0 = u.start - 0.5
    t1 = min(u.end, u.cut) + 0.5 + RELEASE
    n = max(2, int(np.ceil((t1 - t0) * TRACK_HZ)) + 1)
    ts = t0 + np.arange(n) / TRACK_HZ
    tg = [x for x in u.targets if x.start <= u.cut]
    num = np.zeros((n, len(MOUTH)))
    den = np.full(n, 0.035)  # a faint pull towards rest, so the mouth closes far from phonemes
    emph = np.zeros(n)
    fade: np.ndarray = np.ones(n)
    if math.isfinite(u.cut):
        xf = np.clip((ts - u.cut) / RELEASE, 0, 1)
        fade = (1 - xf * xf * (3 - 2 * xf)).astype(np.float64)
    if tg:
        st = np.array([x.start for x in tg])[:, None]
        en = np.array([x.end for x in tg])[:, None]
        d = np.maximum(0.0, np.maximum(st - ts[None], ts[None] - en))
        reach = np.array([x.reach for x in tg])[:, None]
        w = np.array([x.weight for x in tg])[:, None] * np.exp(-((d / reach) ** 2))
        num = (w.T @ np.array([x.shape for x in tg])) * fade[:, None]
        den = den + w.sum(axis=0)
        for x in tg:
            if x.stressed:
                c = (x.start + x.end) / 2
                emph = np.maximum(emph, fade * np.exp(-(((ts - c) / 0.12) ** 2)))
    shape = num / den[:, None]
    # a closure wins over its open neighbours' jaw (smoothly: no threshold to snap at)
    press = np.clip((shape[:, MOUTH.index("lips_press")] - 0.15) / 0.45, 0, 1)
    seal = press * press * (3 - 2 * press)
    shape[:, MOUTH.index("jaw_open")] *= 1 - seal
    for name in ("lips_round", "upper_lip_up", "lips_wide"):  # they would part sealed lips
        shape[:, MOUTH.index(name)] *= 1 - 0.75 * seal
    dt = 1.0 / TRACK_HZ
    release = np.zeros(n, bool)
    for x in tg:
        if x.release:  # a stop: its end is a release
            release |= (ts >= x.end + RELEASE_WINDOW[0]) & (ts <= x.end + RELEASE_WINDOW[1])
    out = np.empty_like(shape)
    for k, name in enumerate(MOUTH):
        r = RATES.get(name, DEFAULT_RATE)
        rise = np.full(n, r)
        if name == "jaw_open":  # closures kept (lower envelope); the release may be fast
            rise[release] = RELEASE_RATE
            out[:, k] = _envelope(shape[:, k], rise, r, dt)
        elif name in ("lips_press", "lip_tuck"):  # closures kept (upper envelope)
            fall = rise.copy()  # how fast the press may let go: fast at a release
            if name == "lips_press":
                fall[release] = RELEASE_RATE
            out[:, k] = -_envelope(-shape[:, k], fall, r, dt)
        else:  # neither extreme preferred: the mean of both envelopes
            lo = _envelope(shape[:, k], rise, r, dt)
            hi = -_envelope(-shape[:, k], rise, r, dt)
            out[:, k] = 0.5 * (lo + hi)
    u.t0, u.track, u.activity, u.emph = t0, out, den - 0.035, emph


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
                _is_plosive(p),
            )
        )
    return out


def _is_plosive(p: PhonemeEvent) -> bool:
    return p.phoneme.strip("'ˈˌ,ː:") in PLOSIVES and p.viseme in ("PP", "DD", "kk")


def plosive_releases(phonemes: list[PhonemeEvent]) -> list[float]:
    """Times (s, phoneme time) at which a stop releases: where the jaw may move fast."""
    return [p.end for p in phonemes if _is_plosive(p)]


class _Blinks:
    """A seeded stream of blink times; value(t) in [0, 1] (1 = the lid on the lower lid).

    Gaps are 2.2-5.8 s (a beta spread, mean ~3.8 s: 15 blinks a minute), the first within
    3 s of the clock's start. A blink closes in 80 ms, stays shut 40 ms, opens in 160 ms.
    """

    CLOSE, HOLD, OPEN = 0.08, 0.04, 0.16

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.times: list[float] = []
        self.until = -1.0

    def _extend(self, t: float) -> None:
        while self.until < t + 10:
            if not self.times:
                self.until = self.rng.uniform(0.8, 2.6)
            else:
                self.until += 2.2 + 3.6 * self.rng.betavariate(2.0, 2.4)
            self.times.append(self.until)

    def value(self, t: float) -> float:
        self._extend(t)
        i = bisect.bisect_right(self.times, t)
        if i == 0:
            return 0.0
        d = t - self.times[i - 1]
        if d < self.CLOSE:
            x = d / self.CLOSE
            return x * x * (3 - 2 * x) if x > 0.5 else 2 * x * x  # accelerating, then landing
        d -= self.CLOSE
        if d < self.HOLD:
            return 1.0
        d -= self.HOLD
        if d < self.OPEN:
            x = d / self.OPEN
            return 1 - x * x * (3 - 2 * x)
        return 0.0


class _Head:
    """Head pose over time: poses held between smooth shifts, speech-driven or idle.

    While speaking, a phrase start or a stressed syllable (at most one per ~1 s) turns the head
    to a new pose: yaw 3-6° mostly alternating sides, a little pitch and roll. While idle the
    head drifts to small poses every 3-6 s. Shifts are minimum-jerk over ``SHIFT`` seconds.
    """

    SHIFT = 0.55

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.idle: list[tuple[float, float, float, float]] = []  # (t, yaw, pitch, roll)
        self.side = 1.0 if rng.random() < 0.5 else -1.0

    def _extend_idle(self, t: float) -> None:
        while not self.idle or self.idle[-1][0] < t + 10:
            last = self.idle[-1][0] if self.idle else -self.rng.uniform(0.0, 3.0)
            self.idle.append(
                (
                    last + self.rng.uniform(3.0, 6.0),
                    self.rng.uniform(-2.5, 2.5),
                    self.rng.uniform(-1.2, 1.2),
                    self.rng.uniform(-1.5, 1.5),
                )
            )

    def speech_poses(
        self, targets: list[_Target], start: float
    ) -> list[tuple[float, float, float, float]]:
        """Poses for an utterance: at its start, after pauses, on some stressed syllables."""
        out: list[tuple[float, float, float, float]] = []
        last = -math.inf
        prev_end = start
        for tg in targets:
            pause = tg.start - prev_end > 0.12 or tg.shape.any() and not out
            prev_end = max(prev_end, tg.end)
            if not tg.shape.any():  # silence
                continue
            if (pause or tg.stressed) and tg.start - last >= 1.0:
                if self.rng.random() < 0.8:
                    self.side = -self.side
                yaw = self.side * self.rng.uniform(3.5 if not out else 3.0, YAW_MAX)
                pitch = self.rng.uniform(-1.5, 1.5)
                roll = self.rng.uniform(-2.5, 2.5) + 0.15 * yaw
                out.append((tg.start - 0.1, yaw, pitch, roll))
                last = tg.start
        return out

    def at(
        self,
        t: float,
        speech: list[tuple[float, float, float, float]],
        busy: Callable[[float], bool],
    ) -> np.ndarray:
        """(yaw, pitch, roll) at ``t``; ``busy(t)`` says whether an utterance holds the head."""
        self._extend_idle(t)
        j = bisect.bisect_left(self.idle, (t - 40.0,))
        if j > 200:  # forget poses long past
            del self.idle[: j - 50]
        events = [e for e in self.idle if t - 40.0 <= e[0] <= t and not busy(e[0])]
        events += [e for e in speech if t - 40.0 <= e[0] <= t]
        events.sort(key=lambda e: e[0])
        if not events:
            return np.zeros(3)
        # each shift starts from wherever the previous one had got to
        j0 = max(0, len(events) - 5)
        pose = np.array(events[j0 - 1][1:]) if j0 > 0 else np.zeros(3)
        for j in range(j0, len(events)):
            end = events[j + 1][0] if j + 1 < len(events) else t
            x = min(1.0, max(0.0, (end - events[j][0]) / self.SHIFT))
            k = x * x * x * (10 - 15 * x + 6 * x * x)  # minimum jerk
            pose = pose + (np.array(events[j][1:]) - pose) * k
        return pose


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
        self._phase = [rng.uniform(0, 2 * math.pi) for _ in range(10)]
        self._head = _Head(random.Random(rng.random()))
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
        u = _Utterance(start_time, end, targets, [x.start for x in targets], emotion)
        _build_track(u)
        u.head = self._head.speech_poses(targets, start_time)
        self._utts.append(u)
        self._state = "speaking"

    def stop(self, at: float) -> None:
        """Barge-in: every utterance is cut at ``at`` and the mouth eases to rest."""
        for u in self._utts:
            if at < u.cut and at < u.end + 0.5:
                u.cut = at
                _build_track(u)
                u.head = [h for h in u.head if h[0] <= at]
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
        """Mouth components at ``t`` (rate-limited tracks) and the stressed-vowel envelope."""
        acc = np.zeros(len(MOUTH))
        total, emph, n = 0.0, 0.0, 0
        for u in self._utts:
            got = u.sample(t)
            if got is None:
                continue
            m, act, e = got
            acc += m * (act + 1e-3)
            total += act + 1e-3
            emph = max(emph, e)
            n += 1
        if n == 0:
            return acc, 0.0
        return acc / total, emph

    def _busy(self, t: float) -> bool:
        return any(u.start - 0.3 <= t <= min(u.end, u.cut) + 0.3 for u in self._utts)

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
        # a closure overrides an emotion's open mouth, smoothly (no threshold to snap at)
        press = min(1.0, max(0.0, float(mouth[MOUTH.index("lips_press")])))
        c.jaw_open *= 1.0 - press
        for name, v in zip(MOUTH, mouth, strict=True):
            setattr(c, name, getattr(c, name) + float(v))
        speaking = self.speaking_at(t)
        ph = self._phase
        lively = 1.5 if speaking else 1.0
        speech_poses = [h for u in self._utts for h in u.head]
        yaw, pitch, roll = self._head.at(t, speech_poses, self._busy)
        tau = 2 * math.pi * t
        # sway (slow incommensurate sines), breathing, and a faint idle micro-motion
        sway_yaw = 0.9 * math.sin(0.07 * tau + ph[1]) + 0.4 * math.sin(0.19 * tau + ph[2])
        sway_roll = 0.6 * math.sin(0.05 * tau + ph[3]) + 0.25 * math.sin(0.17 * tau + ph[4])
        micro = 0.18 * math.sin(0.61 * tau + ph[6]) + 0.12 * math.sin(1.13 * tau + ph[7])
        breath = 0.45 * math.sin(0.23 * tau + ph[0])
        # nods on stressed syllables: down on the vowel, a little back up after it
        nod = 2.6 * emph
        c.head_yaw += yaw + lively * sway_yaw + micro
        c.head_pitch += pitch + breath + nod + 0.7 * micro * math.sin(0.37 * tau + ph[8])
        c.head_roll += roll + lively * sway_roll
        c.brow_raise += 0.25 * emph
        spread = {"idle": 0.35, "listening": 0.12, "thinking": 0.2, "speaking": 0.18}[self._state]
        gx, gy = self._saccades.at(t, spread)
        if self._state == "thinking":
            gx, gy = gx + 0.4, gy - 0.45
            c.brow_inner_up += 0.2
        if self._state == "listening":
            c.head_pitch += 0.8 * max(0.0, math.sin(0.4 * tau + ph[5])) ** 8
        c.gaze_x += gx - 0.02 * yaw  # the eyes lead, then hold the gaze as the head turns
        c.gaze_y += gy
        b = self._blinks.value(t)
        c.blink_left = max(c.blink_left, b) if b else c.blink_left
        c.blink_right = max(c.blink_right, b) if b else c.blink_right
        c.head_yaw = _soft_limit(c.head_yaw, YAW_MAX + 0.5)
        c.head_pitch = _soft_limit(c.head_pitch, PITCH_MAX + 0.5)
        return c.clamp()


def _soft_limit(x: float, cap: float) -> float:
    """Identity near 0, approaching ``cap`` smoothly (no flat clipping plateau)."""
    knee = 0.7 * cap
    if abs(x) <= knee:
        return x
    over = abs(x) - knee
    return math.copysign(knee + (cap - knee) * math.tanh(over / (cap - knee)), x)


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
