"""``fieldsales users``: accounts and their territories."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from api.cli.runtime import ready_engine
from models.db import unit_of_work
from models.settings import Settings
from models.territories import resolve_territories
from models.users import Role, create_user

app = typer.Typer(help="User accounts.", no_args_is_help=True)
console = Console()


@app.command()
def create(
    username: Annotated[str, typer.Option(help="Sign-in name.")],
    password: Annotated[str, typer.Option(help="Initial password.")],
    role: Annotated[Role, typer.Option(help="What the user may see and do.")],
    territory: Annotated[
        list[str] | None,
        typer.Option(help="Territory (id or code) assigned to the user; repeat for several."),
    ] = None,
    full_name: Annotated[str, typer.Option(help="Name shown in reports.")] = "",
) -> None:
    """Create a user with a role and, for reps and managers, territories."""
    engine = ready_engine(Settings(), upgrade=False)
    with unit_of_work(engine) as session:
        user = create_user(
            session,
            username=username,
            password=password,
            role=role,
            territory_ids=resolve_territories(session, territory or []),
            full_name=full_name,
        )
    console.print(f"Created {role.value} {username!r} ({user.id}).")
