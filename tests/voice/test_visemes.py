"""Phoneme → viseme: every phoneme espeak speaks in every preset language gets a mouth shape."""

from __future__ import annotations

import pytest

from kinema.voice.presets import PRESETS, sample_text
from kinema.voice.visemes import VISEMES, phoneme_to_viseme, phoneme_visemes

LANGUAGE_VOICES = {p.language: p.id for p in PRESETS.values()}
# pangrams and tongue-twisters: many distinct phonemes per language
EN = "The quick brown fox jumps over the lazy dog. Judge my vow, sphinx of black quartz."
ES = "El veloz murciélago hindú comía feliz cardillo y kiwi. La cigüeña tocaba el saxofón."
PT = "À noite, vovô Kowalsky vê o ímã cair no pé do pinguim queixoso e vovó põe açúcar no chá."
RICH = {
    "en": EN,
    "de": "Victor jagt zwölf Boxkämpfer quer über den großen Sylter Deich. Ich möchte Pfannkuchen.",
    "fr": "Portez ce vieux whisky au juge blond qui fume. Un bon vin blanc, agneau et champignon.",
    "es": ES,
    "it": "Quel vituperabile xenofobo zelante assaggia il whisky ed esclama: alleluja! Gnocchi.",
    "pt": PT,
    "nl": "Pa's wijze lynx bezag vroom het fikse aquaduct. Schrijf graag een uitgebreide brief.",
    "ru": "Съешь же ещё этих мягких французских булок, да выпей чаю. В чащах юга жил бы цитрус?",
    "pl": "Pchnąć w tę łódź jeża lub ośm skrzyń fig. Zażółć gęślą jaźń.",
    "sv": "Flygande bäckasiner söka hwila på mjuka tuvor. Sju sjösjuka sjömän.",
    "hi": "ऋषियों को सताने वाले दुष्ट राक्षसों के राजा रावण का सर्वनाश करने वाले भगवान श्रीराम।",
    "tr": "Pijamalı hasta yağız şoföre çabucak güvendi. Öğretmen çocuğa kitap verdi.",
    "ja": "みなさん、ぼくはパンとまめがすきです。",
    "zh": "天地玄黄，宇宙洪荒。日月盈昃，辰宿列张。我们去学校吃饭。",
}


@pytest.mark.parametrize("language", sorted(LANGUAGE_VOICES))
def test_every_spoken_phoneme_has_a_viseme(tts, language):
    text = sample_text(language) + " " + RICH.get(language.split("-")[0], "")
    speech = tts.synthesize(text, LANGUAGE_VOICES[language])
    unmapped = {
        p.phoneme
        for p in speech.phonemes
        if not p.phoneme.startswith("_") and phoneme_to_viseme(p.phoneme, language) == "sil"
    }
    assert not unmapped, f"{language}: {sorted(unmapped)} map to silence"
    vowels = [p for p in speech.phonemes if p.viseme in ("aa", "E", "I", "O", "U")]
    assert len(vowels) >= 6
    bilabials = [p for p in speech.phonemes if p.phoneme.strip("',;:") in ("p", "b", "m")]
    assert bilabials and all(p.viseme == "PP" for p in bilabials)


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


def test_diphthongs_glide_between_two_shapes(tts):
    assert phoneme_visemes("aI") == (("aa", 0.55), ("I", 0.45))
    assert phoneme_visemes("'oU") == (("O", 0.55), ("U", 0.45))
    assert phoneme_visemes("u:") == (("U", 1.0),) and phoneme_visemes("p") == (("PP", 1.0),)
    speech = tts.synthesize("My boat goes now.", "emma")
    my = [p for p in speech.phonemes if p.phoneme == "aI"]
    assert [p.viseme for p in my] == ["aa", "I"] and my[0].end == my[1].start
