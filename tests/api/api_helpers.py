"""Helpers for the API tests: request headers and small media inputs."""

from __future__ import annotations

import base64
import io

import numpy as np
from PIL import Image

from kinema.media.image import encode_image

VERSION = {"X-Runway-Version": "2024-11-06"}


def data_uri(data: bytes, mime: str = "image/png") -> str:
    return f"data:{mime};base64," + base64.b64encode(data).decode()


def png_bytes(w: int = 64, h: int = 48) -> bytes:
    from skimage import data as skdata

    img = Image.fromarray(skdata.astronaut()).resize((w, h))
    return encode_image(np.asarray(img))


def gif_bytes() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (32, 32), (200, 10, 10)).save(buf, "GIF")
    return buf.getvalue()
