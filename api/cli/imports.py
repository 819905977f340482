"""``fieldsales import``: load a CSV or GeoJSON file, all or nothing, with a progress bar."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    SpinnerColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text

from api.cli.runtime import ready_engine
from models.db import unit_of_work
from models.imports import Format, ImportSummary, Kind, Rejected, import_file
from models.settings import Settings

console = Console()
err = Console(stderr=True)
SUFFIXES = {".csv": Format.csv, ".geojson": Format.geojson, ".json": Format.geojson}


class Bytes(DownloadColumn):
    """Bytes done and in all, for the stages that count bytes."""

    def render(self, task: Task) -> Text:
        return super().render(task) if task.fields.get("bytes") else Text("")


class Stages:
    """Shows each stage of an import as a line of its own; reading counts the bytes."""

    def __init__(self, bar: Progress) -> None:
        self.bar = bar
        self.task: TaskID | None = None

    def stage(self, name: str, total: int | None = None) -> None:
        self.finish()
        self.task = self.bar.add_task(name, total=total, bytes=total is not None)

    def advance(self, done: int) -> None:
        if self.task is not None:
            self.bar.update(self.task, completed=done)

    def finish(self) -> None:
        if self.task is not None:
            done = self.bar.tasks[-1].completed or 1
            self.bar.update(self.task, total=done, completed=done)


def import_(
    kind: Annotated[Kind, typer.Argument(help="What the file holds.")],
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="A CSV or GeoJSON file.")
    ],
) -> None:
    """Import a CSV or GeoJSON file; if any row is bad, list the problems and change nothing."""
    engine = ready_engine(Settings(), upgrade=False)
    columns = (SpinnerColumn(), TextColumn("{task.description:<10}"), BarColumn())
    bar = Progress(*columns, TimeElapsedColumn(), Bytes(), console=err)
    try:
        with bar, file.open("rb") as source, unit_of_work(engine) as session:
            stages = Stages(bar)
            summary = import_file(
                session, kind, source, fmt=SUFFIXES.get(file.suffix.lower()), progress=stages
            )
            stages.finish()
    except Rejected as exc:
        _print_problems(exc)
        raise typer.Exit(1) from None
    finally:
        engine.dispose()
    console.print(f"Imported {summary.kind.value}:")
    console.print(_summary(summary))


def _summary(summary: ImportSummary) -> Table:
    table = Table(show_header=False)
    for name in ("rows", "inserted", "updated", "unchanged", "assigned"):
        table.add_row(name, str(getattr(summary, name)))
    for name, count in summary.created.items():
        table.add_row(f"new {name}", str(count))
    for one, other in summary.overlaps:
        table.add_row("overlap", f"{one} and {other}")
    return table


def _print_problems(exc: Rejected) -> None:
    errors = exc.extensions.get("errors", [])
    if errors:
        unit = "feature" if "feature" in errors[0] else "line"
        table = Table(unit, "column", "reason", title="Problems")
        for error in errors:
            table.add_row(str(error[unit]), error["column"] or "", error["reason"])
        err.print(table)
    err.print(f"[bold red]rejected:[/] {exc.detail}", highlight=False)
