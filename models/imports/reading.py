"""Reading an import file: the header is checked at once, the rows are streamed to COPY.

Rows come out as tuples in the staging table's column order, each led by its position in the
file (the line of a CSV record, header = 1; the 1-based index of a GeoJSON feature). What can
only be judged in Python (record shape, encoding, EAN check digits) is collected as problems;
everything else is left to the set-based checks in SQL.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import IO, Any

from models.errors import PayloadTooLarge
from models.imports.spec import (
    MAX_ERRORS,
    MAX_GEOJSON_BYTES,
    MAX_ROWS,
    Format,
    Progress,
    Rejected,
    Spec,
)

Row = tuple[Any, ...]
# Geometries of large territories do not fit csv's default 128 KiB per field.
MAX_FIELD_CHARS = 64 * 1024 * 1024
PROGRESS_EVERY = 8192


@dataclass
class Problems:
    """Row errors found while reading; ``stopped`` when the rest of the file cannot be read."""

    unit: str = "line"
    items: list[tuple[int, str | None, str]] = field(default_factory=list)
    count: int = 0
    stopped: bool = False

    def add(self, at: int, column: str | None, reason: str) -> None:
        self.count += 1
        if len(self.items) < MAX_ERRORS:
            self.items.append((at, column, reason))

    def stop(self, at: int, reason: str) -> None:
        self.add(at, None, reason)
        self.stopped = True


def sniff(source: IO[bytes]) -> Format:
    """GeoJSON when the first thing in the file is a JSON object, else CSV."""
    start = source.read(64)
    source.seek(0)
    return Format.geojson if start.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{") else Format.csv


def ean_problem(code: str) -> str | None:
    """Why a GTIN (EAN-8, UPC-A, EAN-13, GTIN-14) is wrong, or None when its check digit fits."""
    if not code.isdigit() or len(code) not in (8, 12, 13, 14):
        return "not an EAN: 8, 12, 13 or 14 digits"
    body = [int(digit) for digit in reversed(code[:-1])]
    total = sum(digit * (3 if i % 2 == 0 else 1) for i, digit in enumerate(body))
    if (10 - total % 10) % 10 != int(code[-1]):
        return "wrong EAN check digit"
    return None


class Reader:
    """One file of one kind; ``present`` names the known columns the file has."""

    def __init__(self, spec: Spec, problems: Problems, progress: Progress) -> None:
        self.spec = spec
        self.problems = problems
        self.progress = progress
        self.present: list[str] = []
        self.rows_read = 0
        self._eans = [i for i, column in enumerate(spec.columns) if column.check == "ean"]

    def rows(self) -> Iterator[Row]:
        raise NotImplementedError

    def _counted(self, at: int) -> bool:
        """Count a row; False (and stop) past the row limit."""
        self.rows_read += 1
        if self.rows_read > MAX_ROWS:
            self.problems.stop(at, f"more than {MAX_ROWS:,} rows: split the file")
            return False
        return True

    def _check_eans(self, at: int, cells: list[Any]) -> None:
        for i in self._eans:
            if cells[i] is not None and (reason := ean_problem(cells[i])):
                self.problems.add(at, self.spec.columns[i].name, reason)


class CsvReader(Reader):
    def __init__(
        self, source: IO[bytes], spec: Spec, problems: Problems, progress: Progress
    ) -> None:
        super().__init__(spec, problems, progress)
        self.source = source
        csv.field_size_limit(MAX_FIELD_CHARS)
        self.reader = csv.reader(_decoded(source))
        try:
            header = next((record for record in self.reader if record), None)
        except (UnicodeDecodeError, csv.Error) as exc:
            raise Rejected(f"The header cannot be read: {_reason(exc)}.") from None
        if header is None:
            raise Rejected("The file is empty: it needs a header line and rows.")
        self.width = len(header)
        self.positions, self.extras = self._layout(header)

    def _layout(self, header: list[str]) -> tuple[list[int | None], list[tuple[int, str]]]:
        """Where each known column is in a record, and the extra columns; or a 422 at once."""
        names = [cell.strip() for cell in header]
        known = {column.name for column in self.spec.columns}
        errors: list[dict[str, Any]] = []
        seen: set[str] = set()
        for i, name in enumerate(names, 1):
            if not name:
                errors.append(_error(1, f"#{i}", "empty column name"))
            elif name.lower() in seen:
                errors.append(_error(1, name, "repeated column"))
            elif name.lower() not in known and not self.spec.extras:
                expected = ", ".join(column.name for column in self.spec.columns)
                errors.append(_error(1, name, f"unknown column; expected: {expected}"))
            seen.add(name.lower())
        for column in self.spec.columns:
            if column.header_required and column.name not in seen:
                errors.append(_error(1, column.name, "missing column"))
        if self.spec.one_of and seen.isdisjoint(self.spec.one_of):
            wanted = " or ".join(self.spec.one_of)
            errors.append(_error(1, self.spec.one_of[0], f"missing column: needs {wanted}"))
        if errors:
            raise Rejected(
                "The header does not fit this kind of import.",
                errors=errors,
                error_count=len(errors),
            )
        lowered = [name.lower() for name in names]
        positions = [
            lowered.index(column.name) if column.name in lowered else None
            for column in self.spec.columns
        ]
        self.present = [column.name for column in self.spec.columns if column.name in lowered]
        extras = [(i, name) for i, name in enumerate(names) if name.lower() not in known]
        return positions, extras

    def rows(self) -> Iterator[Row]:
        line = self.reader.line_num
        try:
            for record in self.reader:
                at, line = line + 1, self.reader.line_num
                if not any(cell.strip() for cell in record):
                    continue
                if not self._counted(at):
                    return
                if len(record) != self.width:
                    self.problems.add(
                        at, None, f"{len(record)} fields where the header has {self.width}"
                    )
                    continue
                yield self._row(at, record)
                if self.rows_read % PROGRESS_EVERY == 0:
                    self.progress.advance(self.source.tell())
        except (UnicodeDecodeError, csv.Error) as exc:
            self.problems.stop(line + 1, f"cannot be read: {_reason(exc)}")
        self.progress.advance(self.source.tell())

    def _row(self, at: int, record: list[str]) -> Row:
        cells = [None if i is None else record[i].strip() or None for i in self.positions]
        self._check_eans(at, cells)
        if not self.spec.extras:
            return (at, *cells)
        extras = {name: record[i].strip() or None for i, name in self.extras}
        return (at, *cells, json.dumps(extras) if extras else None)


class GeojsonReader(Reader):
    """A FeatureCollection, parsed whole: properties are the columns, the geometry is kept."""

    def __init__(
        self, source: IO[bytes], spec: Spec, problems: Problems, progress: Progress
    ) -> None:
        super().__init__(spec, problems, progress)
        size = source.seek(0, io.SEEK_END)
        source.seek(0)
        if size > MAX_GEOJSON_BYTES:
            raise PayloadTooLarge(
                f"GeoJSON files are read whole and may be up to {MAX_GEOJSON_BYTES >> 20} MB; "
                "send larger ones as CSV."
            )
        text = io.TextIOWrapper(source, encoding="utf-8-sig")
        try:
            document = json.load(text)
        except (UnicodeDecodeError, ValueError) as exc:
            raise Rejected(f"The file is not valid JSON: {_reason(exc)}.") from None
        finally:
            text.detach()  # the caller owns the file and closes it
        if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
            raise Rejected("Expected a GeoJSON FeatureCollection.")
        features = document.get("features")
        if not isinstance(features, list):
            raise Rejected("The FeatureCollection has no list of features.")
        self.features: list[Any] = features
        progress.advance(size)
        self.geometry = {"point": ("lon", "lat"), "area": ("geometry",)}[spec.geojson or "area"]
        names = {
            str(key).lower()
            for feature in features
            if isinstance(feature, dict) and isinstance(feature.get("properties"), dict)
            for key in feature["properties"]
        }
        self.present = [c.name for c in spec.columns if c.name in names or c.name in self.geometry]

    def rows(self) -> Iterator[Row]:
        for at, feature in enumerate(self.features, 1):
            if not self._counted(at):
                return
            row = self._row(at, feature)
            if row is not None:
                yield row

    def _row(self, at: int, feature: Any) -> Row | None:
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            self.problems.add(at, None, "not a GeoJSON Feature")
            return None
        properties = feature.get("properties")
        properties = properties if isinstance(properties, dict) else {}
        named = {str(key).lower(): value for key, value in properties.items()}
        geometry = self._geometry(at, feature.get("geometry"))
        if geometry is None:
            return None
        cells = [
            geometry[column.name] if column.name in geometry else _cell(named.get(column.name))
            for column in self.spec.columns
        ]
        self._check_eans(at, cells)
        if not self.spec.extras:
            return (at, *cells)
        known = {column.name for column in self.spec.columns}
        extras = {k: v for k, v in properties.items() if str(k).lower() not in known}
        return (at, *cells, json.dumps(extras) if extras else None)

    def _geometry(self, at: int, geometry: Any) -> dict[str, str | None] | None:
        if self.spec.geojson == "area":
            return {"geometry": json.dumps(geometry) if geometry is not None else None}
        position = geometry.get("coordinates") if isinstance(geometry, dict) else None
        if (
            not isinstance(geometry, dict)
            or geometry.get("type") != "Point"
            or not isinstance(position, list)
            or len(position) < 2
            or not all(isinstance(x, int | float) for x in position[:2])
        ):
            self.problems.add(at, "geometry", "must be a GeoJSON Point [lon, lat]")
            return None
        return {"lon": _cell(position[0]), "lat": _cell(position[1])}


def _decoded(source: IO[bytes]) -> Iterator[str]:
    """The file's lines as text, decoded one by one so that an encoding error has a line.

    Splitting bytes at newlines is safe in UTF-8, where no character's encoding holds one;
    the line endings are kept, as csv wants.
    """
    lines = iter(source)
    first = next(lines, b"")
    yield first.removeprefix(codecs.BOM_UTF8).decode()
    for line in lines:
        yield line.decode()


def open_reader(
    source: IO[bytes], fmt: Format, spec: Spec, problems: Problems, progress: Progress
) -> Reader:
    if fmt is Format.geojson:
        problems.unit = "feature"
        return GeojsonReader(source, spec, problems, progress)
    return CsvReader(source, spec, problems, progress)


def _cell(value: Any) -> str | None:
    """A property value as the text a CSV cell would hold."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return format(Decimal(repr(value)), "f")  # never exponent notation: 1e-07 → 0.0000001
    if isinstance(value, str):
        return value.strip() or None
    return str(value) if isinstance(value, int) else json.dumps(value)


def _error(line: int, column: str, reason: str) -> dict[str, Any]:
    return {"line": line, "column": column, "reason": reason}


def _reason(exc: Exception) -> str:
    if isinstance(exc, UnicodeDecodeError):
        return "the file is not UTF-8 text"
    return str(exc)
