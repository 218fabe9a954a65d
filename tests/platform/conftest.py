"""Platform fixtures: a fresh migrated SQLite database per test, an organization and its key."""

from __future__ import annotations

from pathlib import Path

import pytest
from platform_helpers import make_settings

from kinema.config import Settings
from kinema.platform import accounts, db


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    s = make_settings(tmp_path / "home")
    db.migrate(s)
    return s


@pytest.fixture
def org(settings: Settings) -> accounts.Caller:
    with db.session_scope(settings) as s:
        row = accounts.create_org(s, "acme", credits=settings.initial_credits)
        key_row, _ = accounts.create_key(s, row.id)
        return accounts.Caller(org_id=row.id, org_name=row.name, key_id=key_row.id)
