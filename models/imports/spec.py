"""What every kind of import declares: its columns, its checks, and how it is applied."""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal, LiteralString, Protocol

from pydantic import BaseModel, Field
from sqlmodel import Session

from models.errors import DomainError, Invalid

MAX_ROWS = 5_000_000
MAX_ERRORS = 1000
# GeoJSON is parsed whole (json.load); CSV is streamed and has no size limit of its own.
MAX_GEOJSON_BYTES = 64 * 1024 * 1024


class Kind(enum.StrEnum):
    territories = "territories"
    outlets = "outlets"
    skus = "skus"
    sales = "sales"
    targets = "targets"


class Format(enum.StrEnum):
    csv = "csv"
    geojson = "geojson"


class Rejected(Invalid):
    """The file was refused: ``errors`` lists what is wrong, row by row; nothing was applied."""

    type = "import-rejected"
    title = "Import rejected"


class Unsupported(DomainError):
    status = 415
    type = "unsupported-media-type"
    title = "Unsupported Media Type"


Check = Literal["text", "enum", "number", "date", "month", "boolean", "ean", "geometry"]


@dataclass(frozen=True)
class Column:
    """A column of the file, with the checks its cells get (in SQL, set-based, after COPY).

    Attributes:
        required: must be in the header and non-empty in every row.
        in_header: must be in the header even where cells may be empty (default: ``required``).
        check: how a non-empty cell is checked; ``ean`` is checked in Python while reading.
        length: the longest text allowed.
        bounds: the inclusive (low, high) range of a number, as decimal strings.
        enum: the PostgreSQL enum type whose labels the cell must be one of.
    """

    name: str
    required: bool = False
    in_header: bool | None = None
    check: Check = "text"
    length: int | None = None
    bounds: tuple[str, str] | None = None
    enum: str | None = None

    @property
    def header_required(self) -> bool:
        return self.required if self.in_header is None else self.in_header


class Outcome(BaseModel):
    inserted: int
    updated: int
    assigned: int = 0
    created: dict[str, int] = {}
    overlaps: list[tuple[str, str]] = []


@dataclass(frozen=True)
class Spec:
    """One kind of import.

    Attributes:
        columns: the file's columns, in the order of the staging table.
        keys: column sets that must be unique within the file.
        checks: SQL (psycopg placeholders) selecting ``line, col, reason`` of rows that fail
            checks beyond the per-column ones: unknown references, geometry, cycles.
        prepare: SQL run after COPY and before the checks, filling ``derived`` columns.
        derived: extra staging columns as (name, SQL type).
        apply: upserts the checked rows; gets the session and the columns the file has.
        extras: unknown columns are kept in an ``attributes`` JSON column (outlets).
        one_of: the header must have at least one of these columns.
        geojson: what a GeoJSON feature's geometry becomes: a point's lon/lat or an area.
    """

    kind: Kind
    columns: tuple[Column, ...]
    keys: tuple[tuple[str, ...], ...]
    apply: Callable[[Session, Sequence[str]], Outcome]
    checks: LiteralString = ""
    prepare: Sequence[LiteralString] = ()
    derived: tuple[tuple[str, str], ...] = ()
    extras: bool = False
    one_of: tuple[str, ...] = ()
    geojson: Literal["point", "area"] | None = None
    formats: frozenset[Format] = field(default_factory=lambda: frozenset({Format.csv}))


class ImportSummary(BaseModel):
    """What an import changed."""

    kind: Kind
    rows: int = Field(description="Data rows (or features) in the file.")
    inserted: int
    updated: int
    unchanged: int = Field(description="Rows identical to what was stored: not rewritten.")
    assigned: int = Field(
        default=0, description="Outlets whose territory was set or changed by this import."
    )
    created: dict[str, int] = Field(
        default={}, description="Brands and categories created by a SKU import."
    )
    overlaps: list[tuple[str, str]] = Field(
        default=[], description="Sibling territories whose areas overlap (a warning only)."
    )


class Progress(Protocol):
    """Told where an import is: a stage, then how far into it (bytes read while reading)."""

    def stage(self, name: str, total: int | None = None) -> None: ...

    def advance(self, done: int) -> None: ...


class Silent:
    def stage(self, name: str, total: int | None = None) -> None:
        pass

    def advance(self, done: int) -> None:
        pass
