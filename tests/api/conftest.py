"""API fixtures: an app on a fresh database (workers off unless a test starts them), a key."""

from __future__ import annotations

from pathlib import Path

import pytest
from api_helpers import VERSION

from kinema.config import Settings
from kinema.platform import accounts, db


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    s = Settings(home=tmp_path / "home", workers=2)  # type: ignore[arg-type]
    db.migrate(s)
    return s


@pytest.fixture
def key_for():
    """Make an organization + key in any settings' database; returns request headers."""

    def make(settings: Settings) -> dict[str, str]:
        with db.session_scope(settings) as s:
            org = accounts.create_org(s, "org", credits=settings.initial_credits)
            _, plain = accounts.create_key(s, org.id)
        return {"Authorization": f"Bearer {plain}", **VERSION}

    return make
