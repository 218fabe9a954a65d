"""Studio fixtures: an app on a fresh database with small live frames, an org and its key."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from studio_helpers import VERSION

from kinema.config import Settings
from kinema.platform import accounts, db


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    s = Settings(home=tmp_path / "home", live_size=256)  # type: ignore[arg-type]
    db.migrate(s)
    return s


@pytest.fixture
def org_key(settings: Settings) -> tuple[str, str]:
    with db.session_scope(settings) as s:
        org = accounts.create_org(s, "studio-test", credits=100)
        _, plain = accounts.create_key(s, org.id)
        return org.id, plain


@pytest.fixture
def headers(org_key: tuple[str, str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {org_key[1]}", **VERSION}


@pytest.fixture
def client(settings: Settings):
    from kinema.api.app import create_app

    with TestClient(create_app(settings, run_tasks=False)) as c:
        yield c
