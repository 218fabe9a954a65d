"""The embedded espeak-ng TTS: audio, phoneme timings that match the audio, prosody, streaming."""

from __future__ import annotations

import itertools
import threading

import numpy as np
import pytest

from kinema.errors import InvalidInput, UnknownVoice
from kinema.voice.analysis import voice_stats
from kinema.voice.tts import DEFAULT_VOICE, VoiceSettings, get_tts
from kinema.voice.visemes import VISEMES

TEXT = "The quick brown fox jumps over the lazy dog. She sells sea shells by the sea shore."


def test_synthesis_audio_matches_phoneme_timeline(tts):
    speech = tts.synthesize("Hello Bob, what is the weather today?", DEFAULT_VOICE)
    audio = speech.audio
    assert audio.samples.dtype == np.int16 and audio.rate == 22050
    assert audio.duration > 1.0 and np.abs(audio.samples).max() > 3000
    assert abs(speech.phonemes[-1].end - audio.duration) <= 0.05
    assert speech.phonemes[0].start == 0.0 and speech.phonemes[0].viseme == "sil"
    starts = [p.start for p in speech.phonemes]
    assert starts == sorted(starts)
    assert all(p.end > p.start for p in speech.phonemes)
    assert all(a.end == pytest.approx(b.start) for a, b in itertools.pairwise(speech.phonemes))
    assert {p.viseme for p in speech.phonemes} <= set(VISEMES)
    assert [w for w, _ in speech.words] == ["Hello", "Bob", "what", "is", "the", "weather", "today"]
    assert [t for _, t in speech.words] == sorted(t for _, t in speech.words)


def _envelope(speech) -> np.ndarray:
    x = speech.audio.samples.astype(np.float64)
    win = int(0.005 * speech.audio.rate)
    return np.sqrt(np.convolve(x**2, np.ones(win) / win, mode="same"))


VOWELS = {"aa", "E", "I", "O", "U"}


@pytest.mark.parametrize("voice", ["emma", "james", "arthur", "lily"])
def test_bilabial_closures_line_up_with_phoneme_events(tts, voice):
    """A p/b after a vowel starts with a near-silent lip closure: the event must start with it.

    (espeak reports stops at the release burst; the engine moves the boundary back over the
    closure, which is what the face needs to show closed lips while the audio is quiet.)
    """
    speech = tts.synthesize("Maybe a bit more paper, Bob. A happy puppy.", voice)
    env, rate = _envelope(speech), speech.audio.rate

    def level(t0: float, t1: float) -> float:
        return float(env[int(t0 * rate) : int(t1 * rate)].mean())

    vowel = np.median([level(p.start, p.end) for p in speech.phonemes if p.viseme in VOWELS])
    checked = 0
    for prev, ph in itertools.pairwise(speech.phonemes):
        if ph.phoneme not in ("p", "b") or prev.viseme not in VOWELS:
            continue
        assert ph.viseme == "PP"
        closure = level(ph.start, ph.start + 0.03)
        before = level(ph.start - 0.02, ph.start - 0.005)
        assert closure < 0.35 * vowel, (ph, closure, vowel)
        assert before > 2 * closure, (ph, before, closure)
        checked += 1
    assert checked >= 6


def test_speed_changes_duration_and_pitch_changes_f0(tts):
    normal = tts.synthesize(TEXT, "emma")
    fast = tts.synthesize(TEXT, "emma", VoiceSettings(speed=1.5))
    slow = tts.synthesize(TEXT, "emma", VoiceSettings(speed=0.7))
    assert fast.audio.duration < 0.8 * normal.audio.duration < 0.8 * slow.audio.duration
    f0 = voice_stats(normal.audio).f0
    high = voice_stats(tts.synthesize(TEXT, "emma", VoiceSettings(pitch=1.3)).audio).f0
    low = voice_stats(tts.synthesize(TEXT, "emma", VoiceSettings(pitch=0.8)).audio).f0
    assert high / f0 == pytest.approx(1.3, rel=0.08)
    assert low / f0 == pytest.approx(0.8, rel=0.08)


def test_emotions_shape_prosody(tts):
    def stats(emotion):
        speech = tts.synthesize(TEXT, "james", VoiceSettings(emotion=emotion))
        return speech.audio.duration, voice_stats(speech.audio)

    dur_n, neutral = stats("neutral")
    dur_h, happy = stats("happy")
    dur_s, sad = stats("sad")
    assert happy.f0 > 1.05 * neutral.f0 > 1.05 * sad.f0
    assert dur_h < dur_n < dur_s
    assert sad.f0_spread < neutral.f0_spread < happy.f0_spread
    with pytest.raises(InvalidInput, match="emotion"):
        tts.synthesize("Hi.", "james", VoiceSettings(emotion="bored-ish"))


def test_stream_yields_one_speech_per_sentence(tts):
    text = "Hello there. Dr. Smith is here! Is it 3.5 degrees? Yes."
    parts = list(tts.stream(text, "oliver"))
    assert [p.text for p in parts] == [
        "Hello there.",
        "Dr. Smith is here!",
        "Is it 3.5 degrees?",
        "Yes.",
    ]
    assert all(p.audio.duration > 0.3 and p.voice == "oliver" for p in parts)
    assert [p.text for p in tts.stream("... Hi. -- ", "emma")] == ["Hi."]  # nothing to say: skipped


def test_stream_is_lazy(tts):
    gen = tts.stream("One. Two. Three.", "emma")
    first = next(gen)
    assert first.text == "One."


def test_bad_input(tts):
    with pytest.raises(InvalidInput, match="empty"):
        tts.synthesize("   ", "emma")
    with pytest.raises(InvalidInput):
        list(tts.stream("", "emma"))
    with pytest.raises(UnknownVoice) as err:
        tts.synthesize("Hello", "no-such-voice")
    assert "emma" in str(err.value) and err.value.status == 400
    with pytest.raises(UnknownVoice):
        next(tts.stream("Hello. There.", "nobody"))
    with pytest.raises(InvalidInput):
        get_tts("festival")


def test_concurrent_calls_are_serialised(tts):
    """espeak-ng has global state: parallel callers must each get their own, whole utterance."""
    results: dict[int, float] = {}

    def work(i: int) -> None:
        speech = tts.synthesize("word " * (i + 3), "emma")
        results[i] = speech.audio.duration - speech.phonemes[-1].end

    threads = [threading.Thread(target=work, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 6 and all(abs(v) < 0.05 for v in results.values())
    alone = [tts.synthesize("word " * (i + 3), "emma").audio.duration for i in range(6)]
    assert alone == sorted(alone)
