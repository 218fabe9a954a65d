from __future__ import annotations

import os
import threading
import uuid

import pytest

from kinema.errors import InvalidInput
from kinema.knowledge.chunk import chunk_text
from kinema.knowledge.index import KnowledgeIndex, SqliteIndex, fts5_query, open_index

HANDBOOK = """# Vacation
Full-time staff receive 25 days of paid vacation per year.

# Refunds
Damaged items are refunded within 30 days of delivery.

# Parking
Visitors park in the blue garage on Elm Street.
"""
PG_URL = os.environ.get("KINEMA_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def _postgres() -> KnowledgeIndex:
    try:
        import psycopg

        psycopg.connect(PG_URL, connect_timeout=2).close()
    except Exception as exc:  # noqa: BLE001 - any failure means "not here"
        pytest.skip(f"PostgreSQL not reachable at {PG_URL} ({type(exc).__name__}: {exc})")
    from kinema.knowledge.postgres import PostgresIndex

    return PostgresIndex(PG_URL, table=f"kinema_passages_t{uuid.uuid4().hex[:8]}")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.services)])
def index(request, tmp_path):
    if request.param == "sqlite":
        ix = open_index(tmp_path / "k.db")
        yield ix
        ix.close()
    else:
        ix = _postgres()
        yield ix
        ix.drop()
        ix.close()


def test_search_ranks_the_answering_passage_first(index: KnowledgeIndex) -> None:
    assert isinstance(index, KnowledgeIndex)
    assert index.add("org1", "hb", "Staff handbook", chunk_text(HANDBOOK)) == 3
    hits = index.search("org1", "How many vacation days do employees get?", k=2)
    assert hits and hits[0].heading == "Vacation"
    assert hits[0].doc_id == "hb" and hits[0].doc_name == "Staff handbook"
    assert hits[0].position == 0
    assert all(a.score >= b.score for a, b in zip(hits, hits[1:], strict=False))
    refund = index.search("org1", "refund for a damaged parcel", k=1)
    assert refund[0].position == 1 and "30 days" in refund[0].text


def test_partial_matches_still_rank(index: KnowledgeIndex) -> None:
    index.add("org1", "hb", "Staff handbook", chunk_text(HANDBOOK))
    hits = index.search("org1", "where should visitors leave their bicycles", k=4)
    assert hits[0].heading == "Parking"  # ("leave" also means vacation: that may follow)
    assert "Refunds" not in [h.heading for h in hits]


def test_organizations_and_documents_are_isolated(index: KnowledgeIndex) -> None:
    index.add("org1", "hb", "Handbook", chunk_text(HANDBOOK))
    index.add("org2", "other", "Other", chunk_text("Vacation at org two is 10 days."))
    assert {h.doc_id for h in index.search("org2", "vacation days", k=10)} == {"other"}
    assert index.search("org3", "vacation") == []
    index.add("org1", "memo", "Memo", chunk_text("Vacation requests freeze in December."))
    assert {h.doc_id for h in index.search("org1", "vacation", k=10, doc_ids=["memo"])} == {"memo"}
    assert index.search("org1", "vacation", doc_ids=[]) == []


def test_readd_replaces_and_remove_forgets(index: KnowledgeIndex) -> None:
    index.add("org1", "hb", "Handbook", chunk_text(HANDBOOK))
    index.add("org1", "hb", "Handbook v2", chunk_text("# Vacation\nNow 30 days of vacation."))
    hits = index.search("org1", "vacation", k=10)
    assert [h.text for h in hits] == ["Now 30 days of vacation."]
    assert hits[0].doc_name == "Handbook v2"
    assert index.remove("org1", "hb") == 1
    assert index.search("org1", "vacation") == []


@pytest.mark.parametrize(
    "query",
    ['"unbalanced', "vacation* NEAR(x y)", "AND OR NOT", "col:value ^ - + ( ) { }", "'; DROP"],
)
def test_user_syntax_never_reaches_the_engine(index: KnowledgeIndex, query: str) -> None:
    index.add("org1", "hb", "Handbook", chunk_text(HANDBOOK))
    hits = index.search("org1", query)  # must not raise
    assert all(h.doc_id == "hb" for h in hits)
    assert index.search("org1", "vacation")[0].heading == "Vacation"  # index still usable
    if "vacation" in query:
        assert hits and hits[0].heading == "Vacation"


def test_stop_word_only_queries_and_empty_queries(index: KnowledgeIndex) -> None:
    index.add("org1", "hb", "Handbook", chunk_text(HANDBOOK))
    assert index.search("org1", "") == []
    assert index.search("org1", "?!") == []
    assert index.search("org1", "vacation", k=0) == []


def test_fts5_query_quotes_terms() -> None:
    assert fts5_query('What is "the" vacation* policy?') == '"vacation" OR "policy"'
    assert fts5_query("   ") is None


@pytest.mark.slow  # 80 documents embedded from four threads
def test_sqlite_index_persists_and_is_thread_safe(tmp_path) -> None:
    path = tmp_path / "sub" / "k.db"
    ix = SqliteIndex(path)
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(20):
                ix.add("org", f"d{n}-{i}", f"Doc {n}", chunk_text(f"Topic{n} fact number {i}."))
                ix.search("org", f"topic{n} fact")
        except BaseException as exc:  # noqa: BLE001 - collected for the assert
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert ix.count("org") == 80
    ix.close()
    again = open_index(f"sqlite:///{path}")
    hits = again.search("org", "topic3", k=100)
    assert {h.doc_name for h in hits[:20]} == {"Doc 3"}  # the word matches, then the similar
    again.close()


def test_open_index_rejects_unknown_schemes() -> None:
    with pytest.raises(InvalidInput, match="scheme"):
        open_index("mysql://x/y")
    assert isinstance(open_index(":memory:"), SqliteIndex)


def test_shared_index_is_opened_once(tmp_path) -> None:
    from kinema.knowledge.index import shared_index

    path = str(tmp_path / "shared.db")
    assert shared_index(path) is shared_index(path)
    shared_index(path).add("o", "d", "D", chunk_text("Shared facts live here."))
    assert shared_index(path).search("o", "facts")[0].doc_id == "d"
