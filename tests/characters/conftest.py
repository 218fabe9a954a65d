"""Fixtures of the Characters API tests: a fresh database and key, an in-process client with
workers off (tests run queued tasks through the worker code with ``run_tasks``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kinema.config import Settings
from kinema.platform import db


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    s = Settings(home=tmp_path / "home", allow_private_urls=True, allow_http_urls=True)  # type: ignore[arg-type]
    db.migrate(s)
    return s
