"""The real engines behind a session: face rig + renderer, voice, brain (+ knowledge), ASR/VAD.

Rigs are built once and shared read-only across sessions through ``RIGS`` (keyed by a caller
id or the portrait's hash); renderers and animators are per session because they hold per-frame
state. ``build_engines`` is blocking (a renderer takes ~0.5 s to set up): call it in a thread,
as ``LiveSession.create`` does.
"""

from __future__ import annotations

import hashlib
import math
import threading
from collections import OrderedDict
from collections.abc import AsyncIterator, Sequence
from typing import Any

import numpy as np

from kinema.brain.base import Brain, Turn, get_brain
from kinema.brain.persona import Persona
from kinema.brain.respond import answer
from kinema.face.analyze import analyze
from kinema.face.controls import FaceControls
from kinema.face.render import Renderer
from kinema.face.rig import Rig
from kinema.knowledge.index import KnowledgeIndex
from kinema.live.engines import Animator, Engines, ReplySentence
from kinema.media.audio import Audio
from kinema.voice.tts import DEFAULT_VOICE, TTS, get_tts
from kinema.voice.tts.base import PhonemeEvent, Speech, VoiceSettings


class TTSSpeaker:
    def __init__(self, tts: TTS, voice: str, settings: VoiceSettings | None = None) -> None:
        self.tts, self.voice, self.settings = tts, voice, settings

    def speak(self, text: str) -> Speech:
        return self.tts.synthesize(text, self.voice, self.settings)

    def warm(self) -> None:
        """Load the voice's model now (a neural voice takes about a second the first time), so
        the session's first reply is not the one that pays for it."""
        self.speak("Hi.")


class BrainResponder:
    """Adapts ``brain.respond.answer`` (retrieval + brain) to the session's ``Responder``."""

    def __init__(
        self,
        brain: Brain,
        persona: Persona,
        index: KnowledgeIndex | None = None,
        org_id: str = "",
        doc_ids: list[str] | None = None,
    ) -> None:
        self.brain, self.persona = brain, persona
        self.index, self.org_id, self.doc_ids = index, org_id, doc_ids

    def greeting(self) -> str | None:
        """The persona's start script, spoken when the client connects (none: wait silently)."""
        return (self.persona.start_script or "").strip() or None

    async def reply(
        self, history: list[dict[str, Any]], user_text: str
    ) -> AsyncIterator[ReplySentence]:
        turns = [
            Turn(m["role"], m["content"])
            for m in history
            if m["role"] in ("user", "assistant") and m["content"]
        ]
        stream = answer(
            self.brain, self.index, self.org_id, self.doc_ids, self.persona, turns, user_text
        )
        async for sentence in stream:
            yield ReplySentence(sentence.text, list(sentence.citations))


class ASRTranscriber:
    """An ASR for one session; ``language`` (the character's voice language) is checked by the
    engine, so a French character on an English-only recogniser gets a clear error."""

    def __init__(self, asr: Any, language: str | None = None) -> None:
        self.asr, self.language = asr, language

    def transcribe(self, audio: Audio) -> str:
        if self.language:
            return self.asr.transcribe(audio, language=self.language).text
        return self.asr.transcribe(audio).text


class VADEdges:
    """``kinema.voice.vad.StreamingVAD`` reduced to the start/end edges the session needs."""

    def __init__(self) -> None:
        from kinema.voice.vad import StreamingVAD

        self.vad = StreamingVAD(16000)

    def feed(self, samples: np.ndarray) -> list[str]:
        return [e.kind for e in self.vad.feed(samples)]

    def reset(self) -> None:
        self.vad.reset()


class RigCache:
    """Rigs by id, built once, shared read-only by every session that shows that character."""

    def __init__(self, capacity: int = 64) -> None:
        self._rigs: OrderedDict[str, Rig] = OrderedDict()
        self._lock = threading.Lock()
        self._building: dict[str, threading.Lock] = {}
        self.capacity = capacity
        self.builds = 0

    def get(self, key: str, image: np.ndarray | None = None) -> Rig:
        """The rig for ``key``, built from ``image`` on first use (once, even if many sessions
        of the same character start together)."""
        with self._lock:
            if key in self._rigs:
                self._rigs.move_to_end(key)
                return self._rigs[key]
            if image is None:
                raise KeyError(key)
            building = self._building.setdefault(key, threading.Lock())
        with building:
            with self._lock:
                if key in self._rigs:
                    return self._rigs[key]
            analysis = analyze(image)
            rig = Rig.build(analysis.image, analysis)
            with self._lock:
                self.builds += 1
                self._rigs[key] = rig
                self._building.pop(key, None)
                while len(self._rigs) > self.capacity:
                    self._rigs.popitem(last=False)
        return rig

    def put(self, key: str, rig: Rig) -> None:
        with self._lock:
            self._rigs[key] = rig

    @staticmethod
    def key_for(image: np.ndarray) -> str:
        return hashlib.sha1(np.ascontiguousarray(image).tobytes()).hexdigest()


