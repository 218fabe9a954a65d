"""Citations name the place a reader can find: the PDF page, the Markdown/HTML heading."""

from __future__ import annotations

import io

from kinema.brain.base import get_brain
from kinema.brain.openai_chat import sources_block
from kinema.brain.persona import Persona
from kinema.brain.respond import answer
from kinema.knowledge.chunk import chunk_text
from kinema.knowledge.index import SqliteIndex, source_label
from kinema.knowledge.ingest import extract_text


def three_page_pdf() -> bytes:
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.setTitle("Zephyr pump manual")
    pages = [
        ["Introduction", "This manual describes the Zephyr pump and its care."],
        ["Maintenance", "Replace the rubber seal of the Zephyr pump every six months."],
        ["Safety", "Unplug the pump before you open the housing."],
    ]
    for lines in pages:
        for i, line in enumerate(lines):
            c.drawString(60, 780 - 20 * i, line)
        c.showPage()
    c.save()
    return buf.getvalue()


async def test_pdf_answers_cite_their_page() -> None:
    doc = extract_text(three_page_pdf(), filename="zephyr.pdf")
    assert doc.pages == 3
    chunks = chunk_text(doc.text)
    assert [c.page for c in chunks] == [1, 2, 3]
    index = SqliteIndex(":memory:")
    index.add("org", "zephyr", doc.title, chunks)
    persona = Persona("Vera", "Support Agent", knowledge_only=True)
    brain = get_brain("embedded")
    question = "How often does the gasket need changing?"  # the manual says "rubber seal"
    out = [s async for s in answer(brain, index, "org", None, persona, [], question)]
    cite = next(c for s in out for c in s.citations)
    assert "every six months" in cite.snippet
    assert (cite.page, cite.source) == (2, "Zephyr pump manual, page 2")
    index.close()


async def test_markdown_answers_cite_their_heading() -> None:
    index = SqliteIndex(":memory:")
    faq = "# Lumen FAQ\n\n## Shipping\nWe ship to the EU, the UK and Norway.\n"
    index.add("org", "faq", "Lumen FAQ", chunk_text(faq))
    persona = Persona("Vera", "Support Agent")
    out = [
        s
        async for s in answer(get_brain(), index, "org", None, persona, [], "Do you send to Oslo?")
    ]
    cite = next(c for s in out for c in s.citations)
    assert cite.page is None and cite.heading == "Lumen FAQ > Shipping"
    assert cite.source == "Lumen FAQ, Shipping"
    index.close()


def test_source_labels_and_llm_sources_name_the_place() -> None:
    assert source_label("Manual", 12, "Safety") == "Manual, page 12"
    assert source_label("FAQ", None, "FAQ > Returns") == "FAQ, Returns"
    assert source_label("FAQ", None, "FAQ") == "FAQ"
    index = SqliteIndex(":memory:")
    doc = extract_text(three_page_pdf(), filename="zephyr.pdf")
    index.add("org", "zephyr", doc.title, chunk_text(doc.text))
    block = sources_block(index.search("org", "Unplug the pump before opening it?"))
    assert "[1] (Zephyr pump manual, page 3)" in block
    index.close()
