"""``kinema serve``, ``kinema keys create|list|revoke`` and ``kinema credits add``.

Every command migrates the database first, so each works on a fresh ``KINEMA_HOME`` and while a
server runs. New keys are printed once, alone on the last line (scripts take ``tail -n1``).
"""

from __future__ import annotations

import os
import sys

import typer
from rich.console import Console
from rich.panel import Panel
from rich.table import Table

from kinema.config import Settings, get_settings

console = Console(stderr=True)
keys_app = typer.Typer(help="Create, list and revoke API keys.", no_args_is_help=True)
credits_app = typer.Typer(help="Manage organization credits.", no_args_is_help=True)


def _settings(**overrides: object) -> Settings:
    for name, value in overrides.items():
        if value is not None:
            os.environ[f"KINEMA_{name.upper()}"] = str(value)
    get_settings.cache_clear()
    return get_settings()


def _migrated(settings: Settings) -> Settings:
    from kinema.platform import db

    db.migrate(settings)
    return settings


def bootstrap(settings: Settings) -> str | None:
    """On an empty database: create the first organization and return its new key."""
    from sqlalchemy import select

    from kinema.platform import accounts, db
    from kinema.platform.models import Organization

    with db.session_scope(settings) as s:
        if s.scalar(select(Organization.id).limit(1)) is not None:
            return None
        org = accounts.create_org(s, "default", credits=settings.initial_credits)
        _, key = accounts.create_key(s, org.id, name="first key")
        return key


def serve(
    host: str = typer.Option(None, help="Interface to bind (default 127.0.0.1)."),
    port: int = typer.Option(None, help="Port (default 8000)."),
    workers: int = typer.Option(None, help="Render worker processes."),
) -> None:
    """Start the API server (and its render workers) on the embedded defaults."""
    import uvicorn

    from kinema.api.app import create_app

    settings = _migrated(_settings(host=host, port=port, workers=workers))
    key = bootstrap(settings)
    url = f"http://{settings.host}:{settings.port}"
    lines = [
        f"[bold]Kinema[/] serving on [cyan]{url}[/]",
        f"API docs   {url}/docs",
        f"Studio     {url}/studio",
        f'Runway SDK RunwayML(base_url="{url}", api_key=...)',
        f"Data       {settings.home}  (db: {settings.resolved_database_url.split('://')[0]}, "
        f"executor: {settings.executor} x{settings.workers})",
    ]
    if key:
        lines += ["", "[bold yellow]First start: your API key (shown once, store it now):[/]"]
    console.print(Panel("\n".join(lines), expand=False))
    if key:
        print(key, flush=True)
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level="info",
        timeout_graceful_shutdown=5,
        ws_per_message_deflate=False,  # live frames are JPEG/PCM: deflate costs ~1 ms a frame
    )


@keys_app.command("create")
def keys_create(
    org: str = typer.Option("", help="Organization name or id (created if new)."),
    name: str = typer.Option("", help="A label for the key."),
) -> None:
    """Create an API key; it is printed once, alone on the last line."""
    from sqlalchemy import select

    from kinema.errors import NotFound
    from kinema.platform import accounts, db
    from kinema.platform.models import Organization

    settings = _migrated(_settings())
    with db.session_scope(settings) as s:
        if org:
            try:
                row = accounts.find_org(s, org)
            except NotFound:
                row = accounts.create_org(s, org, credits=settings.initial_credits)
                console.print(
                    f"created organization {org!r} with {settings.initial_credits} credits"
                )
        else:
            first = s.scalars(select(Organization).order_by(Organization.created_at)).first()
            row = first or accounts.create_org(s, "default", credits=settings.initial_credits)
        key_row, key = accounts.create_key(s, row.id, name=name)
        console.print(f"new key {key_row.id} ({key_row.prefix}…) for organization {row.name!r}")
    print(key)


@keys_app.command("list")
def keys_list() -> None:
    """List API keys (prefixes only; keys themselves are never stored)."""
    from kinema.platform import accounts, db

    settings = _migrated(_settings())
    table = Table("id", "prefix", "organization", "name", "created", "last used", "status")
    with db.session_scope(settings) as s:
        for key, org in accounts.list_keys(s):
            table.add_row(
                key.id,
                key.prefix + "…",
                org.name,
                key.name,
                f"{key.created_at:%Y-%m-%d %H:%M}",
                f"{key.last_used_at:%Y-%m-%d %H:%M}" if key.last_used_at else "-",
                "revoked" if key.revoked_at else "active",
            )
    Console(width=None if sys.stdout.isatty() else 200).print(table)


@keys_app.command("revoke")
def keys_revoke(
    key: str = typer.Argument(..., help="Key id, prefix (key_xxxxxxxx) or key."),
) -> None:
    """Revoke a key; requests with it get 401 from now on."""
    from kinema.errors import KinemaError
    from kinema.platform import accounts, db

    settings = _migrated(_settings())
    try:
        with db.session_scope(settings) as s:
            row = accounts.revoke_key(s, key)
            console.print(f"revoked key {row.id} ({row.prefix}…)")
    except KinemaError as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(1) from None


@credits_app.command("add")
def credits_add(
    org: str = typer.Argument(..., help="Organization name or id."),
    amount: int = typer.Argument(..., help="Credits to add (negative removes)."),
) -> None:
    """Add credits to an organization and print the new balance."""
    from kinema.errors import KinemaError
    from kinema.platform import accounts, db

    settings = _migrated(_settings())
    try:
        with db.session_scope(settings) as s:
            row = accounts.find_org(s, org)
            balance = accounts.add_credits(s, row.id, amount)
    except KinemaError as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(1) from None
    print(f"{row.name}: {balance} credits")


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
    app.add_typer(keys_app, name="keys")
    app.add_typer(credits_app, name="credits")
