"""Fixtures of the conformance tests: one real ``kinema serve`` subprocess per module (fresh
home, loopback port), its first API key."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "api"))  # server_proc

from server_proc import Server  # noqa: E402


def start_server(home: Path, **env: str) -> Server:
    srv = Server(home, **env).start()
    deadline = time.monotonic() + 10
    while srv.key is None and time.monotonic() < deadline:
        time.sleep(0.05)
    if srv.key is None:
        srv.stop()
        raise RuntimeError("kinema serve printed no key:\n" + "\n".join(srv.lines))
    return srv


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = start_server(tmp_path_factory.mktemp("conformance"), KINEMA_WORKERS="1")
    yield srv
    srv.stop()
