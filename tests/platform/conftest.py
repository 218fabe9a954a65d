"""Platform fixtures: a fresh migrated SQLite database per test, an organization and its key."""

from __future__ import annotations

from pathlib import Path

import pytest

from kinema.config import Settings
from kinema.platform import accounts, db


def make_settings(home: Path, **overrides: object) -> Settings:
    overrides.setdefault("worker_prewarm", False)  # test kinds need no engine imports
    return Settings(home=home, workers=2, **overrides)  # type: ignore[arg-type]


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
