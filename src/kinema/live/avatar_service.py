"""The face as an avatar service for agent frameworks (LiveKit Agents, Pipecat).

Those frameworks own the conversation (STT, LLM, TTS) and want a component that turns the
agent's speech audio into synchronised video. This is the LiveKit ``VideoGenerator`` shape:

- ``await push_audio(frame)``: speech audio as it is produced (numpy int16, bytes, a LiveKit
  ``rtc.AudioFrame`` or a Pipecat ``OutputAudioRawFrame``); optional phoneme timings, otherwise
  visemes are estimated from the audio itself (``audio_visemes``);
- ``flush()``: the utterance is complete; ``playback_finished`` fires once it has played out;
- ``clear_buffer()``: the user interrupted; pending audio is dropped, the mouth closes, and
  ``playback_finished`` fires with ``interrupted=True``;
- ``async for item in service``: ``VideoOut`` / ``AudioOut`` on one media clock (idle frames
  and silence when nothing is playing) and ``PlaybackFinished`` markers.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from kinema.live.audio_visemes import estimate_visemes, peak_dbfs
from kinema.live.clock import MediaClock
from kinema.live.engines import Animator, FrameRenderer
from kinema.live.frames import AudioOut, VideoOut
from kinema.live.outlet import Outlet
from kinema.live.workers import render_pool
from kinema.media.audio import resample
from kinema.voice.tts.base import PhonemeEvent


@dataclass(frozen=True)
class PlaybackFinished:
    playback_position: float  # seconds of the utterance that were played
    interrupted: bool


def pcm_of(frame: Any, sample_rate: int | None = None) -> tuple[np.ndarray, int]:
    """int16 mono samples and their rate from the audio frame types agent frameworks use."""
    channels = 1
    if isinstance(frame, np.ndarray):
        data, rate = frame, sample_rate
    elif isinstance(frame, bytes | bytearray | memoryview):
        data, rate = np.frombuffer(frame, np.int16), sample_rate
    else:  # LiveKit rtc.AudioFrame (.data) or Pipecat OutputAudioRawFrame (.audio)
        raw = getattr(frame, "data", None)
        if raw is None:
            raw = frame.audio
        data = np.frombuffer(raw, np.int16)
        rate = getattr(frame, "sample_rate", sample_rate)
        channels = int(getattr(frame, "num_channels", 1) or 1)
    if rate is None:
        raise ValueError("sample_rate is required for raw PCM")
    data = np.asarray(data, np.int16)
    if channels > 1:
        data = data.reshape(-1, channels).mean(axis=1).astype(np.int16)
    return data.reshape(-1), int(rate)


class AvatarService:
    def __init__(
        self,
        renderer: FrameRenderer,
        animator: Animator,
        *,
        fps: int = 24,
        audio_rate: int = 48000,
        chunk: float = 0.1,
        video_buffer: int = 6,
    ) -> None:
        self.renderer, self.animator = renderer, animator
        self.clock = MediaClock(fps, audio_rate)
        self.chunk = chunk  # audio is scheduled in pieces of this length (latency vs. smoothness)
        self.outlet = Outlet(video_frames=video_buffer)
        self.playback_finished = asyncio.Event()
        self._callbacks: list[Callable[[PlaybackFinished], None]] = []
        self._segments: list[tuple[int, np.ndarray]] = []
        self._pending: list[np.ndarray] = []
        self._audio_pos = 0
        self._speech_end = 0
        self._utterance_start: int | None = None
        self._flushed_end: int | None = None
        self._epoch = 0
        self._peak_db = -120.0  # loudest window of the current utterance, decays between them
        self._task: asyncio.Task[None] | None = None
        self.frames = 0
        self.late_skipped = 0

    @classmethod
    async def create(
        cls,
        *,
        portrait: np.ndarray | None = None,
        rig: Any = None,
        rig_id: str | None = None,
        size: int = 512,
        **options: Any,
    ) -> AvatarService:
        """A started service on the real face engine (rig cached by id, renderer per service)."""
        from kinema.face.render import Renderer
        from kinema.live.wiring import RIGS, RigCache, make_animator

        def build() -> Renderer:
            r = rig
            if r is None:
                key = rig_id or RigCache.key_for(portrait)  # type: ignore[arg-type]
                r = RIGS.get(key, portrait)
            return Renderer(r, size)

        renderer = await asyncio.to_thread(build)
        return await cls(renderer, make_animator(), **options).start()

    async def start(self) -> AvatarService:
        if self._task is None:
            self.clock = MediaClock(self.clock.fps, self.clock.audio_rate)
            self.animator.set_state("idle", 0.0)
            self._task = asyncio.create_task(self._run())
        return self

    async def aclose(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self.outlet.close()

    def on_playback_finished(self, callback: Callable[[PlaybackFinished], None]) -> None:
        self._callbacks.append(callback)

    # -- the VideoGenerator surface ---------------------------------------------------------------

    async def push_audio(
        self,
        frame: Any,
        sample_rate: int | None = None,
        phonemes: Sequence[PhonemeEvent] | None = None,
    ) -> None:
        """Queue speech audio. With ``phonemes`` (times relative to this frame) they drive the
        mouth; otherwise visemes are estimated from the audio."""
        samples, rate = pcm_of(frame, sample_rate)
        samples = resample(samples, rate, self.clock.audio_rate)
        if self._utterance_start is None:
            self.playback_finished.clear()
            self._peak_db = max(-120.0, self._peak_db - 12.0)  # a new utterance may be quieter
        if phonemes is not None:
            self._schedule()  # keep order: pending audio first
            self._schedule_samples(samples, list(phonemes))
            return
        self._pending.append(samples)
        if sum(len(p) for p in self._pending) >= self.chunk * self.clock.audio_rate:
            self._schedule()

    def flush(self) -> None:
        """End of the utterance: play what is buffered, then signal ``playback_finished``."""
        self._schedule()
        self._flushed_end = self._speech_end

    def clear_buffer(self) -> None:
        """Interruption: drop everything not yet played, close the mouth, signal playback end."""
        pos = self._audio_pos
        had_audio = self._utterance_start is not None
        self._pending.clear()
        self._segments = [(s, a[: max(0, pos - s)]) for s, a in self._segments if s < pos]
        self._speech_end = pos
        self._epoch += 1
        self.animator.stop(pos / self.clock.audio_rate)
        self.outlet.flush_media()
        if had_audio:
            self._finish(pos, interrupted=True)

    def __aiter__(self) -> AsyncIterator[VideoOut | AudioOut | PlaybackFinished]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[VideoOut | AudioOut | PlaybackFinished]:
        o = self.outlet
        while not (o.closed and not len(o.video) and not len(o.audio) and not len(o.events)):
            await o.wait(1.0)
            while (event := o.events.pop()) is not None:
                yield PlaybackFinished(event["playback_position"], event["interrupted"])
            while (chunk := o.audio.pop()) is not None:
                yield chunk
            while (frame := o.video.pop()) is not None:
                yield frame

    # -- internals ------------------------------------------------------------------------------

    def _schedule(self) -> None:
        if self._pending:
            samples = np.concatenate(self._pending)
            self._pending.clear()
            rate = self.clock.audio_rate
            self._peak_db = max(self._peak_db, peak_dbfs(samples, rate))
            visemes = estimate_visemes(samples, rate, peak_db=self._peak_db)
            self._schedule_samples(samples, visemes)

    def _schedule_samples(self, samples: np.ndarray, phonemes: list[PhonemeEvent]) -> None:
        start = max(self._audio_pos, self._speech_end)
        if self._utterance_start is None:
            self._utterance_start = start
            self.animator.set_state("speaking", start / self.clock.audio_rate)
        self._segments.append((start, samples))
        self._speech_end = start + len(samples)
        self.animator.say(phonemes, start / self.clock.audio_rate, "neutral")

    def _finish(self, end: int, *, interrupted: bool) -> None:
        start = self._utterance_start if self._utterance_start is not None else end
        done = PlaybackFinished(round((end - start) / self.clock.audio_rate, 3), interrupted)
        self._flushed_end = None
        if self._speech_end > end:  # the next utterance is already queued behind this one
            self._utterance_start = end
        else:
            self._utterance_start = None
            self.animator.set_state("idle", end / self.clock.audio_rate)
        self.outlet.events.put(
            {"type": "playback_finished", "playback_position": done.playback_position}
            | {"interrupted": interrupted}
        )
        self.playback_finished.set()
        for callback in self._callbacks:
            callback(done)

    def _take(self, a0: int, a1: int) -> tuple[np.ndarray, bool]:
        out = np.zeros(a1 - a0, np.int16)
        speaking = False
        keep = []
        for s, a in self._segments:
            lo, hi = max(a0, s), min(a1, s + len(a))
            if lo < hi:
                out[lo - a0 : hi - a0] = a[lo - s : hi - s]
                speaking = True
            if s + len(a) > a1:
                keep.append((s, a))
        self._segments = keep
        return out, speaking

    def _render(self, controls: Any) -> np.ndarray:
        return np.array(self.renderer.render(controls), dtype=np.uint8, copy=True)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        clock, n = self.clock, 0
        while True:
            await clock.wait_for_frame(n)
            due = clock.frame_due()
            if due > n + 1:
                self.late_skipped += due - n - 1
                n = due - 1
            a0, a1 = self._audio_pos, clock.sample_at(n + 1)
            samples, speaking = self._take(a0, a1)
            self._audio_pos = a1
            self.outlet.audio.put(
                AudioOut(a0, a0 / clock.audio_rate, samples, clock.audio_rate, speaking)
            )
            t, epoch = clock.frame_time(n), self._epoch
            controls = self.animator.controls_at(t)
            image = await loop.run_in_executor(render_pool(), self._render, controls)
            if epoch == self._epoch:
                self.frames += 1
                self.outlet.video.put(
                    VideoOut(n, t, image, speaking, "speaking" if speaking else "idle")
                )
            if self._flushed_end is not None and self._audio_pos >= self._flushed_end:
                self._finish(self._flushed_end, interrupted=False)
            n += 1
