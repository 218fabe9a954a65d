"""Per-organization full-text index of passages: SQLite FTS5 (BM25) by default.

``KnowledgeIndex`` is the contract; ``SqliteIndex`` is the embedded backend and
``kinema.knowledge.postgres.PostgresIndex`` the same interface on PostgreSQL full-text search.
``open_index(url_or_path)`` picks one by URL. Queries are built from free user text without
ever passing the user's syntax to the engine: meaningful words only, each quoted, joined with OR
so a passage that matches part of the question still ranks.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Protocol, runtime_checkable

from kinema.errors import InvalidInput
from kinema.knowledge.chunk import Chunk
from kinema.knowledge.terms import query_terms


@dataclass(frozen=True)
class Passage:
    """A retrieved passage with what a citation needs. Higher ``score`` is better."""

    text: str
    doc_id: str
    doc_name: str
    heading: str
    position: int
    score: float


@runtime_checkable
class KnowledgeIndex(Protocol):
    """Passages of many documents, partitioned by organization."""

    def add(self, org_id: str, doc_id: str, name: str, chunks: Sequence[Chunk]) -> int:
        """Index (or re-index, replacing) a document's chunks; returns how many were stored."""
        ...

    def remove(self, org_id: str, doc_id: str) -> int:
        """Forget a document; returns how many passages were removed."""
        ...

    def search(
        self, org_id: str, query: str, k: int = 4, doc_ids: list[str] | None = None
    ) -> list[Passage]:
        """Best ``k`` passages for free text ``query``; ``doc_ids`` restricts to those documents
        (an empty list means no documents, ``None`` all of the organization's)."""
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
"""


def _org_key(org_id: str) -> str:
    """An indexed token standing for the organization, so FTS5 narrows to its rows before
    ranking instead of scoring every tenant's matches."""
    return "org" + hashlib.sha1(org_id.encode()).hexdigest()[:20]


class SqliteIndex:
    """SQLite FTS5 index in one file (or ``":memory:"``). Thread-safe: one connection, one lock;
    WAL so other processes can read while we write. BM25 weights: text 1, heading 0.5, name 0.2.
    Each organization's rows carry an indexed ``org_key`` token that every query ANDs with, so
    a search only ranks that organization's passages (``org_id`` is re-checked as well)."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        with self._lock:
            if self.path != ":memory:":
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA busy_timeout=5000")
            self._db.executescript(_SCHEMA)

    def add(self, org_id: str, doc_id: str, name: str, chunks: Sequence[Chunk]) -> int:
        key = _org_key(org_id)
        rows = [(c.text, c.heading or "", name, key, org_id, doc_id, c.position) for c in chunks]
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute(
                    "DELETE FROM knowledge_passages WHERE org_id = ? AND doc_id = ?",
                    (org_id, doc_id),
                )
                self._db.executemany(
                    "INSERT INTO knowledge_passages "
                    "(text, heading, doc_name, org_key, org_id, doc_id, position) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    rows,
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return len(rows)

    def remove(self, org_id: str, doc_id: str) -> int:
        with self._lock:
            cur = self._db.execute(
                "DELETE FROM knowledge_passages WHERE org_id = ? AND doc_id = ?", (org_id, doc_id)
            )
            return cur.rowcount

    def search(
        self, org_id: str, query: str, k: int = 4, doc_ids: list[str] | None = None
    ) -> list[Passage]:
        match = fts5_query(query)
        if match is None or k <= 0 or (doc_ids is not None and not doc_ids):
            return []
        sql = (
            "SELECT text, doc_id, doc_name, heading, position, "
            "bm25(knowledge_passages, 1.0, 0.5, 0.2, 0.0) AS rank FROM knowledge_passages "
            "WHERE knowledge_passages MATCH ? AND org_id = ?"
        )
        params: list[object] = [f"org_key : {_org_key(org_id)} AND ({match})", org_id]
        if doc_ids is not None:
            sql += f" AND doc_id IN ({','.join('?' * len(doc_ids))})"
            params.extend(doc_ids)
        sql += " ORDER BY rank LIMIT ?"
        params.append(int(k))
        with self._lock:
            rows = self._db.execute(sql, params).fetchall()
        return [
            Passage(text, doc_id, doc_name, heading, int(position), -float(rank))
            for text, doc_id, doc_name, heading, position, rank in rows
        ]

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
