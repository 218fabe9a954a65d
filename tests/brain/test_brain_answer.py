"""End to end: real PDF, DOCX and HTML (served on loopback) → index → answer with citations."""

from __future__ import annotations

import io
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from kinema.brain.base import get_brain
from kinema.brain.openai_chat import OpenAIBrain
from kinema.brain.persona import Persona
from kinema.brain.respond import answer
from kinema.knowledge.chunk import chunk_text
from kinema.knowledge.index import SqliteIndex
from kinema.knowledge.ingest import extract_text, fetch_document

PAGE = b"""<!doctype html><html><head><title>Visiting the observatory</title></head><body>
<nav>Home | Tickets | Contact</nav><main><h1>Visiting the observatory</h1>
<p>The Halden observatory opens to visitors every Friday evening from eight o'clock. Tickets
cost twelve euros and include a guided tour of the great refractor telescope.</p>
<p>Children under ten must be accompanied by an adult during the night tours.</p></main>
<footer>Contact us at info@halden.example</footer></body></html>"""


def make_pdf() -> bytes:
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.setTitle("Telescope maintenance manual")
    lines = [
        "Telescope maintenance manual",
        "The primary mirror of the refractor is cleaned once every eighteen months.",
        "Cleaning uses distilled water and a drop of neutral soap.",
        "The dome motor is serviced by Kessler Engineering each spring.",
    ]
    for i, line in enumerate(lines):
        c.drawString(60, 780 - 20 * i, line)
    c.showPage()
    c.save()
    return buf.getvalue()


def make_docx() -> bytes:
    import docx

    d = docx.Document()
    d.add_heading("Staff rota", level=1)
    d.add_paragraph("Night guides work in pairs. The rota is published every Monday by Marta.")
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


@pytest.fixture(scope="module")
def knowledge():
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(PAGE)))
            self.end_headers()
            self.wfile.write(PAGE)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/visit"
    index = SqliteIndex(":memory:")
    docs = {
        "pdf1": extract_text(make_pdf(), filename="maintenance.pdf"),
        "docx1": extract_text(make_docx(), filename="rota.docx"),
        "web1": fetch_document(url, allow_private=True),
    }
    for doc_id, doc in docs.items():
        index.add("org", doc_id, doc.title, chunk_text(doc.text))
    yield index, docs
    index.close()
    server.shutdown()
    server.server_close()


async def ask(index, text: str, persona: Persona, doc_ids=None, brain=None):
    brain = brain or get_brain("embedded")
    return [s async for s in answer(brain, index, "org", doc_ids, persona, [], text)]


async def test_question_only_in_the_pdf_is_answered_from_it_with_citation(knowledge) -> None:
    index, docs = knowledge
    assert docs["pdf1"].title == "Telescope maintenance manual"
    persona = Persona("Vera", "Tutor", knowledge_only=True)
    out = await ask(index, "How often is the primary mirror cleaned?", persona)
    cited = [s for s in out if s.citations]
    assert cited and "eighteen months" in cited[0].text
    assert {c.doc_id for s in cited for c in s.citations} == {"pdf1"}
    assert cited[0].citations[0].doc_name == "Telescope maintenance manual"
    assert "Kessler" not in " ".join(s.text for s in out)  # only the matching sentence


async def test_docx_and_web_page_answers(knowledge) -> None:
    index, _ = knowledge
    persona = Persona("Vera", "Support Agent", knowledge_only=True)
    out = await ask(index, "How much do observatory tickets cost?", persona)
    assert any("twelve euros" in s.text and s.citations[0].doc_id == "web1" for s in out)
    out = await ask(index, "Who publishes the rota?", persona)
    assert any("Marta" in s.text and s.citations[0].doc_id == "docx1" for s in out)


async def test_outside_the_knowledge_is_an_honest_i_dont_know(knowledge) -> None:
    index, _ = knowledge
    persona = Persona("Vera", "Professional Advisor", knowledge_only=True)
    out = await ask(index, "What is the boiling point of mercury?", persona)
    assert len(out) == 1 and not out[0].citations
    # far from every document: a polite deflection that says what it can help with
    assert "outside my area" in out[0].text and "Telescope maintenance manual" in out[0].text


async def test_character_documents_restrict_retrieval(knowledge) -> None:
    index, _ = knowledge
    persona = Persona("Vera", knowledge_only=True)
    out = await ask(index, "How often is the primary mirror cleaned?", persona, doc_ids=["web1"])
    assert not any(s.citations for s in out)
    none = await ask(index, "How often is the primary mirror cleaned?", persona, doc_ids=[])
    assert not any(s.citations for s in none)


async def test_llm_brain_gets_the_retrieved_sources(knowledge, fake_llm) -> None:
    index, _ = knowledge
    fake_llm.script = ["Every eighteen months [1]."]
    brain = OpenAIBrain(base_url=fake_llm.url, model="ok", timeout=5)
    out = await ask(index, "How often is the mirror cleaned?", Persona("Vera"), brain=brain)
    assert out[0].text == "Every eighteen months." and out[0].citations[0].doc_id == "pdf1"
    system = fake_llm.requests[-1]["messages"][0]["content"]
    assert "[1] (Telescope maintenance manual" in system and "eighteen months" in system


async def test_terse_follow_up_finds_its_topic_from_history(knowledge) -> None:
    from kinema.brain.base import Turn

    index, _ = knowledge
    persona = Persona("Vera", "Support Agent", knowledge_only=True)
    history = [Turn("user", "When is the observatory open?"), Turn("assistant", "Fridays.")]
    brain = get_brain("embedded")
    out = [s async for s in answer(brain, index, "org", None, persona, history, "Price?")]
    alone = [s async for s in answer(brain, index, "org", None, persona, [], "Price?")]
    assert not any(s.citations for s in alone)
    # "price?" after a question about the observatory: the ticket price, found by meaning
    assert any("twelve euros" in s.text and s.citations for s in out)
    out = [s async for s in answer(brain, index, "org", None, persona, history, "And the cost?")]
    assert any("twelve euros" in s.text for s in out)


async def test_no_index_or_no_documents_means_no_passages() -> None:
    from kinema.brain.respond import retrieve

    assert await retrieve(None, "org", None, "anything") == []
    persona = Persona("Vera", knowledge_only=True)
    out = [s async for s in answer(get_brain(), None, "org", None, persona, [], "Mirror?")]
    assert len(out) == 1 and out[0].text == persona.phrase("unknown", seed="mirror?")
