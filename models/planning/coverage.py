"""The coverage × SKU × target table of a territory and its children.

For each row territory t (the one asked about, then each child) and SKU s in the month p:

- universe |U|: active and prospect outlets assigned to t or below;
- covered: outlets of U with a completed visit, or an order, in p;
- carrying: outlets of U where s sold in p, or whose newest evidence has s on the shelf;
- ND = carrying / |U|; WD = category sales of the carrying outlets / category sales of U;
- ROS = sales / carrying (0 where nothing is carried, and then nothing sold either);
- sales: imported sales plus orders, at outlets of U, from the 1st to ``as_of``.

An outlet that sold s counts as carrying it, so every sale is a sale of a carrying outlet of
U, and sales = |U| × ND × ROS holds exactly in the counts each row gives. The identity is
checked on every row by the tests; ND and ROS are shown to six decimals.
"""

from __future__ import annotations

import json
import uuid
from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import TextClause, text
from sqlmodel import Session

from models.outlets import Channel
from models.planning import rollup, sources
from models.planning.figures import FIGURES, FIGURES_FEW
from models.planning.frame import Frame
from models.planning.targets import effective

# Root row first, then children by code; in each, the totals and then SKUs by code.
#
# With :rolled, the sums come from the rollup (models/planning/rollup.py) wherever the facts are
# unchanged since its refresh: a child whose whole subtree is unchanged reads its subtree's sums
# (one row per SKU); a child with a territory marked whole since (in planning_dirty: an outlet
# moved, a target set) adds up the own cells of its other territories and computes the marked
# ones from the facts. An outlet whose facts were written to since (marked on its own, in
# :dirty_outlets) is taken off the cells it was summed in, and its figures now are added.
STATEMENT = """
WITH RECURSIVE
{tree},
dirty AS (SELECT unnest(CAST(:dirty AS uuid[])) AS territory_id),
dirty_bucket AS (
    SELECT DISTINCT tr.bucket FROM tree AS tr JOIN dirty AS d ON d.territory_id = tr.id
),
rolled_tree AS (
    SELECT tr.id, tr.bucket FROM tree AS tr
    WHERE CAST(:rolled AS boolean) AND tr.id NOT IN (SELECT territory_id FROM dirty)
      AND (tr.id = :root OR tr.bucket IN (SELECT bucket FROM dirty_bucket))
),
whole_bucket AS (
    SELECT tr.id AS bucket FROM tree AS tr
    WHERE CAST(:rolled AS boolean) AND tr.depth = 1
      AND tr.id NOT IN (SELECT bucket FROM dirty_bucket)
),
row_territory (id) AS (
    SELECT CAST(:root AS uuid)
    UNION ALL
    SELECT t.id FROM territory AS t WHERE t.parent_id = :root
),
-- The buckets each row adds up: the root all of them, a child its own.
row_bucket (row_id, bucket) AS (
    SELECT DISTINCT CAST(:root AS uuid), tree.bucket FROM tree
    UNION ALL
    SELECT t.id, t.id FROM territory AS t WHERE t.parent_id = :root
),
{figures},
{buckets},
{effective},
row_outlets AS (
    SELECT rb.row_id, sum(b.universe) AS universe, sum(b.covered) AS covered
    FROM row_bucket AS rb JOIN bucket_outlets AS b ON b.bucket = rb.bucket
    GROUP BY rb.row_id
),
-- A cell corrected down to no facts is no row, as the facts would give none.
row_sku AS (
    SELECT rb.row_id, b.sku_id, sum(b.carrying) AS carrying, sum(b.quantity) AS quantity,
           sum(b.value) AS value, sum(b.carrying_category_value) AS wd_num
    FROM row_bucket AS rb JOIN bucket_sku AS b ON b.bucket = rb.bucket
    GROUP BY rb.row_id, b.sku_id
    HAVING sum(b.facts) > 0
),
row_category AS (
    SELECT rb.row_id, b.category_id, sum(b.value) AS value
    FROM row_bucket AS rb JOIN bucket_category AS b ON b.bucket = rb.bucket
    GROUP BY rb.row_id, b.category_id
),
row_last_year AS (
    SELECT rb.row_id, b.sku_id, sum(b.quantity) AS quantity, round(sum(b.value), 2) AS value
    FROM row_bucket AS rb JOIN bucket_last_year AS b ON b.bucket = rb.bucket
    GROUP BY rb.row_id, b.sku_id
    HAVING sum(b.facts) > 0
),
sku_list AS (
    SELECT sku_id FROM row_sku
    UNION SELECT sku_id FROM row_last_year
    UNION SELECT sku_id FROM row_target
),
cell AS (
    SELECT r.id AS row_id, l.sku_id,
           coalesce(o.universe, 0) AS universe, coalesce(o.covered, 0) AS covered,
           coalesce(s.carrying, 0) AS carrying,
           coalesce(s.quantity, 0) AS quantity, round(coalesce(s.value, 0), 2) AS value,
           coalesce(s.wd_num, 0) AS wd_num, coalesce(c.value, 0) AS wd_den,
           y.quantity AS ly_quantity, y.value AS ly_value,
           t.quantity AS target_quantity, t.value AS target_value
    FROM row_territory AS r
    LEFT JOIN row_outlets AS o ON o.row_id = r.id
    LEFT JOIN sku_list AS l ON true
    LEFT JOIN shown_sku AS k ON k.id = l.sku_id
    LEFT JOIN row_sku AS s ON s.row_id = r.id AND s.sku_id = l.sku_id
    LEFT JOIN row_category AS c ON c.row_id = r.id AND c.category_id = k.category_id
    LEFT JOIN row_last_year AS y ON y.row_id = r.id AND y.sku_id = l.sku_id
    LEFT JOIN row_target AS t ON t.row_id = r.id AND t.sku_id = l.sku_id
),
-- Run-rate: sales to date spread over the whole month; none before the month starts.
projected AS (
    SELECT cell.*,
           CASE WHEN :elapsed > 0 THEN round(quantity * :days / :elapsed, 3) END AS p_quantity,
           CASE WHEN :elapsed > 0 THEN round(value * :days / :elapsed, 2) END AS p_value
    FROM cell
),
-- Totals are sums of the rows shown, so a reader adding up a column finds them exactly.
grouped AS (
    SELECT row_id, sku_id, GROUPING(sku_id) = 1 AS total,
           max(universe) AS universe, max(covered) AS covered, sum(carrying) AS carrying,
           sum(quantity) AS quantity, sum(value) AS value,
           sum(wd_num) AS wd_num, sum(wd_den) AS wd_den,
           sum(target_quantity) AS target_quantity, sum(target_value) AS target_value,
           sum(p_quantity) AS p_quantity, sum(p_value) AS p_value,
           sum(ly_quantity) AS ly_quantity, sum(ly_value) AS ly_value,
           sum(target_quantity - p_quantity) AS gap_quantity,
           sum(target_value - p_value) AS gap_value
    FROM projected
    GROUP BY GROUPING SETS ((row_id, sku_id), (row_id))
)
SELECT g.row_id AS territory_id, t.code, t.name, t.level, t.parent_id, g.total,
       g.sku_id, k.code AS sku_code, k.name AS sku_name, k.brand_id,
       g.universe, g.covered,
       round(CASE WHEN g.universe > 0 THEN g.covered / g.universe ELSE 0 END, 6) AS coverage,
       g.carrying,
       round(CASE WHEN g.universe > 0 THEN g.carrying / g.universe ELSE 0 END, 6) AS nd,
       round(CASE WHEN g.wd_den > 0 THEN g.wd_num / g.wd_den ELSE 0 END, 6) AS wd,
       round(CASE WHEN g.carrying > 0 THEN g.quantity / g.carrying ELSE 0 END, 6) AS ros,
       round(g.quantity, 3) AS sales_quantity, round(g.value, 2) AS sales_value,
       round(g.target_quantity, 3) AS target_quantity, round(g.target_value, 2) AS target_value,
       round(g.p_quantity, 3) AS projected_quantity, round(g.p_value, 2) AS projected_value,
       round(g.ly_quantity, 3) AS last_year_quantity, round(g.ly_value, 2) AS last_year_value,
       round(g.gap_quantity, 3) AS gap_quantity, round(g.gap_value, 2) AS gap_value
FROM grouped AS g
JOIN territory AS t ON t.id = g.row_id
LEFT JOIN sku AS k ON k.id = g.sku_id
WHERE g.total OR g.sku_id IS NOT NULL
ORDER BY g.row_id <> :root, t.code, g.total DESC, k.code
"""

