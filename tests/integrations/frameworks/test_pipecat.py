"""KinemaVideoService in a real Pipecat pipeline (pipecat.tests.utils.run_test, no network)."""

from __future__ import annotations

import numpy as np
import pytest
from pipecat.frames.frames import (
    InterruptionFrame,
    OutputImageRawFrame,
    TTSAudioRawFrame,
    TTSStartedFrame,
    TTSStoppedFrame,
)
from pipecat.tests.utils import SleepFrame, run_test

from kinema.integrations.pipecat import KinemaVideoService
from kinema.live.avatar_service import AvatarService

from .common import FPS, RATE, SIZE, chunks, mouth_box, mouth_dark, mouth_motion, rig, speech

pytestmark = pytest.mark.timeout(120)


async def _service() -> AvatarService:
    return await AvatarService.create(rig=rig(), size=SIZE, fps=FPS, audio_rate=RATE)


def _split(frames):  # type: ignore[no-untyped-def]
    images = [f for f in frames if isinstance(f, OutputImageRawFrame)]
    audio = [f for f in frames if isinstance(f, TTSAudioRawFrame)]
    return images, audio


def _rgb(frame: OutputImageRawFrame) -> np.ndarray:
    w, h = frame.size
    return np.frombuffer(frame.image, np.uint8).reshape(h, w, 3)


async def test_tts_audio_comes_out_as_lip_synced_video_and_audio() -> None:
    service = await _service()
    processor = KinemaVideoService(service=service)
    pcm = speech()
    seconds = len(pcm) / RATE
    sent = [TTSAudioRawFrame(c.tobytes(), RATE, 1) for c in chunks(pcm)]
    down, _ = await run_test(
        processor,
        frames_to_send=[
            SleepFrame(0.5),
            TTSStartedFrame(),
            *sent,
            TTSStoppedFrame(),
            SleepFrame(seconds + 0.8),
        ],
    )
    images, audio = _split(down)
    kinds = [type(f) for f in down]
    assert TTSStartedFrame in kinds and TTSStoppedFrame in kinds  # passed through
    # video all along (idle before and after the speech), on the avatar clock
    total = 0.5 + seconds + 0.8
    assert len(images) >= 0.75 * total * FPS
    assert all(f.size == (SIZE, SIZE) and f.format == "RGB" for f in images)
    pts = [f.pts for f in images]
    assert pts == sorted(pts) and len(set(pts)) == len(pts)
    # the speech comes back whole, re-cut into one chunk per frame period, contiguous pts
    out = np.concatenate([np.frombuffer(f.audio, np.int16) for f in audio])
    assert all(f.sample_rate == RATE and f.num_channels == 1 for f in audio)
    assert abs(len(out) - len(pcm)) <= RATE // FPS
    corr = np.corrcoef(out[: len(pcm)].astype(float), pcm[: len(out)].astype(float))[0, 1]
    assert corr > 0.99  # the same samples, in order
    period = round(1e9 / FPS)
    assert all(abs(b.pts - a.pts - period) < 2e6 for a, b in zip(audio, audio[1:], strict=False))
    # lips: the mouth moves while the audio plays, and rests before it
    box = mouth_box(SIZE)
    motion = mouth_motion([_rgb(f) for f in images], box)
    start, end = audio[0].pts, audio[-1].pts
    during = motion[[start <= p <= end for p in pts]]
    before = motion[[p < start - 2 * period for p in pts]]
    assert during.max() > 4 * max(before.max(), 0.5)
    # the first frame with an open mouth is within two frame periods of the first audio
    first_open = next(p for p, m in zip(pts, motion, strict=True) if m > 0.5 * during.max())
    assert abs(first_open - start) < 0.35e9  # the first syllable's onset, not a lag
    assert [f.interrupted for f in processor.utterances_finished] == [False]


async def test_interruption_drops_the_queued_speech_and_closes_the_mouth() -> None:
    service = await _service()
    processor = KinemaVideoService(service=service)
    pcm = np.concatenate([speech("Let me tell you a long story about the sea and the ships.")] * 2)
    assert len(pcm) / RATE > 4
    sent = [TTSAudioRawFrame(c.tobytes(), RATE, 1) for c in chunks(pcm)]
    down, _ = await run_test(
        processor,
        frames_to_send=[
            TTSStartedFrame(),
            *sent,
            SleepFrame(1.0),
            InterruptionFrame(),
            SleepFrame(1.0),
        ],
    )
    images, audio = _split(down)
    played = sum(len(f.audio) // 2 for f in audio) / RATE
    assert 0.5 < played < 1.6, played  # about the second before the interruption, not 4 s
    finished = processor.utterances_finished
    assert finished and finished[-1].interrupted
    # video goes on after the interruption, with the mouth back at rest
    last_audio = audio[-1].pts
    after = [f for f in images if f.pts > last_audio + 0.4e9]
    assert len(after) >= 8
    box = mouth_box(SIZE)
    rest = mouth_dark([_rgb(images[0])] + [_rgb(f) for f in after], box)[1:]
    talk = mouth_dark([_rgb(images[0])] + [_rgb(f) for f in images if f.pts <= last_audio], box)
    assert rest.max() < 0.5 * talk.max(), (rest.max(), talk.max())  # the head sways, mouth shut


async def test_builds_its_own_avatar_from_a_portrait_rig() -> None:
    processor = KinemaVideoService(rig=rig(), size=64, fps=12, audio_rate=RATE)
    down, _ = await run_test(processor, frames_to_send=[SleepFrame(0.6)])
    images, audio = _split(down)
    assert images and images[0].size == (64, 64) and not audio
    with pytest.raises(ValueError):
        KinemaVideoService()
