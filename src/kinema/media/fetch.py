"""Fetch user-supplied URLs and data URIs safely (SSRF guard).

Rules, as Runway states them for media inputs: https only, no redirects, a size cap read from
``Content-Length`` and enforced while streaming, a timeout, and never an address on loopback,
private, link-local, multicast or reserved ranges (checked for every address the name resolves
to, resolved once: the connection goes to that checked address, so DNS rebinding cannot swap it),
special ranges beyond ``ipaddress``'s (100.64.0.0/10, 6to4, Teredo, NAT64 ...), one deadline for
the whole fetch and one generic message for every network failure. Tests that serve files on
loopback opt in with ``allow_private=True``.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import socket
import time
from dataclasses import dataclass
from urllib.parse import unquote_to_bytes, urlsplit, urlunsplit

import httpx

from kinema.errors import FetchRefused, InvalidMedia


@dataclass(frozen=True)
class Fetched:
    data: bytes
    content_type: str  # as sent by the server or the data URI, without parameters
    url: str


# special-purpose ranges that ``ipaddress``'s properties do not all cover (or cover only in some
# Python versions): carrier-grade NAT (incl. a cloud metadata address), IETF protocol
# assignments, benchmarking, NAT64, 6to4 and Teredo (both embed an IPv4 address), site-local
_EXTRA_BLOCKED = tuple(
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8",
        "100.64.0.0/10",
        "192.0.0.0/24",
        "192.88.99.0/24",
        "198.18.0.0/15",
        "240.0.0.0/4",
        "64:ff9b::/96",
        "64:ff9b:1::/48",
        "2001::/32",
        "2002::/16",
        "fc00::/7",
        "fec0::/10",
    )
)
GENERIC_FAILURE = "failed to fetch asset (no answer, connection refused or reset, or timed out)"


def _is_public(ip: str) -> bool:
    addr = ipaddress.ip_address(ip)
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped:
        addr = addr.ipv4_mapped
    if (
        not addr.is_global
        or addr.is_private
        or addr.is_loopback
        or addr.is_link_local
        or addr.is_multicast
        or addr.is_reserved
        or addr.is_unspecified
    ):
        return False
    return not any(addr.version == net.version and addr in net for net in _EXTRA_BLOCKED)


def _split(url: str, field: str, allow_http: bool) -> tuple[str, str, int]:
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. "https://[::1/x" (unbalanced brackets)
        raise FetchRefused(f"{field}: the URL is malformed.", field=field) from None
    if parts.scheme != "https" and not (allow_http and parts.scheme == "http"):
        raise FetchRefused(f"{field}: only HTTPS URLs are allowed.", field=field)
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        raise FetchRefused(f"{field}: the URL's port is invalid.", field=field) from None
    if not host:
        raise FetchRefused(f"{field}: the URL has no host.", field=field)
    return parts.scheme, host, port or (443 if parts.scheme == "https" else 80)


def resolve_checked(
    url: str, *, field: str = "url", allow_private: bool = False, allow_http: bool = False
) -> str:
    """The one address ``url``'s host resolves to, checked; ``FetchRefused`` otherwise.

    The host is resolved once and every address it resolves to must be public; the caller then
    connects to exactly this address (see ``fetch_url``), so a second lookup (DNS rebinding)
    can never pick another one."""
    _scheme, host, port = _split(url, field, allow_http)
    try:
        ipaddress.ip_address(host)
    except ValueError:
        pass
    else:  # Runway accepts domains only; an IP literal is refused before any lookup
        if allow_private:
            return host
        kind = "a public" if _is_public(host) else "a non-public"
        raise FetchRefused(
            f"{field}: URLs must name a domain, not an IP address ({host} is {kind} "
            "address); refused.",
            field=field,
        )
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError, OSError):
        raise FetchRefused(f"{field}: cannot resolve host {host!r}.", field=field) from None
    ips = [str(info[4][0]).split("%")[0] for info in infos]
    if not ips:
        raise FetchRefused(f"{field}: cannot resolve host {host!r}.", field=field)
    if not allow_private:
        for ip in ips:
            if not _is_public(ip):
                raise FetchRefused(
                    f"{field}: {host} resolves to a non-public address ({ip}); refused.",
                    field=field,
                )
    return ips[0]


def check_url(
    url: str, *, field: str = "url", allow_private: bool = False, allow_http: bool = False
) -> None:
    """Raise ``FetchRefused`` unless ``url`` is an http(s) URL to a public address."""
    resolve_checked(url, field=field, allow_private=allow_private, allow_http=allow_http)


def fetch_url(
    url: str,
    *,
    max_bytes: int,
    field: str = "url",
    timeout: float = 10.0,
    allow_private: bool = False,
    allow_http: bool = False,
) -> Fetched:
    """GET ``url`` with the SSRF rules above; the body must fit in ``max_bytes``.

    The connection goes to the address ``resolve_checked`` validated (TLS SNI and certificate
    check and the Host header still use the name), ``timeout`` is the deadline for the whole
    fetch (not per read), and every network failure gets one generic message, so refused,
    reset and timed-out connections cannot be told apart (no port scanning through us)."""
    deadline = time.monotonic() + timeout
    ip = resolve_checked(url, field=field, allow_private=allow_private, allow_http=allow_http)
    parts = urlsplit(url)
    scheme, host, port = _split(url, field, allow_http)
    ip_host = f"[{ip}]" if ":" in ip else ip
    target = urlunsplit((scheme, f"{ip_host}:{port}", parts.path or "/", parts.query, ""))
    default_port = port == (443 if scheme == "https" else 80)
    headers = {"User-Agent": "kinema-fetch/1", "Host": host if default_port else f"{host}:{port}"}
    extensions = {"sni_hostname": host} if scheme == "https" else {}
    try:
        with (
            httpx.Client(
                follow_redirects=False, timeout=min(timeout, 10.0), trust_env=False
            ) as client,
            client.stream("GET", target, headers=headers, extensions=extensions) as resp,
        ):
            if resp.is_redirect:
                raise FetchRefused(
                    f"{field}: redirects are not followed ({resp.status_code}).", field=field
                )
            if resp.status_code != 200:
                raise FetchRefused(
                    f"{field}: failed to fetch asset (HTTP {resp.status_code}).", field=field
                )
            declared = resp.headers.get("content-length")
            if declared and declared.isascii() and declared.isdigit() and int(declared) > max_bytes:
                raise FetchRefused(
                    f"{field}: asset is {int(declared)} bytes; the limit is {max_bytes}.",
                    field=field,
                )
            chunks: list[bytes] = []
            size = 0
            for chunk in resp.iter_bytes():
                if time.monotonic() > deadline:
                    raise FetchRefused(f"{field}: {GENERIC_FAILURE}.", field=field)
                size += len(chunk)
                if size > max_bytes:
                    raise FetchRefused(
                        f"{field}: asset exceeds the limit of {max_bytes} bytes.", field=field
                    )
                chunks.append(chunk)
            ctype = resp.headers.get("content-type", "").split(";")[0].strip().lower()
    except (httpx.HTTPError, OSError, ValueError):
        raise FetchRefused(f"{field}: {GENERIC_FAILURE}.", field=field) from None
    return Fetched(b"".join(chunks), ctype, url)


def parse_data_uri(uri: str, *, max_bytes: int, field: str = "uri") -> Fetched:
    """Decode ``data:<mime>[;base64],<payload>``; ``max_bytes`` caps the URI's length."""
    if len(uri) > max_bytes:
        raise InvalidMedia(
            f"{field}: data URI is {len(uri)} characters; the limit is {max_bytes}.", field=field
        )
    head, sep, payload = uri.partition(",")
    if not head.startswith("data:") or not sep:
        raise InvalidMedia(f"{field}: invalid data URI.", field=field)
    meta = head[5:].split(";")
    mime = (meta[0] or "text/plain").lower()
    try:
        data = (
            base64.b64decode(payload, validate=True)
            if "base64" in meta[1:]
            else unquote_to_bytes(payload)
        )
    except (binascii.Error, ValueError):
        raise InvalidMedia(f"{field}: invalid base64 in data URI.", field=field) from None
    return Fetched(data, mime, uri[:64])
