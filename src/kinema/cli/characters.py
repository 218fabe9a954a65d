"""``kinema avatars create|list`` and ``kinema chat AVATAR``: the Characters API without a
server, straight on the local database and storage (``KINEMA_HOME``).

``chat`` is the test mode: a text REPL printing each reply with its citations; ``--speak``
also plays the reply (aplay/paplay/afplay/ffplay, whichever exists) or writes it to a WAV.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from pathlib import Path

import typer
from rich.console import Console

console = Console()
avatars_app = typer.Typer(
    help="Create and list avatars (talking characters).", no_args_is_help=True
)
PLAYERS = (
    ["aplay", "-q"],
    ["paplay"],
    ["afplay"],
    ["ffplay", "-nodisp", "-autoexit", "-loglevel", "quiet"],
)


def _settings():
    from kinema.config import get_settings
    from kinema.platform import db

    settings = get_settings()
    db.migrate(settings)
    return settings


def _org_id(settings, org: str) -> str:
    from sqlalchemy import select

    from kinema.platform import accounts, db
    from kinema.platform.models import Organization

    with db.session_scope(settings) as s:
        if org:
            return accounts.find_org(s, org).id
        row = s.scalars(select(Organization).order_by(Organization.created_at)).first()
        if row is None:
            row = accounts.create_org(s, "default", credits=settings.initial_credits)
        return row.id


def _fail(message: str) -> typer.Exit:
    console.print(f"[red]error:[/] {message}")
    return typer.Exit(1)


@avatars_app.command("create")
def create(
    image: Path = typer.Argument(..., exists=True, dir_okay=False, help="Portrait (jpg/png)."),
    name: str = typer.Option(..., help="The character's name."),
    voice: str = typer.Option(
        "emma", help="A Runway live preset id (emma, vincent, …) or a custom voice id."
    ),
    personality: str = typer.Option(
        "Friendly Assistant",
        help="A template (Friendly Assistant, Professional Advisor, Humorous Companion, Tutor, "
        "Support Agent, Game NPC) or free text describing how the character behaves.",
    ),
    doc: list[Path] = typer.Option(
        [],
        "--doc",
        exists=True,
        dir_okay=False,
        help="A knowledge file (txt, md, pdf, docx, html); repeat.",
    ),
    knowledge_only: bool = typer.Option(False, help="Answer only from the documents."),
    start_script: str = typer.Option("", help="The opening line."),
    keypoints: Path = typer.Option(
        None, exists=True, dir_okay=False, help="Manual keypoints JSON for animals and art."
    ),
    emotion: str = typer.Option("neutral", help="Default emotion."),
    org: str = typer.Option("", help="Organization name or id (default: the first)."),
) -> None:
    """Create an avatar from a portrait and build its rig now."""
    import json

    from kinema.errors import KinemaError
    from kinema.platform import db
    from kinema.platform.characters import avatars, documents

    settings = _settings()
    org_id = _org_id(settings, org)
    from kinema.platform.characters.voices import LIVE_PRESETS

    voice_cfg = (
        {"type": "runway-live-preset", "presetId": voice}
        if voice in LIVE_PRESETS or not voice.count("-")
        else {"type": "custom", "id": voice}
    )
    try:
        with db.session_scope(settings) as s:
            doc_ids = [
                documents.create_file(s, org_id, p.read_bytes(), settings, filename=p.name).id
                for p in doc
            ]
            avatar = avatars.create(
                s,
                org_id,
                settings,
                name=name,
                personality=personality,
                image=image.read_bytes(),
                voice=voice_cfg,
                document_ids=doc_ids,
                start_script=start_script or None,
                emotion=emotion,
                keypoints=json.loads(keypoints.read_text()) if keypoints else None,
                knowledge_only=knowledge_only,
                queue=False,
            )
            avatar_id = avatar.id
        with console.status("analysing the portrait and building the rig…"):
            status = avatars.build(avatar_id, settings)
    except KinemaError as exc:
        raise _fail(str(exc)) from None
    with db.session_scope(settings) as s:
        avatar = avatars.get(s, org_id, avatar_id)
        report = (avatar.report or {}).get("report") or {}
        reason = avatar.failure_reason
    for issue in report.get("warnings", []):
        console.print(f"[yellow]warning:[/] {issue['message']} {issue['tip']}")
    if status != "READY":
        raise _fail(f"avatar {avatar_id} FAILED: {reason}")
    console.print(
        f"[green]READY[/] {name} ({len(doc_ids)} document(s)); chat with: kinema chat {avatar_id}"
    )
    print(avatar_id)


@avatars_app.command("list")
def list_avatars(org: str = typer.Option("", help="Organization name or id.")) -> None:
    """The organization's avatars, newest first (one line each)."""
    from kinema.platform import db
    from kinema.platform.characters import avatars

    settings = _settings()
    org_id = _org_id(settings, org)
    with db.session_scope(settings) as s:
        rows = s.scalars(avatars.list_stmt(org_id)).all()
        if not rows:
            console.print("no avatars yet; create one with `kinema avatars create IMAGE`.")
        for a in rows:
            voice = a.voice.get("presetId") or f"custom:{a.voice.get('id', '')[:8]}"
            print(
                f"{a.id}  {a.status:<10} {voice:<14} docs={len(a.document_ids or [])}  "
                f"{a.created_at:%Y-%m-%d %H:%M}  {a.name}"
            )


