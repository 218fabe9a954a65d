"""``kinema upscale`` (images and videos, classic method) and ``kinema isolate-voice``."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import typer
from rich.console import Console

console = Console()
VIDEO_EXT = (".mp4", ".mov", ".webm", ".mkv", ".m4v")


def upscale(
    src: Path = typer.Argument(..., exists=True, help="Image (png/jpg/webp) or video (mp4 …)."),
    out: Path = typer.Option(..., "--out", "-o", help="File to write (.png or .mp4)."),
    scale: int = typer.Option(2, help="Scale factor (2, 4, 8, 16)."),
    sharpen: int = typer.Option(0, help="Sharpening 0–100."),
    detail: int = typer.Option(0, help="Detail enhancement 0–100."),
) -> None:
    """Upscale an image or a video (Lanczos + back-projection + detail; no learned model)."""
    from kinema.errors import KinemaError
    from kinema.media.upscale import METHOD, UpscaleOptions

    opts = UpscaleOptions(sharpen=sharpen / 100, detail=detail / 100)
    try:
        if src.suffix.lower() in VIDEO_EXT:
            from kinema.media.upscale import VideoJob, process_video
            from kinema.platform.inputs import video_facts

            w, h, seconds = video_facts(src.read_bytes(), "src")
            import av

            with av.open(str(src)) as c:
                fps = Fraction(c.streams.video[0].average_rate or 24)
            job = VideoJob(w * scale // 2 * 2, h * scale // 2 * 2, fps, opts, seconds)
            process_video(src, out, job)
        else:
            from kinema.media.image import encode_image, load_image
            from kinema.media.upscale import upscale_image

            rgb = load_image(src.read_bytes(), field="src")
            h, w = rgb.shape[:2]
            out.write_bytes(encode_image(upscale_image(rgb, w * scale, h * scale, opts), "PNG"))
    except KinemaError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from None
    console.print(f"wrote {out} ({METHOD})")


def isolate_voice(
    src: Path = typer.Argument(..., exists=True, help="Audio file (wav, mp3, ogg …)."),
    out: Path = typer.Option(Path("voice.wav"), "--out", "-o", help="WAV file to write."),
) -> None:
    """Remove steady background noise from speech (spectral gating)."""
    from kinema.media.audio import decode_audio
    from kinema.media.audio_out import native_rate
    from kinema.voice.isolation import METHOD
    from kinema.voice.isolation import isolate_voice as run

    data = src.read_bytes()
    audio = decode_audio(data, rate=native_rate(data, "src"), field="src")
    out.write_bytes(run(audio).to_wav())
    console.print(f"wrote {out} ({audio.duration:.1f} s, {METHOD})")


def register(app: typer.Typer) -> None:
    app.command("upscale")(upscale)
    app.command("isolate-voice")(isolate_voice)
