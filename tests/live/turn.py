"""A real TURN server (Debian's coturn) on 127.0.0.1 for the relay tests."""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import socket
import struct
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

TURN_USER, TURN_PASSWORD, TURN_REALM = "kinema", "relay-only-test", "kinema.test"


@dataclass
class Turn:
    port: int
    proc: subprocess.Popen[bytes]
    log: str

    @property
    def url(self) -> str:
        return f"turn:127.0.0.1:{self.port}?transport=udp"

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stun_ok(port: int) -> bool:
    """A STUN binding request answered: the server is up."""
    tid = os.urandom(12)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(0.2)
        s.sendto(struct.pack("!HHI12s", 0x0001, 0, 0x2112A442, tid), ("127.0.0.1", port))
        try:
            data, _ = s.recvfrom(2048)
        except OSError:
            return False
    return len(data) >= 20 and data[8:20] == tid


def turnserver_binary() -> str:
    path = shutil.which("turnserver")
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("coturn's turnserver is not installed (scripts/test installs it)")
        pytest.skip("coturn's turnserver is not installed (apt-get install coturn)")
    return path


@contextlib.contextmanager
def turn_server(*, auth_secret: str | None = None) -> Iterator[Turn]:
    """coturn on loopback: a static long-term user, or ``use-auth-secret`` (TURN REST API)."""
    binary = turnserver_binary()
    port = _free_udp_port()
    low = random.randrange(50000, 60000, 100)
    tmp = tempfile.mkdtemp(prefix="kinema-turn-")
    log = os.path.join(tmp, "turn.log")
    auth = (
        ["--use-auth-secret", f"--static-auth-secret={auth_secret}"]
        if auth_secret
        else ["--lt-cred-mech", f"--user={TURN_USER}:{TURN_PASSWORD}"]
    )
    args = [binary, "-n", "--listening-ip=127.0.0.1", "--relay-ip=127.0.0.1"]
    args += [f"--listening-port={port}", f"--min-port={low}", f"--max-port={low + 99}"]
    args += [*auth, f"--realm={TURN_REALM}", "--fingerprint", "--no-tls", "--no-dtls"]
    args += ["--no-cli", "--no-tcp-relay", "--allow-loopback-peers", "--simple-log"]
    args += [f"--log-file={log}", f"--pidfile={tmp}/pid", f"--userdb={tmp}/turndb"]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    server = Turn(port, proc, log)
    try:
        end = time.monotonic() + 10
        while not _stun_ok(port):
            assert proc.poll() is None, f"turnserver exited: {_read(log)[-2000:]}"
            assert time.monotonic() < end, "turnserver did not answer STUN within 10 s"
            time.sleep(0.05)
        yield server
    finally:
        server.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def _read(path: str) -> str:
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except OSError:
        return ""
