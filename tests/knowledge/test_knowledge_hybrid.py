"""Hybrid retrieval: MiniLM vectors stored with the passages (SQLite and PostgreSQL), fused with
the lexical ranking, so questions worded unlike the document still find their passage."""

from __future__ import annotations

import os
import sqlite3
import uuid

import numpy as np
import pytest

from kinema.errors import BackendUnavailable
from kinema.knowledge.chunk import chunk_text
from kinema.knowledge.hybrid import fuse
from kinema.knowledge.index import KnowledgeIndex, SqliteIndex
from kinema.knowledge.sentences import passage_sentences

SHOP = """# Orion Telescope Shop handbook

## Returns
You can return any telescope within 45 days of delivery for a full refund, as long as it
comes back in its original box.

## Payment
We accept Visa, Mastercard, bank transfer and cash in the shop.

## Location and parking
The shop is at 12 Kepler Street. Customers park free of charge in the courtyard behind the
building.

## Contact
Call us on 040 555 0199 during opening hours. We answer emails within one working day.

## Repairs
Our workshop cleans and aligns mirrors for 60 euros per instrument.
"""
# (question worded unlike the handbook, phrase of the passage that answers it)
PARAPHRASES = [
    ("What is your return policy?", "you can return any telescope"),
    ("Can I bring it back if I change my mind?", "you can return any telescope"),
    ("Where can I leave my car?", "park free of charge"),
    ("How quickly do you reply to messages?", "answer emails within one working day"),
    ("Which credit cards can I use?", "Visa, Mastercard"),
]
PG_URL = os.environ.get("KINEMA_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def _postgres(**kw):
    try:
        import psycopg

        psycopg.connect(PG_URL, connect_timeout=2).close()
    except Exception as exc:  # noqa: BLE001 - any failure means "not here"
        pytest.skip(f"PostgreSQL not reachable at {PG_URL} ({type(exc).__name__}: {exc})")
    from kinema.knowledge.postgres import PostgresIndex

    return PostgresIndex(PG_URL, table=f"kinema_hybrid_t{uuid.uuid4().hex[:8]}", **kw)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.services)])
def index(request, tmp_path):
    ix = SqliteIndex(tmp_path / "k.db") if request.param == "sqlite" else _postgres()
    ix.add("org", "shop", "Orion handbook", chunk_text(SHOP))
    yield ix
    if request.param == "postgres":
        ix.drop()
    ix.close()


def _found(index: KnowledgeIndex, question: str, phrase: str) -> bool:
    hits = index.search("org", question, k=3)
    return bool(hits) and phrase.lower() in hits[0].text.lower()


def test_paraphrased_questions_find_their_passage(index: KnowledgeIndex) -> None:
    for question, phrase in PARAPHRASES:
        assert _found(index, question, phrase), question
    top = index.search("org", "What is your return policy?", k=3)[0]
    assert top.similarity is not None and top.similarity > 0.3
    sims = top.sentence_sims
    assert sims is not None and len(sims) == len(passage_sentences(top.text))


def test_word_matching_alone_misses_them(tmp_path) -> None:
    # the same index without vectors: what hybrid retrieval adds
    lexical = SqliteIndex(tmp_path / "lex.db", embedder=None)
    lexical.add("org", "shop", "Orion handbook", chunk_text(SHOP))
    missed = [q for q, phrase in PARAPHRASES if not _found(lexical, q, phrase)]
    assert len(missed) >= 3, missed
    assert lexical.search("org", "return policy")[0].similarity is None
    lexical.close()


def test_unrelated_questions_find_nothing(index: KnowledgeIndex) -> None:
    assert index.search("org", "How long should I bake sourdough bread?") == []
    assert index.search("org", "Who won the football world cup in 1998?") == []


def test_vectors_are_stored_with_the_passages_in_sqlite(tmp_path) -> None:
    path = tmp_path / "k.db"
    ix = SqliteIndex(path)
    heard: list[tuple[str, int, int]] = []
    n = ix.add("org", "shop", "Orion", chunk_text(SHOP), progress=lambda *a: heard.append(a))
    ix.close()
    assert heard and heard[-1] == ("passages", n, n)
    db = sqlite3.connect(path)
    rows = db.execute(
        "SELECT p.text, m.model, m.vec, m.svec FROM knowledge_passages p "
        "JOIN knowledge_passage_meta m ON m.id = p.rowid"
    ).fetchall()
    db.close()
    assert len(rows) == n
    for text, model, vec, svec in rows:
        assert model == "all-MiniLM-L6-v2" and len(vec) == 384 * 4
        v = np.frombuffer(vec, dtype="<f4")
        assert abs(float(np.linalg.norm(v)) - 1.0) < 1e-4
        assert len(svec) == 384 * 4 * len(passage_sentences(text))


def test_an_index_without_vectors_is_embedded_on_first_search(tmp_path) -> None:
    path = tmp_path / "old.db"
    old = SqliteIndex(path, embedder=None)  # as an index written before vectors existed
    old.add("org", "shop", "Orion handbook", chunk_text(SHOP))
    old.close()
    ix = SqliteIndex(path)
    assert _found(ix, "What is your return policy?", "you can return any telescope")
    assert ix.search("org", "Where can I leave my car?")[0].sentence_sims is not None
    ix.close()


def test_rewriting_or_removing_a_document_refreshes_the_vectors(index: KnowledgeIndex) -> None:
    assert _found(index, "Where can I leave my car?", "park free of charge")
    index.add("org", "shop", "Orion handbook", chunk_text("# Parking\nThere is no parking."))
    assert _found(index, "Where can I leave my car?", "no parking")
    index.remove("org", "shop")
    assert index.search("org", "Where can I leave my car?") == []


def test_documents_filter_applies_to_the_meaning_side(index: KnowledgeIndex) -> None:
    index.add("org", "other", "Bakery", chunk_text("# Bread\nSourdough bakes for 45 minutes."))
    hits = index.search("org", "What is your return policy?", doc_ids=["other"])
    assert all(h.doc_id == "other" for h in hits)
    assert index.search("org", "How long does sourdough bake?", doc_ids=["shop"]) == []


@pytest.mark.services
def test_postgres_says_where_its_vectors_live() -> None:
    ix = _postgres()
    try:
        assert ix.vector_store in ("pgvector", "bytea")
        if ix.vector_store == "bytea":  # this server has no pgvector: forcing it is a clear error
            with pytest.raises(BackendUnavailable, match="pgvector is not available"):
                _postgres(vectors="pgvector")
    finally:
        ix.drop()
        ix.close()


def test_reciprocal_rank_fusion() -> None:
    assert [r for r, _ in fuse([1, 2, 3], [3, 4])] == [3, 1, 2, 4]
    # first in one list and first in the other: the higher cosine wins the tie
    assert [r for r, _ in fuse([1], [2], tie={2: 0.6})] == [2, 1]
    assert fuse() == []
