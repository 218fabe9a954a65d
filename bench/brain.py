"""Knowledge + brain figures: paraphrase recall@1, typed-turn latency, 500-page PDF ingestion,
page citations, and the OpenAI-compatible brain's first sentence against a local fake server.

    python bench/brain.py [--pages 500] [--turns 200] [--token-ms 25] [--postgres URL]

1. The README's telescope-shop handbook (bench/paraphrases.py) and 46 questions worded unlike
   it: recall@1 of retrieval (the top passage holds the answer) and of the embedded brain (its
   first quoted sentence is the answer), hybrid against word matching alone; follow-ups and
   off-topic questions.
2. Typed turn, first sentence (retrieval incl. query embedding + brain), p50/p95, with the
   handbook and a 500-page PDF in the same organization (the query cache is cleared per turn).
3. A 500-page PDF made with reportlab (varied invented facts, ~2 500 characters a page):
   extraction, chunking, embedding and indexing, with the progress the CLI shows; then
   questions about it and whether the answer cites the right page.

Figures move with machine load: run it on a quiet machine.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import random
import sys
import tempfile
import textwrap
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from paraphrases import FOLLOW_UPS, HANDBOOK, HELD_OUT, OFF_TOPIC, QUESTIONS  # noqa: E402

from kinema.brain.base import Turn, get_brain  # noqa: E402
from kinema.brain.openai_chat import OpenAIBrain  # noqa: E402
from kinema.brain.persona import Persona  # noqa: E402
from kinema.brain.respond import answer  # noqa: E402
from kinema.knowledge import hybrid  # noqa: E402
from kinema.knowledge.chunk import chunk_text  # noqa: E402
from kinema.knowledge.index import KnowledgeIndex, SqliteIndex  # noqa: E402
from kinema.knowledge.ingest import extract_text  # noqa: E402

SYLLABLES = [
    "ka",
    "lo",
    "mi",
    "ren",
    "tas",
    "vel",
    "dor",
    "ith",
    "zan",
    "qui",
    "bra",
    "nol",
    "sef",
    "ut",
    "arn",
    "pel",
    "gro",
    "hym",
    "wex",
    "jor",
]
THINGS = [
    "pump",
    "turbine",
    "library",
    "harbour",
    "bakery",
    "observatory",
    "bridge",
    "mill",
    "school",
    "clinic",
]
ROLES = [
    "engineer",
    "curator",
    "captain",
    "baker",
    "astronomer",
    "mayor",
    "miller",
    "teacher",
    "nurse",
    "pilot",
]
MATERIALS = [
    "granite",
    "oak",
    "steel",
    "copper",
    "glass",
    "limestone",
    "bronze",
    "cedar",
    "brick",
    "slate",
]
COLOURS = [
    "red",
    "blue",
    "green",
    "amber",
    "violet",
    "silver",
    "golden",
    "white",
    "black",
    "orange",
]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
FILLER = [  # slots make every page's text its own (no embedding of repeated sentences)
    "Visitors from {town} often remark on the quiet atmosphere of the {thing} in {month}.",
    "The {paper} has covered the history of the {thing} in {n} long articles.",
    "A committee of {n} members meets every {day} to discuss the {thing}'s budget.",
    "About {n} residents of {town} volunteer on weekends to help with maintenance.",
    "Photographs from {year} hang in the entrance hall beside a {colour} banner.",
    "During storms the staff follow procedure {n}, written by {person} in {year}.",
    "A small shop sells postcards of {town}, maps of the {region} valley and {material} crafts.",
    "Guided tours in {n} languages start at the {colour} gate on request.",
    "The road from {region} to {town} was paved with {material} in {year}.",
    "Every {month} the {thing} hosts a fair where {person} sells {colour} lanterns.",
]
MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
]


def name(rng: random.Random, parts: int = 3) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(parts)).capitalize()


def make_corpus(pages: int, seed: int = 7) -> tuple[list[str], list[tuple[str, int, str]]]:
    """Markdown pages and (question, page number, answer phrase) triples."""
    rng = random.Random(seed)
    docs: list[str] = []
    questions: list[tuple[str, int, str]] = []
    for i in range(pages):
        town, person = name(rng), name(rng, 2)
        thing, role = rng.choice(THINGS), rng.choice(ROLES)
        year, count = rng.randint(1700, 2020), rng.randint(3, 400)
        material, colour, day = rng.choice(MATERIALS), rng.choice(COLOURS), rng.choice(DAYS)

        def filler(thing: str = thing) -> str:
            return rng.choice(FILLER).format(
                town=name(rng), thing=thing, month=rng.choice(MONTHS), n=rng.randint(2, 90),
                paper=f"{name(rng, 2)} Herald", day=rng.choice(DAYS), year=rng.randint(1800, 2020),
                colour=rng.choice(COLOURS), person=name(rng, 2), region=name(rng, 2),
                material=rng.choice(MATERIALS),
            )  # fmt: skip

        facts = {
            "History": [
                f"The {thing} of {town} was built in {year} from {material}.",
                f"The first {role} of the {thing} of {town} was {person}, who served for "
                f"{rng.randint(2, 40)} years.",
            ],
            "Operations": [
                f"The {thing} of {town} employs {count} people and opens every {day}.",
                f"The {colour} flag of {town} is raised at dawn and lowered at dusk.",
            ],
            "Figures": [
                f"Annual visitors to the {thing} of {town} number about {count * 113}.",
                f"The yearly budget is {rng.randint(1, 90)} million {name(rng, 1)} crowns.",
            ],
        }
        lines = [f"# The {thing} of {town}"]
        for heading, sentences in facts.items():
            body = sentences + [filler() for _ in range(4)]
            rng.shuffle(body)
            lines += [
                "",
                f"## {heading}",
                "",
                " ".join(body),
                "",
                " ".join(filler() for _ in range(4)),
            ]
        docs.append("\n".join(lines))
        questions += [
            (f"In which year was the {thing} of {town} constructed?", i + 1, f"built in {year}"),
            (f"Who was the first {role} of the {thing} in {town}?", i + 1, person),
            (f"How many people work at the {thing} of {town}?", i + 1, f"employs {count}"),
        ]
    rng.shuffle(questions)
    return docs, questions


def make_pdf(pages: list[str], title: str) -> bytes:
    """One PDF page per Markdown page: headings bold, paragraphs wrapped."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    c.setTitle(title)
    for page in pages:
        y = 800
        for para in page.split("\n"):
            if para.startswith("#"):
                c.setFont("Helvetica-Bold", 13)
                c.drawString(50, y, para.lstrip("# "))
                y -= 20
                c.setFont("Helvetica", 9)
                continue
            for line in textwrap.wrap(para, 110):
                c.drawString(50, y, line)
                y -= 12
            y -= 6 if not para else 0
        c.showPage()
    c.save()
    return buf.getvalue()


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def ms(v: float) -> str:
    return f"{v * 1000:6.1f} ms"


