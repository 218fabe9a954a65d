"""The knowledge index on PostgreSQL full-text search (``to_tsvector`` / ``websearch_to_tsquery``).

Same contract as ``SqliteIndex``; chosen by ``open_index("postgresql://...")``. Needs the
``[postgres]`` extra (psycopg 3). Headings weigh more than body text (weights A and B), ranking is
``ts_rank`` normalised by passage length. One connection behind a lock: the index is read-mostly
and each query takes milliseconds; put a pool here if that ever shows up in a profile.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence

from kinema.errors import BackendUnavailable
from kinema.knowledge.chunk import Chunk
from kinema.knowledge.index import Passage
from kinema.knowledge.terms import query_terms

_SCHEMA = """
CREATE TABLE IF NOT EXISTS {table} (
    id bigserial PRIMARY KEY,
    org_id text NOT NULL,
    doc_id text NOT NULL,
    doc_name text NOT NULL,
    heading text NOT NULL DEFAULT '',
    position integer NOT NULL,
    text text NOT NULL,
    tsv tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english', heading), 'A') ||
        setweight(to_tsvector('english', text), 'B') ||
        setweight(to_tsvector('english', doc_name), 'C')
    ) STORED
);
CREATE INDEX IF NOT EXISTS {table}_tsv ON {table} USING gin (tsv);
CREATE INDEX IF NOT EXISTS {table}_doc ON {table} (org_id, doc_id);
"""


def websearch_query(text: str) -> str | None:
    """A ``websearch_to_tsquery`` input for free text: meaningful words joined by ``or``."""
    terms = [re.sub(r"\W+", " ", t).strip() for t in query_terms(text)]
    terms = [t for t in terms if t and t != "or"]
    return " or ".join(terms) if terms else None


class PostgresIndex:
    """``KnowledgeIndex`` on PostgreSQL. ``table`` lets tests use a private table."""

    def __init__(self, url: str, *, table: str = "kinema_passages") -> None:
        try:
            import psycopg
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise BackendUnavailable(
                "The PostgreSQL knowledge index needs psycopg: pip install 'kinema[postgres]'."
            ) from exc
        if not re.fullmatch(r"[a-z_][a-z0-9_]*", table):
            raise ValueError(f"bad table name {table!r}")
        self.table = table
        dsn = re.sub(r"^postgres(ql)?\+\w+://", "postgresql://", url)
        try:
            self._db = psycopg.connect(dsn, autocommit=True, connect_timeout=5)
        except psycopg.OperationalError as exc:
            raise BackendUnavailable(
                f"Cannot reach PostgreSQL for the knowledge index: {exc}"
            ) from None
        self._lock = threading.Lock()
        with self._lock:
            self._db.execute(_SCHEMA.format(table=table))

    def add(self, org_id: str, doc_id: str, name: str, chunks: Sequence[Chunk]) -> int:
        rows = [(org_id, doc_id, name, c.heading or "", c.position, c.text) for c in chunks]
        with self._lock, self._db.transaction(), self._db.cursor() as cur:
            cur.execute(
                f"DELETE FROM {self.table} WHERE org_id = %s AND doc_id = %s", (org_id, doc_id)
            )
            cur.executemany(
                f"INSERT INTO {self.table} (org_id, doc_id, doc_name, heading, position, text) "
                "VALUES (%s, %s, %s, %s, %s, %s)",
                rows,
            )
        return len(rows)

    def remove(self, org_id: str, doc_id: str) -> int:
        with self._lock:
            cur = self._db.execute(
                f"DELETE FROM {self.table} WHERE org_id = %s AND doc_id = %s", (org_id, doc_id)
            )
            return cur.rowcount

    def search(
        self, org_id: str, query: str, k: int = 4, doc_ids: list[str] | None = None
    ) -> list[Passage]:
        q = websearch_query(query)
        if q is None or k <= 0 or (doc_ids is not None and not doc_ids):
            return []
        sql = (
            f"SELECT text, doc_id, doc_name, heading, position, ts_rank(tsv, q, 1) AS rank "
            f"FROM {self.table}, websearch_to_tsquery('english', %s) AS q "
            "WHERE tsv @@ q AND org_id = %s"
        )
        params: list[object] = [q, org_id]
        if doc_ids is not None:
            sql += " AND doc_id = ANY(%s)"
            params.append(list(doc_ids))
        sql += " ORDER BY rank DESC, position LIMIT %s"
        params.append(int(k))
        with self._lock:
            rows = self._db.execute(sql, params).fetchall()
        return [
            Passage(text, doc_id, doc_name, heading, int(position), float(rank))
            for text, doc_id, doc_name, heading, position, rank in rows
        ]

    def drop(self) -> None:
        """Delete the table (tests)."""
        with self._lock:
            self._db.execute(f"DROP TABLE IF EXISTS {self.table}")

    def close(self) -> None:
        with self._lock:
            self._db.close()
