"""One live conversation: input → brain → TTS → motion → render → output, paced by one clock.

A session owns its engines (animator, renderer, voice, brain adapter) and shares nothing mutable
with other sessions. A single tick loop drives the media clock: every tick it hands out the audio
samples of that frame period (speech or silence) and one rendered frame, both stamped on the same
timeline. Replies are produced concurrently and scheduled onto that timeline sentence by sentence,
so the first sentence plays while the brain still writes the rest. A new user utterance or text
cancels the reply (barge-in): the pipeline stops, the playout and every outlet are flushed, and
the transcript keeps only the words that were actually played.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass, field, is_dataclass
from typing import Any

import numpy as np

from kinema.config import get_settings
from kinema.errors import InvalidInput
from kinema.live.clock import MediaClock
from kinema.live.encode import EncodedFrame, VideoEncoder
from kinema.live.engines import Engines, ReplySentence
from kinema.live.frames import JPEG_QUALITY, AudioOut, Event, VideoOut, encode_jpeg
from kinema.live.metrics import FrameStats, TurnMetrics
from kinema.live.outlet import Outlet
from kinema.live.scheduler import FrameScheduler, scheduler_for
from kinema.live.tools import ClientTool
from kinema.live.workers import speech_pool
from kinema.media.audio import Audio, resample
from kinema.voice.text import split_sentences
from kinema.voice.tts.base import Speech

log = logging.getLogger(__name__)

MIC_RATE = 16000  # what VAD and ASR consume

# A frame is re-rendered only once some control moved by more than this since the last render
# (head angles in degrees: 0.1° is ≈0.3 px at a 512² face; the rest are ~[0, 1] channels).
# An idle face between blinks sways a few hundredths of a degree per frame, so most idle
# frames reuse the previous image and JPEG; speech, blinks and saccades always re-render.
# Gaze is in eye-widths/2: 0.03 moves the iris ≈0.3 px at 512² (like 0.1° of head), and the
# eased saccades otherwise re-render a still face for ten frames of sub-pixel steps.
REUSE_TOLERANCE = {
    "head_yaw": 0.1,
    "head_pitch": 0.1,
    "head_roll": 0.1,
    "gaze_x": 0.03,
    "gaze_y": 0.03,
}
REUSE_DEFAULT_TOLERANCE = 0.01


def controls_close(a: Any, b: Any) -> bool:
    """True if frames rendered from controls ``a`` and ``b`` would look the same."""
    if a is None or b is None:
        return False
    da = a if isinstance(a, dict) else vars(a)
    db = b if isinstance(b, dict) else vars(b)
    if da.keys() != db.keys():
        return False
    for name, va in da.items():
        vb = db[name]
        if isinstance(va, bool) or not isinstance(va, int | float):
            if va != vb:
                return False
        elif abs(va - vb) > REUSE_TOLERANCE.get(name, REUSE_DEFAULT_TOLERANCE):
            return False
    return True


MAX_CHUNK_SECONDS = 1.0  # one microphone chunk (a WebSocket frame, a WebRTC frame) at most


class PcmBuffer:
    """Int16 samples appended up to a fixed capacity, in one preallocated array (no list of
    chunks: a flood of tiny chunks costs no per-chunk memory)."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._data: np.ndarray | None = None  # allocated on first use
        self._n = 0

    def __len__(self) -> int:
        return self._n

    def append(self, pcm: np.ndarray) -> bool:
        """Append what fits; False when ``pcm`` did not fit whole (the buffer is now full)."""
        if self._data is None:
            self._data = np.empty(self.capacity, np.int16)
        room = self.capacity - self._n
        take = min(room, len(pcm))
        self._data[self._n : self._n + take] = pcm[:take]
        self._n += take
        return take == len(pcm)

    def copy(self) -> np.ndarray:
        if self._data is None:
            return np.zeros(0, np.int16)
        return self._data[: self._n].copy()

    def clear(self) -> None:
        self._n = 0