class _FakeLLM(BaseHTTPRequestHandler):
    token_s = 0.025
    answer = "The answer is in source one [1]. It was recorded in the archive. That is all."

    def do_POST(self) -> None:  # noqa: N802 - http.server API
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        for word in self.answer.split(" "):
            time.sleep(self.token_s)
            delta = {"choices": [{"index": 0, "delta": {"content": word + " "}}]}
            payload = {"id": "x", "object": "chat.completion.chunk", "created": 0, "model": "m"}
            self.wfile.write(b"data: " + json.dumps(payload | delta).encode() + b"\n\n")
            self.wfile.flush()
        self.wfile.write(b"data: [DONE]\n\n")

    def log_message(self, *args: object) -> None:
        pass


async def turn(brain, index, persona, question, history=None, doc_ids=None):
    """(sentences, seconds to the first sentence)."""
    t0 = time.perf_counter()
    first, out = None, []
    async for sentence in answer(brain, index, "org", doc_ids, persona, history or [], question):
        if first is None:
            first = time.perf_counter() - t0
        out.append(sentence)
    return out, first or 0.0


def first_answer(sentences) -> str:
    cited = [s for s in sentences if s.citations]
    return cited[0].citations[0].snippet if cited else ""


def paraphrase_figures(index: KnowledgeIndex, lexical: KnowledgeIndex) -> None:
    brain = get_brain("embedded")
    persona = Persona("Orla", "Support Agent", knowledge_only=True)
    n = len(QUESTIONS)
    retrieval = sum(
        bool(h := index.search("org", q, 4, ["shop"])) and a in h[0].text for q, a in QUESTIONS
    )
    words_only = sum(
        bool(h := lexical.search("org", q, 4)) and a in h[0].text for q, a in QUESTIONS
    )
    first = quoted = hedged = declined = 0
    misses = []
    for q, a in QUESTIONS:
        out, _ = asyncio.run(turn(brain, index, persona, q, doc_ids=["shop"]))
        snippets = [c.snippet for s in out for c in s.citations]
        first += bool(snippets) and a in snippets[0]
        quoted += any(a in x for x in snippets)
        hedged += bool(snippets) and out[0].text == persona.phrase("hedge", seed=q.lower())
        declined += not snippets
        if not any(a in x for x in snippets):
            misses.append(f"    miss: {q!r} -> {' '.join(s.text for s in out)[:120]!r}")
    print(f"paraphrase set: {n} questions on the telescope-shop handbook")
    print(f"  retrieval recall@1   hybrid {retrieval / n:6.1%}   words only {words_only / n:6.1%}")
    print(
        f"  embedded brain: answer quoted {quoted / n:.1%} (as its first sentence {first / n:.1%});"
        f" {hedged} hedged, {declined} declined"
    )
    print("\n".join(misses))
    held = 0
    for q, a in HELD_OUT:
        out, _ = asyncio.run(turn(brain, index, persona, q, doc_ids=["shop"]))
        held += any(a in c.snippet for s in out for c in s.citations)
    print(
        f"  held-out set ({len(HELD_OUT)} questions, never tuned on): answer quoted "
        f"{held / len(HELD_OUT):.1%}"
    )
    follow = 0
    for first, then, a in FOLLOW_UPS:
        out, _ = asyncio.run(turn(brain, index, persona, first, doc_ids=["shop"]))
        history = [Turn("user", first), Turn("assistant", " ".join(s.text for s in out))]
        out, _ = asyncio.run(turn(brain, index, persona, then, history, doc_ids=["shop"]))
        follow += a in first_answer(out)
    print(f"  follow-ups answered from the right sentence: {follow}/{len(FOLLOW_UPS)}")
    declined = 0
    for q in OFF_TOPIC:
        out, _ = asyncio.run(turn(brain, index, persona, q, doc_ids=["shop"]))
        declined += not any(s.citations for s in out)
    print(f"  off-topic questions declined (no quote): {declined}/{len(OFF_TOPIC)}")


