from __future__ import annotations

import pytest
from knowledge_docs import encrypt_pdf, make_docx, make_image_pdf, make_pdf

from kinema.errors import FetchRefused, InvalidInput
from kinema.knowledge.errors import (
    DocumentTooLarge,
    EmptyDocument,
    EncryptedDocument,
    InvalidDocument,
    NoTextInDocument,
    UnsupportedDocument,
)
from kinema.knowledge.ingest import extract_text, fetch_document

ARTICLE = b"""<!doctype html><html><head><title>Lighthouse Facts</title></head><body>
<nav><a href="/">Home</a> | <a href="/shop">Shop</a> | <a href="/login">Login</a></nav>
<article><h1>The Kestrel Point lighthouse</h1>
<p>The Kestrel Point lighthouse was built in 1871 from granite quarried on the island. Its lamp
can be seen from twenty-two nautical miles away on a clear night.</p>
<h2>Keepers</h2>
<p>Three keepers lived at the station until the light was automated in 1989. The last head
keeper, Agnes Morrow, kept a diary that is now held by the county museum.</p>
<script>var tracking = "do not index me";</script>
</article>
<footer>Copyright 2024 Lighthouse Society. All rights reserved.</footer></body></html>"""


def test_pdf_text_title_and_pages() -> None:
    data = make_pdf(
        [["Zephyr handbook", "The Zephyr pump runs at 42 litres per minute."], ["Page two text."]],
        title="Zephyr Manual",
    )
    doc = extract_text(data, filename="zephyr.pdf")
    assert doc.kind == "pdf"
    assert doc.title == "Zephyr Manual"
    assert "42 litres per minute" in doc.text
    assert doc.text.index("42 litres") < doc.text.index("Page two")


@pytest.mark.parametrize("placeholder", ["", "Microsoft Word - draft3.docx", "Document1"])
def test_pdf_placeholder_title_gives_way_to_the_file_name(placeholder: str) -> None:
    # ReportLab writes "untitled" when no title is set; Word writes its own window title
    data = make_pdf([["Opening hours", "The dome opens at 8 pm on clear Fridays."]], placeholder)
    assert extract_text(data, filename="opening_hours.pdf").title == "opening hours"


def test_docx_headings_lists_and_tables_become_text() -> None:
    doc = extract_text(make_docx(), filename="guide.docx")
    assert doc.kind == "docx"
    assert doc.title == "Office Guide"
    assert "## Opening hours" in doc.text
    assert "# Parking" in doc.text
    assert "- The front desk opens at 8 am." in doc.text
    assert "Day: Saturday; Hours: 10-14." in doc.text  # table rows read as sentences
    assert doc.text.index("Hours: 10-14") < doc.text.index("Closing paragraph")


def test_markdown_and_text_by_extension_and_sniffing() -> None:
    md = extract_text(b"---\nx: 1\n---\n# Title here\n\nBody.", filename="notes.md")
    assert (md.kind, md.title) == ("markdown", "Title here")
    assert "x: 1" not in md.text
    txt = extract_text("Caf\u00e9 cr\u00e8me costs 3 euros.".encode(), content_type="text/plain")
    assert txt.kind == "text" and "Café crème" in txt.text
    latin = extract_text("Caf\u00e9 noir.".encode("cp1252"))
    assert "Café noir" in latin.text
    html = extract_text(ARTICLE)  # no name, no type: sniffed
    assert html.kind == "html"


def test_html_main_text_without_boilerplate() -> None:
    doc = extract_text(ARTICLE, filename="page.html")
    assert doc.title in ("Lighthouse Facts", "The Kestrel Point lighthouse")
    assert "built in 1871" in doc.text and "Agnes Morrow" in doc.text
    assert "do not index me" not in doc.text
    assert "Login" not in doc.text


def test_encrypted_pdf_is_a_clear_error() -> None:
    data = encrypt_pdf(make_pdf([["Secret salaries are listed here."]]))
    with pytest.raises(EncryptedDocument, match="password"):
        extract_text(data, filename="secret.pdf")


def test_owner_password_only_pdf_still_reads() -> None:
    from io import BytesIO

    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(BytesIO(make_pdf([["Readable but locked."]]))))
    writer.encrypt(user_password="", owner_password="owner", algorithm="AES-128")
    out = BytesIO()
    writer.write(out)
    assert "Readable but locked." in extract_text(out.getvalue()).text


def test_image_only_pdf_is_a_clear_error() -> None:
    with pytest.raises(NoTextInDocument, match="no text layer") as err:
        extract_text(make_image_pdf(), filename="scan.pdf")
    assert isinstance(err.value, InvalidInput) and err.value.status == 400


@pytest.mark.parametrize("data", [b"", b"   \n\t  "])
def test_empty_files(data: bytes) -> None:
    with pytest.raises(EmptyDocument):
        extract_text(data, filename="empty.txt")


