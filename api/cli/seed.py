"""``fieldsales seed``: the demo market, with a progress bar and the accounts to sign in with."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from sqlalchemy import Engine

from api.cli.runtime import ready_engine
from models.db import unit_of_work
from models.demo import (
    DEFAULT_SEED,
    FIELD_FORCE,
    SIZES,
    STEPS,
    DemoSummary,
    Scale,
    database_empty,
    demo_present,
    load_demo,
    seed_demo,
)
from models.demo.geography import territory_names
from models.settings import Settings
from models.storage import make_store

app = typer.Typer(help="Demo data.", no_args_is_help=True)
console = Console()
err = Console(stderr=True)


class Steps:
    """One bar over the load's steps, naming the step under way."""

    def __init__(self, bar: Progress) -> None:
        self.bar = bar
        self.task: TaskID = bar.add_task("demo market", total=len(STEPS))
        self.photos: TaskID | None = None
        self.started = False

    def step(self, name: str) -> None:
        if self.started:
            self.bar.advance(self.task)
        self.started = True
        self.bar.update(self.task, description=name)

    def count(self, done: int, total: int) -> None:
        """The shelf photos rendered and analysed so far, on a bar of their own."""
        if self.photos is None:
            self.photos = self.bar.add_task("  analysed", total=total)
        self.bar.update(self.photos, completed=done, total=total)

    def finish(self, summary: DemoSummary) -> None:
        description = "loaded" if summary.loaded else "already there"
        self.bar.update(self.task, completed=len(STEPS), description=description)


def load_market(engine: Engine, settings: Settings, *, seed: int, scale: Scale) -> DemoSummary:
    """Load the demo market in one transaction, showing progress on stderr."""
    columns = (SpinnerColumn(), TextColumn("{task.description:<12}"), BarColumn())
    bar = Progress(*columns, MofNCompleteColumn(), TimeElapsedColumn(), console=err)
    with bar, unit_of_work(engine) as session:
        steps = Steps(bar)
        summary = load_demo(
            session, settings, make_store(settings), seed=seed, size=SIZES[scale], progress=steps
        )
        steps.finish(summary)
    return summary


def load_on_start(engine: Engine, settings: Settings, *, seed: int, scale: Scale) -> bool:
    """The run command's demo: the whole market into an empty database, else the accounts.

    A database that already holds territories or outlets of its own gets only the four demo
    accounts, never a market mixed into its data. Returns whether the demo market is there.
    """
    with unit_of_work(engine) as session:
        empty = database_empty(session)
        if not empty:
            seed_demo(session)
            return demo_present(session)
    report(load_market(engine, settings, seed=seed, scale=scale), scale)
    return True


def report(summary: DemoSummary, scale: Scale) -> None:
    if not summary.loaded:
        console.print("The demo market is already loaded: skipped (nothing changed).")
        return
    counts = ", ".join(f"{n:,} {what}" for what, n in summary.counts.items())
    console.print(f"Demo market loaded ({scale.value}) in {summary.seconds:.1f} s: {counts}.")


def accounts_table() -> Table:
    """The demo accounts, their passwords and where they work."""
    table = Table(title="Demo accounts", title_justify="left")
    for column in ("user", "password", "role", "territory"):
        table.add_column(column)
    names = territory_names()
    for user in FIELD_FORCE:
        where = f"{user.territory} {names[user.territory]}" if user.territory else "everything"
        table.add_row(user.username, user.password, user.role.value, where)
    return table


@app.command()
def demo(
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same market.")] = (
        DEFAULT_SEED
    ),
    scale: Annotated[
        Scale, typer.Option(help="small: 800 outlets; medium: 5,000 outlets.")
    ] = Scale.small,
) -> None:
    """Load the demo market around Lyon (skipped when it is already there)."""
    settings = Settings()
    engine = ready_engine(settings, upgrade=False)
    summary = load_market(engine, settings, seed=seed, scale=scale)
    report(summary, scale)
    console.print(accounts_table())
