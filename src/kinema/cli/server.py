"""``kinema serve``, ``kinema nodes``, ``kinema keys create|list|revoke``, ``kinema credits add``.

Every command migrates the database first, so each works on a fresh ``KINEMA_HOME`` and while a
server runs. New keys are printed once, alone on the last line (scripts take ``tail -n1``).

``kinema serve --role`` picks what a process does: ``all`` (the default: HTTP API and the task
dispatcher with its workers), ``api`` (HTTP only; any number behind a load balancer) or
``dispatcher`` (runs tasks only, no port). Every role registers a node row with a lease
(``kinema.platform.nodes``); split roles need a shared ``KINEMA_SECRET_KEY``.
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
    role: str = typer.Option(
        None,
        help="all (API + dispatcher, the default) | api (HTTP only) | dispatcher (tasks only).",
    ),
) -> None:
    """Start the API server (and its render workers) on the embedded defaults."""
    from kinema.platform.nodes import NodeAgent, NodeConfigError, check_role

    settings = _settings(host=host, port=port, workers=workers, role=role)
    try:
        check_role(settings)
    except NodeConfigError as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from None
    _migrated(settings)
    key = bootstrap(settings)
    node = NodeAgent(settings)
    try:
        node.start()
    except NodeConfigError as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from None
    if settings.role == "dispatcher":
        _run_dispatcher(settings, node, key)
        return
    _run_api(settings, node, key)


def _banner(settings: Settings, key: str | None, lines: list[str]) -> None:
    if key:
        lines += ["", "[bold yellow]First start: your API key (shown once, store it now):[/]"]
    console.print(Panel("\n".join(lines), expand=False))
    if key:
        print(key, flush=True)


def _run_api(settings: Settings, node: object, key: str | None) -> None:
    import uvicorn

    from kinema.api.app import create_app

    url = f"http://{settings.host}:{settings.port}"
    tasks = (
        f"executor: {settings.executor} x{settings.workers}"
        if settings.role == "all"
        else "tasks: run by dispatchers"
    )
    _banner(
        settings,
        key,
        [
            f"[bold]Kinema[/] serving on [cyan]{url}[/]  (role {settings.role})",
            f"API docs   {url}/docs",
            f"Studio     {url}/studio",
            f'Runway SDK RunwayML(base_url="{url}", api_key=...)',
            f"Data       {settings.home}  (db: {settings.resolved_database_url.split('://')[0]}, "
            f"{tasks})",
        ],
    )
    uvicorn.run(
        create_app(settings, run_tasks=settings.role == "all", node=node),  # type: ignore[arg-type]
        host=settings.host,
        port=settings.port,
        log_level="info",
        timeout_graceful_shutdown=5,
        ws_per_message_deflate=False,  # live frames are JPEG/PCM: deflate costs ~1 ms a frame
    )


def _run_dispatcher(settings: Settings, node, key: str | None) -> None:  # noqa: ANN001
    """Run tasks until SIGTERM/SIGINT; running tasks go back to the queue on the way out."""
    import signal
    import threading

    from kinema.platform.jobs.dispatcher import Dispatcher

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    dispatcher = Dispatcher(settings)
    dispatcher.start()
    _banner(
        settings,
        key,
        [
            f"[bold]Kinema[/] dispatcher {node.id[:8]} running  (role dispatcher)",
            f"Data       {settings.home}  (db: {settings.resolved_database_url.split('://')[0]}, "
            f"executor: {settings.executor} x{settings.workers})",
        ],
    )
    print("dispatcher running", flush=True)
    try:
        stop.wait()
    finally:
        dispatcher.stop()
        node.stop()
    print("dispatcher stopped", flush=True)


def nodes() -> None:
    """List the nodes registered on this database: role, address, last heartbeat, state."""
    from sqlalchemy import select

    from kinema.platform import db
    from kinema.platform.nodes import Node, is_alive

    settings = _migrated(_settings())
    table = Table("id", "role", "address", "host:pid", "started", "heartbeat", "state")
    with db.session_scope(settings) as s:
        for n in s.scalars(select(Node).order_by(Node.started_at.desc()).limit(50)):
            state = "alive" if is_alive(n, settings) else "stopped" if n.stopped_at else "dead"
            table.add_row(
                n.id[:8],
                n.role,
                n.url or "-",
                f"{n.host}:{n.pid}",
                f"{n.started_at:%Y-%m-%d %H:%M:%S}",
                f"{n.heartbeat_at:%H:%M:%S}",
                state,
            )
    Console(width=None if sys.stdout.isatty() else 200).print(table)


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
    app.command("nodes")(nodes)
    app.add_typer(keys_app, name="keys")
    app.add_typer(credits_app, name="credits")
