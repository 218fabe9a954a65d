"""Scale-out fixtures: a fresh PostgreSQL schema per test (``scaleout_pg``), settings on it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from scaleout_pg import new_schema

from kinema.config import Settings
from kinema.platform import db


@pytest.fixture
def pg_url() -> Iterator[str]:
    with new_schema() as url:
        yield url


@pytest.fixture
def pg_settings(pg_url: str, tmp_path) -> Settings:
    s = Settings(  # type: ignore[call-arg]
        home=tmp_path / "home", database_url=pg_url, worker_prewarm=False, workers=2
    )
    db.migrate(s)
    return s
