"""Run ``kinema serve`` as a real subprocess on a free loopback port (for SDK and restart tests)."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

KEY_RE = re.compile(r"^key_[0-9a-f]{128}$")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, home: Path, port: int | None = None, **env: str) -> None:
        self.home, self.port = home, port or free_port()
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("KINEMA_")}
        self.env.update(
            KINEMA_HOME=str(home),
            KINEMA_PORT=str(self.port),
            KINEMA_ALLOW_PRIVATE_URLS="true",
            KINEMA_ALLOW_HTTP_URLS="true",
            PYTHONUNBUFFERED="1",
            **env,
        )
        self.proc: subprocess.Popen | None = None
        self.key: str | None = None
        self.lines: list[str] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def cli(self, *args: str) -> str:
        out = subprocess.run(
            [sys.executable, "-m", "kinema", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        return out.stdout

    def start(self, timeout: float = 60) -> Server:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "kinema", "serve"],
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        threading.Thread(target=self._read, daemon=True).start()
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise RuntimeError("server exited:\n" + "\n".join(self.lines))
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError("server did not start:\n" + "\n".join(self.lines))

    def _read(self) -> None:
        assert self.proc and self.proc.stdout
        for line in self.proc.stdout:
            line = line.rstrip("\n")
            self.lines.append(line)
            if KEY_RE.match(line.strip()):
                self.key = line.strip()

    def kill(self) -> None:
        """SIGKILL the server process only (its workers must notice and stop)."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
