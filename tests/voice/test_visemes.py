"""Phoneme → viseme: every phoneme espeak speaks in every preset language gets a mouth shape."""

from __future__ import annotations

import pytest

from kinema.voice.presets import PRESETS, sample_text
from kinema.voice.visemes import VISEMES, phoneme_to_viseme

LANGUAGE_VOICES = {p.language: p.id for p in PRESETS.values()}


@pytest.mark.parametrize("language", sorted(LANGUAGE_VOICES))
def test_every_spoken_phoneme_has_a_viseme(tts, language):
    speech = tts.synthesize(sample_text(language), LANGUAGE_VOICES[language])
    unmapped = {
        p.phoneme
        for p in speech.phonemes
        if not p.phoneme.startswith("_") and phoneme_to_viseme(p.phoneme, language) == "sil"
    }
    assert not unmapped, f"{language}: {sorted(unmapped)} map to silence"
    vowels = [p for p in speech.phonemes if p.viseme in ("aa", "E", "I", "O", "U")]
    assert len(vowels) >= 6


@pytest.mark.parametrize(
    ("phoneme", "viseme"),
    [
        ("p", "PP"),
        ("b", "PP"),
        ("m", "PP"),
        ("'m", "PP"),
        ("m-", "PP"),
        ("p'", "PP"),
        ("f", "FF"),
        ("v", "FF"),
        ("T", "TH"),
        ("D", "TH"),
        ("t", "DD"),
        ("d", "DD"),
        ("k", "kk"),
        ("g", "kk"),
        ("N", "kk"),
        ("tS", "CH"),
        ("dZ", "CH"),
        ("S", "CH"),
        ("s", "SS"),
        ("z", "SS"),
        ("n", "nn"),
        ("l", "nn"),
        ("r", "RR"),
        ("3:", "RR"),
        ("'a:", "aa"),
        ("aI", "aa"),
        ("'E", "E"),
        ("@", "E"),
        ("'i:", "I"),
        ("I", "I"),
        ("'oU", "O"),
        ("O:", "O"),
        ("u:", "U"),
        ("w", "U"),
        ("y", "U"),
        ("_", "sil"),
        ("_:", "sil"),
        ("", "sil"),
    ],
)
def test_articulatory_classes(phoneme, viseme):
    assert phoneme_to_viseme(phoneme, "en") == viseme


def test_all_outputs_are_visemes():
    names = ["a", "b", "?", "#", "x", "Q", "R", "'@", "W", "Y:", "t;", "n^", "l^", "*", "c#"]
    assert all(phoneme_to_viseme(n, "xx") in VISEMES for n in names)
