"""``kinema serve`` nodes as real subprocesses (any role) on a shared database."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

SECRET = "scaleout-test-secret-0123456789abcdef"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Node:
    """One ``kinema serve --role ROLE`` process. ``start`` waits until it serves (API: /healthz
    answers; dispatcher: it printed "dispatcher running")."""

    def __init__(self, home: Path, role: str = "all", port: int | None = None, **env: str):
        self.home, self.role = home, role
        self.port = port or free_port()
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
        self.lines: list[str] = []
        self.starts = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "kinema", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=check,
        )

    def spawn(self) -> Node:
        self.lines = []
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "kinema", "serve", "--role", self.role],
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.starts += 1
        threading.Thread(target=self._read, args=(self.proc,), daemon=True).start()
        return self

    def wait_ready(self, timeout: float = 90) -> Node:
        assert self.proc is not None
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.role} node exited:\n" + "\n".join(self.lines[-40:]))
            if self.role == "dispatcher":
                if "dispatcher running" in self.lines:
                    return self
            else:
                try:
                    if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                        return self
                except httpx.HTTPError:
                    pass
            time.sleep(0.1)
        raise RuntimeError(f"{self.role} node did not start:\n" + "\n".join(self.lines[-40:]))

    def start(self, timeout: float = 90) -> Node:
        return self.spawn().wait_ready(timeout)

    def _read(self, proc: subprocess.Popen) -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            self.lines.append(line.rstrip("\n"))

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL the node process only (its worker processes must notice and stop)."""
        if self.alive:
            assert self.proc is not None
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self, timeout: float = 20) -> None:
        """SIGTERM and wait: running tasks go back to the queue."""
        if self.alive:
            assert self.proc is not None
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)

    def reap(self) -> None:
        """Kill whatever of the node's process group is left (its workers)."""
        if self.proc is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, signal.SIGKILL)
