"""Database engine, sessions and migrations (SQLAlchemy 2 + Alembic).

SQLite is the embedded default. Several processes touch it (the server, render workers, the
``kinema keys`` CLI), so every connection runs in WAL mode with a busy timeout, and every
transaction starts with ``BEGIN IMMEDIATE``: the write lock is taken up front, so a transaction
that reads a balance and then writes it cannot deadlock or lose an update. Keep sessions short.
PostgreSQL works with the same code; balance and status changes are single conditional UPDATEs.
Its connections come from a pool that checks each one before use (``pool_pre_ping``), so a
restarted database costs a reconnect, not an error; migrations run under an advisory lock, so
any number of servers can start at once on an empty database.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.orm import Session, sessionmaker

from kinema.config import Settings, get_settings

_lock = threading.Lock()
_engines: dict[str, Engine] = {}
_migrated: set[str] = set()

BUSY_TIMEOUT_MS = 30_000
MIGRATION_LOCK = 0x6B696E656D61  # pg_advisory_lock key of migrations ("kinema")


def make_engine(url: str, *, pool_size: int = 5, max_overflow: int = 10) -> Engine:
    """A new engine for ``url``; SQLite gets WAL, a busy timeout and immediate transactions."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            # owner-only from the first byte (keys and transcripts); SQLite gives its -wal and
            # -shm files the database file's mode
            os.close(os.open(path, os.O_CREAT | os.O_RDWR, 0o600))
        engine = create_engine(
            url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False}
        )

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn, _record) -> None:
            dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_recycle=1800,
        pool_timeout=30,
    )


def get_engine(settings: Settings | None = None) -> Engine:
    """The process-wide engine for the settings' database URL (created once per URL)."""
    settings = settings or get_settings()
    url = settings.resolved_database_url
    with _lock:
        engine = _engines.get(url)
        if engine is None:
            engine = _engines[url] = make_engine(
                url, pool_size=settings.db_pool_size, max_overflow=settings.db_max_overflow
            )
        return engine


def dispose_engines() -> None:
    """Forget all engines (tests and forked workers call this)."""
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()
        _migrated.clear()


def session_factory(settings: Settings | None = None) -> sessionmaker[Session]:
    return sessionmaker(bind=get_engine(settings), expire_on_commit=False)


@contextmanager
def session_scope(settings: Settings | None = None) -> Iterator[Session]:
    """One short transaction: commits on success, rolls back on error."""
    with session_factory(settings)() as session, session.begin():
        yield session


def alembic_config(url: str):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def migrate(settings: Settings | None = None) -> None:
    """Bring the database to the newest schema (idempotent; cheap when already there).

    On PostgreSQL the upgrade holds a session-level advisory lock: servers starting together
    take turns, and the ones after the first find nothing left to do."""
    from alembic import command

    settings = settings or get_settings()
    url = settings.resolved_database_url
    if url in _migrated:
        return
    engine = get_engine(settings)
    cfg = alembic_config(url)
    with engine.connect() as conn:
        locked = conn.dialect.name == "postgresql"
        if locked:
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": MIGRATION_LOCK})
            conn.commit()
        try:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "heads")  # areas add sibling branches
            conn.commit()
        finally:
            if locked:
                conn.rollback()
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": MIGRATION_LOCK})
                conn.commit()
    _migrated.add(url)
