"""Fixtures of the Characters API tests: a fresh database and key, an in-process client with
workers off (tests run queued tasks through the worker code with ``run_tasks``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from chars_helpers import VERSION
from fastapi.testclient import TestClient

from kinema.config import Settings
from kinema.platform import accounts, db


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    s = Settings(home=tmp_path / "home", allow_private_urls=True, allow_http_urls=True)  # type: ignore[arg-type]
    db.migrate(s)
    return s


@pytest.fixture
def key(settings: Settings) -> str:
    with db.session_scope(settings) as s:
        org = accounts.create_org(s, "acme", credits=settings.initial_credits)
        _, plain = accounts.create_key(s, org.id)
    return plain


@pytest.fixture
def headers(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}", **VERSION}


@pytest.fixture
def client(settings: Settings):
    from kinema.api.app import create_app

    with TestClient(create_app(settings, run_tasks=False)) as c:
        yield c
