"""How a register changes the wording of a quoted answer, without changing what it says.

The embedded brain quotes its documents; the persona's register then decides the surface:
formal speech spells contractions out ("you can't" → "you cannot"), casual and humorous speech
contracts ("you do not" → "you don't"). Only pairs that mean exactly the same are rewritten;
"it's" is left alone before "been"/"got" (where it means "it has").
"""

from __future__ import annotations

import re

_PAIRS = [  # (contracted, spelled out)
    ("can't", "cannot"),
    ("won't", "will not"),
    ("don't", "do not"),
    ("doesn't", "does not"),
    ("didn't", "did not"),
    ("isn't", "is not"),
    ("aren't", "are not"),
    ("wasn't", "was not"),
    ("weren't", "were not"),
    ("haven't", "have not"),
    ("hasn't", "has not"),
    ("shouldn't", "should not"),
    ("wouldn't", "would not"),
    ("couldn't", "could not"),
    ("we're", "we are"),
    ("you're", "you are"),
    ("they're", "they are"),
    ("I'm", "I am"),
    ("we'll", "we will"),
    ("you'll", "you will"),
    ("they'll", "they will"),
    ("it'll", "it will"),
    ("we've", "we have"),
    ("you've", "you have"),
    ("they've", "they have"),
    ("it's", "it is"),
    ("that's", "that is"),
    ("there's", "there is"),
]
_HAS = r"(?!\s+(?:been|got|had)\b)"  # "it's been" is "it has been"


def _case_like(template: str, text: str) -> str:
    return text[:1].upper() + text[1:] if template[:1].isupper() else text


def _compile(source: str, guard: str) -> re.Pattern[str]:
    return re.compile(r"\b" + re.escape(source).replace("'", "['’]") + r"\b" + guard, re.I)


_EXPAND = [(_compile(short, _HAS if short.endswith("'s") else ""), long) for short, long in _PAIRS]
_CONTRACT = [
    (_compile(long, r"(?!['’]|\s+(?:been|got|had)\b)" if long.endswith(" is") else ""), short)
    for short, long in _PAIRS
    if short not in ("that's", "there's")  # "that is" often stresses: leave it
]


def _rewrite(text: str, rules: list[tuple[re.Pattern[str], str]]) -> str:
    for pattern, replacement in rules:

        def swap(m: re.Match[str], value: str = replacement) -> str:
            return _case_like(m.group(0), value)

        text = pattern.sub(swap, text)
    return text


def spell_out(text: str) -> str:
    """Formal: contractions written out."""
    return _rewrite(text, _EXPAND)


def contract(text: str) -> str:
    """Casual: the common contractions."""
    return _rewrite(text, _CONTRACT)


def in_register(text: str, register: str) -> str:
    """``text`` worded for ``register`` ("formal", "casual", "humorous"; others unchanged)."""
    if register == "formal":
        return spell_out(text)
    if register in ("casual", "humorous"):
        return contract(text)
    return text
