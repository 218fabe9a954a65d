"""``kinema voices`` (the voice catalogue) and ``kinema say`` (text → WAV with any voice)."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

console = Console()


def voices(
    language: str = typer.Option(
        "", "--language", "-l", help="Only voices whose language starts with this (en, en-GB …)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
    runway: bool = typer.Option(False, "--runway", help="List Runway's live preset ids instead."),
) -> None:
    """List the voice presets."""
    from kinema.voice.presets import DEFAULT_VOICE, PRESETS

    if runway:
        _runway(as_json)
        return

    chosen = [
        p for p in PRESETS.values() if p.language.lower().startswith(language.strip().lower())
    ]
    if as_json:
        from kinema.voice.tts import engine_for

        rows = [
            {
                **asdict(p),
                "timbre": list(p.timbre),
                "tags": list(p.tags),
                "engine": engine_for(p.id),
            }
            for p in chosen
        ]
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    table = Table(title=f"{len(chosen)} voices (default: {DEFAULT_VOICE})")
    from kinema.voice.tts import engine_for

    for col in ("id", "name", "language", "engine", "gender", "age", "timbre", "description"):
        table.add_column(col, overflow="fold")
    for p in chosen:
        table.add_row(
            p.id,
            p.name,
            p.language,
            engine_for(p.id),
            p.gender,
            p.age,
            " ".join(p.timbre),
            p.description,
        )
    console.print(table)


def _runway(as_json: bool) -> None:
    from kinema.voice.runway_presets import LIVE_PRESETS

    if as_json:
        typer.echo(json.dumps([asdict(v) for v in LIVE_PRESETS.values()], indent=2))
        return
    table = Table(title=f"{len(LIVE_PRESETS)} Runway live presets")
    for col in ("presetId", "name", "kinema voice", "description"):
        table.add_column(col, overflow="fold")
    for v in LIVE_PRESETS.values():
        table.add_row(v.id, v.name, v.preset, v.description)
    console.print(table)


def say(
    text: str = typer.Argument(..., help="What to say."),
    voice: str = typer.Option("", "--voice", "-v", help="Preset id (see `kinema voices`)."),
    describe: str = typer.Option(
        "", "--describe", "-d", help='Design a voice instead, e.g. "deep slow older British man".'
    ),
    speed: float = typer.Option(1.0, help="Speed multiplier (0.25–4)."),
    pitch: float = typer.Option(1.0, help="Pitch multiplier (≈0.7–1.6 audible)."),
    emotion: str = typer.Option("neutral", help="neutral, happy, sad, angry, surprised …"),
    out: Path = typer.Option(Path("speech.wav"), "--out", "-o", help="WAV file to write."),
    phonemes: bool = typer.Option(False, help="Also print phoneme/viseme timings."),
) -> None:
    """Speak TEXT into a WAV file with the embedded TTS."""
    from kinema.errors import KinemaError
    from kinema.voice.design import design_from_description
    from kinema.voice.tts import VoiceSettings, get_tts

    try:
        chosen = design_from_description(describe) if describe else (voice or None)
        speech = get_tts().synthesize(text, chosen, VoiceSettings(speed, pitch, emotion))
    except KinemaError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    out.write_bytes(speech.audio.to_wav())
    if phonemes:
        for p in speech.phonemes:
            typer.echo(f"{p.start:7.3f} {p.end:7.3f}  {p.phoneme:<6} {p.viseme}")
    console.print(f"{out}: {speech.audio.duration:.2f} s, voice {speech.voice}")


def register(app: typer.Typer) -> None:
    app.command("voices")(voices)
    app.command("say")(say)
    # the name Runway's API uses (text_to_speech); same command, for people who look for it
    app.command("tts", help="Same as `kinema say`: TEXT to a WAV file (text_to_speech).")(say)
