"""A socket guard for tests: any non-loopback connect or DNS look-up fails and is recorded."""

from __future__ import annotations

import contextlib
import ipaddress
import socket
from collections.abc import Iterator


class NetworkAttempt(AssertionError):
    pass


def _is_loopback(address: object) -> bool:
    if isinstance(address, tuple) and address:
        host = str(address[0])
        if host in ("localhost", ""):
            return True
        try:
            return ipaddress.ip_address(host).is_loopback
        except ValueError:
            return False  # a host name: resolving it would already be a network look-up
    return isinstance(address, str | bytes)  # AF_UNIX paths are local


@contextlib.contextmanager
def no_network() -> Iterator[list[object]]:
    """Fail (and record) every connect to a non-loopback address or DNS look-up."""
    attempts: list[object] = []
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def connect(self: socket.socket, address: object) -> None:
        if not _is_loopback(address):
            attempts.append(address)
            raise NetworkAttempt(f"network access attempted: {address!r}")
        real_connect(self, address)  # type: ignore[arg-type]

    def connect_ex(self: socket.socket, address: object) -> int:
        if not _is_loopback(address):
            attempts.append(address)
            raise NetworkAttempt(f"network access attempted: {address!r}")
        return real_connect_ex(self, address)  # type: ignore[arg-type]

    def getaddrinfo(host: object, *args: object, **kwargs: object) -> object:
        if not _is_loopback((host,)):
            attempts.append(host)
            raise NetworkAttempt(f"DNS look-up attempted: {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)  # type: ignore[arg-type]

    socket.socket.connect = connect  # type: ignore[method-assign]
    socket.socket.connect_ex = connect_ex  # type: ignore[method-assign]
    socket.getaddrinfo = getaddrinfo  # type: ignore[assignment]
    try:
        yield attempts
    finally:
        socket.socket.connect = real_connect  # type: ignore[method-assign]
        socket.socket.connect_ex = real_connect_ex  # type: ignore[method-assign]
        socket.getaddrinfo = real_getaddrinfo