# Targets of unchanged children come from the rollup too (their effective target, summed at the
# refresh); the rows of changed ones are worked out from the targets set.
ROLLED_TARGETS = """
    UNION ALL
    SELECT r.territory_id, r.sku_id, r.quantity, r.value
    FROM whole_bucket AS w
    CROSS JOIN LATERAL (
        SELECT * FROM planning_target_cell AS c
        WHERE c.month = :start AND c.territory_id = w.bucket OFFSET 0
    ) AS r
    JOIN shown_sku AS k ON k.id = r.sku_id
    WHERE :with_targets"""


# The rollup's cells of the channel asked for, or without one those of every channel together.
CHANNEL_CELL = f"c.channel = coalesce(CAST(:channel AS text), '{rollup.EVERY_CHANNEL}')"


def _bucket(name: str, live: str, table: str, keys: tuple[str, ...], sums: tuple[str, ...]) -> str:
    """CTE ``name``: sums per bucket, from four places. The ``live`` CTE's rows (the marked
    territories and outlets, or everything without the rollup; the universe there is of the
    channel asked for); the rollup's cells of the territories not marked whole in buckets
    with such a territory, added up per bucket; the subtree sums of the other buckets; less
    the parts of the marked outlets in the cells read (rollup.PARTS). The cells read are the
    channel's asked for, or without one those of every channel together (`CHANNEL_CELL`).
    ``keys``: the rollup table's key columns beside the territory, its channel first (an
    SKU's joins shown_sku); ``sums``: the summed columns, named as in ``live`` and in the
    rollup's table and its parts. Each cell is looked up by its territory (OFFSET 0 keeps
    the planner from flattening the lookup into a join that hashes the whole table), each
    part by its outlet."""
    keys = tuple(k for k in keys if k != "channel")
    keyed = "".join(f", r.{k}" for k in keys)
    shown = "JOIN shown_sku AS k ON k.id = r.sku_id" if "sku_id" in keys else ""
    columns = ", ".join(f"r.{c}" for c in sums)
    totals = ", ".join(f"sum(r.{c})" for c in sums)
    taken_off = ", ".join(f"-sum(r.{c})" for c in sums)
    part = rollup.PARTS[table][0]
    return f"""{name} AS (
    SELECT bucket{keyed.replace("r.", "")}, {", ".join(sums)} FROM {live}
    UNION ALL
    SELECT tr.bucket{keyed}, {totals}
    FROM rolled_tree AS tr
    CROSS JOIN LATERAL (
        SELECT * FROM {table} AS c
        WHERE c.month = :start AND NOT c.subtree AND c.territory_id = tr.id
          AND {CHANNEL_CELL} OFFSET 0
    ) AS r
    {shown}
    GROUP BY tr.bucket{keyed}
    UNION ALL
    SELECT r.territory_id{keyed}, {columns}
    FROM whole_bucket AS w
    CROSS JOIN LATERAL (
        SELECT * FROM {table} AS c
        WHERE c.month = :start AND c.subtree AND c.territory_id = w.bucket
          AND {CHANNEL_CELL} OFFSET 0
    ) AS r
    {shown}
    UNION ALL
    SELECT tr.bucket{keyed}, {taken_off}
    FROM planning_outlet_part AS o
    JOIN tree AS tr ON tr.id = o.territory_id
    JOIN {part} AS r ON r.month = o.month AND r.outlet_id = o.outlet_id
    {shown}
    WHERE CAST(:rolled AS boolean) AND o.month = :start
      AND o.outlet_id = ANY(CAST(:dirty_outlets AS uuid[]))
      AND o.territory_id <> ALL(CAST(:dirty AS uuid[]))
      AND (CAST(:channel AS text) IS NULL OR o.channel = CAST(:channel AS text))
    GROUP BY tr.bucket{keyed}
)"""


