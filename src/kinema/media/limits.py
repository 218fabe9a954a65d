"""Size checks that run *before* a parser sees an untrusted file (decompression bombs).

A 2 MB DOCX can hold a part that inflates to gigabytes, and python-docx inflates a part fully
before its XML parser looks at it. ``check_zip`` reads only the archive's central directory
(no decompression) and refuses archives whose declared sizes or compression ratios are out of
bounds.
"""

from __future__ import annotations

import io
import threading
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from kinema.errors import InvalidMedia, RateLimited

# concurrent heavy decodes (audio, images) per process; more wait their turn in their thread,
# so a burst of uploads cannot hold gigabytes at once or starve the render threads
HEAVY_DECODES = threading.BoundedSemaphore(2)
OWNER_WAIT = 30.0  # seconds a queued decode waits for its owner's slot before a 429


@dataclass
class DecodeOwner:
    """Whose request a decode serves (set per request by the API): ``limit`` decodes of one
    owner run at once and ``queued`` more may wait; 0 = no per-owner cap."""

    id: str | None = None
    limit: int = 0
    queued: int = 0


# the API sets a fresh holder per request and fills ``id`` once the caller is known; threads
# started for the request (asyncio.to_thread, Starlette's pool) see the same holder
decode_owner: ContextVar[DecodeOwner | None] = ContextVar("decode_owner", default=None)

_owners = threading.Condition()
_running: dict[str, int] = {}
_waiting: dict[str, int] = {}


@contextmanager
def heavy_decode() -> Iterator[None]:
    """A slot for one heavy decode: the owner's (when the request has one), then the process's.

    One organization cannot hold every process slot: past its own limit its decodes queue (a
    few) and then get ``RateLimited``, while other organizations' decodes go on."""
    owner = decode_owner.get()
    if owner is None or owner.id is None or owner.limit <= 0:
        with HEAVY_DECODES:
            yield
        return
    oid = owner.id
    with _owners:
        if _running.get(oid, 0) >= owner.limit:
            if _waiting.get(oid, 0) >= owner.queued:
                raise _too_many(owner)
            _waiting[oid] = _waiting.get(oid, 0) + 1
            deadline = time.monotonic() + OWNER_WAIT
            try:
                while _running.get(oid, 0) >= owner.limit:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        raise _too_many(owner)
                    _owners.wait(left)
            finally:
                _waiting[oid] -= 1
                if not _waiting[oid]:
                    del _waiting[oid]
        _running[oid] = _running.get(oid, 0) + 1
    try:
        with HEAVY_DECODES:
            yield
    finally:
        with _owners:
            _running[oid] -= 1
            if not _running[oid]:
                del _running[oid]
            _owners.notify_all()


def _too_many(owner: DecodeOwner) -> RateLimited:
    return RateLimited(
        "Too many heavy decodes (audio files, images over 4 MP) at once for this organization: "
        f"the limit is {owner.limit} running and {owner.queued} waiting "
        "(max_heavy_decodes_per_org, max_heavy_decodes_queued_per_org); retry shortly.",
        retry_after=2.0,
    )


MAX_ZIP_MEMBERS = 2000
MAX_ZIP_TOTAL = 200 * 1024 * 1024  # uncompressed bytes, all members together
MAX_ZIP_MEMBER = 100 * 1024 * 1024  # uncompressed bytes, any one member
MAX_ZIP_RATIO = 200  # uncompressed / compressed, for members above 1 MB uncompressed
_RATIO_FLOOR = 1024 * 1024


def check_zip(
    data: bytes,
    *,
    field: str = "file",
    max_total: int = MAX_ZIP_TOTAL,
    max_member: int = MAX_ZIP_MEMBER,
    max_ratio: int = MAX_ZIP_RATIO,
    max_members: int = MAX_ZIP_MEMBERS,
) -> None:
    """Raise ``InvalidMedia`` naming ``field`` unless the zip archive in ``data`` is within bounds.

    Only the central directory is read (nothing is inflated). Declared sizes are a safe bound:
    zipfile, which python-docx and openpyxl use, never reads past a member's declared size."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise InvalidMedia(f"{field}: not a readable archive ({exc}).", field=field) from None
    with zf:
        infos = zf.infolist()
        if len(infos) > max_members:
            raise InvalidMedia(
                f"{field}: the archive has {len(infos)} parts; the limit is {max_members}.",
                field=field,
            )
        total = 0
        for info in infos:
            total += info.file_size
            _check_member(
                info.filename, info.file_size, info.compress_size, field, max_member, max_ratio
            )
        if total > max_total:
            raise InvalidMedia(
                f"{field}: the archive inflates to {total} bytes; the limit is {max_total}.",
                field=field,
            )
        # a member whose headers understate its size is no bomb: zipfile stops reading at the
        # declared size (and then fails its CRC check), so the declared sizes are the bound


def _check_member(
    name: str, size: int, compressed: int, field: str, max_member: int, max_ratio: int
) -> None:
    if size > max_member:
        raise InvalidMedia(
            f"{field}: the archive part {name!r} inflates to {size} bytes or more; the limit is "
            f"{max_member}.",
            field=field,
        )
    if size > _RATIO_FLOOR and size > max_ratio * max(compressed, 1):
        raise InvalidMedia(
            f"{field}: the archive part {name!r} has a compression ratio above {max_ratio}:1 "
            "(a decompression bomb?); refused.",
            field=field,
        )
