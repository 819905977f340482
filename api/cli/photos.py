"""``fieldsales photos``: operations on stored shelf photos."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer
from rich.console import Console

from api.cli.runtime import ready_engine
from jobs.app import make_app
from jobs.photos import queue_rescore
from models.db import unit_of_work
from models.photos import photos_to_rescore
from models.settings import Settings
from models.territories import resolve_territories

app = typer.Typer(help="Stored shelf photos.", no_args_is_help=True)
console = Console()


@app.command()
def rescore(
    since: Annotated[date | None, typer.Option(help="Only photos of visits from this day.")] = None,
    territory: Annotated[
        str | None, typer.Option(help="Only photos of outlets in this territory (id or code).")
    ] = None,
) -> None:
    """Re-analyse stored photos with the current model, as jobs for the workers.

    Each photo keeps its previous results until its new ones are in (one transaction), so
    reports switch model versions without a gap.
    """
    settings = Settings()
    engine = ready_engine(settings, upgrade=False)
    with unit_of_work(engine) as session:
        root = resolve_territories(session, [territory])[0] if territory else None
        ids = photos_to_rescore(session, since=since, territory_id=root)
        queue_rescore(make_app(settings), session, ids)
    console.print(f"Queued {len(ids)} photos for analysis.")