# Each bucket CTE, the live CTE it completes and the rollup table it reads (keys and sums in
# rollup.SUMS).
BUCKETS = ",\n".join(
    _bucket(name, live, table, *rollup.SUMS[table])
    for name, live, table in (
        ("bucket_sku", "live_sku", "planning_sku_cell"),
        ("bucket_category", "live_category", "planning_category_cell"),
        ("bucket_last_year", "live_last_year", "planning_last_year_cell"),
        ("bucket_outlets", "live_outlets", "planning_outlets_cell"),
    )
)


def _query(figures: str) -> TextClause:
    return text(
        STATEMENT.format(
            tree=sources.TREE,
            figures=figures,
            buckets=BUCKETS,
            effective=effective(
                only="AND (tr.id = :root OR NOT CAST(:rolled AS boolean) "
                "OR tr.bucket IN (SELECT bucket FROM dirty_bucket))",
                rolled=ROLLED_TARGETS,
            ),
        )
    )


# From the facts everywhere; and with the rollup, the marked territories' facts looked up
# outlet by outlet.
QUERY = _query(FIGURES)
QUERY_ROLLED = _query(FIGURES_FEW)


class CoverageFilter(BaseModel):
    sku_id: uuid.UUID | None = None
    brand_id: uuid.UUID | None = None
    channel: Channel | None = Field(
        default=None,
        description="Only outlets of this channel; targets are per territory, so none is shown.",
    )


