"""Write and read MP4 files with PyAV.

``VideoWriter`` streams RGB frames (and optional mono PCM audio) into H.264 yuv420p + AAC MP4 with
``faststart``; every frame's pts is its index on a ``1/fps`` time base, audio pts count samples,
so both streams share one timeline from zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av
import numpy as np

from kinema.errors import InvalidMedia


class VideoWriter:
    """Stream frames into an MP4. Use as a context manager; ``close()`` flushes both encoders."""

    def __init__(
        self,
        path: str | Path,
        width: int,
        height: int,
        fps: int = 24,
        *,
        crf: int = 20,
        preset: str = "veryfast",
        audio_rate: int | None = None,
        faststart: bool = True,
        tune: str | None = None,
    ) -> None:
        if width % 2 or height % 2:
            raise ValueError(f"H.264 yuv420p needs even sizes, got {width}x{height}")
        opts = {"movflags": "+faststart"} if faststart else {}
        self._out = av.open(str(path), mode="w", format="mp4", options=opts)
        self.fps = fps
        self.width, self.height = width, height
        vs = self._out.add_stream("libx264", rate=fps)
        vs.width, vs.height, vs.pix_fmt = width, height, "yuv420p"
        x264: dict[str, object] = {"crf": str(crf), "preset": preset}
        if tune:
            x264["tune"] = tune
        vs.options = x264
        self._video = vs
        self._audio: Any = None
        self._audio_pts = 0
        if audio_rate:
            aus = self._out.add_stream("aac", rate=audio_rate)
            aus.layout = "mono"
            self._audio = aus
        self._out.start_encoding()  # open every encoder before the first packet is muxed
        self._n = 0

    @property
    def frames_written(self) -> int:
        return self._n

    def write(self, rgb: np.ndarray) -> None:
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb[..., :3]), format="rgb24")
        frame.pts = self._n  # codec time base is 1/fps
        self._n += 1
        for packet in self._video.encode(frame):
            self._out.mux(packet)

    def write_audio(self, pcm: np.ndarray) -> None:
        """Append mono PCM (int16, or float in [-1, 1]) at ``audio_rate``."""
        if self._audio is None:
            raise ValueError("this writer was opened without audio_rate")
        if pcm.dtype != np.int16:
            pcm = (np.clip(pcm, -1.0, 1.0) * 32767).astype(np.int16)
        frame = av.AudioFrame.from_ndarray(pcm.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = self._audio.rate
        frame.pts = self._audio_pts  # codec time base is 1/rate; AAC priming -> edit list
        self._audio_pts += pcm.shape[-1]
        for packet in self._audio.encode(frame):
            self._out.mux(packet)

    def close(self) -> None:
        if self._out is None:
            return
        for packet in self._video.encode(None):
            self._out.mux(packet)
        if self._audio is not None:
            for packet in self._audio.encode(None):
                self._out.mux(packet)
        self._out.close()
        self._out = None  # type: ignore[assignment]

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass(frozen=True)
class VideoInfo:
    codec: str
    width: int
    height: int
    fps: float
    frames: int
    duration: float
    pix_fmt: str
    audio_codec: str | None
    audio_rate: int | None
    audio_duration: float | None


def probe(path: str | Path) -> VideoInfo:
    """Describe a video file by decoding it (frame count is counted, not guessed)."""
    try:
        with av.open(str(path)) as container:
            vs = container.streams.video[0]
            frames = sum(1 for _ in container.decode(vs))
            fps = float(vs.average_rate or vs.base_rate or 0)
            codec, w, h = vs.codec_context.name, vs.codec_context.width, vs.codec_context.height
            pix = vs.codec_context.pix_fmt or ""
        a_codec = a_rate = a_dur = None
        with av.open(str(path)) as container:
            if container.streams.audio:
                aus = container.streams.audio[0]
                a_codec, a_rate = aus.codec_context.name, aus.codec_context.sample_rate
                # container duration honours the edit list that hides AAC priming samples
                a_dur = (
                    float(aus.duration * aus.time_base) if aus.duration and aus.time_base else None
                )
    except (av.error.InvalidDataError, IndexError) as exc:
        raise InvalidMedia(f"video: cannot read ({exc}).") from None
    return VideoInfo(
        codec, w, h, fps, frames, frames / fps if fps else 0.0, pix, a_codec, a_rate, a_dur
    )


def read_frames(
    path: str | Path, *, max_frames: int | None = None, size: tuple[int, int] | None = None
) -> tuple[list[np.ndarray], float]:
    """Decode a video into RGB frames (optionally resized to ``(w, h)``); returns (frames, fps)."""
    out: list[np.ndarray] = []
    try:
        with av.open(str(path)) as container:
            vs = container.streams.video[0]
            fps = float(vs.average_rate or 24)
            for frame in container.decode(vs):
                if size:
                    frame = frame.reformat(width=size[0], height=size[1])
                out.append(frame.to_ndarray(format="rgb24"))
                if max_frames and len(out) >= max_frames:
                    break
    except (av.error.InvalidDataError, IndexError, av.error.FFmpegError) as exc:
        raise InvalidMedia(f"video: cannot decode ({exc}).") from None
    if not out:
        raise InvalidMedia("video: no frames could be decoded.")
    return out, fps
