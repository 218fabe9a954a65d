"""Shared fixtures: every test session gets its own ``KINEMA_HOME`` (and no stray ``KINEMA_*``
settings from the environment), so tests never touch ``~/.kinema``."""

from __future__ import annotations

import os

import pytest

from kinema.config import get_settings


@pytest.fixture(scope="session", autouse=True)
def kinema_home(tmp_path_factory: pytest.TempPathFactory):
    home = tmp_path_factory.mktemp("kinema_home")
    mp = pytest.MonkeyPatch()
    for name in list(os.environ):
        if name.startswith("KINEMA_"):
            mp.delenv(name)
    mp.setenv("KINEMA_HOME", str(home))
    get_settings.cache_clear()
    yield home
    mp.undo()
    get_settings.cache_clear()


# -- API fixtures shared by test folders that define their own ``settings`` fixture ----------


@pytest.fixture
def key(settings):  # noqa: ANN001 - each folder's Settings
    """A fresh organization ("acme", initial credits) and a plain API key for it."""
    from kinema.platform import accounts, db

    with db.session_scope(settings) as s:
        org = accounts.create_org(s, "acme", credits=settings.initial_credits)
        _, plain = accounts.create_key(s, org.id)
    return plain


@pytest.fixture
def headers(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}", "X-Runway-Version": "2024-11-06"}


@pytest.fixture
def client(settings):  # noqa: ANN001
    """The app on ``settings`` with its task dispatcher off (tests run tasks explicitly)."""
    from fastapi.testclient import TestClient

    from kinema.api.app import create_app

    with TestClient(create_app(settings, run_tasks=False)) as c:
        yield c
