"""Per-organization index of passages: lexical (SQLite FTS5 BM25) fused with dense vectors.

``KnowledgeIndex`` is the contract; ``SqliteIndex`` is the embedded backend and
``kinema.knowledge.postgres.PostgresIndex`` the same interface on PostgreSQL.
``open_index(url_or_path)`` picks one by URL. Retrieval is hybrid (``kinema.knowledge.hybrid``):
each passage's MiniLM vector is computed at indexing and stored beside it, a query is matched
both by its words and by its meaning, and the two rankings are fused, so "What is your return
policy?" finds "you can return any telescope for a full refund". ``embedder=None`` (or
``KINEMA_EMBEDDER=none``) keeps word matching only. Queries are built from free user text
without ever passing the user's syntax to the engine: meaningful words only, each quoted,
joined with OR so a passage that matches part of the question still ranks.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from kinema.errors import InvalidInput
from kinema.knowledge.chunk import Chunk
from kinema.knowledge.embed import Embedder
from kinema.knowledge.hybrid import (
    CANDIDATES,
    DEFAULT,
    ProgressFn,
    VectorSet,
    embed_chunks,
    from_blobs,
    fuse,
    query_vector,
    resolve_embedder,
    sentence_query,
    sentence_sims,
    to_blob,
)
from kinema.knowledge.terms import query_terms

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Passage:
    """A retrieved passage with what a citation needs. Higher ``score`` is better (the fused
    rank score); ``similarity`` is the cosine between question and passage meaning (``None``
    without an embedder or below the dense floor), ``sentence_sims`` the cosine to each of its
    sentences; ``page`` is the PDF page (``None`` for unpaged documents)."""

    text: str
    doc_id: str
    doc_name: str
    heading: str
    position: int
    score: float
    page: int | None = None
    similarity: float | None = None
    sentence_sims: tuple[float, ...] | None = None  # per ``passage_sentences(text)``


def source_label(doc_name: str, page: int | None = None, heading: str = "") -> str:
    """How a citation names its place: "Handbook, page 12" or "Handbook, Returns"."""
    if page is not None:
        return f"{doc_name}, page {page}"
    last = heading.split(" > ")[-1].strip() if heading else ""
    if last and last.lower() != doc_name.strip().lower():
        return f"{doc_name}, {last}"
    return doc_name


@runtime_checkable
class KnowledgeIndex(Protocol):
    """Passages of many documents, partitioned by organization."""

    def add(
        self,
        org_id: str,
        doc_id: str,
        name: str,
        chunks: Sequence[Chunk],
        progress: ProgressFn | None = None,
    ) -> int:
        """Index (or re-index, replacing) a document's chunks; returns how many were stored.
        ``progress`` hears ``("passages", done, total)`` while they are embedded."""
        ...

    def remove(self, org_id: str, doc_id: str) -> int:
        """Forget a document; returns how many passages were removed."""
        ...

    def search(
        self,
        org_id: str,
        query: str,
        k: int = 4,
        doc_ids: list[str] | None = None,
        focus: str | None = None,
    ) -> list[Passage]:
        """Best ``k`` passages for free text ``query``; ``doc_ids`` restricts to those documents
        (an empty list means no documents, ``None`` all of the organization's). ``focus``: the
        words just said when ``query`` is a follow-up with its topic ("When are you open on
        Saturdays? And on Sundays?"): sentence similarities then weigh them as much as the
        whole query."""
        ...

    def topics(self, org_id: str, doc_ids: list[str] | None = None) -> list[str]:
        """What the documents are about, for "what can you do": section headings (or document
        names), in reading order, at most eight."""
        ...

    def close(self) -> None: ...


def fts5_query(text: str) -> str | None:
    """A safe FTS5 MATCH expression for free text: quoted meaningful words joined by OR."""
    terms = query_terms(text)
    if not terms:
        return None
    return " OR ".join('"' + t.replace('"', '""') + '"' for t in terms)


_SCHEMA = """
CREATE VIRTUAL TABLE IF NOT EXISTS knowledge_passages USING fts5(
    text, heading, doc_name, org_key,
    org_id UNINDEXED, doc_id UNINDEXED, position UNINDEXED,
    tokenize = 'porter unicode61 remove_diacritics 2'
);
CREATE TABLE IF NOT EXISTS knowledge_passage_meta (
    id INTEGER PRIMARY KEY,  -- the passage's rowid in knowledge_passages
    org_id TEXT NOT NULL,
    doc_id TEXT NOT NULL,
    page INTEGER,
    model TEXT,              -- the embedder that made vec; NULL: not embedded
    vec BLOB,                -- float32 little-endian, unit length
    svec BLOB                -- the vectors of its sentences, concatenated
);
CREATE INDEX IF NOT EXISTS knowledge_passage_meta_doc ON knowledge_passage_meta (org_id, doc_id);
CREATE TABLE IF NOT EXISTS knowledge_generation (
    org_id TEXT PRIMARY KEY,
    gen INTEGER NOT NULL     -- bumped on every write: cached vectors are reloaded
);
"""


def _org_key(org_id: str) -> str:
    """An indexed token standing for the organization, so FTS5 narrows to its rows before
    ranking instead of scoring every tenant's matches."""
    return "org" + hashlib.sha1(org_id.encode()).hexdigest()[:20]


def topics_from_headings(rows: Sequence[tuple[str, str]], limit: int = 8) -> list[str]:
    """Topic names from (doc_name, heading path) rows in reading order: per document, the
    shallowest heading level that has at least two sections (the title level is skipped),
    else the document's name."""
    by_doc: dict[str, list[list[str]]] = {}
    for name, heading in rows:
        path = [h for h in heading.split(" > ") if h] if heading else []
        by_doc.setdefault(name, []).append(path)
    out: list[str] = []
    for name, paths in by_doc.items():
        chosen: list[str] = []
        for depth in range(4):
            level = list(dict.fromkeys(p[depth] for p in paths if len(p) > depth))
            if len(level) >= 2:
                chosen = level
                break
        short = [t for t in chosen if 0 < len(t.split()) <= 5]
        out.extend(short or [name])
    return list(dict.fromkeys(out))[:limit]


class SqliteIndex:
    """SQLite FTS5 index plus stored passage vectors in one file (or ``":memory:"``).

    Thread-safe: one connection, one lock; WAL so other processes can read while we write.
    BM25 weights: text 1, heading 0.5, name 0.2. Each organization's rows carry an indexed
    ``org_key`` token that every query ANDs with, so a search only ranks that organization's
    passages (``org_id`` is re-checked as well). ``embedder``: ``"default"`` (the settings'
    one, loaded on first use), an ``Embedder``, or ``None`` for word matching only. Passages
    indexed without vectors (an older index, another model) are embedded on first search.
    """

    def __init__(self, path: str | Path, *, embedder: Embedder | str | None = DEFAULT) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._embedder_choice = embedder
        self._embedder: Embedder | None = None
        self._embedder_ready = False
        self._vectors: dict[str, VectorSet] = {}
        self._topics: dict[tuple[str, tuple[str, ...] | None], tuple[int, list[str]]] = {}
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        with self._lock:
            if self.path != ":memory:":
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA busy_timeout=5000")
            self._db.executescript(_SCHEMA)

    @property
    def embedder(self) -> Embedder | None:
        if not self._embedder_ready:
            self._embedder = resolve_embedder(self._embedder_choice)
            self._embedder_ready = True
        return self._embedder

    def add(
        self,
        org_id: str,
        doc_id: str,
        name: str,
        chunks: Sequence[Chunk],
        progress: ProgressFn | None = None,
    ) -> int:
        embedder = self.embedder
        # the slow part (about 20 passages a second) runs before the write lock is taken
        vectors = embed_chunks(embedder, chunks, progress, name=name) if embedder else None
        model = embedder.name if embedder else None
        key = _org_key(org_id)
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._delete(org_id, doc_id)
                for i, c in enumerate(chunks):
                    cur = self._db.execute(
                        "INSERT INTO knowledge_passages "
                        "(text, heading, doc_name, org_key, org_id, doc_id, position) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (c.text, c.heading or "", name, key, org_id, doc_id, c.position),
                    )
                    vec = svec = None
                    if vectors is not None:
                        vec = to_blob(vectors.passages[i])
                        svec = to_blob(vectors.sentences[i])
                    self._db.execute(
                        "INSERT INTO knowledge_passage_meta "
                        "(id, org_id, doc_id, page, model, vec, svec) VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (cur.lastrowid, org_id, doc_id, c.page, model, vec, svec),
                    )
                self._bump(org_id)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return len(chunks)

    def _delete(self, org_id: str, doc_id: str) -> int:
        self._db.execute(
            "DELETE FROM knowledge_passage_meta WHERE org_id = ? AND doc_id = ?", (org_id, doc_id)
        )
        cur = self._db.execute(
            "DELETE FROM knowledge_passages WHERE org_id = ? AND doc_id = ?", (org_id, doc_id)
        )
        return cur.rowcount

    def _bump(self, org_id: str) -> None:
        self._db.execute(
            "INSERT INTO knowledge_generation (org_id, gen) VALUES (?, 1) "
            "ON CONFLICT(org_id) DO UPDATE SET gen = gen + 1",
            (org_id,),
        )

    def remove(self, org_id: str, doc_id: str) -> int:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                n = self._delete(org_id, doc_id)
                self._bump(org_id)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            return n

    def search(
        self,
        org_id: str,
        query: str,
        k: int = 4,
        doc_ids: list[str] | None = None,
        focus: str | None = None,
    ) -> list[Passage]:
        match = fts5_query(query)
        if match is None or k <= 0 or (doc_ids is not None and not doc_ids):
            return []
        depth = max(CANDIDATES, 3 * k)
        lexical = self._lexical(org_id, match, depth, doc_ids)
        embedder = self.embedder
        dense: list[tuple[int, float]] = []
        qv = None
        if embedder is not None:
            qv = query_vector(embedder, query)  # outside the lock: ~10 ms of CPU
            dense = self._vector_set(org_id, embedder).nearest(qv, depth, doc_ids)
        sims = dict(dense)
        fused = fuse([r for r, _ in lexical], [r for r, _ in dense], tie=sims)[:k]
        return self._passages(fused, sims, org_id, sentence_query(embedder, qv, query, focus))

    def _lexical(
        self, org_id: str, match: str, n: int, doc_ids: list[str] | None
    ) -> list[tuple[int, float]]:
        sql = (
            "SELECT rowid, bm25(knowledge_passages, 1.0, 0.5, 0.2, 0.0) AS rank "
            "FROM knowledge_passages WHERE knowledge_passages MATCH ? AND org_id = ?"
        )
        params: list[object] = [f"org_key : {_org_key(org_id)} AND ({match})", org_id]
        if doc_ids is not None:
            sql += f" AND doc_id IN ({','.join('?' * len(doc_ids))})"
            params.extend(doc_ids)
        sql += " ORDER BY rank LIMIT ?"
        params.append(int(n))
        with self._lock:
            return [(int(r), -float(s)) for r, s in self._db.execute(sql, params).fetchall()]

    def _passages(
        self,
        fused: list[tuple[int, float]],
        sims: dict[int, float],
        org_id: str,
        qv: np.ndarray | None,
    ) -> list[Passage]:
        if not fused:
            return []
        ids = [r for r, _ in fused]
        marks = ",".join("?" * len(ids))
        with self._lock:
            rows = self._db.execute(
                "SELECT p.rowid, p.text, p.doc_id, p.doc_name, p.heading, p.position, m.page, "
                "m.svec "
                "FROM knowledge_passages p LEFT JOIN knowledge_passage_meta m ON m.id = p.rowid "
                f"WHERE p.rowid IN ({marks}) AND p.org_id = ?",
                [*ids, org_id],
            ).fetchall()
        by_id = {r[0]: r for r in rows}
        out = []
        for row_id, score in fused:
            if row_id not in by_id:
                continue  # deleted since the vectors were cached
            _, text, doc_id, doc_name, heading, position, page, svec = by_id[row_id]
            page = None if page is None else int(page)
            per_sentence = sentence_sims(svec, qv) if qv is not None else None
            out.append(
                Passage(
                    text, doc_id, doc_name, heading, int(position), score, page,
                    sims.get(row_id), per_sentence,
                )
            )  # fmt: skip
        return out

    def _generation(self, org_id: str) -> int:
        row = self._db.execute(
            "SELECT gen FROM knowledge_generation WHERE org_id = ?", (org_id,)
        ).fetchone()
        return int(row[0]) if row else 0

    def _vector_set(self, org_id: str, embedder: Embedder) -> VectorSet:
        """The organization's vectors, cached until its generation changes (any process)."""
        with self._lock:
            gen = self._generation(org_id)
            cached = self._vectors.get(org_id)
            if cached is not None and cached.generation == gen:
                return cached
            missing = self._db.execute(
                "SELECT p.rowid, p.heading, p.text FROM knowledge_passages p "
                "LEFT JOIN knowledge_passage_meta m ON m.id = p.rowid "
                "WHERE p.org_id = ? AND (m.model IS NULL OR m.model != ?)",
                (org_id, embedder.name),
            ).fetchall()
        if missing:
            self._backfill(org_id, embedder, missing)
            with self._lock:
                gen = self._generation(org_id)
        with self._lock:
            rows = self._db.execute(
                "SELECT id, doc_id, vec FROM knowledge_passage_meta "
                "WHERE org_id = ? AND model = ? ORDER BY id",
                (org_id, embedder.name),
            ).fetchall()
            vs = VectorSet(
                gen,
                np.array([r[0] for r in rows], dtype=np.int64),
                np.array([r[1] for r in rows], dtype=object),
                from_blobs([r[2] for r in rows], embedder.dim),
            )
            self._vectors[org_id] = vs
            return vs

    def _backfill(self, org_id: str, embedder: Embedder, rows: list[tuple]) -> None:
        """Embed passages stored without a vector of this model (older index, other model)."""
        log.info("embedding %d passages of %s indexed without vectors", len(rows), org_id)
        chunks = [Chunk(text, heading, 0) for _, heading, text in rows]
        vectors = embed_chunks(embedder, chunks)
        blobs = zip(vectors.passages, vectors.sentences, strict=True)
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for (row_id, _, _), (vec, svec) in zip(rows, blobs, strict=True):
                    doc = self._db.execute(
                        "SELECT doc_id FROM knowledge_passages WHERE rowid = ?", (row_id,)
                    ).fetchone()
                    if doc is None:
                        continue
                    self._db.execute(
                        "INSERT INTO knowledge_passage_meta (id, org_id, doc_id, model, vec, svec) "
                        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET "
                        "model = excluded.model, vec = excluded.vec, svec = excluded.svec",
                        (row_id, org_id, doc[0], embedder.name, to_blob(vec), to_blob(svec)),
                    )
                self._bump(org_id)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def topics(self, org_id: str, doc_ids: list[str] | None = None) -> list[str]:
        if doc_ids is not None and not doc_ids:
            return []
        key = (org_id, tuple(doc_ids) if doc_ids is not None else None)
        sql = "SELECT doc_name, heading FROM knowledge_passages WHERE org_id = ?"
        params: list[object] = [org_id]
        if doc_ids is not None:
            sql += f" AND doc_id IN ({','.join('?' * len(doc_ids))})"
            params.extend(doc_ids)
        with self._lock:
            gen = self._generation(org_id)
            cached = self._topics.get(key)
            if cached is not None and cached[0] == gen:
                return list(cached[1])
            rows = self._db.execute(sql + " ORDER BY rowid", params).fetchall()
        found = topics_from_headings(rows)
        with self._lock:
            if len(self._topics) > 1024:
                self._topics.clear()
            self._topics[key] = (gen, found)
        return found

    def count(self, org_id: str, doc_id: str | None = None) -> int:
        """Number of passages stored for an organization (or one of its documents)."""
        sql, params = "SELECT count(*) FROM knowledge_passages WHERE org_id = ?", [org_id]
        if doc_id is not None:
            sql += " AND doc_id = ?"
            params.append(doc_id)
        with self._lock:
            return int(self._db.execute(sql, params).fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _open_sqlite(target: str) -> KnowledgeIndex:
    path = target.removeprefix("sqlite:///").removeprefix("sqlite://") or ":memory:"
    return SqliteIndex(path)


def _open_postgres(target: str) -> KnowledgeIndex:
    from kinema.knowledge.postgres import PostgresIndex

    return PostgresIndex(target)


BACKENDS: dict[str, Callable[[str], KnowledgeIndex]] = {
    "sqlite": _open_sqlite,
    "postgresql": _open_postgres,
    "postgres": _open_postgres,
}


@lru_cache(maxsize=8)
def shared_index(url_or_path: str) -> KnowledgeIndex:
    """The process-wide index for ``url_or_path`` (opened once, reused by every request)."""
    return open_index(url_or_path)


def open_index(url_or_path: str | Path) -> KnowledgeIndex:
    """Open an index: a file path or ``sqlite:///path`` (FTS5), ``":memory:"``, or
    ``postgresql://user@host/db`` (also ``postgresql+psycopg://``) for PostgreSQL."""
    target = str(url_or_path)
    scheme = target.split("://", 1)[0].split("+", 1)[0] if "://" in target else "sqlite"
    if scheme not in BACKENDS:
        raise InvalidInput(
            f"Unknown knowledge index URL scheme {scheme!r}; use a file path, sqlite:/// or "
            "postgresql://."
        )
    return BACKENDS[scheme](target)
