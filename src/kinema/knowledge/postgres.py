"""The knowledge index on PostgreSQL full-text search (``to_tsvector`` / ``websearch_to_tsquery``).

Same contract as ``SqliteIndex``; chosen by ``open_index("postgresql://...")``. Needs the
``[postgres]`` extra (psycopg 3). Headings weigh more than body text (weights A and B), ranking is
``ts_rank`` normalised by passage length.

Connections come from a pool that checks each one before handing it out (a restarted database
costs a reconnect, not an error), so concurrent live sessions query in parallel. On a platform
database the default table is created by the platform's Alembic revision ``0004_scaleout``;
used on its own (or with a private ``table``), the index creates a missing table itself under
an advisory lock, so processes starting together do not trip over each other.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from kinema.errors import BackendUnavailable
from kinema.knowledge.chunk import Chunk
from kinema.knowledge.index import Passage
from kinema.knowledge.terms import query_terms

DEFAULT_TABLE = "kinema_passages"

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


def schema_sql(table: str = DEFAULT_TABLE) -> str:
    """The DDL of a passages table (idempotent: ``IF NOT EXISTS``)."""
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", table):
        raise ValueError(f"bad table name {table!r}")
    return _SCHEMA.format(table=table)


def websearch_query(text: str) -> str | None:
    """A ``websearch_to_tsquery`` input for free text: meaningful words joined by ``or``."""
    terms = [re.sub(r"\W+", " ", t).strip() for t in query_terms(text)]
    terms = [t for t in terms if t and t != "or"]
    return " or ".join(terms) if terms else None


class PostgresIndex:
    """``KnowledgeIndex`` on PostgreSQL. ``table`` lets tests use a private table."""

    def __init__(
        self, url: str, *, table: str = DEFAULT_TABLE, pool_size: int = 4, max_overflow: int = 4
    ) -> None:
        try:
            import psycopg  # noqa: F401
            from sqlalchemy import create_engine
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise BackendUnavailable(
                "The PostgreSQL knowledge index needs psycopg: pip install 'kinema[postgres]'."
            ) from exc
        if not re.fullmatch(r"[a-z_][a-z0-9_]*", table):
            raise ValueError(f"bad table name {table!r}")
        self.table = table
        dsn = re.sub(r"^postgres(ql)?(\+\w+)?://", "postgresql+psycopg://", url)
        self._engine = create_engine(
            dsn,
            pool_pre_ping=True,
            pool_size=pool_size,
            max_overflow=max_overflow,
            pool_recycle=1800,
            connect_args={"connect_timeout": 5},
        )
        try:
            self._ensure_table()
        except BackendUnavailable:
            self._engine.dispose()
            raise

    @contextmanager
    def _cursor(self) -> Iterator[Any]:
        """A pooled psycopg connection's cursor in one transaction (commit on success)."""
        from sqlalchemy.exc import DBAPIError

        try:
            raw = self._engine.raw_connection()
        except DBAPIError as exc:
            raise BackendUnavailable(
                f"Cannot reach PostgreSQL for the knowledge index: {exc.orig}"
            ) from None
        try:
            cur = raw.cursor()
            try:
                yield cur
            finally:
                cur.close()
            raw.commit()
        except BaseException:
            raw.rollback()
            raise
        finally:
            raw.close()  # back to the pool

    def _ensure_table(self) -> None:
        with self._cursor() as cur:
            cur.execute("SELECT to_regclass(%s)", (self.table,))
            row = cur.fetchone()
            if row is not None and row[0] is not None:
                return
            # one creator at a time; the others find the table there once they get the lock
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (zlib.crc32(self.table.encode()),))
            cur.execute(schema_sql(self.table))

    def add(self, org_id: str, doc_id: str, name: str, chunks: Sequence[Chunk]) -> int:
        rows = [(org_id, doc_id, name, c.heading or "", c.position, c.text) for c in chunks]
        with self._cursor() as cur:
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
        with self._cursor() as cur:
            cur.execute(
                f"DELETE FROM {self.table} WHERE org_id = %s AND doc_id = %s", (org_id, doc_id)
            )
            return int(cur.rowcount)

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
        with self._cursor() as cur:
            cur.execute(sql, params)
            rows = cur.fetchall()
        return [
            Passage(text, doc_id, doc_name, heading, int(position), float(rank))
            for text, doc_id, doc_name, heading, position, rank in rows
        ]

    def drop(self) -> None:
        """Delete the table (tests)."""
        with self._cursor() as cur:
            cur.execute(f"DROP TABLE IF EXISTS {self.table}")

    def close(self) -> None:
        self._engine.dispose()
