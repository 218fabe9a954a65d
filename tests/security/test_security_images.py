"""Image bombs are refused from the header; truncated headers are a 4xx, not a crash."""

from __future__ import annotations

import resource
import struct
import zlib

import pytest

from kinema.errors import InvalidMedia
from kinema.media.image import MAX_PIXELS, load_image


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _png_header(width: int, height: int) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    # one compressed row of zeros repeated: small on the wire, width*height*3 bytes decoded
    raw = zlib.compress(b"\x00" * (1 + width * 3) * 64, 9)
    return (
        b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", raw) + _chunk(b"IEND", b"")
    )


def test_pixel_bomb_is_refused_from_the_header() -> None:
    data = _png_header(7000, 5700)
    assert MAX_PIXELS < 7000 * 5700
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    with pytest.raises(InvalidMedia) as err:
        load_image(data, field="image")
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - before
    assert err.value.field == "image"
    assert "7000x5700 is too large" in str(err.value)
    assert grown < 32, f"peak RSS grew {grown:.0f} MB"


@pytest.mark.parametrize("cut", [8, 12, 20, 29])
def test_png_truncated_inside_its_header_is_a_4xx(cut: int) -> None:
    data = _png_header(64, 64)[:cut]
    with pytest.raises(InvalidMedia) as err:
        load_image(data, field="image")
    assert err.value.field == "image"
    assert err.value.status < 500
