"""Living characters inside a generated shot: the face engine animates a cut-out's face.

A person in the first frame, or a character reference, gets a face rig (``kinema.face``) built
from the layer's own, already graded and relit pixels, so the animated face matches the rest
of the cut-out. Every frame the rig is rendered with the ``Animator``'s controls (blinks,
glances, breathing sway, small head turns that follow the camera move) and pasted back into
the layer's premultiplied colour; the silhouette stays. When the prompt quotes a line for the
character (``@hero says "..."``), the voice engine speaks it in the character's voice and the
animator lip-syncs to its phoneme timings; the audio goes into the MP4.

Cut-outs without a usable face (objects, backs of heads, faces under ~40 px) stay still
images and the plan says why.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from kinema.errors import InvalidInput

MIN_FACE_SIDE = 48  # renderer crop side in layer pixels below which a face is not animated
SPEECH_LEAD = 0.35  # seconds of quiet before a line (and after the first keyframe blend)
BREATH_HZ = 0.26  # breaths per second at rest
BREATH_AMPLITUDE = 0.006  # chest rise as a fraction of the cut-out's height
CAMERA_YAW = 5.0  # degrees the head turns over a camera move (towards the lens)
RENDER_SIDE = 384  # the face renders at least this big, then is resized into the layer


@dataclass
class Living:
    """One animated face inside layer ``layer`` (an index into ``Scene.layers``)."""

    layer: int
    box: tuple[int, int, int, int]  # x0, y0, x1, y1 in layer pixels (square, even side)
    renderer: Any  # kinema.face.render.Renderer
    animator: Any  # kinema.face.motion.Animator
    yaw_bias: float = 0.0  # degrees at the end of the shot (the camera move)
    phase: float = 0.0  # breathing phase
    speech: Any = None  # kinema.voice.tts.base.Speech spoken by this character
    speech_start: float = 0.0
    info: dict = field(default_factory=dict)
    _buf: np.ndarray | None = None

    def face(self, u: float, t: float) -> np.ndarray:
        """The face crop at shot progress ``u`` and time ``t`` (a renderer buffer)."""
        c = self.animator.controls_at(t)
        if self.yaw_bias:
            e = u * u * (3 - 2 * u)
            c.head_yaw += self.yaw_bias * e
            c.gaze_x += 0.15 * math.copysign(e, self.yaw_bias)
            c.clamp()
        face = self.renderer.render(c)
        side = self.box[2] - self.box[0]
        if face.shape[0] != side:
            if self._buf is None:
                self._buf = np.empty((side, side, 3), np.uint8)
            cv2.resize(face, (side, side), dst=self._buf, interpolation=cv2.INTER_AREA)
            return self._buf
        return face

    def breath(self, t: float) -> float:
        """Vertical scale of the cut-out around its feet at ``t`` (1 = at rest)."""
        return 1.0 + BREATH_AMPLITUDE * math.sin(2 * math.pi * BREATH_HZ * t + self.phase)


def camera_yaw(moves: list[str]) -> float:
    """The head turn a camera move asks for: the character keeps looking towards the lens."""
    left = {"pan_left", "dolly_left", "orbit"}
    right = {"pan_right", "dolly_right"}
    if set(moves) & left:
        return -CAMERA_YAW
    if set(moves) & right:
        return CAMERA_YAW
    return 0.0


def animate(
    rgb: np.ndarray, layer: int, seed: int, rig: Any = None, emotion: str = "neutral"
) -> tuple[Living | None, str]:
    """A ``Living`` for the face in a cut-out's colours ``rgb``, or None and the reason."""
    from kinema.face.analyze import analyze
    from kinema.face.motion import Animator
    from kinema.face.render import Renderer
    from kinema.face.rig import Rig

    try:
        analysis = analyze(np.ascontiguousarray(rgb))
    except InvalidInput as exc:  # NoFace and friends
        return None, f"no animatable face ({exc.message.split('.')[0]})"
    x0, y0, x1, y1 = analysis.crop_box
    side = min(x1 - x0, y1 - y0)
    side -= side % 2
    if side < MIN_FACE_SIDE:
        return None, f"the face is too small to animate ({side} px crop)"
    try:
        rig = rig if rig is not None else Rig.build(None, analysis)
    except InvalidInput as exc:
        return None, f"no animatable face ({exc.message})"
    renderer = Renderer(rig, side)  # a silent face renders at its own size in the layer
    rng = np.random.default_rng([seed, 17])
    living = Living(
        layer,
        (x0, y0, x0 + side, y0 + side),
        renderer,
        Animator(seed=seed, emotion=emotion),
        phase=float(rng.uniform(0, 2 * math.pi)),
    )
    living.info = {"face_box": [int(x0), int(y0), int(side), int(side)]}
    return living, "animated"


