"""Real documents built by the tests themselves: PDFs (reportlab), DOCX (python-docx)."""

from __future__ import annotations

import io

import numpy as np


def make_pdf(pages: list[list[str]], title: str = "") -> bytes:
    """A text PDF: one list of lines per page."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    if title:
        c.setTitle(title)
    for lines in pages:
        y = 800
        for line in lines:
            c.drawString(60, y, line)
            y -= 18
        c.showPage()
    c.save()
    return buf.getvalue()


def make_image_pdf() -> bytes:
    """A PDF whose only page is a picture (as a scanner makes): no text layer."""
    from PIL import Image
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    rng = np.random.default_rng(0)
    img = Image.fromarray(rng.integers(0, 255, (120, 160, 3), dtype=np.uint8))
    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.drawImage(ImageReader(img), 50, 400, width=320, height=240)
    c.rect(40, 390, 340, 260)
    c.showPage()
    c.save()
    return buf.getvalue()


def encrypt_pdf(data: bytes, password: str = "s3cret") -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    writer.encrypt(user_password=password, owner_password=password + "-owner", algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def make_docx() -> bytes:
    import docx

    d = docx.Document()
    d.core_properties.title = "Office Guide"
    d.add_heading("Office Guide", level=0)
    d.add_heading("Parking", level=1)
    d.add_paragraph("Visitors park in the blue garage on Elm Street. Staff use level two.")
    d.add_heading("Opening hours", level=2)
    d.add_paragraph("The front desk opens at 8 am.", style="List Bullet")
    table = d.add_table(rows=3, cols=2)
    cells = [("Day", "Hours"), ("Monday", "8-18"), ("Saturday", "10-14")]
    for row, (a, b) in zip(table.rows, cells, strict=True):
        row.cells[0].text, row.cells[1].text = a, b
    d.add_paragraph("Closing paragraph after the table.")
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()
