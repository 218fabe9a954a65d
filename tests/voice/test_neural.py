"""The embedded neural voice (Piper, own onnxruntime runner) and ears (Whisper tiny.en)."""

from __future__ import annotations

import itertools
import shutil
import socket

import numpy as np
import pytest
from voice_netguard import NetworkAttempt, no_network

from kinema.errors import BackendUnavailable, InvalidInput
from kinema.voice.analysis import voice_stats, word_error_rate
from kinema.voice.models import (
    PIPER_JOE,
    WHISPER_TINY_EN,
    ModelIntegrityError,
    ShippedModel,
    verify_files,
)
from kinema.voice.presets import NEURAL, PRESETS
from kinema.voice.tts import VoiceSettings, engine_for, get_tts

SENTENCES = [
    "Maybe a bit more paper would help the printer.",
    "The museum opens early and closes late in the evening.",
    "Could you tell me where the nearest train station is?",
    "We should plant the tomatoes before the rain comes.",
]
FPS = 24
VOWELS = ("aa", "E", "I", "O", "U")


def test_models_load_and_run_without_any_network(neural_load):
    assert neural_load["attempts"] == []
    assert "network" in str(neural_load["heard"]).lower()


def test_the_socket_guard_really_blocks():
    with no_network() as attempts, pytest.raises(NetworkAttempt):
        socket.create_connection(("192.0.2.1", 80), timeout=0.1)
    assert attempts


def _corrupt_copy(model: ShippedModel, tmp_path, name: str):
    copy = tmp_path / model.subdir
    shutil.copytree(model.location(), copy)
    verify_files(copy, model.files, model.id)  # an intact copy passes
    with (copy / name).open("r+b") as f:
        f.seek(4096)
        byte = f.read(1)
        f.seek(4096)
        f.write(bytes([byte[0] ^ 0xFF]))
    return copy


@pytest.mark.parametrize(
    ("model", "name"),
    [(PIPER_JOE, "en_US-joe-medium.onnx"), (WHISPER_TINY_EN, "model.bin")],
)
def test_a_corrupted_model_file_fails_loudly(model, name, tmp_path, monkeypatch):
    copy = _corrupt_copy(model, tmp_path, name)
    monkeypatch.setattr(ShippedModel, "location", lambda self: copy)
    if model is PIPER_JOE:
        from kinema.voice.tts.piper import PiperTTS

        build = PiperTTS
    else:
        from kinema.voice.asr.whisper import WhisperASR

        build = WhisperASR
    with pytest.raises(ModelIntegrityError, match=rf"{name}.*sha256.*reinstall") as err:
        build()
    assert err.value.status >= 500 and "expected" in str(err.value)


def test_whisper_never_takes_a_model_name(monkeypatch):
    from kinema.voice.asr.whisper import WhisperASR

    with no_network() as attempts, pytest.raises(BackendUnavailable, match="never downloaded"):
        WhisperASR(model="base.en")
    assert attempts == []


def _envelope(speech) -> np.ndarray:
    x = speech.audio.samples.astype(np.float64)
    win = int(0.005 * speech.audio.rate)
    return np.sqrt(np.convolve(x**2, np.ones(win) / win, mode="same"))


@pytest.mark.parametrize("voice", ["emma", "james", "lily"])
def test_model_durations_drive_the_visemes(piper, voice):
    text = "Maybe a bit more paper, Bob. A happy puppy made my mum smile."
    speech = piper.synthesize(text, voice)
    ph, rate = speech.phonemes, speech.audio.rate
    assert ph[0].start == 0.0 and ph[-1].end == pytest.approx(speech.audio.duration, abs=1e-6)
    assert all(a.end == pytest.approx(b.start) for a, b in itertools.pairwise(ph))
    assert all(p.end > p.start for p in ph)
    # the model's audio is exactly its durations × hop: timings are the model's own, not fitted
    ids = piper.model.to_ids(piper._phonemes(text, "en-us"))
    wave, frames = piper.model.run(ids, 1.0)
    assert len(frames) == len(ids) and len(wave) == int(frames.sum()) * 256
    bilabials = [p for p in ph if p.phoneme.strip("ˈˌː") in ("p", "b", "m")]
    assert len(bilabials) >= 12 and all(p.viseme == "PP" for p in bilabials)
    # each p/b after a vowel: the lips-closed silence lies inside its event, ±1 video frame
    env, frame = _envelope(speech), 1.0 / FPS
    checked = 0
    for prev, p, nxt in zip(ph, ph[1:], ph[2:], strict=False):
        if p.phoneme.strip("ˈˌ") not in ("p", "b") or prev.viseme not in VOWELS:
            continue
        # where is the audio quietest between the vowel before and the sound after?
        stop_at = nxt.start if nxt.viseme == "sil" else nxt.end
        lo = int(max(p.start - 0.08, prev.start) * rate)
        hi = int(min(p.end + 0.08, stop_at) * rate)
        quiet = (lo + int(np.argmin(env[lo:hi]))) / rate
        assert p.start - frame <= quiet <= p.end + frame, (p, quiet)
        checked += 1
    assert checked >= 6


