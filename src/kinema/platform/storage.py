"""File storage behind fsspec: a local folder by default; for several machines, any fsspec URL
they all reach (``s3://bucket/prefix`` and S3-compatible servers through ``storage_options``,
or a shared folder). ``memory://x`` lives in one process: fine for tests, invisible to render
workers. Keys are relative POSIX paths such as ``tasks/<id>/video.mp4``.

Clients get kinema URLs, ``/files/<key>`` with an HMAC signature and an expiry
(``sign_path``/``verify_signature``), whatever the backend. That route sends local files and
proxies others with Range support (``read_range``), or, with ``storage_serve=presign``,
redirects to a short-lived presigned URL of the store itself (``presign``).
"""

from __future__ import annotations

import hashlib
import hmac
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote

import fsspec

from kinema.config import Settings, get_settings
from kinema.errors import InvalidInput, NotFound


class Storage:
    """A key → bytes store rooted at an fsspec URL."""

    def __init__(self, url: str, options: dict[str, Any] | None = None) -> None:
        self.url = url.rstrip("/")
        self.fs, self.root = fsspec.core.url_to_fs(self.url, **_fs_options(self.url, options))
        self.root = self.root.rstrip("/")
        self.is_local = self.fs.protocol in ("file", "local") or "file" in self.fs.protocol

    def _path(self, key: str) -> str:
        key = key.strip("/")
        if not key or ".." in key.split("/"):
            raise InvalidInput(f"invalid storage key {key!r}")
        return f"{self.root}/{key}"

    def local_path(self, key: str) -> Path | None:
        """The file on disk for ``key`` when storage is a local folder (for zero-copy serving)."""
        return Path(self._path(key)) if self.is_local else None

    def put_bytes(self, key: str, data: bytes) -> str:
        path = self._path(key)
        self.fs.makedirs(path.rsplit("/", 1)[0], exist_ok=True)
        with self.fs.open(path, "wb") as f:
            f.write(data)
        return key

    def put_file(self, key: str, src: str | Path) -> str:
        path = self._path(key)
        self.fs.makedirs(path.rsplit("/", 1)[0], exist_ok=True)
        with open(src, "rb") as fin, self.fs.open(path, "wb") as fout:
            shutil.copyfileobj(fin, fout, 1 << 20)
        return key

    def get_bytes(self, key: str) -> bytes:
        try:
            with self.fs.open(self._path(key), "rb") as f:
                return f.read()
        except FileNotFoundError:
            raise NotFound(f"file {key!r} not found") from None

    def open(self, key: str) -> IO[bytes]:
        try:
            return self.fs.open(self._path(key), "rb")
        except FileNotFoundError:
            raise NotFound(f"file {key!r} not found") from None

    def iter_bytes(self, key: str, chunk: int = 1 << 16) -> Iterator[bytes]:
        with self.open(key) as f:
            while block := f.read(chunk):
                yield block

    def exists(self, key: str) -> bool:
        return bool(self.fs.exists(self._path(key)))

    def size(self, key: str) -> int:
        try:
            return int(self.fs.size(self._path(key)))
        except FileNotFoundError:
            raise NotFound(f"file {key!r} not found") from None

    def iter_range(self, key: str, start: int, end: int, chunk: int = 1 << 20) -> Iterator[bytes]:
        """Bytes ``start..end`` (inclusive) of ``key`` in chunks: ranged reads, never the whole
        object (S3 gets one ranged GET per chunk)."""
        path = self._path(key)
        pos = start
        while pos <= end:
            n = min(chunk, end - pos + 1)
            block = self.fs.cat_file(path, start=pos, end=pos + n)
            if not block:
                return
            yield block
            pos += len(block)

    def presign(self, key: str, ttl: int) -> str | None:
        """A URL of the store itself that serves ``key`` for ``ttl`` seconds (S3 and
        compatibles), or None when the backend cannot sign (local folders, memory)."""
        if self.is_local:
            return None
        try:
            return str(self.fs.sign(self._path(key), expiration=int(ttl)))
        except NotImplementedError:
            return None

    def delete(self, key: str) -> None:
        path = self._path(key)
        if self.fs.exists(path):
            self.fs.rm(path, recursive=True)


def _fs_options(url: str, options: dict[str, Any] | None) -> dict[str, Any]:
    """fsspec options for ``url``; for s3, ``endpoint_url`` goes where s3fs expects it."""
    opts = dict(options or {})
    if url.startswith(("s3://", "s3a://")) and "endpoint_url" in opts:
        client = dict(opts.get("client_kwargs") or {})
        client.setdefault("endpoint_url", opts.pop("endpoint_url"))
        opts["client_kwargs"] = client
    return opts


_storages: dict[str, Storage] = {}


def get_storage(settings: Settings | None = None) -> Storage:
    settings = settings or get_settings()
    url = settings.resolved_storage_url
    cache_key = f"{url} {sorted(settings.storage_options.items())!r}"
    if cache_key not in _storages:
        _storages[cache_key] = Storage(url, settings.storage_options)
    return _storages[cache_key]


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The inclusive byte span of a single-range ``Range: bytes=a-b | a- | -n`` header.

    None: no header, or one we answer with the whole file (several ranges, other units).
    Raises ``RangeNotSatisfiable`` for a range that starts past the end or is empty."""
    if not header:
        return None
    unit, _, spec = header.partition("=")
    if unit.strip().lower() != "bytes" or "," in spec:
        return None
    first, sep, last = spec.strip().partition("-")
    if not sep:
        return None
    try:
        if not first:  # the last n bytes
            n = int(last)
            if n <= 0 or size == 0:
                raise RangeNotSatisfiable(size)
            return max(0, size - n), size - 1
        start = int(first)
        end = int(last) if last else size - 1
    except ValueError:
        return None
    if start >= size:
        raise RangeNotSatisfiable(size)
    if start < 0 or end < start:
        return None
    return start, min(end, size - 1)


class RangeNotSatisfiable(Exception):
    def __init__(self, size: int) -> None:
        super().__init__(f"bytes */{size}")
        self.size = size


def _signature(secret: str, key: str, expires: int) -> str:
    msg = f"{key}\n{expires}".encode()
    return hmac.new(secret.encode(), msg, hashlib.sha256).hexdigest()[:40]


def sign_path(key: str, *, secret: str, ttl: int, now: float | None = None) -> str:
    """``/files/<key>?exp=..&sig=..``: a path that serves ``key`` until ``now + ttl``."""
    expires = int((now or time.time()) + ttl)
    return f"/files/{quote(key)}?exp={expires}&sig={_signature(secret, key, expires)}"


def verify_signature(key: str, exp: str, sig: str, *, secret: str) -> bool:
    """True when ``sig`` signs ``key`` and ``exp`` has not passed."""
    # isdigit() alone accepts "²" and other non-ASCII digits that int() refuses
    if not (exp.isascii() and exp.isdigit() and sig.isascii()) or int(exp) < time.time():
        return False
    return hmac.compare_digest(_signature(secret, key, int(exp)), sig)
