"""Streaming VAD: start/end of synthesised speech padded with (noisy) silence."""

from __future__ import annotations

import numpy as np
import pytest

from kinema.errors import InvalidInput
from kinema.media.audio import Audio, resample
from kinema.voice.vad import StreamingVAD, speech_segments


@pytest.fixture(scope="module")
def utterance(tts):
    speech = tts.synthesize("Hello, what is the weather like today? I would like to know.", "james")
    x = resample(speech.audio.samples, speech.audio.rate, 16000)
    voiced_end = max(p.end for p in speech.phonemes if p.viseme != "sil")
    return x, voiced_end


@pytest.mark.parametrize("noise", [0, 100, 300])
def test_segments_bracket_the_speech(utterance, noise):
    x, voiced_end = utterance
    rng = np.random.default_rng(1)
    n = lambda k: rng.normal(0, noise, k).astype(np.int16)  # noqa: E731
    y = np.concatenate([n(16000), x + n(len(x)), n(24000)])
    segments = speech_segments(Audio(y, 16000))
    assert len(segments) == 1
    start, end = segments[0]
    assert 0.95 <= start <= 1.1
    assert 1.0 + voiced_end - 0.1 <= end <= 1.0 + voiced_end + 0.25


@pytest.mark.parametrize("chunk", [160, 320, 1234])
def test_streaming_events_arrive_in_time(utterance, chunk):
    """Start is reported within ~100 ms of speech; end within hangover + a frame of silence."""
    x, voiced_end = utterance
    y = np.concatenate([np.zeros(8000, np.int16), x, np.zeros(16000, np.int16)])
    vad = StreamingVAD(hangover=0.4)
    seen = []
    for i in range(0, len(y), chunk):
        for event in vad.feed(y[i : i + chunk]):
            seen.append((event, (i + chunk) / 16000))
    kinds = [e.kind for e, _ in seen]
    assert kinds[0] == "start" and kinds[-1] == "end"
    pauses = [(e, t) for e, t in seen if e.kind == "pause"]
    assert pauses and pauses[-1][0].time == seen[-1][0].time  # last pause: where speech ended
    assert pauses[-1][1] - pauses[-1][0].time == pytest.approx(0.2, abs=0.12)  # early warning
    (start, t_start), (end, t_end) = seen[0], seen[-1]
    assert abs(start.time - 0.5) < 0.06 and t_start - start.time < 0.15
    assert t_end - end.time == pytest.approx(0.4, abs=0.12)
    assert not vad.in_speech


def test_pauses_shorter_than_hangover_do_not_end_a_turn(utterance):
    x, _ = utterance
    gap = np.zeros(int(0.3 * 16000), np.int16)
    y = np.concatenate([np.zeros(8000, np.int16), x, gap, x, np.zeros(16000, np.int16)])
    assert len(speech_segments(Audio(y, 16000), hangover=0.6)) == 1
    assert len(speech_segments(Audio(y, 16000), hangover=0.15)) >= 2


def test_bad_parameters():
    with pytest.raises(InvalidInput):
        StreamingVAD(rate=22050)
    with pytest.raises(InvalidInput):
        StreamingVAD(frame_ms=25)