class Figures(BaseModel):
    universe: int = Field(description="Active and prospect outlets of the territory.")
    covered: int = Field(description="Outlets with a completed visit or an order in the period.")
    coverage: Decimal
    carrying: int = Field(description="Outlets carrying the SKU (in totals: outlet × SKU pairs).")
    sales_quantity: Decimal
    sales_value: Decimal
    target_quantity: Decimal | None
    target_value: Decimal | None
    projected_quantity: Decimal | None = Field(description="Run-rate to the month's end.")
    projected_value: Decimal | None
    last_year_quantity: Decimal | None = Field(description="The same month last year.")
    last_year_value: Decimal | None
    gap_quantity: Decimal | None = Field(description="Target minus projected.")
    gap_value: Decimal | None


class CoverageRow(Figures):
    territory_id: uuid.UUID
    sku_id: uuid.UUID
    sku_code: str
    sku_name: str
    brand_id: uuid.UUID
    nd: Decimal = Field(description="Numeric distribution: carrying / universe.")
    wd: Decimal = Field(description="Weighted distribution: category sales share of carriers.")
    ros: Decimal = Field(description="Rate of sale: sales quantity / carrying.")


class TerritoryTotals(Figures):
    territory_id: uuid.UUID
    code: str
    name: str
    level: str
    parent_id: uuid.UUID | None


class CoverageTable(BaseModel):
    territory_id: uuid.UUID
    period: str
    as_of: date
    presence_window_days: int
    territories: list[TerritoryTotals] = Field(description="The territory, then each child.")
    rows: list[CoverageRow]


