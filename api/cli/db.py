"""``fieldsales db``: the embedded cluster and the schema."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from api.cli.runtime import cluster_of, lock_is_held, ready_engine
from models import migrate
from models.cluster import ClusterError
from models.db import make_engine
from models.health import database_checks
from models.settings import Settings

app = typer.Typer(help="The database: embedded cluster and migrations.", no_args_is_help=True)
console = Console()


def _embedded_only(settings: Settings) -> None:
    if not settings.embedded:
        raise ClusterError("DATABASE_URL is set: there is no embedded cluster to manage.")


@app.command()
def up() -> None:
    """Create (first time) and start the embedded PostgreSQL + PostGIS cluster."""
    settings = Settings()
    _embedded_only(settings)
    cluster = cluster_of(settings)
    if not cluster.initialised:
        cluster.init()
    if cluster.pid() is None:
        cluster.start()
    console.print(f"PostgreSQL is up in {cluster.data_dir} on 127.0.0.1:{cluster.port}")


@app.command()
def down() -> None:
    """Stop the embedded cluster (refused while the service runs on it)."""
    settings = Settings()
    _embedded_only(settings)
    if lock_is_held(settings):
        raise ClusterError("The service is running on this cluster: stop it with Ctrl-C first.")
    cluster_of(settings).stop()
    console.print("PostgreSQL is stopped.")


@app.command("migrate")
def migrate_() -> None:
    """Apply every pending migration."""
    engine = ready_engine(Settings(), upgrade=True)
    console.print(f"Schema at {migrate.current(engine)}.")


@app.command()
def status() -> None:
    """Where the database is and whether it is ready."""
    settings = Settings()
    table = Table("check", "ok", "detail")
    if settings.embedded:
        cluster = cluster_of(settings)
        pid = cluster.pid()
        table.add_row("cluster", "yes" if pid else "no", f"{cluster.data_dir}, pid {pid}")
        if pid is None:
            console.print(table)
            raise typer.Exit(1)
    checks = database_checks(make_engine(settings))
    for check in checks:
        table.add_row(check.name, "yes" if check.ok else "no", check.detail)
    console.print(table)
    if not all(check.ok for check in checks):
        raise typer.Exit(1)
