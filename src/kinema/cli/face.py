"""``kinema speak``, ``kinema analyze`` and ``kinema points``: the face engine from the shell.

kinema speak portrait.jpg "Hello there." --emotion happy -o hello.mp4   # the whole picture
kinema speak portrait.jpg "Hello there." --crop -o face.mp4             # the face, square
kinema speak dog.jpg "Woof, I can talk." --points dog.points.json -o dog.mp4
kinema analyze portrait.jpg [--json] [--points points.json]
kinema points dog.jpg                          # diagram + suggested dog.points.json + preview
kinema points dog.jpg --points dog.points.json # check the points, preview the fitted face
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from kinema.cli._native import native_stderr_silenced

POINTS_HINT = (
    "Give them with --points FILE.json (keys left_eye, right_eye, nose_tip, mouth_left, "
    "mouth_right, upper_lip, lower_lip, chin: [x, y] image pixels); `kinema points {image}` "
    "shows where each goes and writes a suggested file to adjust."
)


def _analysis(image: Path, points: Path | None, original: list | None = None):  # noqa: ANN202
    from kinema.errors import NoFace
    from kinema.face.analyze import ManualPoints, analyze
    from kinema.media.image import load_image

    manual = ManualPoints.from_json(points) if points else None
    img = load_image(image)
    if original is not None:
        original.append(img)
    try:
        return analyze(img, manual)
    except NoFace as exc:
        raise NoFace(f"{exc} {POINTS_HINT.format(image=image)}", field="points") from None


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
    crop: Annotated[
        bool, typer.Option("--crop", help="only the face, as a size x size square")
    ] = False,
) -> None:
    """Make IMAGE say TEXT: H.264 video with AAC audio, lips in sync.

    The video shows the whole picture (its long side --size px); --crop gives the face alone.
    """
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    from kinema.errors import InvalidInput, KinemaError
    from kinema.face.controls import EMOTIONS
    from kinema.face.rig import Rig
    from kinema.face.talk import Backdrop, render_talking_clip
    from kinema.voice.tts import DEFAULT_VOICE, VoiceSettings, get_tts

    console = Console(stderr=True)
    try:
        if not text.strip():
            raise InvalidInput("text: nothing to say (the text is empty).", field="text")
        if emotion not in EMOTIONS:
            raise InvalidInput(f"--emotion must be one of {', '.join(EMOTIONS)}.", field="emotion")
        with native_stderr_silenced() as real_stderr:
            original: list = []
            analysis = _analysis(image, points, original)
            backdrop = None if crop else Backdrop.of(original[0], analysis)
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
                    backdrop=backdrop,
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
                        "errors": [
                            {
                                "code": "no_face",
                                "message": str(exc),
                                "tip": POINTS_HINT.format(image=image),
                            }
                        ],
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


def points_cmd(
    image: Annotated[Path, typer.Argument(help="picture of an animal, a drawing, a face")],
    points: Annotated[
        Path | None, typer.Option(help="points JSON to check (else: suggest a starting file)")
    ] = None,
    preview_out: Annotated[
        Path | None, typer.Option("--preview", help="preview PNG (default IMAGE.points.png)")
    ] = None,
    suggest_out: Annotated[
        Path | None, typer.Option("--suggest", help="where to write suggested points JSON")
    ] = None,
) -> None:
    """Place manual points: a labelled diagram, suggested points, a preview of the fit.

    Without --points: suggests points (from the face mesh, even when it was rejected), writes
    them to IMAGE.points.json for you to adjust, and a preview PNG. With --points: checks them
    (naming any point in the wrong place) and previews the face fitted to them.
    """
    import cv2
    from rich.console import Console

    from kinema.errors import KinemaError
    from kinema.face.analyze import ManualPoints, check_points
    from kinema.face.points import DIAGRAM_TEXT, preview, suggest_points
    from kinema.media.image import load_image

    console = Console()
    console.print(DIAGRAM_TEXT, highlight=False, markup=False)
    out_png = preview_out or image.with_suffix(".points.png")
    try:
        img = load_image(image)
        with native_stderr_silenced():
            if points is None:
                mp, how = suggest_points(img)
                dest = suggest_out or image.with_suffix(".points.json")
                data = {
                    k: [round(v[0], 1), round(v[1], 1)]
                    for k, v in mp.model_dump().items()
                    if k != "kind"
                }
                data_json = (
                    "{\n"
                    + "".join(f'  "{k}": {json.dumps(v)},\n' for k, v in data.items())
                    + f'  "kind": "{mp.kind}"\n}}'
                )
                dest.write_text(data_json + "\n")
                console.print(f"suggested points (from {how}) written to [bold]{dest}[/bold]:")
                console.print(data_json, highlight=False, markup=False)
                console.print(f"adjust them (see {out_png}), then:")
                console.print(f'  kinema speak {image} "TEXT" --points {dest}', markup=False)
            else:
                mp = ManualPoints.from_json(points)
                problem = None
                try:
                    check_points(mp, img.shape)
                except KinemaError as exc:
                    problem = exc
            pic = preview(img, mp)
        cv2.imwrite(str(out_png), cv2.cvtColor(pic, cv2.COLOR_RGB2BGR))
        console.print(f"preview written to [bold]{out_png}[/bold]")
        if points is not None:
            if problem is not None:
                console.print(f"[red]error:[/red] {problem}")
                raise typer.Exit(2)
            console.print(f"[green]ok:[/green] the points in {points} fit a face.")
    except KinemaError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None


def register(app: typer.Typer) -> None:
    app.command("speak")(speak)
    app.command("analyze")(analyze_cmd)
    app.command("points")(points_cmd)
