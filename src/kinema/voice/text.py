"""Sentence splitting for streaming TTS: speak the first sentence while the rest is still queued."""

from __future__ import annotations

import re

# Words that end with a dot without ending the sentence (lower-case, without the dot).
_ABBREVIATIONS = (
    "dr mr mrs ms prof sr jr st vs etc e.g i.e no vol fig approx dept inc ltd co mt ft "
    "jan feb mar apr jun jul aug sep sept oct nov dec u.s a.m p.m z.b bzw usw sra srta"
)
ABBREVIATIONS = frozenset(_ABBREVIATIONS.split())
_BOUNDARY = re.compile(r"([.!?…。！？।؟]+[\"')\]»”’]*)(\s+|$)")


def split_sentences(text: str) -> list[str]:
    """Split ``text`` into sentences, keeping "Dr. Smith", "e.g. this" and "3.5" together."""
    text = " ".join(re.sub(r"([。！？।])", r"\1 ", text).split())
    sentences: list[str] = []
    start = 0
    for m in _BOUNDARY.finditer(text):
        end = m.end(1)
        chunk = text[start:end].strip()
        last_word = chunk[: -len(m.group(1))].rsplit(" ", 1)[-1].lower() if chunk else ""
        is_abbrev = m.group(1) == "." and (
            last_word.rstrip(".") in ABBREVIATIONS or (len(last_word) == 1 and last_word.isalpha())
        )
        if is_abbrev and m.end() < len(text):
            continue
        if chunk:
            sentences.append(chunk)
        start = m.end()
    tail = text[start:].strip()
    if tail:
        sentences.append(tail)
    return sentences