RIGS = RigCache()


class SmoothedAnimator:
    """``kinema.face.motion.Animator`` on the session clock, with eased state changes.

    The face animator switches its state look (gaze, brows, head) at once; conversation states
    change often, so head, gaze and brow channels are eased with a ``tau`` time constant here.
    Mouth and blinks pass through untouched (lip sync and blinks must stay sharp).

    Sentences arrive well before they play (the brain and TTS run ahead of the clock); the face
    animator prunes utterances that ended long before the newest one starts, which would drop
    a sentence still playing. So utterances are handed over only shortly before they start.
    """

    LEAD = 0.5  # seconds before its start an utterance is given to the face animator

    EASED: tuple[str, ...] = ("head_yaw", "head_pitch", "head_roll", "gaze_x", "gaze_y")
    EASED += ("brow_raise", "brow_inner_up", "smile")

    def __init__(self, seed: int = 0, tau: float = 0.15) -> None:
        from kinema.face.motion import Animator as FaceAnimator

        self.inner = FaceAnimator(seed=seed)
        self.tau = tau
        self._pending: list[tuple[float, list[PhonemeEvent], str]] = []
        self._last_t: float | None = None
        self._prev: dict[str, float] = {}

    def say(self, phonemes: Sequence[PhonemeEvent], start_time: float, emotion: str) -> None:
        self._pending.append((start_time, list(phonemes), emotion))
        self._pending.sort(key=lambda p: p[0])
        if self._last_t is not None:
            self._release(self._last_t)

    def _release(self, t: float) -> None:
        while self._pending and self._pending[0][0] <= t + self.LEAD:
            start, phonemes, emotion = self._pending.pop(0)
            self.inner.say(phonemes, start, emotion)

    def stop(self, at: float) -> None:
        self._pending = [p for p in self._pending if p[0] < at]
        self._release(at)
        self.inner.stop(at)

    def set_state(self, state: str, at: float) -> None:
        self.inner.set_state(state)

    def controls_at(self, t: float) -> FaceControls:
        self._release(t)
        c = self.inner.controls_at(t)
        last, self._last_t = self._last_t, t
        if last is not None and 0 < t - last < 0.5:
            alpha = 1.0 - math.exp(-(t - last) / self.tau)
            for name in self.EASED:
                prev = self._prev[name]
                setattr(c, name, prev + alpha * (getattr(c, name) - prev))
        for name in self.EASED:
            self._prev[name] = getattr(c, name)
        return c


def make_animator(seed: int = 0) -> Animator:
    """The face engine's real-time animator, eased for conversation-state changes."""
    return SmoothedAnimator(seed=seed)


def build_engines(
    *,
    rig: Rig | None = None,
    portrait: np.ndarray | None = None,
    rig_id: str | None = None,
    size: int = 512,
    voice: str = DEFAULT_VOICE,
    voice_settings: VoiceSettings | None = None,
    persona: Persona | None = None,
    brain: Brain | None = None,
    index: KnowledgeIndex | None = None,
    org_id: str = "",
    doc_ids: list[str] | None = None,
    speech_input: bool = True,
    seed: int = 0,
) -> Engines:
    """Engines for one session from a rig (or a portrait, rigged and cached) and a persona."""
    if rig is None:
        if portrait is None and rig_id is None:
            raise ValueError("pass a rig, a portrait or the id of a cached rig")
        key = rig_id or RigCache.key_for(portrait)  # type: ignore[arg-type]
        rig = RIGS.get(key, portrait)
    speech_in: dict[str, Any] = {}
    if speech_input:
        from kinema.voice.asr import get_asr
        from kinema.voice.presets import resolve_voice

        language = resolve_voice(voice).language
        speech_in = {"transcriber": ASRTranscriber(get_asr(), language), "vad": VADEdges()}
    speaker = TTSSpeaker(get_tts(), voice, voice_settings)
    speaker.warm()  # build_engines runs off the event loop, at session start
    return Engines(
        animator=make_animator(seed),
        renderer=Renderer(rig, size),
        speaker=speaker,
        responder=BrainResponder(
            brain or get_brain(), persona or Persona("Kinema"), index, org_id, doc_ids
        ),
        emotion=voice_settings.emotion if voice_settings else "neutral",
        **speech_in,
    )
