"""Helpers for the platform tests."""

from __future__ import annotations

from pathlib import Path

from kinema.config import Settings


def make_settings(home: Path, **overrides: object) -> Settings:
    overrides.setdefault("worker_prewarm", False)  # test kinds need no engine imports
    return Settings(home=home, workers=2, **overrides)  # type: ignore[arg-type]