@dataclass
class SessionConfig:
    fps: int = 24
    audio_rate: int = 48000
    max_duration: float = 300.0  # seconds; the session closes with reason "max_duration"
    idle_timeout: float = 120.0  # seconds without any client message (pings count)
    video_buffer: int = 6  # frames per outlet before the oldest is dropped
    audio_buffer: int = 50  # chunks per outlet (one per frame period)
    tools: list[ClientTool] = field(default_factory=list)
    metrics_interval: float = 5.0  # seconds between pushed "metrics" events (0: only on request)
    greet: bool = True  # speak the responder's greeting (a persona's start script) on connect
    partial_interval: float = 1.0  # s of new speech between partial transcripts (0: none)
    # one user utterance is cut here and recognised: microphone memory stays bounded even when
    # the VAD never leaves "speech" (noise) or audio arrives faster than real time
    max_utterance: float = 30.0
    max_recognitions: int = 3  # recognitions queued or running at once; more utterances dropped

    @classmethod
    def from_settings(cls, **overrides: Any) -> SessionConfig:
        s = get_settings()
        base: dict[str, Any] = {
            "fps": s.live_fps,
            "max_duration": float(s.live_max_duration),
            "idle_timeout": s.live_idle_timeout,
        }
        base.update(overrides)
        return cls(**base)


@dataclass
class _Segment:
    """One synthesised sentence placed on the session's audio timeline."""

    start: int  # first sample (session audio timeline)
    samples: np.ndarray  # int16 at the session audio rate
    speech: Speech
    text: str

    @property
    def end(self) -> int:
        return self.start + len(self.samples)


@dataclass
class _Tick:
    """What one session needs rendered for frame ``n`` (built on the loop)."""

    n: int
    t: float
    a0: int
    samples: np.ndarray
    speaking: bool
    epoch: int
    turn: TurnMetrics | None
    controls: Any
    reuse: bool = False
    heavy: bool = True  # worth a worker's time (a render or an encode)
    jpeg_quality: int | None = None
    encoders: list[VideoEncoder] = field(default_factory=list)
    image: np.ndarray | None = None  # the reused image
    jpeg: bytes | None = None


@dataclass
class _Rendered:
    image: np.ndarray
    ms: float  # wall time of the face render (0 when reused)
    jpeg: bytes | None
    encoded: dict[str, EncodedFrame]
    cpu: dict[str, float]  # CPU ms per stage: render, jpeg, vp8/h264


def spoken_prefix(segment: _Segment, played: int, rate: int) -> str:
    """The words of ``segment`` that had started playing after ``played`` samples."""
    if played >= len(segment.samples):
        return segment.text
    if played <= 0:
        return ""
    seconds = played / rate
    words = segment.text.split()
    timed = segment.speech.words
    if timed:  # the engine's words may split differently: map the count onto the text's words
        started = sum(1 for _, start in timed if start < seconds)
        return " ".join(words[: round(started * len(words) / len(timed))])
    # No word timings: cut at the last word boundary before the played fraction of the text.
    fraction = played / len(segment.samples)
    total = sum(len(w) + 1 for w in words)
    out, used = [], 0
    for w in words:
        if used >= fraction * total:
            break
        out.append(w)
        used += len(w) + 1
    return " ".join(out)


def _jsonable(value: Any) -> Any:
    """A citation as JSON: dataclasses become objects, anything else its string."""
    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    return str(value)


async def _scripted(text: str) -> AsyncIterator[ReplySentence]:
    for sentence in split_sentences(text) or [text]:
        yield ReplySentence(sentence)


_CLAUSE_BREAK = re.compile(r"[,;:—]\s+")
_LONG_OPENING = 60  # characters: longer first sentences are split at a clause boundary


def first_clause(text: str, pieces: int = 3) -> list[str]:
    """``[text]``, or its opening clauses and the rest when it is long (at most ``pieces``): the
    reply's first audio is ready after a few words, not a whole ten-second sentence, and each
    next piece is synthesised while the one before plays."""
    if pieces < 2 or len(text) <= _LONG_OPENING:
        return [text]
    for m in _CLAUSE_BREAK.finditer(text):
        if 8 <= m.end() <= _LONG_OPENING and len(text) - m.end() >= 12:
            return [text[: m.end()].rstrip(), *first_clause(text[m.end() :], pieces - 1)]
    return [text]
    for m in _CLAUSE_BREAK.finditer(text):
        if 8 <= m.end() <= _LONG_OPENING and len(text) - m.end() >= 12:
            return [text[: m.end()].rstrip(), text[m.end() :]]
    return [text]


