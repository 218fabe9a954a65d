"""Start a real ``kinema serve`` subprocess for the conformance tests (fresh home, loopback
port) and wait for its first API key."""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "api"))  # server_proc

from server_proc import Server  # noqa: E402

# The suites create many tasks: enough credits and daily tasks that none is refused for the
# account's sake, and none started (max concurrent 0 keeps them THROTTLED), so the render
# workers do not compete with the suite for the CPU. The suites check the API, not the renderer.
API_ONLY = {
    "KINEMA_WORKERS": "1",
    "KINEMA_INITIAL_CREDITS": "100000000",
    "KINEMA_MAX_DAILY_TASKS": "1000000",
    "KINEMA_MAX_CONCURRENT_TASKS": "0",
    # the SDK suite opens dozens of realtime sessions with one key; the caps have their own tests
    "KINEMA_LIVE_MAX_SESSIONS_PER_KEY": "100000",
    "KINEMA_LIVE_MAX_SESSIONS_PER_ORG": "100000",
}


def start_server(home: Path, **env: str) -> Server:
    srv = Server(home, **env).start()
    deadline = time.monotonic() + 10
    while srv.key is None and time.monotonic() < deadline:
        time.sleep(0.05)
    if srv.key is None:
        srv.stop()
        raise RuntimeError("kinema serve printed no key:\n" + "\n".join(srv.lines))
    return srv
