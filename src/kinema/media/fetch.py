"""Fetch user-supplied URLs and data URIs safely (SSRF guard).

Rules, as Runway states them for media inputs: https only, no redirects, a size cap read from
``Content-Length`` and enforced while streaming, a timeout, and never an address on loopback,
private, link-local, multicast or reserved ranges (checked for every address the name resolves
to). Tests that serve files on loopback opt in with ``allow_private=True``.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import unquote_to_bytes, urlsplit

import httpx

from kinema.errors import FetchRefused, InvalidMedia


@dataclass(frozen=True)
class Fetched:
    data: bytes
    content_type: str  # as sent by the server or the data URI, without parameters
    url: str


def _is_public(ip: str) -> bool:
    addr = ipaddress.ip_address(ip)
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped:
        addr = addr.ipv4_mapped
    return not (
        addr.is_private
        or addr.is_loopback
        or addr.is_link_local
        or addr.is_multicast
        or addr.is_reserved
        or addr.is_unspecified
    )


def check_url(
    url: str, *, field: str = "url", allow_private: bool = False, allow_http: bool = False
) -> None:
    """Raise ``FetchRefused`` unless ``url`` is an http(s) URL to a public address."""
    parts = urlsplit(url)
    if parts.scheme != "https" and not (allow_http and parts.scheme == "http"):
        raise FetchRefused(f"{field}: only HTTPS URLs are allowed.", field=field)
    host = parts.hostname
    if not host:
        raise FetchRefused(f"{field}: the URL has no host.", field=field)
    if allow_private:
        return
    try:
        ipaddress.ip_address(host)
    except ValueError:
        pass
    else:  # Runway accepts domains only; an IP literal is refused before any lookup
        kind = "a public" if _is_public(host) else "a non-public"
        raise FetchRefused(
            f"{field}: URLs must name a domain, not an IP address ({host} is {kind} "
            "address); refused.",
            field=field,
        )
    try:
        infos = socket.getaddrinfo(host, parts.port or 443, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        raise FetchRefused(f"{field}: cannot resolve host {host!r}.", field=field) from None
    for info in infos:
        ip = str(info[4][0])
        if not _is_public(ip):
            raise FetchRefused(
                f"{field}: {host} resolves to a non-public address ({ip}); refused.", field=field
            )


def fetch_url(
    url: str,
    *,
    max_bytes: int,
    field: str = "url",
    timeout: float = 10.0,
    allow_private: bool = False,
    allow_http: bool = False,
) -> Fetched:
    """GET ``url`` with the SSRF rules above; the body must fit in ``max_bytes``."""
    check_url(url, field=field, allow_private=allow_private, allow_http=allow_http)
    try:
        with (
            httpx.Client(follow_redirects=False, timeout=timeout) as client,
            client.stream("GET", url, headers={"User-Agent": "kinema-fetch/1"}) as resp,
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
            if declared and declared.isdigit() and int(declared) > max_bytes:
                raise FetchRefused(
                    f"{field}: asset is {int(declared)} bytes; the limit is {max_bytes}.",
                    field=field,
                )
            chunks: list[bytes] = []
            size = 0
            for chunk in resp.iter_bytes():
                size += len(chunk)
                if size > max_bytes:
                    raise FetchRefused(
                        f"{field}: asset exceeds the limit of {max_bytes} bytes.", field=field
                    )
                chunks.append(chunk)
            ctype = resp.headers.get("content-type", "").split(";")[0].strip().lower()
    except httpx.TimeoutException:
        raise FetchRefused(f"{field}: timeout while fetching asset.", field=field) from None
    except httpx.HTTPError as exc:
        raise FetchRefused(f"{field}: failed to fetch asset ({exc}).", field=field) from None
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
