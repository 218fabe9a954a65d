"""Migrations and the SQLite connection settings several processes rely on."""

from __future__ import annotations

from sqlalchemy import inspect, text

from kinema.platform import db


def test_migrate_creates_schema_and_is_idempotent(settings):
    engine = db.get_engine(settings)
    tables = set(inspect(engine).get_table_names())
    assert {
        "organizations",
        "api_keys",
        "credit_entries",
        "uploads",
        "tasks",
        "alembic_version",
    } <= tables
    db._migrated.clear()
    db.migrate(settings)  # second run: no error, same head
    with engine.connect() as conn:
        applied = set(conn.execute(text("select version_num from alembic_version")).scalars())
    assert applied == script_heads(settings)


def script_heads(settings) -> set[str]:
    from alembic.script import ScriptDirectory

    cfg = db.alembic_config(settings.resolved_database_url)
    return set(ScriptDirectory.from_config(cfg).get_heads())


def test_sqlite_runs_in_wal_mode_with_busy_timeout(settings):
    with db.get_engine(settings).connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == db.BUSY_TIMEOUT_MS


def test_no_create_all_in_package():
    import pathlib

    import kinema

    root = pathlib.Path(kinema.__file__).parent
    offenders = [p for p in root.rglob("*.py") if "create_all(" in p.read_text()]
    assert offenders == []
