"""KinemaVideoGenerator behind LiveKit's own AvatarRunner, fed by the agent-side
QueueAudioOutput, pushing into real rtc AudioSource/VideoSource/AVSynchronizer (no server:
the room is a stand-in that is "connected" and accepts track publications)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import numpy as np
import pytest
from livekit import rtc
from livekit.agents.voice.avatar import AudioSegmentEnd, AvatarRunner, QueueAudioOutput

from kinema.integrations.livekit import KinemaVideoGenerator

from .common import FPS, RATE, SIZE, chunks, rig, speech

pytestmark = pytest.mark.timeout(120)


class _Publication:
    async def wait_for_subscription(self) -> None:
        return None


class _Participant:
    def __init__(self) -> None:
        self.tracks: list[Any] = []

    async def publish_track(self, track: Any, options: Any) -> _Publication:
        self.tracks.append(track)
        return _Publication()


class _Room:
    """What AvatarRunner uses of ``rtc.Room``, connected, with no server behind it."""

    def __init__(self) -> None:
        self.local_participant = _Participant()

    def isconnected(self) -> bool:
        return True

    def on(self, *a: Any) -> None: ...

    def off(self, *a: Any) -> None: ...


class _Recording(KinemaVideoGenerator):
    """The generator, recording what it hands to the runner."""

    def __init__(self, inner: KinemaVideoGenerator) -> None:
        super().__init__(inner.service)
        self.out: list[tuple[float, Any]] = []

    async def _frames(self) -> AsyncIterator[Any]:
        async for item in super()._frames():
            self.out.append((asyncio.get_running_loop().time(), item))
            yield item


async def _speak(audio_out: QueueAudioOutput, pcm: np.ndarray) -> None:
    for c in chunks(pcm):
        await audio_out.capture_frame(rtc.AudioFrame(c.tobytes(), RATE, 1, len(c)))
    audio_out.flush()


async def _runner() -> tuple[AvatarRunner, QueueAudioOutput, _Recording, _Room]:
    gen = _Recording(
        await KinemaVideoGenerator.create(rig=rig(), size=SIZE, fps=FPS, audio_rate=RATE)
    )
    audio_out = QueueAudioOutput(sample_rate=RATE)
    room = _Room()
    runner = AvatarRunner(
        room,
        audio_recv=audio_out,
        video_gen=gen,  # type: ignore[arg-type]
        options=gen.avatar_options(),
    )
    await runner.start()
    return runner, audio_out, gen, room


async def test_speech_plays_out_with_video_and_reports_playback_finished() -> None:
    runner, audio_out, gen, room = await _runner()
    try:
        await asyncio.sleep(0.3)
        pcm = speech()
        seconds = len(pcm) / RATE
        await _speak(audio_out, pcm)
        ev = await asyncio.wait_for(audio_out.wait_for_playout(), seconds + 5)
        assert not ev.interrupted
        assert abs(ev.playback_position - seconds) < 0.1  # played in full
        kinds = [type(x) for _, x in gen.out]
        assert kinds.count(AudioSegmentEnd) == 1
        video = [x for _, x in gen.out if isinstance(x, rtc.VideoFrame)]
        audio = [x for _, x in gen.out if isinstance(x, rtc.AudioFrame)]
        assert video[0].width == SIZE and video[0].type == rtc.VideoBufferType.RGBA
        assert abs(sum(a.samples_per_channel for a in audio) - len(pcm)) <= RATE // FPS
        # audio and video interleave on one clock: a frame period of audio per video frame
        spoken = [i for i, (_, x) in enumerate(gen.out) if isinstance(x, rtc.AudioFrame)]
        between = [x for _, x in gen.out[spoken[0] : spoken[-1]] if isinstance(x, rtc.VideoFrame)]
        assert abs(len(between) - len(spoken)) <= 2
        assert len(room.local_participant.tracks) == 2  # audio and video tracks published
    finally:
        await runner.aclose()
        await gen.aclose()


async def test_clear_buffer_interrupts_and_reports_the_position() -> None:
    runner, audio_out, gen, _ = await _runner()
    try:
        pcm = np.concatenate([speech("Let me tell you a long story about the sea and ships.")] * 2)
        task = asyncio.create_task(_speak(audio_out, pcm))
        await asyncio.sleep(1.2)
        audio_out.clear_buffer()  # the agent was interrupted
        ev = await asyncio.wait_for(audio_out.wait_for_playout(), 5)
        await task
        assert ev.interrupted
        assert 0.3 < ev.playback_position < 1.5, ev.playback_position
        n = len(gen.out)
        await asyncio.sleep(0.5)
        later = [x for _, x in gen.out[n:]]
        assert not any(isinstance(x, rtc.AudioFrame) for x in later)  # no speech after the cut
        assert sum(isinstance(x, rtc.VideoFrame) for x in later) >= 6  # the face goes on
    finally:
        await runner.aclose()
        await gen.aclose()