def latency_figures(index: KnowledgeIndex, turns: int, label: str, questions: list[str]) -> None:
    brain = get_brain("embedded")
    persona = Persona("Orla", "Support Agent", knowledge_only=True)
    firsts = []
    for i in range(turns):
        hybrid._query_cache.clear()  # every turn embeds its question
        _, first = asyncio.run(turn(brain, index, persona, questions[i % len(questions)]))
        firsts.append(first)
    print(
        f"typed turn, first sentence ({label}, {turns} turns, incl. query embedding): "
        f"p50 {ms(pct(firsts, 0.5))}  p95 {ms(pct(firsts, 0.95))}  max {ms(max(firsts))}"
    )


def ingest_pdf(index: KnowledgeIndex, pages: int) -> list[tuple[str, int, str]]:
    docs, questions = make_corpus(pages)
    t = time.perf_counter()
    data = make_pdf(docs, "Atlas of invented places")
    took = time.perf_counter() - t
    print(f"{pages}-page PDF made with reportlab: {len(data) / 1e6:.1f} MB in {took:.1f} s")

    def show(stage: str, done: int, total: int) -> None:
        if done == total or done % max(1, total // 5) < (32 if stage == "passages" else 1):
            print(
                f"    {stage:8s} {done:5d}/{total}  {time.perf_counter() - t0:6.1f} s", flush=True
            )

    t0 = time.perf_counter()
    doc = extract_text(data, filename="atlas.pdf", max_bytes=200 << 20, progress=show)
    t1 = time.perf_counter()
    chunks = chunk_text(doc.text)
    t2 = time.perf_counter()
    index.add("org", "atlas", doc.title, chunks, progress=show)
    t3 = time.perf_counter()
    print(
        f"  extract {t1 - t0:.1f} s ({doc.pages} pages, {len(doc.text) / 1e6:.2f} M chars), chunk "
        f"{t2 - t1:.2f} s ({len(chunks)} passages), embed+index {t3 - t2:.1f} s "
        f"({len(chunks) / (t3 - t2):.1f} passages/s); total {t3 - t0:.1f} s"
    )
    return questions


def page_figures(index: KnowledgeIndex, questions: list[tuple[str, int, str]], n: int) -> None:
    brain = get_brain("embedded")
    persona = Persona("Orla", "Professional Advisor", knowledge_only=True)
    right_page = quoted = 0
    for q, page, phrase in questions[:n]:
        out, _ = asyncio.run(turn(brain, index, persona, q, doc_ids=["atlas"]))
        cites = [c for s in out for c in s.citations]
        quoted += bool(cites) and phrase in cites[0].snippet
        right_page += bool(cites) and cites[0].page == page
    example = next(c for s in out for c in s.citations) if any(s.citations for s in out) else None
    print(
        f"  {n} questions on the PDF: answer quoted {quoted / n:.0%}, citation names the right "
        f"page {right_page / n:.0%}" + (f" (e.g. source {example.source!r})" if example else "")
    )


def llm_figures(index: KnowledgeIndex, token_ms: float) -> None:
    _FakeLLM.token_s = token_ms / 1000
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeLLM)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    llm = OpenAIBrain(base_url=f"http://127.0.0.1:{server.server_address[1]}/v1", model="m")
    persona = Persona("Orla", "Support Agent", knowledge_only=True)
    firsts = []
    for q, _ in QUESTIONS[:20]:
        _, first = asyncio.run(turn(llm, index, persona, q, doc_ids=["shop"]))
        firsts.append(first)
    words_first = len(_FakeLLM.answer.split(".")[0].split()) + 1
    print(
        f"openai brain vs fake server at {token_ms:.0f} ms/token (20 turns, same hybrid "
        f"retrieval): first sentence p50 {ms(pct(firsts, 0.5))} (floor: {words_first} tokens "
        f"= {words_first * token_ms:.0f} ms)"
    )
    server.shutdown()


