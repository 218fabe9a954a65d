"""The viseme set shared by voices (phoneme → viseme) and the face (viseme → mouth shape).

The 15 visemes of the widely used Oculus/MPEG-4 style set: silence, 10 consonant groups
and 5 vowels. ``phoneme_to_viseme`` maps espeak-ng phoneme names for every shipped language.
"""

from __future__ import annotations

from functools import lru_cache

VISEMES: tuple[str, ...] = (
    "sil",  # silence, mouth at rest
    "PP",  # p b m: lips pressed closed
    "FF",  # f v: lower lip under upper teeth
    "TH",  # th: tongue between teeth
    "DD",  # t d: tongue behind teeth, jaw slightly open
    "kk",  # k g: back of tongue, jaw open
    "CH",  # ch j sh zh: lips forward, teeth close
    "SS",  # s z: teeth close, lips spread
    "nn",  # n l: like DD, softer
    "RR",  # r: lips slightly rounded
    "aa",  # a: jaw wide open
    "E",  # e: mid open, spread
    "I",  # i: spread, nearly closed
    "O",  # o: rounded, open
    "U",  # u w: rounded, nearly closed
)

# espeak-ng phoneme mnemonics are ASCII (Kirshenbaum-like) in every language: the same letter
# means the same articulation, so one table by articulatory class serves all languages.
# Multi-character keys are matched first (longest prefix wins).
_CLASSES: dict[str, str] = {
    # post-alveolar, palatal and retroflex: lips forward
    "CH": "tS dZ tC tc dz; ts; ts. dz. S Z C c J s. z. s; z; sx",
    "SS": "s z ts dz t_s d_z",  # sibilants
    "PP": "p b m B P",  # bilabials
    "FF": "f v F",  # labiodentals
    "TH": "T D",  # dentals
    "DD": "t d * t;",  # alveolar stops and taps
    "kk": "k g N x G q Q h X ? H",  # velars, uvulars, glottals
    "nn": "n l L",  # nasals and laterals
    "RR": "r R 3 @r a#r",  # rhotics and r-coloured vowels
    "aa": "a A & V 6",  # open vowels
    "E": "e E @ 8 9 W@",  # mid front and central vowels
    "I": "i I 1 j ;",  # close front vowels and the palatal glide
    "O": "o O 0 8@ Y W",  # rounded mid vowels
    "U": "u U w y",  # rounded close vowels and w
}
_PREFIXES: dict[str, str] = {k: vis for vis, keys in _CLASSES.items() for k in keys.split()}
_KEYS = sorted(_PREFIXES, key=len, reverse=True)
_MARKS = "'\",%=_:!|^#-.~;"  # stress, length, syllabic and boundary marks around a phoneme


@lru_cache(maxsize=4096)
def phoneme_to_viseme(phoneme: str, language: str = "en") -> str:
    """Map an espeak-ng phoneme name (any language) to one of ``VISEMES``.

    Stress and length marks are stripped and the rest is matched by articulatory class, so
    unseen phonemes of a language still land on the right mouth shape. Pauses map to ``sil``.
    ``language`` is accepted for engines whose alphabets differ per language; espeak's is shared.
    """
    name = phoneme.strip()
    if not name or name.startswith("_"):
        return "sil"
    name = name.lstrip("'\",%=")
    if len(name) > 1 and name[0] == "?":
        name = name[1:].lstrip("'\",%=")  # Danish stød on a vowel: the vowel shapes the mouth
    if len(name) > 1 and name[0] == "j" and name[1] in "aeiouAEIOU@":
        name = name[1:]  # iotated vowels (Russian "ja", "ju"): the vowel shapes the mouth
    for key in _KEYS:
        if name.startswith(key):
            return _PREFIXES[key]
    core = name.strip(_MARKS)
    for key in _KEYS:
        if core.startswith(key):
            return _PREFIXES[key]
    return "sil"


_VOWEL_VISEMES = frozenset({"aa", "E", "I", "O", "U"})


@lru_cache(maxsize=4096)
def phoneme_visemes(phoneme: str, language: str = "en") -> tuple[tuple[str, float], ...]:
    """The mouth shapes a phoneme passes through, with the share of its duration each takes.

    Most phonemes hold one shape; diphthongs glide between two ("aI" in "my": aa → I,
    "oU" in "go": O → U), which reads as a real mouth movement instead of a frozen vowel.
    """
    first = phoneme_to_viseme(phoneme, language)
    core = phoneme.strip().lstrip("'\",%=?").rstrip(":;~-#23")
    if first not in _VOWEL_VISEMES or len(core) < 2 or core[-1] not in "aeiouAEIOUVY@0&y":
        return ((first, 1.0),)
    last = phoneme_to_viseme(core[-1], language)
    if last not in _VOWEL_VISEMES or last == first:
        return ((first, 1.0),)
    return ((first, 0.55), (last, 0.45))


# IPA symbols (as espeak-ng writes them for Piper voices) by articulatory class.
_IPA_CLASSES: dict[str, str] = {
    "PP": "p b m ɓ ʙ ɸ β ɱ",
    "FF": "f v ʋ",
    "TH": "θ ð",
    "DD": "t d ɾ ɗ ʈ ɖ ɽ",
    "kk": "k ɡ g ŋ x ɣ q ɢ h ɦ ʔ χ ʁ ħ ʕ ɠ",
    "CH": "ʃ ʒ tʃ dʒ ɕ ʑ ç ʝ c ɟ ʂ ʐ ɲ",
    "SS": "s z",
    "nn": "n l ɫ ɬ ɮ ʎ ɭ ɳ ʟ",
    "RR": "ɹ r ɻ ʀ ɚ ɝ ɜ ɺ",
    "aa": "a ɑ æ ɐ ʌ ɒ ɶ ä",
    "E": "e ɛ ə ɘ ɵ œ ø ᵻ ɤ",
    "I": "i ɪ ɨ j ʏ",
    "O": "o ɔ",
    "U": "u ʊ ʉ w y ɯ ʍ ɥ",
}
_IPA: dict[str, str] = {k: vis for vis, keys in _IPA_CLASSES.items() for k in keys.split()}
_IPA_MARKS = "ˈˌːˑ̩̯̃ʰʲʷ˞-"


@lru_cache(maxsize=1024)
def ipa_to_viseme(symbol: str) -> str:
    """Map one IPA phone (stress and length marks allowed) to one of ``VISEMES``."""
    core = "".join(c for c in symbol if c not in _IPA_MARKS).strip()
    if not core:
        return "sil"
    if core in _IPA:
        return _IPA[core]
    return _IPA.get(core[0], "sil")
