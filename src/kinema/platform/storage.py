"""File storage behind fsspec: a local folder by default, any fsspec URL (``s3://bucket/x``,
``memory://x``) for scale-out. Keys are relative POSIX paths such as ``tasks/<id>/video.mp4``.

Clients never see storage URLs: kinema serves files itself under ``/files/<key>`` with an HMAC
signature and an expiry (``sign_path``/``verify_signature``), so any backend works behind it.
"""

from __future__ import annotations

import hashlib
import hmac
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO
from urllib.parse import quote

import fsspec

from kinema.config import Settings, get_settings
from kinema.errors import InvalidInput, NotFound


class Storage:
    """A key → bytes store rooted at an fsspec URL."""

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")
        self.fs, self.root = fsspec.core.url_to_fs(self.url)
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
        return int(self.fs.size(self._path(key)))

    def delete(self, key: str) -> None:
        path = self._path(key)
        if self.fs.exists(path):
            self.fs.rm(path, recursive=True)


_storages: dict[str, Storage] = {}


def get_storage(settings: Settings | None = None) -> Storage:
    url = (settings or get_settings()).resolved_storage_url
    if url not in _storages:
        _storages[url] = Storage(url)
    return _storages[url]


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