def run(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        index: KnowledgeIndex
        if args.postgres:
            from kinema.knowledge.postgres import PostgresIndex

            index = PostgresIndex(args.postgres, table="kinema_bench_passages")
            print(f"backend: postgres ({index.vector_store} vectors)")
        else:
            index = SqliteIndex(Path(tmp) / "bench.db")
            print("backend: sqlite")
        t = time.perf_counter()
        index.add("org", "shop", "Orion handbook", chunk_text(HANDBOOK))
        print(f"handbook indexed in {ms(time.perf_counter() - t)} (incl. loading MiniLM)")
        lexical = SqliteIndex(":memory:", embedder=None)
        lexical.add("org", "shop", "Orion handbook", chunk_text(HANDBOOK))
        paraphrase_figures(index, lexical)
        latency_figures(index, args.turns, "handbook only", [q for q, _ in QUESTIONS])
        if args.pages:
            questions = ingest_pdf(index, args.pages)
            mixed = [q for q, _ in QUESTIONS] + [q for q, _, _ in questions[:50]]
            latency_figures(index, args.turns, f"handbook + {args.pages}-page PDF", mixed)
            page_figures(index, questions, min(60, len(questions)))
        llm_figures(index, args.token_ms)
        if args.postgres:
            index.drop()  # type: ignore[attr-defined]
        index.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=500, help="PDF pages (0: skip the PDF)")
    parser.add_argument("--turns", type=int, default=200)
    parser.add_argument("--token-ms", type=float, default=25.0)
    parser.add_argument("--postgres", default="", help="postgresql:// URL to bench that backend")
    run(parser.parse_args())


if __name__ == "__main__":
    main()
