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