def _find_avatar(settings, ref: str, org: str):
    from sqlalchemy import select

    from kinema.platform import db
    from kinema.platform.characters.models import Avatar

    with db.session_scope(settings) as s:
        stmt = select(Avatar).where((Avatar.id == ref) | (Avatar.name == ref))
        if org:
            stmt = stmt.where(Avatar.org_id == _org_id(settings, org))
        rows = s.scalars(stmt.order_by(Avatar.created_at.desc())).all()
        if not rows:
            raise _fail(f"no avatar {ref!r}; `kinema avatars list` shows them.")
        return rows[0].id, rows[0].org_id, rows[0].name, rows[0].start_script


def _play(path: Path) -> bool:
    """Play with the first player that works (a player without a sound device fails)."""
    for cmd in PLAYERS:
        if shutil.which(cmd[0]):
            done = subprocess.run([*cmd, str(path)], check=False, capture_output=True)
            if done.returncode == 0:
                return True
    return False


def chat(
    avatar: str = typer.Argument(..., help="Avatar id or name."),
    speak: bool = typer.Option(False, "--speak", help="Play (or write) each reply's audio."),
    out: Path = typer.Option(Path("."), help="Where --speak writes WAVs without a player."),
    org: str = typer.Option("", help="Organization name or id."),
) -> None:
    """Talk to an avatar in the terminal (empty line, 'exit' or Ctrl-D to leave)."""
    from kinema.errors import KinemaError
    from kinema.platform.characters.conversations import take_turn
    from kinema.platform.storage import get_storage

    settings = _settings()
    avatar_id, org_id, name, start = _find_avatar(settings, avatar, org)
    if start:
        console.print(f"[bold cyan]{name}:[/] {start}")
    conversation = None
    while True:
        try:
            text = console.input("[bold]you> [/]").strip()
        except (EOFError, KeyboardInterrupt):
            break
        if not text or text.lower() in ("exit", "quit", "bye!"):
            break
        try:
            turn = asyncio.run(
                take_turn(
                    settings,
                    org_id,
                    avatar_id,
                    text=text,
                    conversation_id=conversation,
                    speak=speak,
                )
            )
        except KinemaError as exc:
            console.print(f"[red]{exc}[/]")
            continue
        conversation = turn.conversation_id
        console.print(f"[bold cyan]{name}:[/] {turn.reply}")
        for n, c in enumerate(turn.citations, 1):
            where = c.get("source") or c["documentName"]
            console.print(f"  [dim][{n}] {where}: {c['snippet']}[/]")
        if turn.audio_key:
            wav = out / f"{name.lower().replace(' ', '_')}-{turn.turn:03d}.wav"
            wav.parent.mkdir(parents=True, exist_ok=True)
            wav.write_bytes(get_storage(settings).get_bytes(turn.audio_key))
            if not _play(wav):
                console.print(f"  [dim]audio: {wav}[/]")
    if conversation:
        console.print(f"[dim]conversation {conversation}[/]")


def register(app: typer.Typer) -> None:
    app.add_typer(avatars_app, name="avatars")
    app.command("chat")(chat)