def _json_object(model: type[BaseModel]) -> str:
    """``json_build_object`` of a result row of the statement with ``model``'s fields, each
    decimal as its text: the JSON the API's answer holds, written by PostgreSQL."""
    decimal = (Decimal, Decimal | None)
    return "json_build_object({})".format(
        ", ".join(
            f"'{name}', "
            + (f"CAST(q.{name} AS text)" if field.annotation in decimal else f"q.{name}")
            for name, field in model.model_fields.items()
        )
    )


# The statement's rows as the answer's two JSON lists, in the statement's order: the root,
# then each child by code; rows by SKU code. PostgreSQL writes 6,000 rows of JSON faster than
# Python fetches them as Decimals and validates them, and the API passes the text on as it is.
JSON_OF = """
SELECT CAST(coalesce(json_agg({totals} ORDER BY q.territory_id <> :root, q.code)
                     FILTER (WHERE q.total), '[]') AS text) AS territories,
       CAST(coalesce(json_agg({rows} ORDER BY q.territory_id <> :root, q.code, q.sku_code)
                     FILTER (WHERE NOT q.total), '[]') AS text) AS rows
FROM ({statement}) AS q"""


def _json_query(query: TextClause) -> TextClause:
    return text(
        JSON_OF.format(
            totals=_json_object(TerritoryTotals),
            rows=_json_object(CoverageRow),
            statement=query.text,
        )
    )


JSON_QUERY, JSON_QUERY_ROLLED = _json_query(QUERY), _json_query(QUERY_ROLLED)


def parameters(
    frame: Frame,
    where: CoverageFilter,
    *,
    rolled: bool = False,
    marks: rollup.Marks | None = None,
) -> dict[str, Any]:
    """The statement's parameters; ``marks``: what was written to since the refresh."""
    marks = marks or rollup.Marks()
    return {
        "dirty": marks.territories,
        "dirty_outlets": marks.outlets,
        **frame.params(),
        "sku_id": where.sku_id,
        "brand_id": where.brand_id,
        "channel": where.channel.value if where.channel else None,
        "with_targets": where.channel is None,
        "rolled": rolled,
    }


def rollup_usable(session: Session, frame: Frame) -> bool:
    """Whether the rollup holds cells for the frame's span (kept per channel, so a table of
    one channel reads it too).

    Read before the statement, as the marks of what was written to since the refresh are: a refresh
    that moves the cut (once a day) committing in between gives that one answer the cells of
    the day before, and a write committing in between is seen from the next answer on.
    """
    snapshot = session.get(rollup.PlanningSnapshot, frame.month, populate_existing=True)
    return rollup.current(snapshot, frame.span)


def coverage_json(
    session: Session, frame: Frame, where: CoverageFilter, *, use_rollup: bool = True
) -> bytes:
    """The table for the frame's territory and each child as the API's JSON, in one statement.

    Territories unchanged since the rollup's last refresh come from it, the others from the
    facts (models/planning/rollup.py): the figures are the same either way. ``use_rollup``
    False computes every territory from the facts.
    """
    sources.analytic(session)
    rolled = use_rollup and rollup_usable(session, frame)
    marks = rollup.marks(session) if rolled else None
    params = parameters(frame, where, rolled=rolled, marks=marks)
    with sources.without_merge_joins(session):
        territories, rows = session.execute(
            JSON_QUERY_ROLLED if rolled else JSON_QUERY, params
        ).one()
    head = json.dumps(
        {
            "territory_id": str(frame.territory.id),
            "period": frame.month.strftime("%Y-%m"),
            "as_of": frame.as_of.isoformat(),
            "presence_window_days": frame.window_days,
        },
        separators=(",", ":"),
    )
    return f'{head[:-1]},"territories":{territories},"rows":{rows}}}'.encode()


def coverage_table(
    session: Session, frame: Frame, where: CoverageFilter, *, use_rollup: bool = True
) -> CoverageTable:
    """The table of `coverage_json`, read into the model (for the console, the CLI and tests)."""
    return CoverageTable.model_validate_json(
        coverage_json(session, frame, where, use_rollup=use_rollup)
    )
