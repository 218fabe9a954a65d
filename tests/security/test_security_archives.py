"""Decompression bombs are refused before a parser inflates them, with bounded memory."""

from __future__ import annotations

import io
import resource
import zipfile

import pytest

from kinema.errors import InvalidInput
from kinema.knowledge.ingest import extract_text
from kinema.media.limits import check_zip

_CT = (
    '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
    'content-types"/>'
)


def _bomb_docx(inflated: int) -> bytes:
    """A DOCX-shaped zip whose word/document.xml inflates to ``inflated`` bytes of spaces."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("[Content_Types].xml", _CT)
        with zf.open("word/document.xml", "w") as part:
            block = b" " * (1 << 20)
            for _ in range(inflated >> 20):
                part.write(block)
    return buf.getvalue()


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def test_docx_bomb_is_refused_with_bounded_memory() -> None:
    data = _bomb_docx(256 << 20)  # 256 MiB inflated, ~250 KB on the wire
    assert len(data) < 1 << 20
    before = _peak_rss_mb()
    with pytest.raises(InvalidInput) as err:
        extract_text(data, filename="bomb.docx")
    grown = _peak_rss_mb() - before
    assert err.value.field == "file"
    assert "word/document.xml" in str(err.value)
    assert grown < 64, f"peak RSS grew {grown:.0f} MB"


def test_lying_central_directory_is_no_bomb() -> None:
    data = bytearray(_bomb_docx(8 << 20))
    # rewrite the declared uncompressed size of the member to 1 KiB in both headers
    data_b = bytes(data)
    with zipfile.ZipFile(io.BytesIO(data_b)) as zf:
        info = zf.getinfo("word/document.xml")
        real = info.file_size
    fake = (1024).to_bytes(4, "little")
    real_b = real.to_bytes(4, "little")
    assert data_b.count(real_b) >= 2
    data_b = data_b.replace(real_b, fake)
    before = _peak_rss_mb()
    with pytest.raises(InvalidInput) as err:  # zipfile stops at the declared 1 KiB
        extract_text(data_b, filename="liar.docx")
    assert err.value.field == "file"
    assert _peak_rss_mb() - before < 32


def test_small_real_archive_passes() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("a.txt", "hello " * 100)
    check_zip(buf.getvalue())


def test_pdf_limit_reached_is_a_4xx(monkeypatch: pytest.MonkeyPatch) -> None:
    from pypdf import PdfWriter
    from pypdf.errors import LimitReachedError

    w = PdfWriter()
    w.add_blank_page(100, 100)
    out = io.BytesIO()
    w.write(out)

    def boom(self: object, *a: object, **k: object) -> str:
        raise LimitReachedError("limit reached")

    import pypdf

    monkeypatch.setattr(pypdf.PageObject, "extract_text", boom)
    with pytest.raises(InvalidInput) as err:
        extract_text(out.getvalue(), filename="x.pdf")
    assert err.value.field == "file"
    assert "cannot be read" in str(err.value)
