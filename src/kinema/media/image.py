"""Decode untrusted image bytes into RGB arrays, with clear errors.

Checks run before decoding the pixels, so a 20000x20000 header (decompression bomb) is refused
without allocating it, and GIFs or text files named .png are named for what they are.
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from kinema.errors import InvalidMedia
from kinema.media.limits import heavy_decode

ALLOWED_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
MAX_PIXELS = 25_000_000  # ~ 6K x 4K; larger images are refused from the header, before decoding
_BIG = 4_000_000  # decodes above this many pixels take a HEAVY_DECODES slot
MIN_SIDE = 16


def load_image(
    data: bytes | str | Path,
    *,
    field: str = "image",
    max_pixels: int = MAX_PIXELS,
    allow_small: bool = False,
) -> np.ndarray:
    """Return an ``HxWx3`` uint8 RGB array, or raise ``InvalidMedia`` naming ``field``."""
    if isinstance(data, (str, Path)):
        data = Path(data).read_bytes()
    if not data:
        raise InvalidMedia(f"{field}: the file is empty.", field=field)
    try:
        with Image.open(io.BytesIO(data)) as probe:
            fmt = probe.format or "?"
            width, height = probe.size
    except UnidentifiedImageError:
        raise InvalidMedia(
            f"{field}: not an image (expected JPEG, PNG or WebP).", field=field
        ) from None
    except Image.DecompressionBombError:
        raise InvalidMedia(f"{field}: image is too large to decode safely.", field=field) from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:  # e.g. truncated inside the header
        raise InvalidMedia(
            f"{field}: the image header is corrupt or truncated ({exc}).", field=field
        ) from None
    if fmt not in ALLOWED_FORMATS:
        raise InvalidMedia(
            f"{field}: {fmt} images are not supported; use JPEG, PNG or WebP.", field=field
        )
    if width * height > max_pixels:
        raise InvalidMedia(
            f"{field}: {width}x{height} is too large ({width * height / 1e6:.0f} MP; "
            f"the limit is {max_pixels / 1e6:.0f} MP).",
            field=field,
        )
    if not allow_small and min(width, height) < MIN_SIDE:
        raise InvalidMedia(
            f"{field}: {width}x{height} is too small (at least {MIN_SIDE} px a side).",
            field=field,
        )
    slot = heavy_decode() if width * height > _BIG else contextlib.nullcontext()
    try:
        with slot, Image.open(io.BytesIO(data)) as img:
            img.load()
            rgb = img.convert("RGB")
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise InvalidMedia(
            f"{field}: the image is corrupt or truncated ({exc}).", field=field
        ) from None
    return np.asarray(rgb, dtype=np.uint8).copy()


def image_mime(data: bytes) -> str | None:
    """The MIME type of image bytes, or None when they are not an allowed image."""
    try:
        with Image.open(io.BytesIO(data)) as probe:
            return ALLOWED_FORMATS.get(probe.format or "")
    except Exception:
        return None


def encode_image(rgb: np.ndarray, fmt: str = "PNG", quality: int = 92) -> bytes:
    """Encode an RGB array as PNG or JPEG bytes."""
    buf = io.BytesIO()
    img = Image.fromarray(np.ascontiguousarray(rgb[..., :3]))
    if fmt.upper() in ("JPG", "JPEG"):
        img.save(buf, "JPEG", quality=quality)
    else:
        img.save(buf, "PNG")
    return buf.getvalue()
