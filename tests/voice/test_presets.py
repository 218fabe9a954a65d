"""Voice catalogue: enough voices and languages, each speaks its language, specs round-trip."""

from __future__ import annotations

import pytest

from kinema.errors import InvalidInput
from kinema.voice.presets import (
    DEFAULT_VOICE,
    PRESETS,
    VoiceSpec,
    get_preset,
    resolve_voice,
    sample_text,
)


def test_catalogue_size_and_fields():
    assert len(PRESETS) >= 30
    assert len({p.language.split("-")[0] for p in PRESETS.values()}) >= 10
    assert DEFAULT_VOICE in PRESETS
    for p in PRESETS.values():
        assert p.name and p.description and p.timbre
        assert p.gender in ("female", "male") and p.age in ("child", "young", "adult", "senior")
        assert 0 <= p.pitch <= 100 and 80 <= p.rate <= 450
    assert {p.age for p in PRESETS.values()} == {"child", "young", "adult", "senior"}


@pytest.mark.parametrize("voice", sorted(PRESETS))
def test_every_preset_speaks_its_language(tts, voice):
    preset = PRESETS[voice]
    speech = tts.synthesize(sample_text(preset.language), voice)
    assert speech.audio.duration > 1.0
    # a language switch would show up as "(en)" markers; they are dropped, but the sample
    # sentence must be read with the voice's own phonemes: several visemes, not just silence
    assert len({p.viseme for p in speech.phonemes}) >= 6
    assert abs(speech.phonemes[-1].end - speech.audio.duration) <= 0.05


def test_spec_json_round_trip_and_use(tts):
    spec = get_preset("arthur").spec()
    again = VoiceSpec.from_json(spec.to_json())
    assert again == spec
    assert resolve_voice(spec.to_json()) == spec
    speech = tts.synthesize("Good evening.", again)
    assert speech.voice == "arthur" and speech.audio.duration > 0.5
    with pytest.raises(InvalidInput):
        VoiceSpec.from_json('{"pitch": 3}')


def test_names_are_case_insensitive():
    assert get_preset("Emma").id == "emma"


@pytest.mark.parametrize(
    "bad",
    [
        '{"name": "x", "language": "en", "espeak": "../../etc"}',
        '{"name": "x", "language": "en", "espeak": "en", "variant": "../m1"}',
        '{"name": "x", "language": "en", "espeak": "en", "pitch": 500}',
        '{"name": "x", "language": "en", "espeak": "en", "rate": "fast"}',
        "not json",
    ],
)
def test_bad_specs_are_rejected(bad):
    with pytest.raises(InvalidInput):
        resolve_voice(bad)


def test_runway_preset_ids_are_voice_names_too(tts):
    assert resolve_voice("victoria").name == "victoria"
    assert resolve_voice("Maya").name == "Maya"
    assert resolve_voice("emma").name == "emma"  # the Kinema preset wins a name clash
    assert tts.synthesize("Hello.", "vincent").voice == "vincent"