def test_speed_pitch_and_emotion_on_the_neural_voice(piper):
    text = SENTENCES[0] + " " + SENTENCES[1]
    normal = piper.synthesize(text, "james")
    fast = piper.synthesize(text, "james", VoiceSettings(speed=1.5))
    slow = piper.synthesize(text, "james", VoiceSettings(speed=0.7))
    assert fast.audio.duration < 0.8 * normal.audio.duration < 0.8 * slow.audio.duration
    assert fast.phonemes[-1].end == pytest.approx(fast.audio.duration)
    f0 = voice_stats(normal.audio).f0
    high = voice_stats(piper.synthesize(text, "james", VoiceSettings(pitch=1.3)).audio).f0
    low = voice_stats(piper.synthesize(text, "james", VoiceSettings(pitch=0.8)).audio).f0
    assert high / f0 == pytest.approx(1.3, rel=0.08) and low / f0 == pytest.approx(0.8, rel=0.08)
    happy = piper.synthesize(text, "james", VoiceSettings(emotion="happy"))
    sad = piper.synthesize(text, "james", VoiceSettings(emotion="sad"))
    assert voice_stats(happy.audio).f0 > 1.05 * f0 > 1.05 * voice_stats(sad.audio).f0
    assert sad.audio.duration > 1.1 * normal.audio.duration  # (durations vary ±3 % per call)


def test_english_presets_are_neural_and_measurably_distinct(piper):
    assert set(NEURAL) == {p.id for p in PRESETS.values() if p.language.startswith("en")}
    assert engine_for("emma", "auto") == "piper" and engine_for("hannah", "auto") == "espeak"
    assert engine_for("emma", "espeak") == "espeak"
    stats = {v: voice_stats(piper.synthesize(SENTENCES[2], v).audio) for v in sorted(NEURAL)}
    points = {v: (np.log2(s.f0) * 12, np.log2(s.centroid) * 12) for v, s in stats.items()}
    for a, b in itertools.combinations(points, 2):
        # apart by at least 0.75 semitone of median F0 or of spectral centroid (over 2× the
        # just-noticeable difference of pitch)
        gap = max(abs(points[a][0] - points[b][0]), abs(points[a][1] - points[b][1]))
        assert gap >= 0.75, (a, b, stats[a], stats[b])
    females = [v for v in NEURAL if PRESETS[v].gender == "female"]
    males = [v for v in NEURAL if PRESETS[v].gender == "male"]
    assert min(stats[v].f0 for v in females) > 1.15 * max(stats[v].f0 for v in males)


@pytest.mark.parametrize("voice", ["emma", "leo", "lily", "charlotte", "fiona"])
def test_whisper_understands_the_neural_presets(piper, whisper, voice):
    text = " ".join(SENTENCES)
    speech = piper.synthesize(text, voice)
    heard = whisper.transcribe(speech.audio)
    assert word_error_rate(text, heard.text) <= 0.10, heard.text
    assert 0 < heard.confidence <= 1


def test_whisper_understands_espeak_too_and_hears_silence_as_nothing(whisper):
    from kinema.media.audio import Audio

    speech = get_tts("espeak").synthesize("Good morning, how are you today?", "hannah")
    assert whisper.transcribe(Audio(np.zeros(16000, np.int16), 16000)).text == ""
    assert whisper.transcribe(speech.audio).language == "en"


def test_non_english_gets_a_clear_message(whisper, piper):
    speech = piper.synthesize("Bonjour.", "emma")
    with pytest.raises(InvalidInput, match=r"understands en.*'fr'.*KINEMA_WHISPER_MODEL"):
        whisper.transcribe(speech.audio, language="fr-FR")
    assert whisper.transcribe(speech.audio, language="en-US").text
    from kinema.voice.asr import get_asr

    with pytest.raises(InvalidInput, match="en-US model only.*KINEMA_ASR"):
        get_asr("pocketsphinx").transcribe(speech.audio, language="de")


def test_stream_yields_the_first_sentence_before_the_rest(piper):
    gen = piper.stream("One small step. Then a much longer second sentence follows here.", "emma")
    first = next(gen)
    assert first.text == "One small step." and first.audio.duration < 2.0
    rest = list(gen)
    assert len(rest) == 1 and rest[0].audio.duration > first.audio.duration


def test_auto_routes_by_preset_engine():
    auto = get_tts("auto")
    assert auto.synthesize("Hallo.", "hannah").phonemes[1].phoneme.isascii()  # espeak names
    assert not all(p.phoneme.isascii() for p in auto.synthesize("Hello there.", "emma").phonemes)


def test_the_same_text_always_sounds_the_same(piper):
    """Piper's noise and Praat's PSOLA jitter are seeded from the input: renders reproduce."""
    text = "The museum opens early and closes late."
    for voice in ("emma", "charlotte"):  # the model's own voice and a PSOLA-shaped preset
        first = piper.synthesize(text, voice).audio.samples
        assert np.array_equal(first, piper.synthesize(text, voice).audio.samples), voice
    other = piper.synthesize("The museum opens late and closes early.", "emma").audio.samples
    assert not np.array_equal(first[: len(other)], other[: len(first)])