def speak(living: Living, text: str, voice: Any, start: float, duration: float) -> None:
    """Make ``living`` say ``text`` in ``voice`` (a preset id, ``VoiceSpec`` or None) from
    ``start`` s; raises InvalidInput when the line does not fit the shot's ``duration``."""
    speech = line_speech(text, voice)
    need = start + speech.audio.duration + 0.2
    if need > duration + 1e-6:
        raise InvalidInput(
            f"duration: the line {text[:40]!r} lasts {speech.audio.duration:.1f} s, so the shot "
            f"needs at least {math.ceil(need)} s (asked: {duration:g} s); ask for a longer "
            "duration or a shorter line.",
            field="duration",
        )
    if living.renderer.size < RENDER_SIDE:
        # the face engine's lip shapes are validated at 384 px and up: a speaking face renders
        # there and is scaled into the layer
        from kinema.face.render import Renderer

        living.renderer = Renderer(living.renderer.rig, RENDER_SIDE)
    living.animator.say(speech.phonemes, start)
    living.speech, living.speech_start = speech, start
    living.info["says"] = text
    # where the line falls in the shot (the lip closures an outside check can look for)
    living.info["speech"] = {
        "start": round(start, 4),
        "duration": round(speech.audio.duration, 4),
        "bilabials": [
            [round(start + p.start, 4), round(start + p.end, 4)]
            for p in speech.phonemes
            if p.viseme == "PP"
        ],
    }


def line_speech(text: str, voice: Any) -> Any:
    """``text`` spoken in ``voice``, synthesized once and then reused (kept under
    ``$KINEMA_HOME/cache/speech``): the voice engines sample noise, so a fresh synthesis of the
    same line differs a little, and the same seed must give the same video."""
    import hashlib
    import json
    from dataclasses import asdict, is_dataclass

    from kinema.config import get_settings
    from kinema.media.audio import Audio
    from kinema.voice.tts import get_tts
    from kinema.voice.tts.base import PhonemeEvent, Speech

    ident = asdict(voice) if is_dataclass(voice) and not isinstance(voice, type) else voice
    key = hashlib.blake2b(
        json.dumps([text, ident, get_settings().tts], sort_keys=True, default=str).encode(),
        digest_size=16,
    ).hexdigest()
    if key in _SPOKEN:
        return _SPOKEN[key]
    path = Path(get_settings().home) / "cache" / "speech" / f"{key}.npz"
    speech = None
    if path.is_file():
        try:
            with np.load(path, allow_pickle=False) as z:
                meta = json.loads(str(z["meta"]))
                speech = Speech(
                    Audio(z["samples"].astype(np.int16), int(meta["rate"])),
                    [PhonemeEvent(*p) for p in meta["phonemes"]],
                    text,
                    str(meta["voice"]),
                )
        except (OSError, ValueError, KeyError):
            speech = None  # a damaged cache entry: synthesize again
    if speech is None:
        speech = get_tts(get_settings().tts).synthesize(text, voice)
        meta = {
            "rate": speech.audio.rate,
            "voice": speech.voice,
            "phonemes": [[p.phoneme, p.start, p.end, p.viseme] for p in speech.phonemes],
        }
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp.npz")
            np.savez(tmp, samples=speech.audio.samples, meta=np.array(json.dumps(meta)))
            tmp.replace(path)
        except OSError:
            pass  # a read-only home: determinism then holds within the process only
    if len(_SPOKEN) > 64:
        _SPOKEN.clear()
    _SPOKEN[key] = speech
    return speech


_SPOKEN: dict[str, Any] = {}


def soundtrack(livings: list[Living], duration: float) -> tuple[np.ndarray, int] | None:
    """All spoken lines mixed on one mono int16 track of ``duration`` s, or None if silent."""
    spoken = [lv for lv in livings if lv.speech is not None]
    if not spoken:
        return None
    rate = spoken[0].speech.audio.rate
    track = np.zeros(round(duration * rate), np.float32)
    for lv in spoken:
        a = lv.speech.audio
        pcm = a.samples.astype(np.float32)
        if a.rate != rate:
            pcm = np.interp(
                np.arange(round(len(pcm) * rate / a.rate)) * a.rate / rate,
                np.arange(len(pcm)),
                pcm,
            ).astype(np.float32)
        i = round(lv.speech_start * rate)
        n = max(0, min(len(pcm), len(track) - i))
        track[i : i + n] += pcm[:n]
    return np.clip(track, -32768, 32767).astype(np.int16), rate


def alpha3(alpha: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """The layer alpha under ``box`` as 3-channel uint8 (for ``cv2.multiply``)."""
    x0, y0, x1, y1 = box
    a = np.clip(alpha[y0:y1, x0:x1] * 255.0 + 0.5, 0, 255).astype(np.uint8)
    return cv2.merge((a, a, a))
