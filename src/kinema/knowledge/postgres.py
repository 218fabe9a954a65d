"""The knowledge index on PostgreSQL: full-text search fused with stored passage vectors.

Same contract as ``SqliteIndex``; chosen by ``open_index("postgresql://...")``. Needs the
``[postgres]`` extra (psycopg 3). Lexical ranking: ``to_tsvector`` / ``websearch_to_tsquery``,
headings weighing more than body text (weights A and B), ``ts_rank`` normalised by length.

Dense vectors (``kinema.knowledge.hybrid``) are stored with the passages in one of two ways,
chosen at connect (``vectors="auto"``):

- ``pgvector``: where ``CREATE EXTENSION vector`` succeeds, a ``vector(384)`` column, and the
  server ranks by cosine distance (``<=>``) within the organization, exactly (no ANN index:
  with a tenant filter an approximate index can miss rows; add an HNSW index for one big
  tenant);
- ``bytea`` (the fallback, logged once): float32 bytes in a ``bytea`` column, and the
  organization's vectors are scored in numpy, cached in memory until its generation changes.

``PostgresIndex.vector_store`` says which one is in use.

Connections come from a pool that checks each one before handing it out (a restarted database
costs a reconnect, not an error), so concurrent live sessions query in parallel. On a platform
database the default table is created by the platform's Alembic revision ``0004_scaleout``;
used on its own (or with a private ``table``), the index creates a missing table itself under
an advisory lock, so processes starting together do not trip over each other.
"""

from __future__ import annotations

import logging
import re
import threading
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Literal

import numpy as np

