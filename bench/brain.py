"""Knowledge + brain figures: ingestion rate, retrieval latency (p50/p95), answer hit rate, and
time to first sentence for the embedded brain and for the OpenAI-compatible brain (against a
local fake server streaming at a set token rate).

    python bench/brain.py [--pages 500] [--queries 300] [--token-ms 25] [--postgres URL]

The corpus is synthetic but varied: 500 "pages" (~2 800 characters each) of facts about
invented places, organisations and machines, built from a seeded generator, so every question
has one known answering page. Figures move with machine load: run it on a quiet machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from kinema.brain.base import get_brain
from kinema.brain.openai_chat import OpenAIBrain
from kinema.brain.persona import Persona
from kinema.brain.respond import answer
from kinema.knowledge.chunk import chunk_text
from kinema.knowledge.index import KnowledgeIndex, open_index
from kinema.knowledge.ingest import extract_text

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
FILLER = [
    "Visitors often remark on the quiet atmosphere of the place.",
    "Local newspapers have covered its history in several long articles.",
    "The committee meets regularly to discuss improvements and budgets.",
    "Many residents volunteer on weekends to help with maintenance.",
    "Photographs from the early years hang in the entrance hall.",
    "During storms the staff follow a written safety procedure.",
    "A small shop sells postcards, maps and locally made crafts.",
    "Guided tours are available in several languages on request.",
]


def name(rng: random.Random, parts: int = 3) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(parts)).capitalize()


def make_corpus(pages: int, seed: int = 7) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(doc_id, markdown) pages and (question, expected doc_id) pairs."""
    rng = random.Random(seed)
    docs: list[tuple[str, str]] = []
    questions: list[tuple[str, str]] = []
    for i in range(pages):
        town, person = name(rng), name(rng, 2)
        thing, role = rng.choice(THINGS), rng.choice(ROLES)
        year, count = rng.randint(1700, 2020), rng.randint(3, 400)
        material, colour, day = rng.choice(MATERIALS), rng.choice(COLOURS), rng.choice(DAYS)
        facts = {
            "History": [
                f"The {thing} of {town} was built in {year} from {material}.",
                f"Its first {role} was {person}, who served for {rng.randint(2, 40)} years.",
            ],
            "Operations": [
                f"The {thing} of {town} employs {count} people and opens every {day}.",
                f"Its {colour} flag is raised at dawn and lowered at dusk.",
            ],
            "Figures": [
                f"Annual visitors to the {thing} of {town} number about {count * 113}.",
                f"The yearly budget is {rng.randint(1, 90)} million {name(rng, 1)} crowns.",
            ],
        }
        lines = [f"# The {thing} of {town}"]
        for heading, sentences in facts.items():
            body = sentences + rng.sample(FILLER, 5)
            rng.shuffle(body)
            lines += ["", f"## {heading}", "", " ".join(body), "", " ".join(rng.sample(FILLER, 6))]
        docs.append((f"page{i:04d}", "\n".join(lines)))
        doc_id = f"page{i:04d}"
        questions += [
            (f"When was the {thing} of {town} built?", doc_id),
            (f"Who was the first {role} of the {thing} in {town}?", doc_id),
            (f"How many people work at the {thing} of {town}?", doc_id),
        ]
    rng.shuffle(questions)
    return docs, questions


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def ms(v: float) -> str:
    return f"{v * 1000:7.2f} ms"


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


async def time_to_first_sentence(brain, index, questions, n) -> tuple[list[float], list[float]]:
    persona = Persona("Bench", "Support Agent", knowledge_only=True)
    first, total = [], []
    for question, _ in questions[:n]:
        t0 = time.perf_counter()
        got_first = None
        async for _sentence in answer(brain, index, "org", None, persona, [], question):
            if got_first is None:
                got_first = time.perf_counter() - t0
        first.append(got_first or 0.0)
        total.append(time.perf_counter() - t0)
    return first, total


def run(args: argparse.Namespace) -> None:
    docs, questions = make_corpus(args.pages)
    chars = sum(len(t) for _, t in docs)
    print(f"corpus: {len(docs)} pages, {chars / 1e6:.2f} M chars, {len(questions)} questions")
    with tempfile.TemporaryDirectory() as tmp:
        index: KnowledgeIndex
        if args.postgres:
            from kinema.knowledge.postgres import PostgresIndex

            index = PostgresIndex(args.postgres, table="kinema_bench_passages")
        else:
            index = open_index(Path(tmp) / "bench.db")
        t0 = time.perf_counter()
        n_chunks = 0
        for doc_id, text in docs:
            doc = extract_text(text.encode(), filename=f"{doc_id}.md")
            chunks = chunk_text(doc.text)
            n_chunks += index.add("org", doc_id, doc.title, chunks)
        took = time.perf_counter() - t0
        backend = "postgres" if args.postgres else "sqlite"
        print(
            f"ingest (extract+chunk+index, {backend}): {took:.2f} s, "
            f"{len(docs) / took:.0f} pages/s, {n_chunks} passages"
        )

        lat, hits = [], 0
        for question, expected in questions[: args.queries]:
            t = time.perf_counter()
            found = index.search("org", question, k=4)
            lat.append(time.perf_counter() - t)
            hits += any(p.doc_id == expected for p in found)
        nq = min(args.queries, len(questions))
        print(
            f"retrieval k=4 over {nq} queries: p50 {ms(pct(lat, 0.5))}  p95 {ms(pct(lat, 0.95))}"
            f"  recall@4 {hits / nq:.1%}"
        )

        embedded = get_brain("embedded")
        first, total = asyncio.run(time_to_first_sentence(embedded, index, questions, nq))
        print(
            f"embedded brain, time to first sentence (incl. retrieval): p50 {ms(pct(first, 0.5))}"
            f"  p95 {ms(pct(first, 0.95))}  (whole reply p95 {ms(pct(total, 0.95))})"
        )
        persona = Persona("Bench", "Support Agent", knowledge_only=True)
        answered = 0
        for question, expected in questions[:nq]:
            found = index.search("org", question, k=4)
            out = embedded.respond(persona, [], question, found)
            answered += any(c.doc_id == expected for s in out for c in s.citations)
        print(f"embedded brain, answered from the right page: {answered / nq:.1%}")

        _FakeLLM.token_s = args.token_ms / 1000
        server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeLLM)
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        llm = OpenAIBrain(base_url=f"http://127.0.0.1:{server.server_address[1]}/v1", model="m")
        n_llm = min(20, nq)
        first, total = asyncio.run(time_to_first_sentence(llm, index, questions, n_llm))
        words_first = len(_FakeLLM.answer.split(".")[0].split()) + 1
        print(
            f"openai brain vs fake server at {args.token_ms:.0f} ms/token ({n_llm} turns): first "
            f"sentence p50 {ms(pct(first, 0.5))}, whole reply p50 {ms(pct(total, 0.5))} "
            f"(floor: {words_first} tokens = {words_first * args.token_ms:.0f} ms)"
        )
        server.shutdown()
        if args.postgres:
            index.drop()  # type: ignore[attr-defined]
        index.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=500)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--token-ms", type=float, default=25.0)
    parser.add_argument("--postgres", default="", help="postgresql:// URL to bench that backend")
    run(parser.parse_args())


if __name__ == "__main__":
    main()
