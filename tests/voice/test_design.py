"""Voice design from text, voice matching from a sample, Runway preset mapping."""

from __future__ import annotations

import json

import pytest

from kinema.errors import InvalidInput, UnknownVoice
from kinema.media.audio import Audio
from kinema.voice.analysis import voice_stats
from kinema.voice.design import design_from_description, match_from_sample
from kinema.voice.presets import PRESETS, VoiceSpec, get_preset
from kinema.voice.runway_presets import LIVE_PRESETS, TTS_PRESETS, runway_voice
from kinema.voice.tts import VoiceSettings

TEXT = "I went to the market this morning and bought some apples, bread and a little cheese."


def test_design_deep_slow_older_british_man(tts):
    spec = design_from_description("deep, slow, older man, British")
    assert spec.language == "en-GB" and spec.gender == "male" and spec.age == "senior"
    base = get_preset("arthur")
    assert spec.pitch < base.pitch and spec.rate < base.rate
    assert tts.synthesize("Good evening.", spec).audio.duration > 0.5
    default = voice_stats(tts.synthesize(TEXT, "oliver").audio).f0
    assert voice_stats(tts.synthesize(TEXT, spec).audio).f0 < 0.85 * default


@pytest.mark.parametrize(
    ("text", "language", "gender", "age"),
    [
        ("a cheerful little girl", "en-US", "female", "child"),
        ("warm French woman", "fr-FR", "female", None),
        ("old German grandmother", "de-DE", "female", "senior"),
        ("young energetic Latin American guy", "es-419", "male", "young"),
        ("calm Mandarin speaking man", "zh-CN", "male", None),
        ("deep Arabic man", "ar", "male", None),
        ("Japanese young woman", "ja-JP", "female", "young"),
    ],
)
def test_design_reads_language_gender_age(text, language, gender, age):
    spec = design_from_description(text)
    assert (spec.language, spec.gender) == (language, gender)
    if age:
        assert spec.age == age


def test_design_pitch_and_pace_words():
    base = design_from_description("American woman")
    assert design_from_description("high-pitched American woman").pitch > base.pitch
    assert design_from_description("very fast American woman").rate > 1.2 * base.rate
    with pytest.raises(InvalidInput):
        design_from_description("  ... ")


@pytest.mark.parametrize(
    ("voice", "pitch"), [("james", 1.2), ("emma", 0.85), ("walter", 1.0), ("charlotte", 1.1)]
)
def test_match_lands_near_the_sample_pitch_and_gender(tts, voice, pitch):
    sample = tts.synthesize(TEXT, voice, VoiceSettings(pitch=pitch)).audio
    spec, stats = match_from_sample(sample)
    assert spec.gender == PRESETS[voice].gender
    spoken = voice_stats(tts.synthesize(TEXT, spec).audio).f0
    # "grandpa" (walter) has strong pitch flutter whose random phase varies run to run
    assert spoken == pytest.approx(stats.f0, rel=0.13 if voice == "walter" else 0.08)
    again = VoiceSpec.from_json(json.loads(json.dumps(json.loads(spec.to_json()))))
    assert again == spec


def test_match_tracks_speaking_rate(tts):
    slow, _ = match_from_sample(tts.synthesize(TEXT, "emma", VoiceSettings(speed=0.75)).audio)
    fast, _ = match_from_sample(tts.synthesize(TEXT, "emma", VoiceSettings(speed=1.3)).audio)
    assert fast.rate > 1.4 * slow.rate


def test_match_rejects_silence():
    import numpy as np

    with pytest.raises(InvalidInput):
        match_from_sample(Audio(np.zeros(16000, np.int16), 16000))


def test_runway_live_presets_all_map(tts):
    assert len(LIVE_PRESETS) == 30
    assert {"victoria", "vincent", "clara", "luna", "roman"} <= set(LIVE_PRESETS)
    for voice in LIVE_PRESETS.values():
        assert voice.preset in PRESETS and voice.name and voice.description
    assert len(TTS_PRESETS) == 49 and all(v.preset in PRESETS for v in TTS_PRESETS.values())
    vincent = tts.synthesize("Hello there.", runway_voice("vincent").spec())
    clara = tts.synthesize("Hello there.", runway_voice("clara").spec())
    assert vincent.voice == "vincent"
    assert voice_stats(vincent.audio).f0 < 0.7 * voice_stats(clara.audio).f0
    with pytest.raises(UnknownVoice):
        runway_voice("nobody")