def test_html_without_text_is_empty() -> None:
    with pytest.raises(EmptyDocument):
        extract_text(b"<html><body><script>x=1</script></body></html>", filename="a.html")


@pytest.mark.parametrize(
    ("data", "name", "ctype"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "photo.png", "image/png"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00\x00", "old.doc", "application/msword"),
        (b"a,b\n1,2\n", "table.csv", "text/csv"),
        (b"binary\x00\x01\x02", None, None),
    ],
)
def test_unsupported_types(data: bytes, name: str | None, ctype: str | None) -> None:
    with pytest.raises(UnsupportedDocument, match="Supported"):
        extract_text(data, filename=name, content_type=ctype)


def test_zip_that_is_not_docx_is_unsupported() -> None:
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("hello.txt", "hi")
    with pytest.raises(UnsupportedDocument):
        extract_text(buf.getvalue(), filename="archive.zip")


def test_corrupt_pdf_is_invalid() -> None:
    with pytest.raises(InvalidDocument):
        extract_text(b"%PDF-1.4\n garbage garbage", filename="bad.pdf")
    with pytest.raises(InvalidDocument):
        extract_text(b"not really a pdf", filename="bad.pdf")


def test_size_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    from kinema.config import get_settings

    with pytest.raises(DocumentTooLarge, match="limit is 100 bytes"):
        extract_text(b"x" * 101, filename="a.txt", max_bytes=100)
    monkeypatch.setenv("KINEMA_MAX_DOCUMENT_BYTES", "50")
    get_settings.cache_clear()
    try:
        with pytest.raises(DocumentTooLarge):
            extract_text(b"y" * 51, filename="a.txt")
    finally:
        monkeypatch.delenv("KINEMA_MAX_DOCUMENT_BYTES")
        get_settings.cache_clear()


def test_fetch_html_page_from_loopback(web_server) -> None:
    base, routes = web_server
    routes["/articles/lighthouse"] = ("text/html; charset=utf-8", ARTICLE)
    routes["/files/zephyr.pdf"] = ("application/octet-stream", make_pdf([["Pump rate is 42."]]))
    doc = fetch_document(base + "/articles/lighthouse", allow_private=True)
    assert doc.kind == "html" and "Agnes Morrow" in doc.text
    pdf = fetch_document(base + "/files/zephyr.pdf", allow_private=True)
    assert pdf.kind == "pdf" and "Pump rate is 42." in pdf.text


def test_fetch_refuses_loopback_without_opt_in(web_server) -> None:
    base, routes = web_server
    routes["/a"] = ("text/html", ARTICLE)
    with pytest.raises(FetchRefused):
        fetch_document(base + "/a")
    with pytest.raises(FetchRefused, match="non-public"):
        fetch_document(base.replace("http://", "https://") + "/a")


def test_fetch_errors_are_typed(web_server) -> None:
    base, _ = web_server
    with pytest.raises(FetchRefused, match="404"):
        fetch_document(base + "/missing", allow_private=True)


def test_pdf_heading_lines_are_kept_apart_from_sentences() -> None:
    data = make_pdf(
        [
            [
                "Safety rules",
                "Wear gloves when you handle the pump housing because the edges are sharp and",
                "Siemens recommends checking them weekly before the shift starts.",
            ]
        ]
    )
    text = extract_text(data, filename="rules.pdf").text
    assert text.startswith("\f## Safety rules\n")  # a form feed starts each page
    assert "sharp and\nSiemens" in text  # a wrapped body line is not mistaken for a heading


def test_small_html_page_keeps_its_headings_and_drops_its_menu() -> None:
    html = b"""<html><head><title>Parking</title></head><body><nav>Menu</nav>
    <article><h1>Parking</h1><p>Visitors park free in the north lot after 6 pm.</p>
    <ul><li>Bikes go in the rack.</li></ul></article><footer>Contact</footer></body></html>"""
    text = extract_text(html, filename="parking.html").text
    assert text == (
        "# Parking\n\nVisitors park free in the north lot after 6 pm.\n\nBikes go in the rack."
    )


def test_html_and_markdown_tables_become_row_sentences() -> None:
    html = b"""<html><body><article><h1>Price list</h1>
    <p>Our prices for the current season are listed below in the table for everyone.</p>
    <table><tr><th>Ticket</th><th>Price</th></tr><tr><td>Adult</td><td>12 euros</td></tr>
    <tr><td>Child</td><td>6 euros</td></tr></table></article></body></html>"""
    text = extract_text(html, filename="prices.html").text
    assert "Ticket: Child; Price: 6 euros." in text and "|" not in text
    md = extract_text(b"# T\n\n| Day | Hours |\n|---|---|\n| Mon | 8-18 |\n", filename="h.md")
    assert "Day: Mon; Hours: 8-18." in md.text
