"""Security fixtures: an app on a fresh database (workers off), keys from tests/conftest.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from kinema.config import Settings
from kinema.platform import db


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    s = Settings(home=tmp_path / "home", workers=1)  # type: ignore[arg-type]
    db.migrate(s)
    return s
