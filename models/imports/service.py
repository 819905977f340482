"""One import, all or nothing: read, COPY to staging, check set-based, then upsert."""

from __future__ import annotations

import io
from typing import IO, Any

from sqlmodel import Session

from models.imports import catalogue, facts, outlets, staging, territories
from models.imports.reading import Problems, open_reader, sniff
from models.imports.spec import (
    MAX_ERRORS,
    Format,
    ImportSummary,
    Kind,
    Progress,
    Rejected,
    Silent,
    Spec,
    Unsupported,
)

SPECS: dict[Kind, Spec] = {
    Kind.territories: territories.SPEC,
    Kind.outlets: outlets.SPEC,
    Kind.skus: catalogue.SPEC,
    Kind.sales: facts.SALES,
    Kind.targets: facts.TARGETS,
}


def import_file(
    session: Session,
    kind: Kind,
    source: IO[bytes],
    *,
    fmt: Format | None = None,
    progress: Progress | None = None,
) -> ImportSummary:
    """Import a CSV or GeoJSON file of one kind into the session's transaction.

    Nothing is written to the real tables unless every row passes: any problem raises
    ``Rejected`` (a 422) listing them by line. Flushes, never commits.

    Args:
        source: the file, opened in binary mode and seekable.
        fmt: CSV or GeoJSON; None to tell from the first bytes.
        progress: told of each stage and of the bytes read.
    """
    spec = SPECS[kind]
    progress = progress or Silent()
    fmt = fmt or sniff(source)
    if fmt not in spec.formats:
        raise Unsupported(f"{kind.value} are imported from CSV only, not {fmt.value}.")
    problems = Problems()
    progress.stage("reading", source.seek(0, io.SEEK_END))
    source.seek(0)
    reader = open_reader(source, fmt, spec, problems, progress)
    rows = staging.load(session, spec, reader.rows())
    if problems.stopped:
        raise _rejected(spec, problems, [], 0)
    if rows == 0 and not problems.count:
        raise Rejected("The file has no rows to import.")
    progress.stage("checking")
    staging.run(session, spec.prepare, reader.present)
    found, total = staging.check(session, spec, problems.unit)
    if problems.count or total:
        raise _rejected(spec, problems, found, total)
    progress.stage("applying")
    outcome = spec.apply(session, reader.present)
    return ImportSummary(
        kind=kind,
        rows=rows,
        unchanged=rows - outcome.inserted - outcome.updated,
        **outcome.model_dump(),
    )


def _rejected(spec: Spec, problems: Problems, found: list[staging.Problem], total: int) -> Rejected:
    """All problems in file order, the first ``MAX_ERRORS`` listed, with how many in all."""
    order = {column.name: i for i, column in enumerate(spec.columns)}
    every = sorted(
        [*problems.items, *found], key=lambda p: (p[0], order.get(p[1] or "", len(order)))
    )[:MAX_ERRORS]
    count = problems.count + total
    errors: list[dict[str, Any]] = [
        {problems.unit: at, "column": column, "reason": reason} for at, column, reason in every
    ]
    shown = "" if count <= len(errors) else f"; the first {len(errors)} are listed"
    return Rejected(
        f"{count} problem(s) in the file{shown}. Nothing was imported.",
        errors=errors,
        error_count=count,
    )