class LiveSession:
    """A real-time talking character. Create, ``await start()``, subscribe outlets, talk, close."""

    def __init__(
        self, engines: Engines, config: SessionConfig | None = None, *, session_id: str = ""
    ) -> None:
        self.id = session_id or uuid.uuid4().hex
        self.engines = engines
        self.config = config or SessionConfig()
        self.clock = MediaClock(self.config.fps, self.config.audio_rate)
        self.state = "idle"
        self.transcript: list[dict[str, Any]] = []
        self.turns: list[TurnMetrics] = []
        self.stats = FrameStats()
        self.close_reason: str | None = None
        self.closed = asyncio.Event()
        self._outlets: list[Outlet] = []
        self._tasks: set[asyncio.Task[Any]] = set()
        self._scheduler: FrameScheduler | None = None
        self._next_frame = 0  # the frame index the clock expects next (gaps: late skips)
        self._encoders: dict[str, VideoEncoder] = {}  # shared WebRTC encodes, by codec
        self._encoder_users: dict[str, int] = {}
        self._reply_task: asyncio.Task[None] | None = None
        self._turn: TurnMetrics | None = None
        self._reply_done = True
        self._segments: list[_Segment] = []  # the current turn's scheduled speech
        self._audio_pos = 0  # next audio sample the tick loop hands out
        self._speech_end = 0  # where the last scheduled sentence ends
        self._epoch = 0  # bumped on barge-in: frames rendered before it are discarded
        self._last_activity = time.monotonic()
        self._user_speaking = False
        self._utterance = PcmBuffer(int(self.config.max_utterance * MIC_RATE))
        self._overlong = False  # the utterance hit max_utterance: ignore audio until VAD end
        self._recognitions = 0  # ASR jobs of this session queued or running
        self._preroll: deque[np.ndarray] = deque(maxlen=16)
        self._utterance_id = 0  # counts user utterances (VAD starts)
        self._heard = 0  # samples of the current utterance
        self._partial_at = 0  # samples at the last partial transcription
        self._partial_busy = False
        self._pauses = 0  # VAD pauses in the current utterance
        self._early: tuple[int, int, asyncio.Future[str]] | None = None  # (utt, pause, result)
        self._turn_counter = 0
        self._closing = False
        self.interruptions = 0
        self._greeted = False
        self._jpeg_quality: int | None = None
        self._last_controls: Any = None  # controls of the last rendered frame
        self._last_image: tuple[np.ndarray, bytes | None] | None = None
        self._gone_dropped = [0, 0]  # video, audio drops of outlets already unsubscribed

    # -- lifecycle ------------------------------------------------------------------------------

    @classmethod
    async def create(
        cls, config: SessionConfig | None = None, *, session_id: str = "", **engines: Any
    ) -> LiveSession:
        """A started session on the real engines (face, voice, brain).

        ``engines`` are the keyword arguments of ``kinema.live.wiring.build_engines``: ``rig`` or
        ``portrait`` (or ``rig_id`` of a cached rig), ``size``, ``voice``, ``persona``, ``brain``,
        ``index``/``org_id``/``doc_ids`` for knowledge, ``speech_input``.
        """
        from kinema.live.wiring import build_engines

        engines.setdefault("size", get_settings().live_size)
        built = await asyncio.to_thread(build_engines, **engines)
        session = cls(built, config or SessionConfig.from_settings(), session_id=session_id)
        return await session.start()

    async def start(self) -> LiveSession:
        if self._scheduler is None and not self._closing:
            self._scheduler = scheduler_for(self.config.fps)
            start = self._scheduler.join(self)  # frame 0 on the scheduler's next tick
            self.clock = MediaClock(self.config.fps, self.config.audio_rate, start)
            self._set_state("idle", force=True)
            self._spawn(self._watchdog())
        return self

    async def close(self, reason: str = "closed") -> None:
        """End the session: stop every task, tell the outlets why, release the engines."""
        if self._closing:
            await self.closed.wait()
            return
        self._closing = True
        self.close_reason = reason
        if self._turn is not None:
            self._finish_turn(interrupted=True)
        if self._scheduler is not None:
            self._scheduler.leave(self)
        current = asyncio.current_task()
        tasks = [t for t in (self._reply_task, *self._tasks) if t is not None]
        for task in tasks:
            if task is not current:
                task.cancel()
        for task in tasks:
            if task is not current:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        self._emit({"type": "closed", "reason": reason})
        for outlet in self._outlets:
            outlet.close()
        self._segments.clear()
        self._encoders.clear()
        self.engines = None  # type: ignore[assignment]  # renderer and animator are freed
        self.closed.set()

    @property
    def is_closed(self) -> bool:
        return self._closing

    def subscribe(self, *, greet: bool = True, paused: bool = False, **kwargs: int) -> Outlet:
        """A new consumer; it receives everything emitted from now on.

        The first consumer triggers the greeting unless ``greet=False`` (a transport whose media
        is not flowing yet calls ``greet()`` itself once it is). With ``paused`` its video and
        audio queues take nothing until the consumer unpauses them (``outlet.video.paused =
        False``) when it starts pulling: frames made before that would only pile up and be
        dropped. Events are always queued.
        """
        outlet = Outlet(
            video_frames=kwargs.get("video_frames", self.config.video_buffer),
            audio_chunks=kwargs.get("audio_chunks", self.config.audio_buffer),
        )
        outlet.video.paused = outlet.audio.paused = paused
        if self._closing:  # too late: the consumer only learns why
            outlet.events.put({"type": "closed", "reason": self.close_reason})
            outlet.close()
            return outlet
        self._outlets.append(outlet)
        outlet.events.put({"type": "state", "state": self.state, "t": self.clock.now()})
        if greet:
            self.greet()
        return outlet

    def greet(self) -> None:
        """Speak the responder's greeting (a persona's start script), once per session."""
        if self._greeted or self._closing or not self.config.greet:
            return
        self._greeted = True
        greeting = getattr(self.engines.responder, "greeting", None)
        text = greeting() if callable(greeting) else None
        if text:
            self.say(text)

    def unsubscribe(self, outlet: Outlet, *, count_drops: bool = True) -> None:
        """Remove a consumer. ``count_drops=False`` for one that never received anything (a
        WebRTC peer that never connected): what piled up in its buffers was not a slow client."""
        if outlet in self._outlets:
            self._outlets.remove(outlet)
            if count_drops:
                self._gone_dropped[0] += outlet.video.dropped
                self._gone_dropped[1] += outlet.audio.dropped
        outlet.close()

    @property
    def consumers(self) -> int:
        """Outlets currently subscribed (viewers on any transport)."""
        return len(self._outlets)

    def touch(self) -> None:
        """The client is alive (any message, including a keep-alive ping)."""
        self._last_activity = time.monotonic()

    # -- input ----------------------------------------------------------------------------------

    async def send_text(self, text: str) -> None:
        """A typed user message: barges in on any current reply and starts a new turn."""
        self._check_open()
        text = (text or "").strip()
        if not text:
            raise InvalidInput("text: the message is empty.", field="text")
        self.touch()
        self.interrupt("text")
        self._start_turn(TurnMetrics(self._next_turn(), "text", user_text=text))

    def say(self, text: str) -> None:
        """Speak ``text`` as the character (a greeting, a host app's announcement); no brain."""
        self._check_open()
        text = (text or "").strip()
        if not text:
            raise InvalidInput("text: nothing to say.", field="text")
        self.interrupt("say")
        self._start_turn(TurnMetrics(self._next_turn(), "script"), script=text)

    def push_audio(self, samples: np.ndarray | bytes, rate: int = MIC_RATE) -> None:
        """Microphone audio (int16 mono). VAD start barges in; VAD end sends it to ASR.

        Memory is bounded: a chunk holds at most ``MAX_CHUNK_SECONDS``, an utterance at most
        ``config.max_utterance`` (then it is cut, recognised, and the rest ignored until the
        VAD hears the speech end), and at most ``config.max_recognitions`` utterances wait for
        the recogniser."""
        self._check_open()
        if self.engines.vad is None or self.engines.transcriber is None:
            raise InvalidInput("audio: this session has no speech input (VAD/ASR) configured.")
        self.touch()
        if isinstance(samples, bytes | bytearray | memoryview):
            if len(samples) % 2:
                raise InvalidInput("audio: PCM16 chunks must have an even number of bytes.")
            samples = np.frombuffer(samples, np.int16)
        if not 8000 <= rate <= 96000:
            raise InvalidInput(f"audio: unsupported sample rate {rate} Hz.", field="rate")
        raw = np.asarray(samples, np.int16).reshape(-1)
        if len(raw) > MAX_CHUNK_SECONDS * rate:
            raise InvalidInput(
                f"audio: a chunk may hold at most {MAX_CHUNK_SECONDS:g} s of audio "
                f"({len(raw) / rate:.1f} s sent); send 20-100 ms chunks.",
                field="audio",
            )
        pcm = resample(raw, rate, MIC_RATE)
        paused = False
        for edge in self.engines.vad.feed(pcm):
            if edge == "start" and not self._user_speaking and not self._overlong:
                self._user_speaking = True
                self._utterance.clear()
                for chunk in self._preroll:
                    self._utterance.append(chunk)
                self._utterance_id += 1
                self._heard = len(self._utterance)
                self._partial_at, self._pauses, self._early = 0, 0, None
                self.interrupt("voice")
                self._set_state("listening")
            elif edge == "pause" and self._user_speaking:
                self._pauses += 1
                paused = True
            elif edge == "end" and self._overlong:
                self._overlong = False  # the over-long speech is over; listen again
                pcm = pcm[:0]
            elif edge == "end" and self._user_speaking:
                self._user_speaking = False
                self._utterance.append(pcm)
                early, self._early = self._early, None
                current = (self._utterance_id, self._pauses)
                ready = early[2] if early is not None and early[:2] == current else None
                self._end_utterance(ready)
                pcm = pcm[:0]
                paused = False
        if self._user_speaking:
            if not self._utterance.append(pcm):  # full: cut the utterance here
                self._user_speaking = False
                self._overlong = True
                self._early = None
                self._emit(
                    {
                        "type": "error",
                        "message": f"audio: an utterance may last at most "
                        f"{self.config.max_utterance:g} s; the first {self.config.max_utterance:g}"
                        " s are recognised and the rest is ignored until you pause.",
                    }
                )
                self._end_utterance(None)
                return
            self._heard += len(pcm)
            if paused:
                self._recognise_early()
            elif (
                self.config.partial_interval > 0
                and not self._partial_busy
                and self._heard - self._partial_at >= self.config.partial_interval * MIC_RATE
            ):
                self._partial_at = self._heard
                self._recognise(self._utterance.copy())
        elif not self._overlong:
            self._preroll.append(pcm)

    def _end_utterance(self, ready: asyncio.Future[str] | None) -> None:
        """Send the buffered utterance to ASR (unless too many are waiting: then it is dropped)."""
        utterance = self._utterance.copy()
        self._utterance.clear()
        if ready is None and self._recognitions >= self.config.max_recognitions:
            self._emit(
                {
                    "type": "error",
                    "message": "audio: speech arrives faster than it can be recognised; "
                    "this utterance was dropped.",
                }
            )
            return
        self._spawn(self._transcribe(utterance, ready))

    def _recognise(self, samples: np.ndarray) -> asyncio.Future[str]:
        """Start recognising ``samples`` in the speech pool; while the user is still speaking the
        result is sent as a ``partial_transcript`` event."""
        assert self.engines.transcriber is not None  # push_audio checked it
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(
            speech_pool(), self.engines.transcriber.transcribe, Audio(samples, MIC_RATE)
        )
        utterance = self._utterance_id
        self._partial_busy = True
        self._recognitions += 1

        def done(f: asyncio.Future[str]) -> None:
            self._partial_busy = False
            self._recognitions -= 1
            if f.cancelled() or f.exception() is not None or self._closing:
                return
            text = (f.result() or "").strip()
            if text and self._user_speaking and utterance == self._utterance_id:
                self._emit({"type": "partial_transcript", "text": text, "utterance": utterance})

        future.add_done_callback(done)
        return future

    def _recognise_early(self) -> None:
        """A pause in speech: recognise what was said so far now; if the VAD then ends the turn
        with no more voice, that result is the final transcript (saves the ASR time)."""
        if self._recognitions >= self.config.max_recognitions:
            return  # the end of the utterance is recognised then instead
        snapshot = self._utterance.copy()
        self._partial_at = self._heard
        future = self._recognise(snapshot)
        self._early = (self._utterance_id, self._pauses, future)

    def interrupt(self, reason: str = "client") -> bool:
        """Barge-in: stop the reply now, flush every buffer, keep what was spoken. True if cut."""
        if self._turn is None:
            return False
        cut = self._audio_pos
        if self._reply_task is not None:
            self._reply_task.cancel()
            self._reply_task = None
        self._epoch += 1
        self._speech_end = cut
        self.engines.animator.stop(cut / self.config.audio_rate)
        for outlet in self._outlets:
            outlet.flush_media()
        self.interruptions += 1
        self._emit({"type": "interrupted", "reason": reason, "turn": self._turn.turn})
        self._finish_turn(interrupted=True)
        return True

    def emit_client_event(self, name: str, args: dict[str, Any] | None = None) -> None:
        """Ask the client to run a tool (``{"type": "client_event", "name", "args"}``)."""
        self._emit({"type": "client_event", "name": name, "args": args or {}})

    # -- introspection --------------------------------------------------------------------------

    def metrics(self) -> dict[str, Any]:
        return {
            "session": self.id,
            "state": self.state,
            "uptime_s": round(self.clock.now(), 2),
            "turns": len(self.turns),
            "interruptions": self.interruptions,
            **self.stats.summary(),
            "dropped_frames": self._dropped_now(),
            "dropped_audio_chunks": sum(o.audio.dropped for o in self._outlets)
            + self._gone_dropped[1],
            "last_turn": self.turns[-1].record() if self.turns else None,
        }

    def turn_records(self) -> list[dict[str, Any]]:
        return [t.record() for t in self.turns]

    # -- internals ------------------------------------------------------------------------------

    def _check_open(self) -> None:
        if self._closing:
            raise InvalidInput(f"session {self.id} is closed ({self.close_reason}).")

    def _next_turn(self) -> int:
        self._turn_counter += 1
        return self._turn_counter

    def _spawn(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _emit(self, event: Event) -> None:
        event.setdefault("t", round(self.clock.now(), 3))
        for outlet in self._outlets:
            outlet.events.put(event)

    def _set_state(self, state: str, *, force: bool = False) -> None:
        if state == self.state and not force:
            return
        self.state = state
        if self.engines is not None:
            self.engines.animator.set_state(state, self.clock.now())
        self._emit({"type": "state", "state": state})

    def _log(self, role: str, content: str, **extra: Any) -> None:
        entry = {"role": role, "content": content, "timestamp": time.time(), **extra}
        self.transcript.append(entry)
        self._emit({"type": "transcript", **entry})

    def _dropped_now(self) -> int:
        outlets = sum(o.video.dropped for o in self._outlets) + self._gone_dropped[0]
        return outlets + self.stats.late_skipped

    def _start_turn(self, turn: TurnMetrics, script: str | None = None) -> None:
        turn.frames, turn.render_ms = -self.stats.frames, -self.stats.render_ms_total
        turn.dropped_frames = -self._dropped_now()
        self.turns.append(turn)
        self._turn = turn
        self._reply_done = False
        self._segments = []
        history = list(self.transcript)
        if script is None:
            self._log("user", turn.user_text)
            for tool in self.config.tools:
                if tool.matches(turn.user_text):
                    self.emit_client_event(tool.name, {"text": turn.user_text})
        self._set_state("thinking")
        self._reply_task = asyncio.create_task(self._reply(turn, history, script))

    async def _transcribe(
        self, utterance: np.ndarray, ready: asyncio.Future[str] | None = None
    ) -> None:
        turn = TurnMetrics(self._next_turn(), "audio")
        self._set_state("thinking")
        loop = asyncio.get_running_loop()
        audio = Audio(utterance, MIC_RATE)
        counted = ready is None
        if counted:
            self._recognitions += 1
        try:
            assert self.engines.transcriber is not None  # push_audio checked it
            transcribe = self.engines.transcriber.transcribe
            if ready is not None:  # recognised at the pause before the end: nothing new since
                text = await ready
            else:
                text = await loop.run_in_executor(speech_pool(), transcribe, audio)
        except Exception as exc:  # ASR trouble costs this utterance, not the session
            log.exception("session %s: speech recognition failed", self.id)
            self._emit({"type": "error", "message": f"speech recognition failed: {exc}"})
            text = ""
        finally:
            if counted:
                self._recognitions -= 1
        turn.asr_done = time.monotonic()
        text = (text or "").strip()
        if not text or self._user_speaking or self._closing:
            if not self._user_speaking and self._turn is None:
                self._set_state("idle")
            return
        turn.user_text = text
        self._start_turn(turn)

    async def _reply(
        self, turn: TurnMetrics, history: list[dict[str, Any]], script: str | None = None
    ) -> None:
        if script is not None:
            sentences = _scripted(script)
        else:
            sentences = self.engines.responder.reply(history, turn.user_text)
        try:
            async for sentence in sentences:
                # a brain "sentence" may hold several: speak them one by one, the first sooner
                parts = split_sentences(sentence.text) or [sentence.text.strip()]
                if turn.sentences == 0 and parts:  # a long opening: its first clause goes first
                    parts = [*first_clause(parts[0]), *parts[1:]]
                for i, text in enumerate(p for p in parts if p):
                    cites = sentence.citations if i == 0 else []
                    await self._speak(turn, text, cites)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the brain or voice failed: say so, keep the session alive
            log.exception("reply failed in session %s", self.id)
            self._emit({"type": "error", "message": f"reply failed: {exc}"})
        finally:
            if self._turn is turn:
                self._reply_done = True

    async def _speak(self, turn: TurnMetrics, text: str, citations: list[Any]) -> None:
        """Synthesise one sentence and schedule it right after what is already queued."""
        rate = self.config.audio_rate
        if turn.first_sentence is None:
            turn.first_sentence = time.monotonic()
        loop = asyncio.get_running_loop()
        speak = self.engines.speaker.speak

        def timed() -> tuple[Speech, float]:
            c0 = time.thread_time()
            return speak(text), (time.thread_time() - c0) * 1000.0

        speech, cpu = await loop.run_in_executor(speech_pool(), timed)
        self.stats.add_cpu({"tts": cpu})
        if turn.first_audio is None:
            turn.first_audio = time.monotonic()
        samples = resample(speech.audio.samples, speech.audio.rate, rate)
        start = max(self._audio_pos, self._speech_end)
        segment = _Segment(start, samples, speech, text)
        self._segments.append(segment)
        self._speech_end = segment.end
        self.engines.animator.say(speech.phonemes, start / rate, self.engines.emotion)
        turn.sentences += 1
        caption: Event = {"type": "caption", "turn": turn.turn, "text": text}
        caption["start"] = round(start / rate, 3)
        caption["end"] = round(segment.end / rate, 3)
        if citations:
            caption["citations"] = [_jsonable(c) for c in citations]
        self._emit(caption)

    def _finish_turn(self, *, interrupted: bool) -> None:
        turn = self._turn
        if turn is None:
            return
        rate = self.config.audio_rate
        parts = [spoken_prefix(s, self._audio_pos - s.start, rate) for s in self._segments]
        spoken = " ".join(p for p in parts if p)
        turn.ended = time.monotonic()
        turn.interrupted = interrupted
        turn.frames += self.stats.frames  # the counters started negative at the turn's start
        turn.render_ms += self.stats.render_ms_total
        turn.dropped_frames += self._dropped_now()
        self._turn = None
        self._reply_done = True
        self._segments = []
        if spoken or interrupted:
            self._log("assistant", spoken, interrupted=interrupted)
        self._emit({"type": "turn_metrics", **turn.record()})
        if not self._closing and not self._user_speaking:
            self._set_state("idle")

    def _take_audio(self, a0: int, a1: int) -> tuple[np.ndarray, bool]:
        out = np.zeros(a1 - a0, np.int16)
        speaking = False
        for seg in self._segments:
            lo, hi = max(a0, seg.start), min(a1, seg.end)
            if lo < hi:
                out[lo - a0 : hi - a0] = seg.samples[lo - seg.start : hi - seg.start]
                speaking = True
        return out, speaking

    def want_jpeg(self, quality: int = JPEG_QUALITY) -> None:
        """Also JPEG-encode every frame in the render worker (``VideoOut.jpeg``), once per frame
        however many consumers there are."""
        if quality != self._jpeg_quality:
            self._last_image = None  # a reused frame must carry a JPEG of this quality
        self._jpeg_quality = quality

    def want_video(self, codec: str) -> VideoEncoder:
        """Also encode every new frame with ``codec`` (``VideoOut.encoded[codec]``) in the render
        worker, once for all the WebRTC viewers of that codec. Returns the shared encoder (for
        keyframe requests); a new viewer gets a keyframe. Release with ``unwant_video``."""
        from kinema.live.encode import VideoEncoder

        encoder = self._encoders.get(codec)
        if encoder is None:
            size = getattr(self.engines.renderer, "size", 0)
            bitrate = get_settings().live_webrtc_bitrate
            encoder = VideoEncoder(codec, (size, size), self.config.fps, bitrate)
            self._encoders[codec] = encoder
            self._encoder_users[codec] = 0
        self._encoder_users[codec] += 1
        encoder.request_keyframe()
        return encoder

    def unwant_video(self, codec: str) -> None:
        users = self._encoder_users.get(codec, 0) - 1
        if users > 0:
            self._encoder_users[codec] = users
        else:
            self._encoder_users.pop(codec, None)
            self._encoders.pop(codec, None)

    # -- the frame clock (driven by kinema.live.scheduler, one ticker for all sessions) ---------

    def tick_begin(self, n: int) -> _Tick | None:
        """On the loop: frame ``n``'s audio, controls and what must be rendered/encoded."""
        if self._closing:
            return None
        if n > self._next_frame:  # the batch before ran late: these frames were skipped
            self.stats.late_skipped += n - self._next_frame
        self._next_frame = n + 1
        clock = self.clock
        a0, a1 = self._audio_pos, clock.sample_at(n + 1)
        samples, speaking = self._take_audio(a0, a1)
        self._audio_pos = a1
        if speaking and self.state != "speaking":
            self._set_state("speaking")
        t = clock.frame_time(n)
        controls = self.engines.animator.controls_at(t)
        tick = _Tick(n, t, a0, samples, speaking, self._epoch, self._turn, controls)
        if not any(not o.video.paused for o in self._outlets):
            # nobody watching (yet): keep the clock, spare the CPU; audio still goes out
            self.tick_end(tick, None)
            return None
        last = self._last_image
        tick.reuse = last is not None and controls_close(controls, self._last_controls)
        tick.jpeg_quality = self._jpeg_quality
        tick.encoders = list(self._encoders.values())
        if tick.reuse and last is not None:
            tick.image, tick.jpeg = last
            # a repeated image is re-encoded only now and then (see VideoEncoder.due)
            tick.encoders = [e for e in tick.encoders if e.due(n, self.config.fps)]
            tick.heavy = bool(tick.encoders)
            if not tick.encoders:
                self.tick_end(tick, _Rendered(tick.image, 0.0, tick.jpeg, {}, {}))
                return None
        return tick

    def tick_render(self, tick: _Tick) -> _Rendered:
        """In a render worker: face render, JPEG and video encodes (CPU ms per stage)."""
        cpu: dict[str, float] = {}
        ms = 0.0
        if tick.reuse and tick.image is not None:
            image, jpeg = tick.image, tick.jpeg
        else:
            w0, c0 = time.perf_counter(), time.thread_time()
            image = np.array(self.engines.renderer.render(tick.controls), np.uint8, copy=True)
            image.flags.writeable = False  # shared by every consumer and by reused frames
            c1 = time.thread_time()
            ms = (time.perf_counter() - w0) * 1000.0
            cpu["render"] = (c1 - c0) * 1000.0
            jpeg = encode_jpeg(image, tick.jpeg_quality) if tick.jpeg_quality else None
            if jpeg is not None:
                cpu["jpeg"] = (time.thread_time() - c1) * 1000.0
        encoded: dict[str, EncodedFrame] = {}
        for encoder in tick.encoders:
            c0 = time.thread_time()
            frame = encoder.encode(image, tick.n, repeat=tick.reuse)
            if frame is not None:
                encoded[encoder.codec_name] = frame
            cpu[encoder.codec_name] = (time.thread_time() - c0) * 1000.0
        return _Rendered(image, ms, jpeg, encoded, cpu)

    def tick_end(self, tick: _Tick, done: _Rendered | None) -> None:
        """On the loop: hand frame and audio to the outlets (one consumer wakeup per tick)."""
        if self._closing:
            return
        rate, samples, speaking = self.config.audio_rate, tick.samples, tick.speaking
        if done is not None and not tick.reuse:
            self._last_controls, self._last_image = tick.controls, (done.image, done.jpeg)
        # a barge-in during the render turns this period's speech into silence (it was cut)
        if tick.epoch != self._epoch and speaking:
            samples, speaking = np.zeros_like(samples), False
        audio = AudioOut(tick.a0, tick.a0 / rate, samples, rate, speaking)
        for outlet in self._outlets:
            outlet.audio.put(audio)
        if done is not None and tick.epoch == self._epoch:  # else the frame is stale
            if tick.reuse:
                self.stats.add_reused()
            else:
                self.stats.add(done.ms)
            self.stats.add_cpu(done.cpu)
            frame = VideoOut(
                tick.n,
                tick.t,
                done.image,
                speaking,
                self.state,
                done.jpeg,
                done.encoded,
                tick.reuse,
            )
            for outlet in self._outlets:
                outlet.video.put(frame)
            turn = tick.turn
            if speaking and turn is not None and turn.first_frame is None:
                turn.first_frame = time.monotonic()
        self._maybe_finish(speaking)

    def tick_failed(self, exc: BaseException) -> None:
        """A broken renderer/animator must not leave a frozen session: close it."""
        log.error("session %s: the frame loop failed", self.id, exc_info=exc)
        self._emit({"type": "error", "message": f"rendering failed: {exc}"})
        self._spawn(self.close("error"))

    def _maybe_finish(self, speaking: bool) -> None:
        """End the turn once the reply is complete and all of its audio has been handed out."""
        if (
            self._turn is not None
            and self._reply_done
            and self._audio_pos >= self._speech_end
            and not speaking
        ):
            self._finish_turn(interrupted=False)

    async def _watchdog(self) -> None:
        interval = self.config.metrics_interval
        next_metrics = time.monotonic() + interval
        while not self._closing:
            await asyncio.sleep(0.1)
            if interval > 0 and time.monotonic() >= next_metrics:
                next_metrics += interval
                self._emit({"type": "metrics", **self.metrics()})
            if self.clock.now() >= self.config.max_duration:
                await self.close("max_duration")
            elif time.monotonic() - self._last_activity >= self.config.idle_timeout:
                await self.close("idle_timeout")
