"""Cut extracted text into passages for the index.

Passages follow the document's structure: a heading always starts a new passage and is kept
with it (as ``heading``, the path of headings above it), passages end on sentence boundaries,
and list items and table rows stay whole. ``position`` numbers the passages of a document in
reading order (an internal key). Paged text (PDF extraction starts every page with a form feed,
``PAGE_BREAK``) gives each passage its 1-based ``page``; a passage never spans two pages. A
citation names the page and the heading, which a reader can find.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kinema.knowledge.sentences import split_sentences

_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_LINE_BLOCK = re.compile(r"^\s*(?:[-*+•]\s+|\d+[.)]\s+|\|)")
_MAX_HEADING = 200  # a longer "# ..." line is text that happens to start with "#"
_TABLE_RULE = re.compile(r"^\|?[\s:|-]+\|?$")
PAGE_BREAK = "\f"  # starts each page of paged text (as pdftotext writes it)
# str.splitlines() without the form feed, which marks pages here
_LINES = re.compile("\r\n|[\n\r\v\x1c\x1d\x1e\x85\u2028\u2029]")


@dataclass(frozen=True)
class Chunk:
    """One passage: its text, the heading path above it ("Benefits > Vacation"), its ordinal
    and, for paged documents, its 1-based page (else ``None``)."""

    text: str
    heading: str
    position: int
    page: int | None = None


def chunk_text(text: str, *, max_chars: int = 800) -> list[Chunk]:
    """Split Markdown-flavoured text into passages of at most ``max_chars`` characters.

    A single sentence longer than ``max_chars`` is cut at word boundaries; nothing else is cut
    mid-sentence.
    """
    chunks: list[Chunk] = []
    for heading, blocks in _sections(text):
        pieces: list[tuple[int | None, str]] = []  # (page, sentence or line with its separator)
        for page, block in blocks:
            first = "\n" if _LINE_BLOCK.match(block) else "\n\n"
            for i, sentence in enumerate(_block_units(block)):
                for part in _hard_wrap(sentence, max_chars):
                    pieces.append((page, (first if i == 0 else " ") + part))
        current, current_page = "", None
        for page, piece in pieces:
            if current and (len(current) + len(piece) > max_chars or page != current_page):
                chunks.append(Chunk(current.strip(), heading, len(chunks), current_page))
                current = ""
            current += piece
            current_page = page
        if current.strip():
            chunks.append(Chunk(current.strip(), heading, len(chunks), current_page))
    return chunks


def _sections(text: str) -> list[tuple[str, list[tuple[int | None, str]]]]:
    """(heading path, (page, paragraph block)s) in order; lists and tables give one block per
    line. Pages are counted by ``PAGE_BREAK``s; text without any has page ``None``."""
    stack: list[tuple[int, str]] = []
    sections: list[tuple[str, list[tuple[int | None, str]]]] = [("", [])]
    paragraph: list[str] = []
    page: int | None = None

    def end_paragraph() -> None:
        if paragraph:
            sections[-1][1].append((page, " ".join(paragraph)))
            paragraph.clear()

    for raw in _LINES.split(text):
        if PAGE_BREAK in raw:
            end_paragraph()
            page = (page or 0) + raw.count(PAGE_BREAK)
            raw = raw.replace(PAGE_BREAK, "")
        line = raw.strip()
        m = _HEADING.match(line) if len(line) <= _MAX_HEADING else None
        if m:
            end_paragraph()
            level = len(m.group(1))
            while stack and stack[-1][0] >= level:
                stack.pop()
            stack.append((level, m.group(2).strip()))
            sections.append((" > ".join(h for _, h in stack), []))
        elif not line:
            end_paragraph()
        elif _LINE_BLOCK.match(line):
            end_paragraph()
            if not _TABLE_RULE.match(line):
                sections[-1][1].append((page, line))
        else:
            paragraph.append(line)
    end_paragraph()
    return [(h, blocks) for h, blocks in sections if blocks]


def _block_units(block: str) -> list[str]:
    if _LINE_BLOCK.match(block):
        return [block]
    return split_sentences(block)


def _hard_wrap(sentence: str, max_chars: int) -> list[str]:
    if len(sentence) <= max_chars:
        return [sentence]
    out: list[str] = []
    line = ""
    for word in sentence.split():
        if line and len(line) + 1 + len(word) > max_chars:
            out.append(line)
            line = ""
        line = f"{line} {word}" if line else word[:max_chars]
    if line:
        out.append(line)
    return out
