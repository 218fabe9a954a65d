"""Documents in, plain text out: txt, Markdown, PDF (pypdf), DOCX (python-docx), HTML and URLs.

Every extractor returns Markdown-flavoured text (``#`` headings, blank lines between paragraphs)
so one chunker serves all kinds and headings survive into citations. What we cannot read is a
typed ``InvalidInput`` (see ``kinema.knowledge.errors``) that tells the user what to do.
URLs are fetched with the SSRF guard of ``kinema.media.fetch``; HTML main text comes from
trafilatura (boilerplate, menus and footers dropped). PDF text starts every page with a form
feed (``kinema.knowledge.chunk.PAGE_BREAK``), so passages and citations know their page.
"""

from __future__ import annotations

import io
import logging
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePosixPath
from urllib.parse import urlsplit

from kinema.config import get_settings
from kinema.knowledge.chunk import PAGE_BREAK
from kinema.knowledge.errors import (
    DocumentTooLarge,
    EmptyDocument,
    EncryptedDocument,
    InvalidDocument,
    NoTextInDocument,
    UnsupportedDocument,
)
from kinema.media.fetch import fetch_url

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]
"""``progress(stage, done, total)``: ``stage`` is "pages" (PDF text extraction) or "passages"
(embedding at indexing); called as work completes, at most a few hundred times per call."""

KINDS = ("text", "markdown", "pdf", "docx", "html")
SUPPORTED = "plain text (.txt), Markdown (.md), PDF, Word (.docx) and HTML"

_EXTENSIONS = {
    ".txt": "text",
    ".text": "text",
    ".md": "markdown",
    ".markdown": "markdown",
    ".pdf": "pdf",
    ".docx": "docx",
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
}
_CONTENT_TYPES = {
    "text/plain": "text",
    "text/markdown": "markdown",
    "text/x-markdown": "markdown",
    "application/pdf": "pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "text/html": "html",
    "application/xhtml+xml": "html",
}


@dataclass(frozen=True)
class ExtractedDocument:
    """The text of one document. ``text`` uses ``#`` headings and blank-line paragraphs."""

    title: str
    text: str
    kind: str  # one of KINDS
    pages: int | None = None  # PDFs: the page count (each page starts with PAGE_BREAK)


def extract_text(
    data: bytes,
    *,
    filename: str | None = None,
    content_type: str | None = None,
    max_bytes: int | None = None,
    progress: Progress | None = None,
) -> ExtractedDocument:
    """Extract the text of a document given as bytes.

    The kind is read from the content itself first (PDF and ZIP magic, HTML tags), then the
    file extension, then ``content_type``. Raises ``DocumentTooLarge`` over ``max_bytes``
    (default ``settings.max_document_bytes``), ``EmptyDocument``, ``UnsupportedDocument``,
    ``EncryptedDocument``, ``NoTextInDocument`` or ``InvalidDocument``. ``progress`` hears
    ``("pages", done, total)`` while a PDF's pages are read.
    """
    limit = max_bytes if max_bytes is not None else get_settings().max_document_bytes
    name = filename or "document"
    if len(data) > limit:
        raise DocumentTooLarge(
            f"{name} is {len(data)} bytes; the limit is {limit} bytes. Split it into smaller "
            "files.",
            field="file",
        )
    if not data.strip():
        raise EmptyDocument(f"{name} is empty.", field="file")
    kind = _detect_kind(data, filename, content_type)
    if kind == "pdf":
        title, text = _pdf(data, progress)
    else:
        title, text = _EXTRACTORS[kind](data)
    text = _tidy(text)
    if kind in ("html", "markdown"):
        text = _tables_to_sentences(text)
    if not text:
        raise EmptyDocument(f"{name} contains no text.", field="file")
    if not title and filename:
        title = PurePosixPath(filename).stem.replace("_", " ").replace("-", " ").strip()
    pages = text.count(PAGE_BREAK) if kind == "pdf" else None
    return ExtractedDocument(title=title or _first_line(text), text=text, kind=kind, pages=pages)


