"""Fixtures of the conformance tests: an in-process app (``client``/``headers`` from the root
conftest need ``settings``)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from kinema.config import Settings
from kinema.platform import db

sys.path.insert(0, str(Path(__file__).resolve().parent))  # conformance_server, sdk_suite


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    s = Settings(home=tmp_path / "home", workers=1)  # type: ignore[arg-type]
    db.migrate(s)
    return s
