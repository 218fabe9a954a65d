"""What a session emits: timestamped video frames, audio chunks and JSON-ready events."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import cv2
import numpy as np

if TYPE_CHECKING:
    from kinema.live.encode import EncodedFrame

Event = dict[str, Any]  # {"type": ..., ...}: sent as-is as JSON by every transport


@dataclass(frozen=True)
class VideoOut:
    index: int  # frame number on the session clock; pts = index / fps seconds
    t: float  # media time in seconds
    image: np.ndarray  # HxWx3 uint8 RGB, read-only: shared by consumers and reused frames
    speaking: bool  # the avatar is voicing a reply in this frame
    state: str
    jpeg: bytes | None = None  # encoded in the render worker when a consumer asked for JPEG
    # codec -> this frame encoded for the WebRTC viewers of that codec (shared by all of them);
    # a codec is missing for frames that repeat the previous image (nothing to send)
    encoded: dict[str, EncodedFrame] = field(default_factory=dict)
    reused: bool = False  # the same image as the previous frame (the face barely moved)


@dataclass(frozen=True)
class AudioOut:
    start: int  # first sample index on the session audio timeline
    t: float  # media time in seconds of the first sample
    samples: np.ndarray  # int16 mono at ``rate``
    rate: int
    speaking: bool  # contains reply speech (False: silence)


JPEG_QUALITY = 75  # visually the same as 80 for a talking face, ~13% fewer bytes


def encode_jpeg(image: np.ndarray, quality: int = JPEG_QUALITY) -> bytes:
    """RGB frame → baseline JPEG bytes (OpenCV/libjpeg-turbo; ≈0.6 ms at 512² on one core).

    Huffman optimisation stays off: it costs a second pass for ~5% fewer bytes on loopback/LAN.
    """
    bgr = cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
    params = [cv2.IMWRITE_JPEG_QUALITY, quality, cv2.IMWRITE_JPEG_OPTIMIZE, 0]
    ok, buf = cv2.imencode(".jpg", bgr, params)
    if not ok:  # pragma: no cover - cv2 only fails on empty input
        raise ValueError("JPEG encoding failed")
    return buf.tobytes()