def fetch_document(
    url: str, *, allow_private: bool = False, timeout: float | None = None
) -> ExtractedDocument:
    """Fetch a web page or file and extract it. SSRF-guarded: public addresses only, no redirects,
    size-capped. ``allow_private=True`` (tests, trusted setups) also permits plain http."""
    settings = get_settings()
    private = allow_private or settings.allow_private_urls
    fetched = fetch_url(
        url,
        max_bytes=settings.max_document_bytes,
        field="url",
        timeout=timeout or settings.fetch_timeout,
        allow_private=private,
        allow_http=private or settings.allow_http_urls,
    )
    path = urlsplit(url).path
    filename = PurePosixPath(path).name or None
    if filename and PurePosixPath(filename).suffix.lower() not in _EXTENSIONS:
        filename = None  # "/docs/page" says nothing about the type; trust the content
    return extract_text(fetched.data, filename=filename, content_type=fetched.content_type)


# -- detection ---------------------------------------------------------------------------------


_PLACEHOLDER_TITLE = re.compile(
    r"^(untitled( document)?|document\s*\d*|microsoft word - .*|slide \d+|title|\(anonymous\))$",
    re.I,
)


def _real_title(title: str) -> str:
    """A PDF's metadata title, or "" for the placeholders tools write by default (ReportLab's
    "untitled", Word's "Microsoft Word - draft.docx"), so the file name names it instead."""
    title = " ".join(title.split())
    return "" if _PLACEHOLDER_TITLE.match(title) else title


def _detect_kind(data: bytes, filename: str | None, content_type: str | None) -> str:
    head = data[:1024].lstrip()
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                if "word/document.xml" in zf.namelist():
                    return "docx"
        except zipfile.BadZipFile:
            pass
        raise UnsupportedDocument(
            f"{filename or 'the file'} is a ZIP archive but not a Word document. "
            f"Supported: {SUPPORTED}.",
            field="file",
        )
    ext = PurePosixPath(filename).suffix.lower() if filename else ""
    ctype = (content_type or "").split(";")[0].strip().lower()
    looks_binary = b"\x00" in data[:8192]
    if looks_binary:
        raise UnsupportedDocument(
            f"{filename or 'the file'} ({ctype or ext or 'binary'}) is not a supported document. "
            f"Supported: {SUPPORTED}. Legacy .doc files: save as .docx or PDF first.",
            field="file",
        )
    lowered = head[:512].lower()
    if ext in (".pdf", ".docx") or ctype in ("application/pdf", _DOCX_TYPE):
        raise InvalidDocument(
            f"{filename or 'the file'} claims to be {ext or ctype} but is not a valid one.",
            field="file",
        )
    if ext in _EXTENSIONS:
        return _EXTENSIONS[ext]
    if lowered.startswith((b"<!doctype html", b"<html")) or b"<body" in lowered:
        return "html"
    if ctype in _CONTENT_TYPES:
        return _CONTENT_TYPES[ctype]
    if ext or (ctype and not ctype.startswith("text/")):
        raise UnsupportedDocument(
            f"{filename or 'the file'} ({ctype or ext}) is not a supported document. "
            f"Supported: {SUPPORTED}.",
            field="file",
        )
    return "text"


_DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


# -- extractors --------------------------------------------------------------------------------


def _decode(data: bytes) -> str:
    for encoding in (
        ("utf-8-sig", "utf-16") if data[:2] in (b"\xff\xfe", b"\xfe\xff") else ("utf-8-sig",)
    ):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("cp1252", errors="replace")


def _text(data: bytes) -> tuple[str, str]:
    return "", _decode(data)


_FRONT_MATTER = re.compile(r"\A---\n.*?\n---\n", re.S)
_MD_TITLE = re.compile(r"^#\s+(.+)$", re.M)


def _markdown(data: bytes) -> tuple[str, str]:
    text = _FRONT_MATTER.sub("", _decode(data).replace("\r\n", "\n"))
    m = _MD_TITLE.search(text)
    return (m.group(1).strip() if m else ""), text


