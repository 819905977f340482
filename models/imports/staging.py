"""The staging table: rows are COPYed as text into a temporary table and checked there.

Every cell arrives as text, so nothing can fail while loading; the checks then find every bad
cell of the file in one query (regular expressions guard each cast, so a check never raises),
and only a file without problems is cast and upserted into the real tables.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any, LiteralString, cast

import psycopg
from psycopg import sql
from sqlmodel import Session

from models.imports.reading import Row
from models.imports.spec import MAX_ERRORS, Column, Spec

TABLE = "import_rows"
# Bound to every check: plain decimals (no exponent, NaN or infinity), ISO dates and months.
PATTERNS = {
    "number": r"^[+-]?(\d+(\.\d*)?|\.\d+)$",
    "date": r"^[12]\d{3}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$",
    "month": r"^[12]\d{3}-(0[1-9]|1[0-2])$",
    "booleans": ["true", "false", "yes", "no", "1", "0"],
}

Problem = tuple[int, str, str]


def driver(session: Session) -> psycopg.Connection[Any]:
    """The psycopg connection under the session, in the session's own transaction."""
    session.flush()
    return cast(psycopg.Connection[Any], session.connection().connection.driver_connection)


def load(session: Session, spec: Spec, rows: Iterable[Row]) -> int:
    """Create the staging table and COPY the rows into it; returns how many were loaded."""
    names = ["line", *(column.name for column in spec.columns)]
    names += ["attributes"] if spec.extras else []
    definitions = [
        sql.SQL("{} {}").format(sql.Identifier(name), sql.SQL("integer" if i == 0 else "text"))
        for i, name in enumerate(names)
    ]
    definitions += [
        sql.SQL("{} {}").format(sql.Identifier(name), sql.SQL(kind)) for name, kind in spec.derived
    ]
    loaded = 0
    with driver(session).cursor() as cursor:
        # A second import in the same transaction (tests, scripts) replaces the first's table.
        cursor.execute(sql.SQL("DROP TABLE IF EXISTS pg_temp.{}").format(sql.Identifier(TABLE)))
        cursor.execute(
            sql.SQL("CREATE TEMPORARY TABLE {} ({}) ON COMMIT DROP").format(
                sql.Identifier(TABLE), sql.SQL(", ").join(definitions)
            )
        )
        columns = sql.SQL(", ").join(map(sql.Identifier, names))
        copy = sql.SQL("COPY {} ({}) FROM STDIN").format(sql.Identifier(TABLE), columns)
        with cursor.copy(copy) as writer:
            for row in rows:
                writer.write_row(row)
                loaded += 1
        # Temporary tables are never analysed by autovacuum; without statistics the planner
        # guesses a few hundred rows and picks nested loops for the joins that follow.
        cursor.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(TABLE)))
    return loaded


def run(session: Session, statements: Sequence[LiteralString], present: Sequence[str]) -> None:
    """Run preparation statements (psycopg placeholders; ``present``: the file's columns)."""
    with driver(session).cursor() as cursor:
        for statement in statements:
            cursor.execute(statement, {"present": list(present)})


def check(session: Session, spec: Spec, unit: str) -> tuple[list[Problem], int]:
    """The first problems of the staged rows, in file order, and how many there are in all."""
    parts = [_cells(spec.columns), *(_repeats(key, unit) for key in spec.keys)]
    if spec.checks:
        parts.append(sql.SQL(spec.checks))
    query = sql.SQL(
        "SELECT line, col, reason, count(*) OVER () FROM ({}) AS e(line, col, reason)"
        " ORDER BY line, array_position(%(order)s, col) NULLS LAST, col LIMIT {}"
    ).format(
        sql.SQL(" UNION ALL ").join(sql.SQL("({})").format(part) for part in parts),
        sql.Literal(MAX_ERRORS),
    )
    order = [column.name for column in spec.columns]
    with driver(session).cursor() as cursor:
        found = cursor.execute(query, {**PATTERNS, "order": order}).fetchall()
    return [(line, col, reason) for line, col, reason, _ in found], found[0][3] if found else 0


