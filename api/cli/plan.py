"""``fieldsales plan``: the planning engine from the command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from api.cli.runtime import ready_engine
from models.db import unit_of_work
from models.planning import opportunities as ranking
from models.planning.frame import frame_for
from models.planning.opportunities import Opportunity, OpportunityOptions
from models.settings import Settings
from models.territories import resolve_territories
from models.users import Role, User

app = typer.Typer(help="Planning: where to open next.", no_args_is_help=True)
console = Console()
# The command line is an operator's tool: it sees the whole market, as an admin does.
OPERATOR = User(username="cli", role=Role.admin, password_hash="!")


def feature_collection(rows: list[Opportunity]) -> dict[str, object]:
    """The ranked prospects as GeoJSON points, for any map."""
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": str(row.outlet_id),
                "geometry": {"type": "Point", "coordinates": [row.location.lon, row.location.lat]},
                "properties": row.model_dump(mode="json", exclude={"location", "lookalikes"}),
            }
            for row in rows
        ],
    }


@app.command()
def opportunities(
    territory: Annotated[str, typer.Option(help="Territory id or code.")],
    limit: Annotated[int, typer.Option(min=1, max=500)] = 20,
    geojson: Annotated[
        Path | None, typer.Option(help="Also write the ranked prospects as GeoJSON here.")
    ] = None,
) -> None:
    """Prospects ranked by expected monthly uplift, each explained by its lookalikes."""
    settings = Settings()
    engine = ready_engine(settings, upgrade=False)
    with unit_of_work(engine) as session:
        root = resolve_territories(session, [territory])[0]
        frame = frame_for(
            session,
            OPERATOR,
            root,
            month=None,
            as_of=None,
            zone=settings.timezone,
            window_days=settings.presence_window_days,
        )
        rows = ranking.opportunities(session, frame, OpportunityOptions(limit=limit), None)
    table = Table("rank", "code", "name", "channel", "class", "uplift", "basis", "why")
    for row in rows:
        table.add_row(
            str(row.rank),
            row.code,
            row.name,
            row.channel.value,
            row.outlet_class.value,
            f"{row.uplift:.2f}",
            row.basis,
            row.explanation,
        )
    console.print(table)
    if geojson is not None:
        geojson.write_text(json.dumps(feature_collection(rows), indent=2))
        console.print(f"Wrote {len(rows)} prospects to {geojson}.")