def _pdf(data: bytes, progress: Progress | None = None) -> tuple[str, str]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError, PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            # owner-password-only PDFs (print/copy restrictions) open with an empty password
            try:
                opened = bool(reader.decrypt(""))
            except Exception:  # noqa: BLE001 - pypdf raises several types here
                opened = False
            if not opened:
                raise EncryptedDocument(
                    "The PDF is password-protected. Remove the password (print to a new PDF) "
                    "and upload it again.",
                    field="file",
                )
        total = len(reader.pages)
        step = max(1, total // 100)
        pages = []
        for n, page in enumerate(reader.pages, 1):
            pages.append(page.extract_text() or "")
            if progress is not None and (n % step == 0 or n == total):
                progress("pages", n, total)
        title = ""
        meta = reader.metadata
        if meta and meta.title:
            title = _real_title(str(meta.title))
    except EncryptedDocument:
        raise
    except (PdfReadError, PyPdfError, ValueError, KeyError, TypeError, AttributeError) as exc:
        # PyPdfError covers LimitReachedError: a stream that inflates past pypdf's own cap
        raise InvalidDocument(f"The PDF cannot be read ({exc}).", field="file") from None
    if not pages:
        raise EmptyDocument("The PDF has no pages.", field="file")
    text = "\n\n".join(PAGE_BREAK + _pdf_page_text(p) for p in pages)
    if not text.replace(PAGE_BREAK, "").strip():
        raise NoTextInDocument(
            f"The PDF has {len(pages)} page(s) but no text layer: it looks scanned or image-only. "
            "Run OCR on it (e.g. ocrmypdf) or upload the text instead.",
            field="file",
        )
    return title, text


def _pdf_page_text(text: str) -> str:
    """Page text with hyphenated breaks re-joined and heading-like lines marked as headings.

    PDF text has no structure, only lines. A short line without end punctuation, not ending in
    a function word, followed by a capitalised line, is a heading (a title, a section name);
    marking it keeps it out of the next sentence and gives passages a heading.
    """
    text = re.sub(r"(\w)-\n(\w)", r"\1\2", text)
    lines = [line.strip() for line in text.split("\n")]
    longest = max((len(line) for line in lines), default=0)
    out: list[str] = []
    for i, line in enumerate(lines):
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        words = line.split()
        if (
            0 < len(words) <= 8
            and line[-1].isalnum()
            and len(line) < 0.6 * longest
            and nxt[:1].isupper()
            and words[-1].lower() not in _FUNCTION_WORDS
        ):
            out.append(f"\n## {line}\n")
        else:
            out.append(line)
    return "\n".join(out).strip()


_FUNCTION_WORDS_TEXT = "a an the of to in on at by for from with and or but as is are was were be"
_FUNCTION_WORDS = frozenset(_FUNCTION_WORDS_TEXT.split())


def _docx(data: bytes) -> tuple[str, str]:
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    from kinema.media.limits import check_zip

    check_zip(data, field="file")  # before python-docx inflates anything (zip bombs)
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # noqa: BLE001 - python-docx wraps lxml/zip errors loosely
        raise InvalidDocument(f"The Word document cannot be read ({exc}).", field="file") from None
    title = (document.core_properties.title or "").strip()
    first_heading = ""
    blocks: list[str] = []
    for item in document.iter_inner_content():
        if isinstance(item, Paragraph):
            text = item.text.strip()
            if not text:
                continue
            style = (item.style.name if item.style is not None else "") or ""
            if style == "Title":
                title = title or text
                blocks.append(f"# {text}")
            elif style.startswith("Heading"):
                level = style.removeprefix("Heading").strip()
                depth = int(level) if level.isdigit() else 1
                first_heading = first_heading or text
                blocks.append("#" * min(depth, 6) + " " + text)
            elif "List" in style:
                blocks.append(f"- {text}")
            else:
                blocks.append(text)
        elif isinstance(item, Table):
            blocks.extend(_table_sentences([[c.text.strip() for c in r.cells] for r in item.rows]))
    return title or first_heading, "\n\n".join(blocks)


def _table_sentences(rows: list[list[str]]) -> list[str]:
    """Turn a table into one sentence per row ("Header: value; ..."), which reads aloud."""
    if not rows:
        return []
    header, body = rows[0], rows[1:]
    if not body:
        return ["; ".join(c for c in header if c) + "."]
    out = []
    for row in body:
        parts = [f"{h}: {v}" if h else v for h, v in zip(header, row, strict=False) if v]
        if parts:
            out.append("; ".join(parts) + ".")
    return out


_TABLE_ROW = re.compile(r"^\s*\|.*\|\s*$")
_TABLE_RULE = re.compile(r"^\s*\|?[\s:|-]+\|?\s*$")


def _tables_to_sentences(text: str) -> str:
    """Replace Markdown tables by one "Header: value; ..." sentence per row."""
    out: list[str] = []
    table: list[list[str]] = []

    def flush() -> None:
        if table:
            out.append("\n\n".join(_table_sentences(table)))
            table.clear()

    for line in text.split("\n"):
        if _TABLE_ROW.match(line):
            if not _TABLE_RULE.match(line):
                table.append([c.strip() for c in line.strip().strip("|").split("|")])
            continue
        flush()
        out.append(line)
    flush()
    return "\n".join(out)


def _html(data: bytes) -> tuple[str, str]:
    import trafilatura

    html = _decode(data)
    text = trafilatura.extract(
        html,
        output_format="markdown",
        include_tables=True,
        include_links=False,
        include_images=False,
        include_comments=False,
        favor_recall=True,
    )
    title = ""
    meta = trafilatura.extract_metadata(html)
    if meta is not None and meta.title:
        title = meta.title.strip()
    if not text or len(text.strip()) < _SMALL_PAGE_CHARS:
        # trafilatura's heuristics are tuned for articles: on a short page they keep menus and
        # flatten headings into the text; the page's own structure serves better there
        text = _html_fallback(html) or text
    return title, text or ""


_SMALL_PAGE_CHARS = 400


def _html_fallback(html: str) -> str:
    """Visible text of the body for pages too small for trafilatura's main-content heuristics."""
    import lxml.html

    try:
        root = lxml.html.fromstring(html)
    except Exception:  # noqa: BLE001 - lxml raises ParserError / ValueError on junk
        return ""
    for bad in root.xpath("//script|//style|//nav|//footer|//header|//noscript|//aside"):
        bad.drop_tree()
    body = root.find("body")
    blocks: list[str] = []
    tables: set[object] = set()
    for el in (body if body is not None else root).iter(
        "h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "tr", "pre", "blockquote"
    ):
        if any(a.tag in ("p", "li", "tr", "blockquote") for a in el.iterancestors()):
            continue  # nested: its text is in the outer block already
        if el.tag == "tr":  # a Markdown row; _tables_to_sentences makes row sentences of it
            cells = [" ".join(c.text_content().split()) for c in el if c.tag in ("td", "th")]
            table = next(el.iterancestors("table"), None)
            row = "| " + " | ".join(cells) + " |"
            if table not in tables:
                tables.add(table)
                row += "\n|" + "---|" * len(cells)
            blocks.append(row)
            continue
        line = " ".join(el.text_content().split())
        if line:
            level = int(el.tag[1]) if el.tag[0] == "h" and el.tag[1:].isdigit() else 0
            blocks.append(f"{'#' * level} {line}" if level else line)
    if blocks:  # table rows stay on adjacent lines, other blocks are paragraphs
        return re.sub(r"\|\n\n\|", "|\n|", "\n\n".join(blocks))
    return (body if body is not None else root).text_content()


_EXTRACTORS = {
    "text": _text,
    "markdown": _markdown,
    "pdf": _pdf,
    "docx": _docx,
    "html": _html,
}


def _tidy(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    text = re.sub(r"[ \t\u00a0]+", " ", text)
    text = re.sub(r" *\n *", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip(" \t\n")  # not the form feeds that start PDF pages


def _first_line(text: str) -> str:
    line = text.strip().split("\n", 1)[0].lstrip("# ").strip()
    return line[:80]
