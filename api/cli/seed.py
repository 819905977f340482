"""``fieldsales seed``: demo data."""

from __future__ import annotations

import typer
from rich.console import Console

from api.cli.runtime import ready_engine
from models.db import unit_of_work
from models.demo import seed_demo
from models.settings import Settings

app = typer.Typer(help="Demo data.", no_args_is_help=True)
console = Console()


@app.command()
def demo() -> None:
    """Load the demo data (skipping what is already there)."""
    engine = ready_engine(Settings(), upgrade=False)
    with unit_of_work(engine) as session:
        added = seed_demo(session)
    console.print(f"Demo data loaded ({added} accounts added).")
