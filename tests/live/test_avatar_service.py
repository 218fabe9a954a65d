"""The avatar service (LiveKit VideoGenerator shape): audio in → A/V out, flush, clear_buffer."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import numpy as np
import pytest
import skimage.data

from kinema.live.audio_visemes import estimate_visemes
from kinema.live.avatar_service import AvatarService, PlaybackFinished, pcm_of
from kinema.live.frames import AudioOut, VideoOut
from kinema.voice.tts import DEFAULT_VOICE, get_tts

from .fakes import FakeAnimator, FakeRenderer, mouth_open


@dataclass
class LiveKitLikeFrame:  # the attributes of livekit.rtc.AudioFrame the service reads
    data: memoryview
    sample_rate: int
    num_channels: int


def speech_audio(text: str = "Hello there, how are you today?") -> tuple[np.ndarray, int]:
    s = get_tts().synthesize(text, DEFAULT_VOICE)
    return s.audio.samples, s.audio.rate


def test_visemes_from_audio_follow_the_signal():
    samples, rate = speech_audio()
    events = estimate_visemes(samples, rate)
    assert events[0].start == 0 and abs(events[-1].end - len(samples) / rate) < 0.03
    voiced = {e.viseme for e in events} - {"sil"}
    assert len(voiced) >= 3 and voiced & {"aa", "E", "O"}
    assert {e.viseme for e in estimate_visemes(np.zeros(rate, np.int16), rate)} == {"sil"}


def test_pcm_of_reads_framework_frames():
    stereo = np.array([[100, 300], [-100, -300]], np.int16)
    frame = LiveKitLikeFrame(memoryview(stereo.tobytes()), 24000, 2)
    pcm, rate = pcm_of(frame)
    assert rate == 24000 and pcm.tolist() == [200, -200]
    with pytest.raises(ValueError):
        pcm_of(b"\x00\x00")


async def collect(service: AvatarService, seconds: float) -> list[tuple[float, object]]:
    items: list[tuple[float, object]] = []

    async def run() -> None:
        async for item in service:
            items.append((time.monotonic(), item))

    task = asyncio.create_task(run())
    await asyncio.sleep(seconds)
    task.cancel()
    return items


async def test_audio_in_drives_mouth_and_plays_out_then_finishes():
    service = await AvatarService(FakeRenderer(64), FakeAnimator(), fps=25).start()
    samples, rate = speech_audio()
    finished: list[PlaybackFinished] = []
    service.on_playback_finished(finished.append)
    for i in range(0, len(samples), rate // 50):  # 20 ms frames, as a TTS would stream them
        await service.push_audio(LiveKitLikeFrame(memoryview(samples[i : i + rate // 50]), rate, 1))
    service.flush()
    duration = len(samples) / rate
    items = await collect(service, duration + 0.6)
    await service.aclose()
    video = [x for _, x in items if isinstance(x, VideoOut)]
    audio = [x for _, x in items if isinstance(x, AudioOut)]
    assert finished and not finished[0].interrupted
    assert abs(finished[0].playback_position - duration) < 0.05
    assert any(isinstance(x, PlaybackFinished) for _, x in items)
    speaking = [v for v in video if v.speaking]
    assert speaking and sum(mouth_open(v.image) for v in speaking) > len(speaking) // 3
    assert not any(mouth_open(v.image) for v in video[-5:])  # rests after playback
    played = np.concatenate([a.samples for a in audio if a.speaking])
    assert abs(len(played) / 48000 - duration) < 0.05  # every sample played, resampled to 48 kHz
    assert np.abs(played).max() > 1000


async def test_clear_buffer_interrupts_within_200ms():
    # synthesise before the service's clock starts (a neural voice takes a moment; blocking
    # the loop here would make the clock catch up in a burst)
    samples, rate = speech_audio("This is a rather long sentence that will be cut off early.")
    service = await AvatarService(FakeRenderer(64), FakeAnimator()).start()
    await service.push_audio(samples, rate)
    service.flush()
    task_items: list[tuple[float, object]] = []

    async def run() -> None:
        async for item in service:
            task_items.append((time.monotonic(), item))

    task = asyncio.create_task(run())
    await asyncio.sleep(0.8)
    t_cut = time.monotonic()
    service.clear_buffer()
    await asyncio.sleep(0.5)
    task.cancel()
    await service.aclose()
    done = [x for _, x in task_items if isinstance(x, PlaybackFinished)]
    assert done and done[0].interrupted and 0.6 < done[0].playback_position < 1.0
    last = max(
        t
        for t, x in task_items
        if (isinstance(x, AudioOut) and x.speaking)
        or (isinstance(x, VideoOut) and mouth_open(x.image))
    )
    assert last - t_cut < 0.2


@pytest.mark.slow
async def test_avatar_service_on_the_real_face():
    service = await AvatarService.create(portrait=skimage.data.astronaut(), size=128)
    samples, rate = speech_audio("Good morning.")
    await service.push_audio(samples.tobytes(), rate)
    service.flush()
    items = await collect(service, len(samples) / rate + 0.5)
    await service.aclose()
    video = [x for _, x in items if isinstance(x, VideoOut)]
    assert service.playback_finished.is_set()
    rest = video[0].image.astype(int)
    talking = max(np.abs(v.image.astype(int) - rest).mean() for v in video if v.speaking)
    assert talking > 1.0 and video[0].image.shape == (128, 128, 3)
