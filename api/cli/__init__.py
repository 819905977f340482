"""``fieldsales``: the one entry point for operations."""

from __future__ import annotations

import sys

import typer
from rich.console import Console

from api.cli import db, demo, imports, ops, photos, plan, seed, serve, users
from models.cluster import ClusterError
from models.errors import DomainError
from models.health import DatabaseProblem
from vision import cli as vision_cli

app = typer.Typer(
    help="Fieldsales: field-sales retail execution backend.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.command()(serve.serve)
app.command()(serve.worker)
app.command()(ops.openapi)
app.command("import")(imports.import_)
app.add_typer(db.app, name="db")
app.add_typer(users.app, name="users")
app.add_typer(seed.app, name="seed")
app.add_typer(demo.app, name="demo")
app.add_typer(photos.app, name="photos")
app.add_typer(plan.app, name="plan")
app.add_typer(vision_cli.app, name="vision")

err = Console(stderr=True)


def main() -> None:
    """Run the CLI; problems the user can fix print as one line, not a traceback."""
    try:
        app()
    except (ClusterError, DatabaseProblem, DomainError) as exc:
        err.print(f"[bold red]error:[/] {exc}", highlight=False)
        sys.exit(1)
