"""Migrations and a task round trip on PostgreSQL, in a fresh schema per run.

Uses ``KINEMA_TEST_POSTGRES_URL``, else a ``postgresql`` ``KINEMA_DATABASE_URL``, else
``postgresql+psycopg://postgres@127.0.0.1:5432/test``;
skipped with the reason when no server answers there.
"""

from __future__ import annotations

import os
import threading
import uuid

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text

from kinema.config import Settings
from kinema.errors import InsufficientCredits
from kinema.platform import accounts, db, tasks

pytestmark = pytest.mark.services

_env_db = os.environ.get("KINEMA_DATABASE_URL", "")  # read at collection, before conftest
PG_URL = os.environ.get("KINEMA_TEST_POSTGRES_URL") or (
    _env_db
    if _env_db.startswith("postgresql")
    else "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@pytest.fixture
def pg_settings(tmp_path):
    try:
        admin = create_engine(PG_URL, connect_args={"connect_timeout": 3})
        with admin.connect() as conn:
            conn.execute(text("select 1"))
    except Exception as exc:
        pytest.skip(f"PostgreSQL not reachable at {PG_URL}: {type(exc).__name__}")
    schema = f"kinema_test_{uuid.uuid4().hex[:12]}"
    with admin.begin() as conn:
        conn.execute(text(f'create schema "{schema}"'))
    sep = "&" if "?" in PG_URL else "?"
    url = f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    yield Settings(home=tmp_path / "home", database_url=url)  # type: ignore[arg-type]
    db.dispose_engines()
    with admin.begin() as conn:
        conn.execute(text(f'drop schema "{schema}" cascade'))
    admin.dispose()


def test_migrations_and_task_round_trip_on_postgres(pg_settings):
    db.migrate(pg_settings)
    with db.get_engine(pg_settings).connect() as conn:
        assert conn.execute(text("select current_schema()")).scalar().startswith("kinema_test_")
        applied = set(conn.execute(text("select version_num from alembic_version")).scalars())
    cfg = db.alembic_config(pg_settings.resolved_database_url)
    assert applied == set(ScriptDirectory.from_config(cfg).get_heads())
    with db.session_scope(pg_settings) as s:
        org = accounts.create_org(s, "pg", credits=100)
        _, key = accounts.create_key(s, org.id)
    with db.session_scope(pg_settings) as s:
        caller = accounts.authenticate(s, key)
        task = tasks.create_task(
            s,
            org_id=caller.org_id,
            kind="generation",
            model="gen4_turbo",
            payload={"kind": "video"},
            estimated_cost=30,
            settings=pg_settings,
        )
    with db.session_scope(pg_settings) as s:
        (claim,) = tasks.claim_pending(s, 4, "w")
        assert claim.task_id == task.id and claim.payload == {"kind": "video"}
        assert tasks.report_progress(s, task.id, 1, 0.5)
    with db.session_scope(pg_settings) as s:
        assert tasks.succeed(s, task.id, 1, {"files": ["tasks/x/video.mp4"]})
        t = tasks.get_task(s, org.id, task.id)
        assert (t.status, t.cost, t.outputs["files"]) == ("SUCCEEDED", 30, ["tasks/x/video.mp4"])
        assert accounts.balance_of(s, org.id) == 70

    ok, refused = [], []

    def reserve() -> None:
        for _ in range(5):
            try:
                with db.session_scope(pg_settings) as s:
                    accounts.reserve(s, org.id, 4, task_id="t", model="m")
                ok.append(1)
            except InsufficientCredits:
                refused.append(1)

    threads = [threading.Thread(target=reserve) for _ in range(6)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert len(ok) == 17 and len(refused) == 13  # 70 // 4 reservations fit, no more
    with db.session_scope(pg_settings) as s:
        assert accounts.balance_of(s, org.id) == 70 - 17 * 4
