"""Whole talking clips: rig + speech -> H.264/AAC mp4 with audio and lips on one timeline.

Public API::

    render_talking_clip(rig, speech, out_path, *, fps=24, size=512, emotion="neutral",
                        intensity=1.0, seed=0, progress=None, should_cancel=None) -> Path

``speech`` is a ``kinema.voice.tts.base.Speech``; when its ``phonemes`` are empty (audio from
elsewhere) the visemes come from the audio envelope (``motion.envelope_phonemes``).
``progress(done, total)`` is called per frame; ``should_cancel()`` returning True raises
``kinema.errors.Cancelled``. The video has ``round(duration * fps)`` frames, so both streams
last the same to within one frame.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from kinema.errors import Cancelled, InvalidInput
from kinema.face.motion import Animator, envelope_phonemes
from kinema.face.render import SIZES_FPS, Renderer
from kinema.face.rig import Rig
from kinema.media.video import VideoWriter
from kinema.voice.tts.base import Speech


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
    if renderer is None or renderer.rig is not rig or renderer.size != size:
        renderer = Renderer(rig, size)
    out_path = Path(out_path)
    n = max(1, round(audio.duration * fps))
    rate = audio.rate
    samples = audio.samples
    written = 0
    with VideoWriter(out_path, size, size, fps, audio_rate=rate, preset="veryfast") as w:
        for i in range(n):
            if should_cancel is not None and should_cancel():
                raise Cancelled("cancelled")
            w.write(renderer.render(animator.controls_at(i / fps)))
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