from kinema.errors import BackendUnavailable
from kinema.knowledge.chunk import Chunk
from kinema.knowledge.embed import Embedder
from kinema.knowledge.hybrid import (
    CANDIDATES,
    DEFAULT,
    DENSE_FLOOR,
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
from kinema.knowledge.index import Passage, topics_from_headings
from kinema.knowledge.terms import query_terms

log = logging.getLogger(__name__)

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
ALTER TABLE {table} ADD COLUMN IF NOT EXISTS page integer;
ALTER TABLE {table} ADD COLUMN IF NOT EXISTS model text;
ALTER TABLE {table} ADD COLUMN IF NOT EXISTS vec bytea;
ALTER TABLE {table} ADD COLUMN IF NOT EXISTS svec bytea;
CREATE INDEX IF NOT EXISTS {table}_tsv ON {table} USING gin (tsv);
CREATE INDEX IF NOT EXISTS {table}_doc ON {table} (org_id, doc_id);
CREATE TABLE IF NOT EXISTS {table}_generation (org_id text PRIMARY KEY, gen bigint NOT NULL);
"""
_PGVECTOR_COLUMN = "ALTER TABLE {table} ADD COLUMN IF NOT EXISTS embedding vector({dim})"


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


def _vector_literal(vec: np.ndarray) -> str:
    return "[" + ",".join(f"{x:.7g}" for x in vec.tolist()) + "]"


class PostgresIndex:
    """``KnowledgeIndex`` on PostgreSQL. ``table`` lets tests use a private table; ``vectors``
    forces a vector store (``"pgvector"`` fails loudly where the extension is missing)."""

    def __init__(
        self,
        url: str,
        *,
        table: str = DEFAULT_TABLE,
        embedder: Embedder | str | None = DEFAULT,
        vectors: Literal["auto", "pgvector", "bytea"] = "auto",
        pool_size: int = 4,
        max_overflow: int = 4,
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
        self._lock = threading.Lock()  # guards the in-memory vector cache only
        self._embedder_choice = embedder
        self._embedder: Embedder | None = None
        self._embedder_ready = False
        self._vectors: dict[str, VectorSet] = {}
        try:
            self._ensure_table()
        except BackendUnavailable:
            self._engine.dispose()
            raise
        self.vector_store = self._choose_store(vectors)

    @contextmanager
    def _conn(self) -> Iterator[Any]:
        """A pooled psycopg connection in autocommit mode (``conn.transaction()`` for several
        statements at once); back to the pool afterwards."""
        from sqlalchemy.exc import DBAPIError

        try:
            raw = self._engine.raw_connection()
        except DBAPIError as exc:
            raise BackendUnavailable(
                f"Cannot reach PostgreSQL for the knowledge index: {exc.orig}"
            ) from None
        try:
            conn: Any = raw.driver_connection
            if not conn.autocommit:
                conn.autocommit = True
            yield conn
        finally:
            raw.close()

    def _ensure_table(self) -> None:
        with self._conn() as db, db.transaction():
            row = db.execute("SELECT to_regclass(%s)", (self.table + "_generation",)).fetchone()
            if row is not None and row[0] is not None:
                return
            # one creator at a time; the others find the table there once they get the lock
            db.execute("SELECT pg_advisory_xact_lock(%s)", (zlib.crc32(self.table.encode()),))
            db.execute(schema_sql(self.table))

    def _choose_store(self, wanted: str) -> str:
        if wanted == "bytea":
            return "bytea"
        import psycopg

        try:
            with self._conn() as db:
                db.execute("CREATE EXTENSION IF NOT EXISTS vector")
        except psycopg.Error as exc:
            reason = str(exc).strip().splitlines()[0]
            if wanted == "pgvector":
                raise BackendUnavailable(
                    f"pgvector is not available on this PostgreSQL server ({reason}). Install "
                    "it on the server (e.g. the postgresql-NN-pgvector package) or use "
                    "vectors='bytea'."
                ) from None
            log.info(
                "pgvector is not available (%s): passage vectors are stored as bytea and "
                "scored in numpy",
                reason,
            )
            return "bytea"
        dim = self.embedder.dim if self.embedder is not None else 384
        with self._conn() as db:
            db.execute(_PGVECTOR_COLUMN.format(table=self.table, dim=dim))
        return "pgvector"

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
        vectors = embed_chunks(embedder, chunks, progress, name=name) if embedder else None
        model = embedder.name if embedder else None
        rows: list[tuple[Any, ...]] = []
        for i, c in enumerate(chunks):
            row: tuple[Any, ...] = (org_id, doc_id, name, c.heading or "", c.position, c.text)
            if vectors is not None:
                row += (c.page, model, to_blob(vectors.passages[i]))
                row += (to_blob(vectors.sentences[i]),)
            else:
                row += (c.page, None, None, None)
            if self.vector_store == "pgvector":
                vec = _vector_literal(vectors.passages[i]) if vectors is not None else None
                row += (vec,)
            rows.append(row)
        columns = "org_id, doc_id, doc_name, heading, position, text, page, model, vec, svec"
        marks = "%s, %s, %s, %s, %s, %s, %s, %s, %s, %s"
        if self.vector_store == "pgvector":
            columns += ", embedding"
            marks += ", %s::vector"
        with self._conn() as db, db.transaction(), db.cursor() as cur:
            cur.execute(
                f"DELETE FROM {self.table} WHERE org_id = %s AND doc_id = %s", (org_id, doc_id)
            )
            cur.executemany(f"INSERT INTO {self.table} ({columns}) VALUES ({marks})", rows)
            self._bump(cur, org_id)
        return len(rows)

    def _bump(self, cur: Any, org_id: str) -> None:
        cur.execute(
            f"INSERT INTO {self.table}_generation (org_id, gen) VALUES (%s, 1) "
            "ON CONFLICT (org_id) DO UPDATE SET gen = "
            f"{self.table}_generation.gen + 1",
            (org_id,),
        )

    def remove(self, org_id: str, doc_id: str) -> int:
        with self._conn() as db, db.transaction(), db.cursor() as cur:
            cur.execute(
                f"DELETE FROM {self.table} WHERE org_id = %s AND doc_id = %s", (org_id, doc_id)
            )
            n = cur.rowcount
            self._bump(cur, org_id)
            return n

    def search(
        self,
        org_id: str,
        query: str,
        k: int = 4,
        doc_ids: list[str] | None = None,
        focus: str | None = None,
    ) -> list[Passage]:
        q = websearch_query(query)
        if q is None or k <= 0 or (doc_ids is not None and not doc_ids):
            return []
        depth = max(CANDIDATES, 3 * k)
        sql = (
            f"SELECT id FROM {self.table}, websearch_to_tsquery('english', %s) AS q "
            "WHERE tsv @@ q AND org_id = %s"
        )
        params: list[object] = [q, org_id]
        if doc_ids is not None:
            sql += " AND doc_id = ANY(%s)"
            params.append(list(doc_ids))
        sql += " ORDER BY ts_rank(tsv, q, 1) DESC, position LIMIT %s"
        params.append(depth)
        with self._conn() as db:
            lexical = [int(r[0]) for r in db.execute(sql, params).fetchall()]
        dense: list[tuple[int, float]] = []
        embedder = self.embedder
        qv = None
        if embedder is not None:
            qv = query_vector(embedder, query)
            if self.vector_store == "pgvector":
                self._vector_set(org_id, embedder, load=False)  # embeds what lacks a vector
                dense = self._pgvector_nearest(org_id, qv, depth, doc_ids, embedder.name)
            else:
                dense = self._vector_set(org_id, embedder).nearest(qv, depth, doc_ids)
        sims = dict(dense)
        fused = fuse(lexical, [r for r, _ in dense], tie=sims)[:k]
        if not fused:
            return []
        if embedder is not None and qv is not None:
            qv = sentence_query(embedder, qv, query, focus)
        with self._conn() as db:
            rows = db.execute(
                "SELECT id, text, doc_id, doc_name, heading, position, page, svec "
                f"FROM {self.table} WHERE id = ANY(%s) AND org_id = %s",
                ([r for r, _ in fused], org_id),
            ).fetchall()
        by_id = {int(r[0]): r for r in rows}
        out = []
        for row_id, score in fused:
            if row_id in by_id:
                _, text, doc_id, doc_name, heading, position, page, svec = by_id[row_id]
                per_sentence = sentence_sims(svec, qv) if qv is not None else None
                out.append(
                    Passage(
                        text, doc_id, doc_name, heading, int(position), score, page,
                        sims.get(row_id), per_sentence,
                    )
                )  # fmt: skip
        return out

    def _pgvector_nearest(
        self, org_id: str, qv: np.ndarray, n: int, doc_ids: list[str] | None, model: str
    ) -> list[tuple[int, float]]:
        sql = (
            f"SELECT id, 1 - (embedding <=> %s::vector) AS sim FROM {self.table} "
            "WHERE org_id = %s AND model = %s AND embedding IS NOT NULL"
        )
        literal = _vector_literal(qv)
        params: list[object] = [literal, org_id, model]
        if doc_ids is not None:
            sql += " AND doc_id = ANY(%s)"
            params.append(list(doc_ids))
        sql += " ORDER BY embedding <=> %s::vector LIMIT %s"
        params += [literal, n]
        with self._conn() as db:
            rows = db.execute(sql, params).fetchall()
        return [(int(r), float(s)) for r, s in rows if float(s) >= DENSE_FLOOR]

    def _generation(self, db: Any, org_id: str) -> int:
        row = db.execute(
            f"SELECT gen FROM {self.table}_generation WHERE org_id = %s", (org_id,)
        ).fetchone()
        return int(row[0]) if row else 0

    def _vector_set(self, org_id: str, embedder: Embedder, *, load: bool = True) -> VectorSet:
        """The organization's vectors (``load=False``: only make sure every passage has one),
        cached until its generation changes."""
        with self._lock, self._conn() as db:
            gen = self._generation(db, org_id)
            cached = self._vectors.get(org_id)
            if cached is not None and cached.generation == gen:
                return cached
            missing = db.execute(
                f"SELECT id, heading, text FROM {self.table} WHERE org_id = %s "
                "AND (model IS NULL OR model <> %s OR vec IS NULL)",
                (org_id, embedder.name),
            ).fetchall()
        if missing:
            self._backfill(org_id, embedder, missing)
        with self._lock, self._conn() as db:
            gen = self._generation(db, org_id)
            rows = []
            if load:
                rows = db.execute(
                    f"SELECT id, doc_id, vec FROM {self.table} WHERE org_id = %s AND model = %s "
                    "AND vec IS NOT NULL ORDER BY id",
                    (org_id, embedder.name),
                ).fetchall()
            vs = VectorSet(
                gen,
                np.array([r[0] for r in rows], dtype=np.int64),
                np.array([r[1] for r in rows], dtype=object),
                from_blobs([bytes(r[2]) for r in rows], embedder.dim),
            )
            self._vectors[org_id] = vs
            return vs

    def _backfill(self, org_id: str, embedder: Embedder, rows: list[Any]) -> None:
        log.info("embedding %d passages of %s indexed without vectors", len(rows), org_id)
        vectors = embed_chunks(embedder, [Chunk(t, h, 0) for _, h, t in rows])
        updates: list[tuple[Any, ...]] = []
        pairs = zip(vectors.passages, vectors.sentences, strict=True)
        for (row_id, _, _), (vec, svec) in zip(rows, pairs, strict=True):
            update: tuple[Any, ...] = (embedder.name, to_blob(vec), to_blob(svec))
            if self.vector_store == "pgvector":
                update += (_vector_literal(vec),)
            updates.append((*update, row_id))
        sets = "model = %s, vec = %s, svec = %s" + (
            ", embedding = %s::vector" if self.vector_store == "pgvector" else ""
        )
        with self._conn() as db, db.transaction(), db.cursor() as cur:
            cur.executemany(f"UPDATE {self.table} SET {sets} WHERE id = %s", updates)
            self._bump(cur, org_id)

    def topics(self, org_id: str, doc_ids: list[str] | None = None) -> list[str]:
        if doc_ids is not None and not doc_ids:
            return []
        sql = f"SELECT doc_name, heading FROM {self.table} WHERE org_id = %s"
        params: list[object] = [org_id]
        if doc_ids is not None:
            sql += " AND doc_id = ANY(%s)"
            params.append(list(doc_ids))
        with self._conn() as db:
            rows = db.execute(sql + " ORDER BY id", params).fetchall()
        return topics_from_headings([(str(a), str(b)) for a, b in rows])

    def drop(self) -> None:
        """Delete the tables (tests)."""
        with self._conn() as db:
            db.execute(f"DROP TABLE IF EXISTS {self.table}")
            db.execute(f"DROP TABLE IF EXISTS {self.table}_generation")

    def close(self) -> None:
        self._engine.dispose()
