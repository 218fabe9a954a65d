"""Make text fit to be spoken: no markdown, URLs, tables, code or citation markers.

Text-to-speech reads symbols literally ("asterisk asterisk"), so every sentence a brain yields
passes through ``speakable``. Citation markers like ``[2]`` that an LLM was asked to write are
taken out by ``take_markers`` and returned as numbers, to become ``Citation`` data.
"""

from __future__ import annotations

import re

_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]+)\]\((?:[^)(]|\([^)]*\))*\)")
_URL = re.compile(r"(?:https?://|www\.)\S+", re.I)
_CODE_FENCE = re.compile(r"```.*?(```|$)", re.S)
_INLINE_CODE = re.compile(r"`([^`]*)`")
_EMPHASIS = re.compile(r"(\*{1,3}|_{2,3}|~~)(\S(?:.*?\S)?)\1")
_LINE_MARKER = re.compile(r"^\s*(?:#{1,6}\s+|>\s*|[-*+•]\s+|\d+[.)]\s+)", re.M)
_MARKERS = re.compile(r"\s*\[(\d+(?:\s*[,;]\s*\d+)*)\]")
_HTML_TAG = re.compile(r"</?[a-zA-Z][^>]*>")
_SYMBOLS = re.compile(r"[*#_`~|<>\[\]{}^\\]")
_EMOJI = re.compile("[\U0001f000-\U0001faff\u2600-\u27bf\ufe0f]")


def take_markers(text: str) -> tuple[str, list[int]]:
    """Remove ``[1]``/``[1, 3]`` markers; return the text and the numbers in order of first use."""
    found: list[int] = []

    def keep(m: re.Match[str]) -> str:
        for n in re.split(r"\s*[,;]\s*", m.group(1)):
            if int(n) not in found:
                found.append(int(n))
        return ""

    return _MARKERS.sub(keep, text), found


def is_table_row(text: str) -> bool:
    return text.count("|") >= 2


def speakable(text: str) -> str:
    """Spoken form of a sentence or line; ``""`` when nothing sayable is left (tables, code)."""
    if is_table_row(text):
        return ""
    text = _CODE_FENCE.sub(" ", text)
    text = _IMAGE.sub(r"\1", text)
    text = _LINK.sub(r"\1", text)
    text = _URL.sub("the link", text)
    text = _HTML_TAG.sub(" ", text)
    text = _INLINE_CODE.sub(r"\1", text)
    text = _EMPHASIS.sub(r"\2", text)
    text = _LINE_MARKER.sub("", text)
    text = _SYMBOLS.sub(" ", text)
    text = _EMOJI.sub("", text)
    text = " ".join(text.split())
    text = re.sub(r"\s+([,.;:!?])", r"\1", text)
    text = re.sub(r"\(\s*\)", "", text).strip(" -–—:;,")
    if not re.search(r"[^\W\d_]", text):
        return ""
    if text[-1].isalnum() or text[-1] in "\"')%":
        text += "."
    return text
