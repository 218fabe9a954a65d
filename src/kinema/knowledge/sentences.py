"""Sentence boundaries, for chunking documents and for speaking streamed text.

A small rule-based splitter: end punctuation followed by space and a capital, digit or quote,
unless the word before the period is a known abbreviation or an initial. Good enough for
speech pacing and chunk packing; it never needs a model or a download.
``SentenceSplitter`` is the incremental form: feed it LLM tokens as they arrive and it hands
back each sentence as soon as the next one has started.
"""

from __future__ import annotations

import re

_ABBREVIATIONS_TEXT = """
    mr mrs ms dr prof sr jr st vs etc e.g i.e eg ie inc ltd co corp no nr fig approx dept est
    jan feb mar apr jun jul aug sep sept oct nov dec mt ft u.s u.k a.m p.m cf al
"""
ABBREVIATIONS = frozenset(_ABBREVIATIONS_TEXT.split())

# end punctuation (plus closing quotes/brackets), whitespace, then a plausible sentence start
_BOUNDARY = re.compile(r"([.!?…]+[\"'”’)\]]*)(\s+)(?=[\"'“‘(\[]?[A-Z0-9À-Ý])")
_PARAGRAPH = re.compile(r"\n\s*\n")
# CJK: no space after the stop; a stop inside quotes (「はい！」と言った) does not end it
_FULLWIDTH_END = re.compile(r"[。！？]+(?![」』”’）!?！？])\s*")
_WORD_BEFORE = re.compile(r"([\w.]+)$")


def _is_abbreviation(text: str, end: int) -> bool:
    """True when the period ending at ``end`` belongs to an abbreviation or an initial."""
    if text[end - 1] != ".":
        return False
    match = _WORD_BEFORE.search(text[max(0, end - 40) : end - 1])
    if not match:
        return False
    word = match.group(1).lower().rstrip(".")
    return word in ABBREVIATIONS or (len(word) == 1 and word.isalpha())


def boundaries(text: str) -> list[int]:
    """Offsets where a new sentence starts (after the separating whitespace)."""
    cuts: set[int] = set()
    for m in _BOUNDARY.finditer(text):
        if not _is_abbreviation(text, m.end(1)):
            cuts.add(m.end(2))
    for m in _PARAGRAPH.finditer(text):
        cuts.add(m.end())
    for m in _FULLWIDTH_END.finditer(text):
        cuts.add(m.end())
    return sorted(c for c in cuts if 0 < c < len(text))


def passage_sentences(text: str) -> list[str]:
    """The sentences of a stored passage in reading order: its lines (list items stay whole)
    split into sentences, table rows left out. Retrieval scores these and the brain quotes
    them, so both must cut a passage the same way."""
    out: list[str] = []
    for line in re.split(r"\n+", text):
        if line.count("|") >= 2:
            continue  # a table row: its cells read badly aloud and match nothing well
        out.extend(split_sentences(line))
    return out


def split_sentences(text: str) -> list[str]:
    """Split ``text`` into sentences; paragraph breaks always end a sentence."""
    out: list[str] = []
    start = 0
    for cut in [*boundaries(text), len(text)]:
        piece = " ".join(text[start:cut].split())
        if piece:
            out.append(piece)
        start = cut
    return out


class SentenceSplitter:
    """Incremental splitter: ``feed`` text pieces, get complete sentences as soon as known.

    A sentence is complete once the start of the next one is seen, so the last sentence stays
    buffered until more text or ``flush``. Runs of text without punctuation longer than
    ``max_chars`` are cut at the last comma or space so speech never stalls on a long clause.
    """

    def __init__(self, max_chars: int = 320) -> None:
        self.max_chars = max_chars
        self._buf = ""

    def feed(self, piece: str) -> list[str]:
        self._buf += piece
        cuts = boundaries(self._buf)
        out: list[str] = []
        if cuts:
            out = split_sentences(self._buf[: cuts[-1]])
            self._buf = self._buf[cuts[-1] :]
        while len(self._buf) > self.max_chars:
            head = self._buf[: self.max_chars]
            cut = max(head.rfind(", "), head.rfind("; "))
            cut = cut + 1 if cut > self.max_chars // 3 else head.rfind(" ")
            if cut <= 0:
                cut = self.max_chars
            out.append(" ".join(self._buf[:cut].split()))
            self._buf = self._buf[cut:].lstrip()
        return [s for s in out if s]

    def flush(self) -> list[str]:
        rest, self._buf = self._buf, ""
        return split_sentences(rest)