def _cells(columns: Sequence[Column]) -> sql.Composable:
    """Each cell's problem, if any: one row per (row, column) that fails."""
    values = sql.SQL(", ").join(
        sql.SQL("({}, {})").format(sql.Literal(column.name), _reason(column)) for column in columns
    )
    return sql.SQL(
        "SELECT s.line, e.col, e.reason FROM {} AS s"
        " CROSS JOIN LATERAL (VALUES {}) AS e(col, reason) WHERE e.reason IS NOT NULL"
    ).format(sql.Identifier(TABLE), values)


def _reason(column: Column) -> sql.Composable:
    """A CASE naming the first thing wrong with the cell; its branches run in order, so each
    cast is reached only once the pattern before it has matched."""
    cell = sql.SQL("s.{}").format(sql.Identifier(column.name))
    branches = [
        sql.SQL("WHEN {} THEN {}").format(when, then) for when, then in _branches(column, cell)
    ]
    if not branches:
        return sql.SQL("NULL::text")
    return sql.SQL("CASE {} END").format(sql.SQL(" ").join(branches))


def _branches(
    column: Column, cell: sql.Composable
) -> Iterator[tuple[sql.Composable, sql.Composable]]:
    if column.required:
        yield sql.SQL("{} IS NULL").format(cell), sql.Literal("required")
    if column.length:
        yield (
            sql.SQL("length({}) > {}").format(cell, sql.Literal(column.length)),
            sql.Literal(f"longer than {column.length} characters"),
        )
    if column.check == "enum" and column.enum:
        # An uncorrelated ARRAY(SELECT) is an InitPlan, run once; enum_range alone reads
        # pg_enum for every row.
        labels = sql.SQL("ARRAY(SELECT unnest(enum_range(NULL::{}))::text)").format(
            sql.Identifier(column.enum)
        )
        yield (
            sql.SQL("{} <> ALL ({})").format(cell, labels),
            sql.SQL("'not one of: ' || array_to_string({}, ', ')").format(labels),
        )
    elif column.check == "number":
        yield sql.SQL("{} !~ %(number)s").format(cell), sql.Literal("not a number")
        if column.bounds:
            low, high = column.bounds
            yield (
                sql.SQL("{}::numeric < {}").format(cell, sql.Literal(Decimal(low))),
                sql.Literal(f"must be at least {low}"),
            )
            yield (
                sql.SQL("{}::numeric > {}").format(cell, sql.Literal(Decimal(high))),
                sql.Literal(f"must be at most {high}"),
            )
    elif column.check == "date":
        yield sql.SQL("{} !~ %(date)s").format(cell), sql.Literal("not a date: YYYY-MM-DD")
        last_day = sql.SQL(
            "extract(day from (left({c}, 8) || '01')::date + interval '1 month - 1 day')"
        ).format(c=cell)
        yield (
            sql.SQL("right({}, 2)::int > {}").format(cell, last_day),
            sql.Literal("no such day in that month"),
        )
    elif column.check == "month":
        yield sql.SQL("{} !~ %(month)s").format(cell), sql.Literal("not a month: YYYY-MM")
    elif column.check == "boolean":
        yield (
            sql.SQL("lower({}) <> ALL (%(booleans)s)").format(cell),
            sql.Literal("not one of: true, false, yes, no, 1, 0"),
        )


def _repeats(key: tuple[str, ...], unit: str) -> sql.Composable:
    """Rows whose key was already on an earlier row of the file."""
    label = ", ".join(key)
    return sql.SQL(
        "SELECT line, {label}, {reason} || first FROM ("
        " SELECT line, min(line) OVER (PARTITION BY {columns}) AS first FROM {table}"
        " WHERE {filled}) AS d WHERE line > first"
    ).format(
        label=sql.Literal(label),
        reason=sql.Literal(f"same {label} as {unit} "),
        columns=sql.SQL(", ").join(map(sql.Identifier, key)),
        table=sql.Identifier(TABLE),
        filled=sql.SQL(" AND ").join(
            sql.SQL("{} IS NOT NULL").format(sql.Identifier(name)) for name in key
        ),
    )
