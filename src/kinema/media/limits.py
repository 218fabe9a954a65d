"""Size checks that run *before* a parser sees an untrusted file (decompression bombs).

A 2 MB DOCX can hold a part that inflates to gigabytes, and python-docx inflates a part fully
before its XML parser looks at it. ``check_zip`` reads only the archive's central directory
(no decompression) and refuses archives whose declared sizes or compression ratios are out of
bounds.
"""

from __future__ import annotations

import io
import threading
import zipfile

from kinema.errors import InvalidMedia

# concurrent heavy decodes (audio, images) per process; more wait their turn in their thread,
# so a burst of uploads cannot hold gigabytes at once or starve the render threads
HEAVY_DECODES = threading.BoundedSemaphore(2)

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
