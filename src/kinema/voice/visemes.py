"""The viseme set shared by voices (phoneme → viseme) and the face (viseme → mouth shape).

The 15 visemes of the widely used Oculus/MPEG-4 style set: silence, 10 consonant groups
and 5 vowels. ``phoneme_to_viseme`` maps espeak-ng phoneme names for every shipped language.
"""

from __future__ import annotations

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
