"""Encode mono audio to the containers the Runway audio endpoints offer (wav, mp3, ogg/opus,
flac) with PyAV, and read an input's native sample rate."""

from __future__ import annotations

import io
from typing import Any

import av
import numpy as np

from kinema.errors import InvalidMedia
from kinema.media.audio import Audio, resample

# format -> (container, codec, file extension, allowed rates or None for any)
FORMATS: dict[str, tuple[str, str, str, tuple[int, ...] | None]] = {
    "wav": ("wav", "pcm_s16le", "wav", None),
    "mp3": ("mp3", "libmp3lame", "mp3", (8000, 16000, 22050, 24000, 32000, 44100, 48000)),
    "ogg_opus": ("ogg", "libopus", "ogg", (8000, 12000, 16000, 24000, 48000)),
    "flac": ("flac", "flac", "flac", None),
}


def encode_audio(audio: Audio, fmt: str = "wav") -> tuple[bytes, str]:
    """``audio`` encoded as ``fmt``; returns (bytes, file extension). Opus/MP3 need one of
    their sample rates: the audio is resampled to the nearest higher one when needed."""
    if fmt == "wav":
        return audio.to_wav(), "wav"
    if fmt not in FORMATS:
        raise InvalidMedia(f"audio: unknown output format {fmt!r}; use {', '.join(FORMATS)}.")
    container, codec, ext, rates = FORMATS[fmt]
    rate, samples = audio.rate, np.asarray(audio.samples, np.int16)
    if rates is not None and rate not in rates:
        new = min((r for r in rates if r >= rate), default=rates[-1])
        samples, rate = resample(samples, rate, new), new
    buf = io.BytesIO()
    with av.open(buf, "w", format=container) as out:
        stream: Any = out.add_stream(codec, rate=rate)
        stream.layout = "mono"
        fmt_name = stream.codec_context.codec.audio_formats[0].name
        pts = 0
        step = 960 if codec == "libopus" else 4096
        resampler = av.AudioResampler(format=fmt_name, layout="mono", rate=rate)
        for i in range(0, len(samples), step):
            chunk = np.ascontiguousarray(samples[i : i + step]).reshape(1, -1)
            frame = av.AudioFrame.from_ndarray(chunk, format="s16", layout="mono")
            frame.sample_rate, frame.pts = rate, pts
            pts += chunk.shape[1]
            for f in resampler.resample(frame):
                for packet in stream.encode(f):
                    out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return buf.getvalue(), ext


def native_rate(data: bytes, field: str = "audioUri") -> int:
    """The sample rate of the first audio stream in ``data`` (400 naming ``field`` if none)."""
    try:
        with av.open(io.BytesIO(data)) as c:
            if not c.streams.audio:
                raise InvalidMedia(f"Invalid parameter '{field}': no audio stream.", field=field)
            return int(c.streams.audio[0].codec_context.sample_rate or 16000)
    except InvalidMedia:
        raise
    except (av.error.FFmpegError, ValueError, OSError) as exc:
        raise InvalidMedia(
            f"Invalid parameter '{field}': cannot decode audio ({exc}).", field=field
        ) from None
