"""``kinema generate``: the video engine without a server.

    kinema generate portrait.jpg "slow push in, golden hour, rain" -o out.mp4
    kinema generate "a red car on a road at night, neon" --duration 3 -o car.mp4
    kinema generate "@hero in @city at night" --ref @hero=me.jpg --ref @city=street.jpg:location \\
        -o still.png
    kinema generate --storyboard story.yaml -o film.mp4
    kinema generate --video in.mp4 "night, rain, push in" -o relit.mp4
    kinema generate --video in.mp4 "remove the person" -o clean.mp4
    kinema generate portrait.jpg 'static. she says "Hello."' --voice emma -o hello.mp4
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Annotated, cast, get_args

import typer

from kinema.cli._native import native_stderr_silenced

REF_HELP = "@tag=PATH[:type[:strength]]; type is character|object|location|style (repeatable)"


def parse_ref(spec: str):  # noqa: ANN201 - returns kinema.video.Reference (imported lazily)
    """``@hero=me.jpg:character:0.9`` → Reference (image loaded)."""
    from kinema.errors import InvalidInput
    from kinema.media.image import load_image
    from kinema.video.request import Reference, ReferenceType

    tag, sep, rest = spec.partition("=")
    if not sep or not tag.lstrip("@") or not rest:
        raise InvalidInput(f"--ref {spec!r}: expected @tag=PATH[:type[:strength]].")
    parts = rest.split(":")
    strength, rtype = 0.85, cast(ReferenceType, "character")
    if len(parts) > 1:
        try:
            strength = float(parts[-1])
            parts.pop()
        except ValueError:
            pass
    if len(parts) > 1 and parts[-1] in get_args(ReferenceType):
        rtype = cast(ReferenceType, parts.pop())
    path = ":".join(parts)
    return Reference(
        load_image(Path(path), field=f"--ref @{tag.lstrip('@')}"),
        tag.lstrip("@"),
        rtype,
        max(0.0, min(1.0, strength)),
    )


def _voice(name: str | None):  # noqa: ANN202 - a VoiceSpec or None
    if not name:
        return None
    from kinema.voice.presets import resolve_voice

    return resolve_voice(name)  # UnknownVoice (exit 2) for a name that is not a preset


def preset_for_model(model: str) -> str:
    """Map a Runway model name to a compositor preset through ``settings.models``."""
    from kinema.config import get_settings
    from kinema.errors import InvalidInput
    from kinema.video import parse_engine

    models = get_settings().models
    if model not in models:
        raise InvalidInput(
            f"model {model!r} is not served here; use one of: {', '.join(sorted(models))}."
        )
    engine, preset = parse_engine(models[model])
    if engine != "compositor":
        raise InvalidInput(
            f"model {model!r} is served by {models[model]!r}, not by "
            "`kinema generate`; use a gen4 model."
        )
    return preset


def register(app: typer.Typer) -> None:
    @app.command()
    def generate(
        image_or_prompt: Annotated[
            str | None,
            typer.Argument(
                help="First-frame image (optional), or the prompt for text-only", show_default=False
            ),
        ] = None,
        prompt: Annotated[str | None, typer.Argument(help="The prompt", show_default=False)] = None,
        output: Annotated[
            Path, typer.Option("-o", "--output", help=".mp4 for video, .png/.jpg for a still")
        ] = Path("out.mp4"),
        last_frame: Annotated[Path | None, typer.Option(help="Last keyframe image")] = None,
        ref: Annotated[list[str] | None, typer.Option("--ref", help=REF_HELP)] = None,
        ratio: Annotated[str, typer.Option(help="WIDTH:HEIGHT")] = "1280:720",
        duration: Annotated[
            float | None, typer.Option(help="Seconds of video [default: 5, edits: the input's]")
        ] = None,
        model: Annotated[
            str | None, typer.Option(help="Runway model name (gen4_turbo, gen4.5, gen4_image, ...)")
        ] = None,
        seed: Annotated[int, typer.Option(help="Same seed + same inputs = same frames")] = 0,
        video: Annotated[
            Path | None, typer.Option(help="Restyle/relight this video (gen4_aleph-style edit)")
        ] = None,
        storyboard: Annotated[Path | None, typer.Option(help="Render a YAML storyboard")] = None,
        voice: Annotated[
            str | None,
            typer.Option(help='Voice preset of the first frame\'s person for `she says "..."`'),
        ] = None,
    ) -> None:
        """Generate a video or still with the embedded compositor (a 2.5D animatic engine)."""
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        from kinema.errors import InvalidInput, KinemaError
        from kinema.media.image import load_image
        from kinema.video import GenerationRequest, generate
        from kinema.video.storyboard import load_storyboard, parse_ratio, render_storyboard

        console = Console(stderr=True)
        still = output.suffix.lower() in (".png", ".jpg", ".jpeg")
        try:
            image_path: Path | None = None
            if prompt is None and image_or_prompt is not None:
                if Path(image_or_prompt).is_file():
                    image_path = Path(image_or_prompt)
                else:
                    prompt = image_or_prompt
            elif image_or_prompt is not None:
                image_path = Path(image_or_prompt)
            preset = preset_for_model(model) if model else ("still" if still else "fast")
            if preset == "edit" and video is None:
                raise InvalidInput(f"model {model!r} edits a video: pass --video IN.mp4.")
            if video is not None:
                from kinema.media.video import probe

                preset, still = "edit", False
                if duration is None:
                    duration = min(30.0, probe(video).duration)
            width, height = parse_ratio(ratio)
            with (
                tempfile.TemporaryDirectory(prefix="kinema-gen-") as tmp,
                native_stderr_silenced() as real_stderr,
                Progress(
                    TextColumn("[bold]{task.description}"),
                    BarColumn(),
                    TextColumn("{task.percentage:>3.0f}%"),
                    TimeElapsedColumn(),
                    console=Console(file=real_stderr),
                ) as bar,
            ):
                task = bar.add_task("rendering", total=1.0)

                def report(f: float) -> None:
                    bar.update(task, completed=f)

                if storyboard is not None:
                    sb = load_storyboard(storyboard, preset_for_model)
                    if model:
                        sb.preset = preset
                    result = render_storyboard(sb, Path(tmp), report)
                else:
                    req = GenerationRequest(
                        kind="image" if still else "video",
                        prompt=prompt or "",
                        width=width,
                        height=height,
                        duration=duration if duration is not None else 5.0,
                        seed=seed,
                        video=video,
                        preset=preset if not still or preset.startswith("still") else "still",
                        first_frame=load_image(image_path, field="image") if image_path else None,
                        last_frame=load_image(last_frame, field="--last-frame")
                        if last_frame
                        else None,
                        references=[parse_ref(r) for r in ref or []],
                        first_frame_voice=_voice(voice),
                    )
                    result = generate(req, Path(tmp), report)
                output.parent.mkdir(parents=True, exist_ok=True)
                main = result.files[0]
                if still and output.suffix.lower() != ".png":
                    from kinema.media.image import encode_image

                    output.write_bytes(encode_image(load_image(main), "JPEG"))
                else:
                    shutil.move(str(main), output)
                if result.poster is not None:
                    shutil.move(str(result.poster), output.with_suffix(".poster.jpg"))
        except KinemaError as exc:
            console.print(f"[red]error:[/red] {exc}")
            raise typer.Exit(2) from None
        console.print(f"wrote [bold]{output}[/bold]")
        if result.understood:
            console.print("understood: " + ", ".join(result.understood))
        if result.ignored:
            console.print("[yellow]ignored:[/yellow] " + ", ".join(result.ignored))
