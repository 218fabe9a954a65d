"""URL guard: one checked resolution, pinned connection, special ranges, deadline, one message."""

from __future__ import annotations

import http.server
import ipaddress
import socket
import threading
import time
from collections.abc import Iterator

import pytest

from kinema.errors import FetchRefused
from kinema.media import fetch as fetch_mod
from kinema.media.fetch import GENERIC_FAILURE, _is_public, check_url, fetch_url

SECRET = b"loopback-only-secret"


class _Handler(http.server.BaseHTTPRequestHandler):
    seen: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 - http.server API
        type(self).seen.append(self.headers.get("Host", ""))
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(SECRET)))
        self.end_headers()
        self.wfile.write(SECRET)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def secret_server() -> Iterator[tuple[int, list[str]]]:
    _Handler.seen = []
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield srv.server_address[1], _Handler.seen
    srv.shutdown()
    srv.server_close()


def _answer(ip: str, port: int) -> list[tuple]:
    return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port))]


def test_rebinding_public_then_loopback_is_refused_generically(
    secret_server: tuple[int, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    port, seen = secret_server
    answers = iter(["192.0.2.200", "127.0.0.1", "127.0.0.1", "127.0.0.1"])
    # the first answer is public (a documentation address made "public" for the test, so the
    # connection to it cannot succeed offline); any later lookup would give loopback
    calls: list[str] = []

    def resolver(host: str, p: object, *a: object, **k: object) -> list[tuple]:
        try:  # like the real resolver, an IP literal resolves to itself
            ipaddress.ip_address(host)
            return _answer(host, int(p))  # type: ignore[call-overload]
        except ValueError:
            calls.append(host)
            return _answer(next(answers), port)

    monkeypatch.setattr(fetch_mod.socket, "getaddrinfo", resolver)
    monkeypatch.setattr(fetch_mod, "_is_public", lambda ip: ip == "192.0.2.200")
    with pytest.raises(FetchRefused) as err:
        fetch_url(
            f"http://rebind.example:{port}/secret",
            max_bytes=1000,
            allow_http=True,
            timeout=1.5,
        )
    assert str(err.value) == f"url: {GENERIC_FAILURE}."
    assert SECRET.decode() not in str(err.value)
    assert seen == []  # the loopback server was never reached
    assert len(calls) == 1  # resolved once, never again by the HTTP client


def test_one_answer_with_a_loopback_address_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    def resolver(host: str, p: object, *a: object, **k: object) -> list[tuple]:
        return _answer("8.8.8.8", 443) + _answer("127.0.0.1", 443)

    monkeypatch.setattr(fetch_mod.socket, "getaddrinfo", resolver)
    with pytest.raises(FetchRefused, match="non-public address"):
        check_url("https://mixed.example/x")


def test_pinned_connection_keeps_the_host_name(
    secret_server: tuple[int, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    port, seen = secret_server
    monkeypatch.setattr(
        fetch_mod.socket, "getaddrinfo", lambda h, p, *a, **k: _answer("127.0.0.1", port)
    )
    got = fetch_url(
        f"http://named.example:{port}/a?b=1", max_bytes=1000, allow_http=True, allow_private=True
    )
    assert got.data == SECRET
    assert seen == [f"named.example:{port}"]


@pytest.mark.parametrize(
    "ip",
    [
        "100.64.0.1",
        "100.100.100.200",  # carrier-grade NAT (a cloud metadata address)
        "2002:7f00:1::1",  # 6to4 embedding 127.0.0.1
        "2002:a00:1::1",  # 6to4 embedding 10.0.0.1
        "2001:0:4136:e378::1",  # Teredo
        "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
        "::ffff:127.0.0.1",
        "169.254.169.254",
        "198.18.0.1",
        "192.0.0.8",
        "0.1.2.3",
        "fd00::1",
        "fec0::1",
        "::1",
        "240.0.0.1",
    ],
)
def test_special_ranges_are_not_public(ip: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert not _is_public(ip)
    monkeypatch.setattr(fetch_mod.socket, "getaddrinfo", lambda h, p, *a, **k: _answer(ip, 443))
    with pytest.raises(FetchRefused, match="non-public address"):
        check_url("https://special.example/x")


def test_public_addresses_stay_public() -> None:
    assert _is_public("8.8.8.8")
    assert _is_public("2606:4700:4700::1111")


def _closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_refused_reset_and_timeout_share_one_message() -> None:
    messages = set()
    # refused
    with pytest.raises(FetchRefused) as e1:
        fetch_url(
            f"http://127.0.0.1:{_closed_port()}/",
            max_bytes=10,
            allow_http=True,
            allow_private=True,
            timeout=1.0,
        )
    messages.add(str(e1.value))
    # reset: accept and close at once
    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(8)

    def reset_all() -> None:
        while True:
            try:
                c, _ = lsock.accept()
            except OSError:
                return
            c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            c.close()

    threading.Thread(target=reset_all, daemon=True).start()
    with pytest.raises(FetchRefused) as e2:
        fetch_url(
            f"http://127.0.0.1:{lsock.getsockname()[1]}/",
            max_bytes=10,
            allow_http=True,
            allow_private=True,
            timeout=1.0,
        )
    messages.add(str(e2.value))
    lsock.close()
    # silent: accept, never answer
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    with pytest.raises(FetchRefused) as e3:
        fetch_url(
            f"http://127.0.0.1:{silent.getsockname()[1]}/",
            max_bytes=10,
            allow_http=True,
            allow_private=True,
            timeout=0.5,
        )
    messages.add(str(e3.value))
    silent.close()
    assert messages == {f"url: {GENERIC_FAILURE}."}


def test_slow_drip_hits_the_overall_deadline() -> None:
    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(1)
    stop = threading.Event()

    def drip() -> None:
        c, _ = lsock.accept()
        c.recv(4096)
        c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n")
        for _ in range(100):  # 1 byte every 0.3 s: 30 s in all, each read well inside its timeout
            if stop.wait(0.3):
                break
            try:
                c.sendall(b"x")
            except OSError:
                break
        c.close()

    threading.Thread(target=drip, daemon=True).start()
    t0 = time.monotonic()
    with pytest.raises(FetchRefused) as err:
        fetch_url(
            f"http://127.0.0.1:{lsock.getsockname()[1]}/",
            max_bytes=1000,
            allow_http=True,
            allow_private=True,
            timeout=1.0,
        )
    elapsed = time.monotonic() - t0
    stop.set()
    lsock.close()
    assert str(err.value) == f"url: {GENERIC_FAILURE}."
    assert elapsed < 15  # the deadline, not the 30 s the drip would take


def test_bad_ports_are_a_4xx_not_a_crash() -> None:
    with pytest.raises(FetchRefused, match="port"):
        check_url("https://example.com:99999/x")
