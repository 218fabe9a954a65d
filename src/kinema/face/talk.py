"""Whole talking clips: rig + speech -> H.264/AAC mp4 with audio and lips on one timeline.

Public API::

    render_talking_clip(rig, speech, out_path, *, fps=24, size=512, emotion="neutral",
                        intensity=1.0, seed=0, progress=None, should_cancel=None,
                        backdrop=None) -> Path
    Backdrop.of(original_image, analysis)   # render the whole picture, not just the face crop

Without a backdrop the video is the rig's square face crop at ``size`` x ``size``. With one it
is the whole original picture, its long side ``size`` px (sides rounded to even), the animated
crop pasted back where it came from (the rig pins the crop's border, so the seam is invisible;
a few pixels of feathering absorb resampling differences).

``speech`` is a ``kinema.voice.tts.base.Speech``; when its ``phonemes`` are empty (audio from
elsewhere) the visemes come from the audio envelope (``motion.envelope_phonemes``).
``progress(done, total)`` is called per frame; ``should_cancel()`` returning True raises
``kinema.errors.Cancelled``. The video has ``round(duration * fps)`` frames, so both streams
last the same to within one frame.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from kinema.errors import Cancelled, InvalidInput
from kinema.face.analyze import Analysis
from kinema.face.motion import Animator, envelope_phonemes
from kinema.face.render import SIZES_FPS, Renderer
from kinema.face.rig import Rig
from kinema.media.video import VideoWriter
from kinema.voice.tts.base import Speech


@dataclass
class Backdrop:
    """The original picture around the rig's face crop (``box`` in its pixels)."""

    image: np.ndarray  # HxWx3 uint8 RGB, the whole picture
    box: tuple[int, int, int, int]  # x0, y0, x1, y1 of the rig's crop

    @classmethod
    def of(cls, image: np.ndarray, analysis: Analysis) -> Backdrop:
        return cls(image, analysis.crop_box)

    def layout(self, size: int) -> tuple[int, int, int, int, int]:
        """(width, height, crop x, crop y, crop side) of the output and the crop in it."""
        h, w = self.image.shape[:2]
        k = size / max(h, w)
        ow, oh = max(2, round(w * k / 2) * 2), max(2, round(h * k / 2) * 2)
        x0, y0, x1, _ = self.box
        side = max(32, round((x1 - x0) * k / 2) * 2)
        cx, cy = round(x0 * k), round(y0 * k)
        cx, cy = min(max(cx, 0), max(0, ow - side)), min(max(cy, 0), max(0, oh - side))
        return ow, oh, cx, cy, side


class _Compositor:
    """Pastes rendered face crops into the (resized) whole picture; buffers allocated once."""

    def __init__(self, backdrop: Backdrop, size: int) -> None:
        ow, oh, cx, cy, side = backdrop.layout(size)
        self.size = (ow, oh)
        self.frame = cv2.resize(backdrop.image, (ow, oh), interpolation=cv2.INTER_AREA)
        self.side = min(side, ow - cx, oh - cy) // 2 * 2
        self.at = (cx, cy)
        s = self.side
        ramp = np.clip(np.minimum(np.arange(s), np.arange(s)[::-1]) / 4.0, 0, 1).astype(np.float32)
        self.alpha = np.minimum(ramp[:, None], ramp[None, :])[..., None]
        self.base = self.frame[cy : cy + s, cx : cx + s].astype(np.float32)
        self.base_r = self.base + 0.5  # rounding folded in
        self.tmp = np.empty((s, s, 3), np.float32)

    def paste(self, crop: np.ndarray) -> np.ndarray:
        cx, cy = self.at
        s = self.side
        np.subtract(crop[:s, :s], self.base, out=self.tmp, casting="unsafe")
        np.multiply(self.tmp, self.alpha, out=self.tmp)
        np.add(self.tmp, self.base_r, out=self.tmp)
        np.copyto(self.frame[cy : cy + s, cx : cx + s], self.tmp, casting="unsafe")
        return self.frame


def render_talking_clip(
    rig: Rig,
    speech: Speech,
    out_path: str | Path,
    *,
    fps: int = 24,
    size: int = 512,
    emotion: str = "neutral",
    intensity: float = 1.0,
    seed: int = 0,
    progress: Callable[[int, int], None] | None = None,
    should_cancel: Callable[[], bool] | None = None,
    renderer: Renderer | None = None,
    backdrop: Backdrop | None = None,
) -> Path:
    """Render ``speech`` spoken by ``rig`` into ``out_path`` (mp4)."""
    if fps not in SIZES_FPS:
        raise InvalidInput(
            f"fps must be one of {', '.join(map(str, SIZES_FPS))}, not {fps}.", field="fps"
        )
    if size % 2 or not 64 <= size <= 2048:
        raise InvalidInput(f"size must be even and in 64..2048, not {size}.", field="size")
    audio = speech.audio
    if audio.duration <= 0:
        raise InvalidInput("speech: the audio is empty.", field="audio")
    phonemes = speech.phonemes or envelope_phonemes(audio)
    animator = Animator(seed=seed, emotion=emotion, intensity=intensity)
    animator.say(phonemes, 0.0)
    comp = _Compositor(backdrop, size) if backdrop is not None else None
    face_size = comp.side if comp is not None else size
    if renderer is None or renderer.rig is not rig or renderer.size != face_size:
        renderer = Renderer(rig, face_size)
    width, height = comp.size if comp is not None else (size, size)
    out_path = Path(out_path)
    n = max(1, round(audio.duration * fps))
    rate = audio.rate
    samples = audio.samples
    written = 0
    with VideoWriter(out_path, width, height, fps, audio_rate=rate, preset="veryfast") as w:
        for i in range(n):
            if should_cancel is not None and should_cancel():
                raise Cancelled("cancelled")
            frame = renderer.render(animator.controls_at(i / fps))
            w.write(comp.paste(frame) if comp is not None else frame)
            # keep audio muxed just ahead of video
            upto = min(len(samples), round((i + 1) / fps * rate))
            if upto > written:
                w.write_audio(samples[written:upto])
                written = upto
            if progress is not None:
                progress(i + 1, n)
        if written < len(samples):
            w.write_audio(samples[written:])
    return out_path
