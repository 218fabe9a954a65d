"""``kinema speak`` and ``kinema analyze``: the face engine from the command line.

kinema speak portrait.jpg "Hello there." --emotion happy -o hello.mp4
kinema speak dog.jpg "Woof, I can talk." --points dog.points.json -o dog.mp4
kinema analyze portrait.jpg [--json] [--points points.json]
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from kinema.cli._native import native_stderr_silenced


def _analysis(image: Path, points: Path | None):  # noqa: ANN202 - kinema.face.analyze.Analysis
    from kinema.face.analyze import ManualPoints, analyze
    from kinema.media.image import load_image

    manual = ManualPoints.from_json(points) if points else None
    return analyze(load_image(image), manual)


def speak(
    image: Annotated[Path, typer.Argument(help="portrait (JPEG, PNG or WebP)")],
    text: Annotated[str, typer.Argument(help="what the portrait says")],
    output: Annotated[Path, typer.Option("-o", "--output", help="mp4 to write")] = Path(
        "speak.mp4"
    ),
    voice: Annotated[str | None, typer.Option(help="voice preset (see `kinema voices`)")] = None,
    emotion: Annotated[str, typer.Option(help="neutral|happy|sad|surprised|angry|thinking")] = (
        "neutral"
    ),
    intensity: Annotated[float, typer.Option(help="emotion intensity 0..1")] = 1.0,
    fps: Annotated[int, typer.Option(help="24, 25, 30 or 60")] = 24,
    size: Annotated[int, typer.Option(help="output width = height in px")] = 512,
    points: Annotated[Path | None, typer.Option(help="manual keypoints JSON (animals, art)")] = (
        None
    ),
    seed: Annotated[int, typer.Option(help="seed for blinks and idle motion")] = 0,
) -> None:
    """Make IMAGE say TEXT: H.264 video with AAC audio, lips in sync."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    from kinema.errors import InvalidInput, KinemaError
    from kinema.face.controls import EMOTIONS
    from kinema.face.rig import Rig
    from kinema.face.talk import render_talking_clip
    from kinema.voice.tts import DEFAULT_VOICE, VoiceSettings, get_tts

    console = Console(stderr=True)
    try:
        if not text.strip():
            raise InvalidInput("text: nothing to say (the text is empty).", field="text")
        if emotion not in EMOTIONS:
            raise InvalidInput(f"--emotion must be one of {', '.join(EMOTIONS)}.", field="emotion")
        with native_stderr_silenced() as real_stderr:
            analysis = _analysis(image, points)
            rig = Rig.build(None, analysis)
            speech = get_tts().synthesize(
                text, voice or DEFAULT_VOICE, VoiceSettings(emotion=emotion)
            )
            with Progress(
                TextColumn("rendering"),
                BarColumn(),
                TextColumn("{task.completed}/{task.total} frames"),
                TimeRemainingColumn(),
                console=Console(file=real_stderr),
            ) as bar:
                task = bar.add_task("render", total=max(1, round(speech.audio.duration * fps)))
                render_talking_clip(
                    rig,
                    speech,
                    output,
                    fps=fps,
                    size=size,
                    emotion=emotion,
                    intensity=intensity,
                    seed=seed,
                    progress=lambda done, total: bar.update(task, completed=done),
                )
        for w in analysis.report.warnings:
            console.print(f"[yellow]warning:[/yellow] {w.message} {w.tip}")
    except KinemaError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    console.print(f"wrote [bold]{output}[/bold] ({speech.audio.duration:.2f} s)")


def analyze_cmd(
    image: Annotated[Path, typer.Argument(help="portrait (JPEG, PNG or WebP)")],
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    points: Annotated[Path | None, typer.Option(help="manual keypoints JSON")] = None,
) -> None:
    """Check a portrait: face found? frontal, sharp, well lit, big enough? (tips for each)."""
    from rich.console import Console
    from rich.table import Table

    from kinema.errors import KinemaError, NoFace

    console = Console()
    try:
        with native_stderr_silenced():
            analysis = _analysis(image, points)
    except NoFace as exc:
        if as_json:
            typer.echo(
                json.dumps(
                    {
                        "ok": False,
                        "errors": [{"code": "no_face", "message": str(exc), "tip": "use --points"}],
                    }
                )
            )
        else:
            console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    except KinemaError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    if as_json:
        typer.echo(json.dumps(analysis.to_dict(), indent=2))
        raise typer.Exit(0 if analysis.report.ok else 1)
    rep = analysis.report
    table = Table(
        title=f"{image.name}: {'ok' if rep.ok else 'not usable'} "
        f"({analysis.source}, {analysis.faces} face(s) detected)"
    )
    for col in ("level", "code", "message", "tip"):
        table.add_column(col)
    for level, items in (("error", rep.errors), ("warning", rep.warnings)):
        for i in items:
            table.add_row(level, i.code, i.message, i.tip)
    if not rep.errors and not rep.warnings:
        table.add_row("ok", "-", "no problems found", "-")
    console.print(table)
    console.print(", ".join(f"{k}={v:.1f}" for k, v in rep.metrics.items()))
    raise typer.Exit(0 if rep.ok else 1)


def register(app: typer.Typer) -> None:
    app.command("speak")(speak)
    app.command("analyze")(analyze_cmd)
