"""The ``kinema`` command. Each area adds its commands in its own module via ``register(app)``.

Modules are imported when the command runs, so ``kinema --help`` stays fast and a missing
optional extra only breaks the command that needs it.
"""

from __future__ import annotations

import importlib

import typer

app = typer.Typer(
    name="kinema",
    help="Kinema: living characters and consistent video, self-hosted.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)

# area modules under kinema.cli, each with register(app: typer.Typer) -> None
AREAS = ("server", "video", "face", "characters", "live", "voices", "media_tools")


def _register_all() -> None:
    for name in AREAS:
        try:
            module = importlib.import_module(f"kinema.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"kinema.cli.{name}":
                continue  # area not built yet
            raise
        module.register(app)


def main() -> None:
    _register_all()
    app()
