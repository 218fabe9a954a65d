"""Mono PCM audio: a small dataclass, WAV/any-format decode via PyAV, resampling."""

from __future__ import annotations

import io
import wave
from dataclasses import dataclass

import av
import numpy as np

from kinema.errors import InvalidMedia
from kinema.media.limits import heavy_decode

MAX_DECODE_SECONDS = 600.0  # no caller needs more; callers pass tighter limits where they have one


@dataclass
class Audio:
    """Mono int16 samples at ``rate`` Hz."""

    samples: np.ndarray
    rate: int

    @property
    def duration(self) -> float:
        return len(self.samples) / self.rate if self.rate else 0.0

    def to_wav(self) -> bytes:
        buf = io.BytesIO()
        with wave.open(buf, "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(self.rate)
            w.writeframes(np.asarray(self.samples, dtype=np.int16).tobytes())
        return buf.getvalue()


def resample(samples: np.ndarray, src_rate: int, dst_rate: int) -> np.ndarray:
    """Linear-interpolation resampling of mono int16 (good enough for speech analysis)."""
    if src_rate == dst_rate or len(samples) == 0:
        return samples.astype(np.int16, copy=False)
    n = int(round(len(samples) * dst_rate / src_rate))
    x = np.linspace(0, len(samples) - 1, n)
    return np.interp(x, np.arange(len(samples)), samples.astype(np.float32)).astype(np.int16)


def decode_audio(
    data: bytes,
    *,
    rate: int = 16000,
    field: str = "audio",
    max_seconds: float = MAX_DECODE_SECONDS,
) -> Audio:
    """Decode any container PyAV reads (wav, webm/opus, ogg, mp3, mp4) into mono int16.

    Decoding streams and stops as soon as the audio passes ``max_seconds`` (``InvalidMedia``
    naming ``field``): a small file of an hour's silence is refused after ``max_seconds`` of
    work and memory, not after decoding the hour. At most ``limits.HEAVY_DECODES`` decodes run
    at once per process, fewer per organization (``limits.heavy_decode``); call it off the event
    loop (``asyncio.to_thread``)."""
    if not data:
        raise InvalidMedia(f"{field}: the file is empty.", field=field)
    max_samples = int(max_seconds * rate)
    with heavy_decode():
        try:
            with av.open(io.BytesIO(data), mode="r") as container:
                if not container.streams.audio:
                    raise InvalidMedia(f"{field}: no audio stream found.", field=field)
                resampler = av.AudioResampler(format="s16", layout="mono", rate=rate)
                parts: list[np.ndarray] = []
                n = 0
                for frame in container.decode(container.streams.audio[0]):
                    for out in resampler.resample(frame):
                        parts.append(out.to_ndarray().reshape(-1))
                        n += len(parts[-1])
                    if n > max_samples:
                        raise InvalidMedia(
                            f"{field}: the audio is longer than the limit of {max_seconds:g} s.",
                            field=field,
                        )
                for out in resampler.resample(None):
                    parts.append(out.to_ndarray().reshape(-1))
        except InvalidMedia:
            raise
        except (av.error.FFmpegError, ValueError) as exc:
            raise InvalidMedia(f"{field}: cannot decode audio ({exc}).", field=field) from None
    samples = np.concatenate(parts).astype(np.int16) if parts else np.zeros(0, np.int16)
    if len(samples) == 0:
        raise InvalidMedia(f"{field}: the audio is empty.", field=field)
    return Audio(samples, rate)
