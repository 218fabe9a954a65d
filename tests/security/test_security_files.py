"""Data files at rest are owner-only from creation."""

from __future__ import annotations

import stat
from pathlib import Path

from kinema.config import Settings
from kinema.platform import db


def test_database_and_secret_key_are_owner_only(tmp_path: Path) -> None:
    s = Settings(home=tmp_path / "home")  # type: ignore[arg-type]
    db.migrate(s)
    s.resolved_secret_key()
    for name in ("kinema.db", "secret.key"):
        mode = stat.S_IMODE((s.home / name).stat().st_mode)
        assert mode & 0o077 == 0, f"{name} is {oct(mode)}"
    assert stat.S_IMODE(s.home.stat().st_mode) & 0o077 == 0
