"""Mono PCM audio: a small dataclass, WAV/any-format decode via PyAV, resampling."""

from __future__ import annotations

import io
import wave
from dataclasses import dataclass

import av
import numpy as np

from kinema.errors import InvalidMedia


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


def decode_audio(data: bytes, *, rate: int = 16000, field: str = "audio") -> Audio:
    """Decode any container PyAV reads (wav, webm/opus, ogg, mp3, mp4) into mono int16."""
    if not data:
        raise InvalidMedia(f"{field}: the file is empty.", field=field)
    try:
        with av.open(io.BytesIO(data), mode="r") as container:
            if not container.streams.audio:
                raise InvalidMedia(f"{field}: no audio stream found.", field=field)
            resampler = av.AudioResampler(format="s16", layout="mono", rate=rate)
            parts: list[np.ndarray] = []
            for frame in container.decode(container.streams.audio[0]):
                for out in resampler.resample(frame):
                    parts.append(out.to_ndarray().reshape(-1))
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
