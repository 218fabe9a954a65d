"""PostgreSQL for the scale-out tests: a fresh schema per use.

PostgreSQL comes from ``KINEMA_TEST_POSTGRES_URL``, else ``postgresql+psycopg://postgres@
127.0.0.1:5432/test``. Without a server there the tests skip with the reason, except in CI
(``CI`` set), where PostgreSQL is part of the machine and a missing one is a failure.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, text

from kinema.platform import db

PG_URL = os.environ.get(
    "KINEMA_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _admin():
    try:
        admin = create_engine(PG_URL, connect_args={"connect_timeout": 3})
        with admin.connect() as conn:
            conn.execute(text("select 1"))
    except Exception as exc:
        if os.environ.get("CI"):
            raise RuntimeError(f"PostgreSQL must run in CI: {PG_URL}: {exc}") from exc
        pytest.skip(f"PostgreSQL not reachable at {PG_URL}: {type(exc).__name__}")
    return admin


@contextmanager
def new_schema() -> Iterator[str]:
    """A database URL whose search_path is a new, empty schema (dropped afterwards)."""
    admin = _admin()
    schema = f"kinema_so_{uuid.uuid4().hex[:12]}"
    with admin.begin() as conn:
        conn.execute(text(f'create schema "{schema}"'))
    sep = "&" if "?" in PG_URL else "?"
    try:
        # application_name tells this test's backends apart from everyone else's on the server
        yield f"{PG_URL}{sep}options=-csearch_path%3D{schema}&application_name={schema}"
    finally:
        db.dispose_engines()
        with admin.begin() as conn:
            conn.execute(text(f'drop schema "{schema}" cascade'))
        admin.dispose()
