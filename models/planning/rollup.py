"""The planning rollup: the coverage table's sums per territory and month, kept current.

The coverage table (models/planning/coverage.py) adds up, per bucket of outlets, four sets of
sums: outlets (universe, covered), SKU cells (carrying, sales, the carriers' category sales),
category sales and last year's sales; and it reads each row's effective target. The rollup
stores, for the current and the previous months, those sums for the outlets assigned to each
territory, per channel and for every channel together (computed by the same SQL,
``figures.figures``), the same sums for each territory's whole subtree, and each territory's
effective target; so the country's table reads one row per child and SKU (every channel's)
instead of passing over every sale, and a table of one channel reads that channel's rows.

It also keeps each outlet's part of its territory's cells (``planning_outlet_*_part``: what
the outlet added to them at the refresh, and where it was then).

Every write to what the table reads marks what it touched in ``planning_dirty``, by
statement-level triggers (migrations 0009 and 0012), in the writer's transaction. Facts of an
outlet (its sales, visits, orders, audits, photos and their lines) mark the outlet; the rest
(the outlet itself, targets, the territory tree, an SKU's category) mark whole territories. A
question reads the rollup for the children whose subtree holds no territory marked whole and
computes those territories from the facts; a marked outlet's part is taken off the cells read
and its figures now are added, so the answer is that of the data now, rollup or not. A
refresh claims the marks (deletes them in one statement, before it reads anything), recomputes
the territories marked, whole or through an outlet, with their outlets' parts, and the subtree
sums, and commits them at once: a write committed after the claim keeps its mark for the next
refresh.

For the prospects (models/planning/lookalikes.py) it also keeps, for each month it holds, what
each outlet sold over the history months before it, and each channel of each territory by SKU,
under marks of their own (models/planning/history.py); and every prospect's lookalikes, under
the marks of the outlets written (see lookalike_store.py).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import BigInteger, Column, Index, Numeric, TextClause, text
from sqlalchemy.dialects.postgresql import TIMESTAMP
from sqlmodel import Field, Session, SQLModel, select

from models.planning import lookalike_store, sources
from models.planning.figures import figures
from models.planning.frame import Span, add_months
from models.planning.history import (
    CLAIM_HISTORY,
    CLEAR_HISTORY,
    HISTORY,
    HISTORY_CELLS,
    HISTORY_FEW,
    history_current,
    written,
)

PLANNING = "planning"


class PlanningSnapshot(SQLModel, table=True):
    """A month the rollup holds, and the span its cells were computed for."""

    __tablename__ = "planning_snapshot"

    month: date = Field(primary_key=True)
    cut: date = Field(description="The first day not counted.")
    window_days: int = Field(description="The presence window the cells were computed with.")
    history_months: int = Field(description="The months of history before the month summed.")
    timezone: str = Field(max_length=64)
    refreshed_at: datetime = Field(sa_type=TIMESTAMP(timezone=True))


# The cells carry no foreign keys: checking them cost more than computing the cells, and a
# cell of a territory or SKU deleted since is never read (the questions join the live tree and
# catalogue) and goes at the next refresh of its territory or the next full one.
SUBTREE = "False: the outlets assigned to the territory; true: those of its whole subtree."
EVERY_CHANNEL = "*"
CHANNEL = (
    f"The channel of the outlets summed, or {EVERY_CHANNEL!r} for all of them: a table of one"
    " channel reads that channel's cells, one of every channel the totals (as many as before)."
)


FACTS = (
    "How many facts the cell adds up (outlet and SKU pairs, or sales): a cell of none is no row."
)


def _channel() -> Any:
    """A cell's channel key (a field of its own per table)."""
    return Field(primary_key=True, max_length=32, description=CHANNEL)


class PlanningOutletsCell(SQLModel, table=True):
    """Outlets assigned to one territory: the universe and those covered in the month."""

    __tablename__ = "planning_outlets_cell"

    month: date = Field(primary_key=True)
    subtree: bool = Field(primary_key=True, description=SUBTREE)
    territory_id: uuid.UUID = Field(primary_key=True)
    channel: str = _channel()
    universe: int
    covered: int


class PlanningSkuCell(SQLModel, table=True):
    """One SKU at the outlets of one territory in the month."""

    __tablename__ = "planning_sku_cell"

    month: date = Field(primary_key=True)
    subtree: bool = Field(primary_key=True, description=SUBTREE)
    territory_id: uuid.UUID = Field(primary_key=True)
    channel: str = _channel()
    sku_id: uuid.UUID = Field(primary_key=True)
    carrying: int
    quantity: Decimal = Field(sa_type=Numeric())
    value: Decimal = Field(sa_type=Numeric())
    carrying_category_value: Decimal = Field(
        sa_type=Numeric(), description="Category sales of the carrying outlets."
    )
    facts: int = Field(description=FACTS)


class PlanningCategoryCell(SQLModel, table=True):
    """A category's sales at the outlets of one territory in the month."""

    __tablename__ = "planning_category_cell"

    month: date = Field(primary_key=True)
    subtree: bool = Field(primary_key=True, description=SUBTREE)
    territory_id: uuid.UUID = Field(primary_key=True)
    channel: str = _channel()
    category_id: uuid.UUID = Field(primary_key=True)
    value: Decimal = Field(sa_type=Numeric())


class PlanningLastYearCell(SQLModel, table=True):
    """One SKU's sales at the outlets of one territory in the same month a year before."""

    __tablename__ = "planning_last_year_cell"

    month: date = Field(primary_key=True)
    subtree: bool = Field(primary_key=True, description=SUBTREE)
    territory_id: uuid.UUID = Field(primary_key=True)
    channel: str = _channel()
    sku_id: uuid.UUID = Field(primary_key=True)
    quantity: Decimal = Field(sa_type=Numeric())
    value: Decimal = Field(sa_type=Numeric())
    facts: int = Field(description=FACTS)


class PlanningTargetCell(SQLModel, table=True):
    """A territory's effective target for one SKU: its own, or the topmost ones below it."""

    __tablename__ = "planning_target_cell"

    month: date = Field(primary_key=True)
    territory_id: uuid.UUID = Field(primary_key=True)
    sku_id: uuid.UUID = Field(primary_key=True)
    quantity: Decimal | None = Field(default=None, sa_type=Numeric())
    value: Decimal | None = Field(default=None, sa_type=Numeric())


class PlanningOutletPart(SQLModel, table=True):
    """An outlet of the universe at the refresh, where it was and whether it was covered.

    With the outlet's parts of the SKU, category and last year's cells (below): what the outlet
    added to the cells of its territory, taken off again when the outlet is written to since.
    """

    __tablename__ = "planning_outlet_part"
    __table_args__ = (Index("ix_planning_outlet_part_territory_id", "month", "territory_id"),)

    month: date = Field(primary_key=True)
    outlet_id: uuid.UUID = Field(primary_key=True)
    territory_id: uuid.UUID
    channel: str = Field(max_length=32)
    universe: int
    covered: int


class PlanningOutletSkuPart(SQLModel, table=True):
    """An outlet's part of a territory's SKU cell."""

    __tablename__ = "planning_outlet_sku_part"

    month: date = Field(primary_key=True)
    outlet_id: uuid.UUID = Field(primary_key=True)
    sku_id: uuid.UUID = Field(primary_key=True)
    carrying: int
    quantity: Decimal = Field(sa_type=Numeric())
    value: Decimal = Field(sa_type=Numeric())
    carrying_category_value: Decimal = Field(sa_type=Numeric())
    facts: int


class PlanningOutletCategoryPart(SQLModel, table=True):
    """An outlet's part of a territory's category cell."""

    __tablename__ = "planning_outlet_category_part"

    month: date = Field(primary_key=True)
    outlet_id: uuid.UUID = Field(primary_key=True)
    category_id: uuid.UUID = Field(primary_key=True)
    value: Decimal = Field(sa_type=Numeric())


class PlanningOutletLastYearPart(SQLModel, table=True):
    """An outlet's part of a territory's cell of last year's sales."""

    __tablename__ = "planning_outlet_last_year_part"

    month: date = Field(primary_key=True)
    outlet_id: uuid.UUID = Field(primary_key=True)
    sku_id: uuid.UUID = Field(primary_key=True)
    quantity: Decimal = Field(sa_type=Numeric())
    value: Decimal = Field(sa_type=Numeric())
    facts: int


class PlanningDirty(SQLModel, table=True):
    """A territory, or one outlet of it, with facts or targets written since the last refresh
    (one row per statement and outlet).

    Facts of an outlet (its sales, visits, orders, audits, photos) mark the outlet: its
    territory's cells are still read, corrected by the outlet's part. The rest (the outlet
    itself, targets, the tree, an SKU's category) mark the whole territory (no outlet).
    No unique key: a writer never waits on, or conflicts with, another writer or a refresh.
    """

    __tablename__ = "planning_dirty"

    id: int | None = Field(default=None, sa_column=Column(BigInteger, primary_key=True))
    territory_id: uuid.UUID
    outlet_id: uuid.UUID | None = Field(default=None, description="Only this outlet of it.")


# Each sum table, with its key and its summed columns.
SUMS = {
    "planning_outlets_cell": (("channel",), ("universe", "covered")),
    "planning_sku_cell": (
        ("channel", "sku_id"),
        ("carrying", "quantity", "value", "carrying_category_value", "facts"),
    ),
    "planning_category_cell": (("channel", "category_id"), ("value",)),
    "planning_last_year_cell": (("channel", "sku_id"), ("quantity", "value", "facts")),
}
# Each sum table's parts per outlet, and the CTE of figures.PARTS_OF that holds them.
PARTS = {
    "planning_outlets_cell": ("planning_outlet_part", "part_outlets"),
    "planning_sku_cell": ("planning_outlet_sku_part", "part_sku"),
    "planning_category_cell": ("planning_outlet_category_part", "part_category"),
    "planning_last_year_cell": ("planning_outlet_last_year_part", "part_last_year"),
}
CELLS = (*SUMS, "planning_target_cell", *HISTORY_CELLS, *(part for part, _ in PARTS.values()))

CLAIM = text("""
WITH claimed AS (DELETE FROM planning_dirty RETURNING territory_id, outlet_id)
SELECT DISTINCT territory_id, outlet_id FROM claimed
""")

CLEAR = [
    text(f"""
DELETE FROM {table}
WHERE month = :start
  AND (subtree OR CAST(:full AS boolean) OR territory_id = ANY(CAST(:dirty AS uuid[])))
""")
    for table in SUMS
] + [text("DELETE FROM planning_target_cell WHERE month = :start")]

# The parts of the outlets recomputed: every outlet's, or those of the outlets the refresh last
# found in the marked territories (an outlet moved since marks its old territory and its new).
CLEAR_PARTS = [
    text(f"""
DELETE FROM {part} AS p
WHERE p.month = :start
  AND (CAST(:full AS boolean) OR p.outlet_id IN (
      SELECT o.outlet_id FROM planning_outlet_part AS o
      WHERE o.month = :start AND o.territory_id = ANY(CAST(:dirty AS uuid[]))
  ))
""")
    for part, _ in PARTS.values()
    if part != "planning_outlet_part"
] + [
    text("""
DELETE FROM planning_outlet_part
WHERE month = :start AND (CAST(:full AS boolean) OR territory_id = ANY(CAST(:dirty AS uuid[])))
""")
]

# Every territory with each territory of its subtree, itself included.
CLOSURE = """
WITH RECURSIVE closure (ancestor, descendant) AS (
    SELECT id, id FROM territory
    UNION ALL
    SELECT c.ancestor, t.id FROM closure AS c JOIN territory AS t ON t.parent_id = c.descendant
)"""


def _subtree(table: str, key: tuple[str, ...], summed: tuple[str, ...]) -> TextClause:
    """The subtree sums of a table, from its rows per assigned territory."""
    keys = "".join(f", {k}" for k in key)
    keyed = "".join(f", r.{k}" for k in key)
    sums = ", ".join(f"sum(r.{c})" for c in summed)
    return text(f"""{CLOSURE}
INSERT INTO {table} (month, subtree, territory_id{keys}, {", ".join(summed)})
SELECT :start, true, c.ancestor{keyed}, {sums}
FROM closure AS c
JOIN {table} AS r ON r.territory_id = c.descendant AND r.month = :start AND NOT r.subtree
GROUP BY c.ancestor{keyed}
""")


SUBTREES = [_subtree(table, key, summed) for table, (key, summed) in SUMS.items()]

# The effective target of every territory (models/planning/targets.py): a target counts for a
# territory above it when no territory in between, nor the territory itself, has one.
TARGETS = text("""
WITH RECURSIVE
node (id, depth, path) AS (
    SELECT t.id, 0, CAST(ARRAY[] AS uuid[]) FROM territory AS t WHERE t.parent_id IS NULL
    UNION ALL
    SELECT t.id, n.depth + 1, n.path || n.id
    FROM territory AS t JOIN node AS n ON t.parent_id = n.id
),
tgt AS (
    SELECT t.territory_id, t.sku_id, t.quantity, t.value, n.path
    FROM target AS t JOIN node AS n ON n.id = t.territory_id
    WHERE t.period = :start
),
upper AS (
    SELECT t.territory_id, t.sku_id, n.depth
    FROM tgt AS t JOIN node AS n ON n.id = t.territory_id
    WHERE t.territory_id IN (SELECT c.parent_id FROM territory AS c)
),
shadow AS (
    SELECT t.territory_id, t.sku_id, max(u.depth) AS depth
    FROM tgt AS t JOIN upper AS u ON u.sku_id = t.sku_id AND u.territory_id = ANY(t.path)
    GROUP BY t.territory_id, t.sku_id
)
INSERT INTO planning_target_cell (month, territory_id, sku_id, quantity, value)
SELECT :start, a.id, t.sku_id, sum(t.quantity), sum(t.value)
FROM tgt AS t
CROSS JOIN LATERAL unnest(t.path || t.territory_id) AS up (id)
JOIN node AS a ON a.id = up.id
LEFT JOIN shadow AS x ON x.territory_id = t.territory_id AND x.sku_id = t.sku_id
WHERE a.id = t.territory_id OR x.depth IS NULL OR x.depth < a.depth
GROUP BY a.id, t.sku_id
""")

# Each outlet's parts (figures.PARTS_OF), stored.
PARTS_IN = """outlet_part_in AS (
    INSERT INTO planning_outlet_part (month, outlet_id, territory_id, channel, universe, covered)
    SELECT :start, outlet_id, bucket, CAST(channel AS text), universe, covered FROM part_outlets
),
sku_part_in AS (
    INSERT INTO planning_outlet_sku_part (
        month, outlet_id, sku_id, carrying, quantity, value, carrying_category_value, facts
    )
    SELECT :start, outlet_id, sku_id, carrying, quantity, value, carrying_category_value, facts
    FROM part_sku
),
category_part_in AS (
    INSERT INTO planning_outlet_category_part (month, outlet_id, category_id, value)
    SELECT :start, outlet_id, category_id, value FROM part_category
),
last_year_part_in AS (
    INSERT INTO planning_outlet_last_year_part (month, outlet_id, sku_id, quantity, value, facts)
    SELECT :start, outlet_id, sku_id, quantity, value, facts FROM part_last_year
)"""

# The same figures the coverage table computes, per outlet and per territory (each its own
# bucket): all of them, or the marked ones with their sales looked up outlet by outlet. The
# territory's cells are the sums of its outlets' parts.
FILL_OF = """
WITH
live_tree (id, bucket) AS (
    SELECT t.id, t.id FROM territory AS t
    WHERE CAST(:full AS boolean) OR t.id = ANY(CAST(:dirty AS uuid[]))
),
{figures},
{parts_in},
outlets_in AS (
    INSERT INTO planning_outlets_cell (month, subtree, territory_id, channel, universe, covered)
    SELECT :start, false, bucket, {channel}, universe, covered FROM live_outlets
),
sku_in AS (
    INSERT INTO planning_sku_cell (
        month, subtree, territory_id, channel, sku_id,
        carrying, quantity, value, carrying_category_value, facts
    )
    SELECT :start, false, bucket, {channel}, sku_id,
           carrying, quantity, value, carrying_category_value, facts
    FROM live_sku
),
category_in AS (
    INSERT INTO planning_category_cell (month, subtree, territory_id, channel, category_id, value)
    SELECT :start, false, bucket, {channel}, category_id, value FROM live_category
),
last_year_in AS (
    INSERT INTO planning_last_year_cell
        (month, subtree, territory_id, channel, sku_id, quantity, value, facts)
    SELECT :start, false, bucket, {channel}, sku_id, quantity, value, facts FROM live_last_year
)
SELECT count(*) FROM live_tree
"""
# The live sums come per channel and, with the channel NULL, for every channel together.
ANY_CHANNEL = f"coalesce(CAST(channel AS text), '{EVERY_CHANNEL}')"
FILL, FILL_FEW = (
    text(
        FILL_OF.format(
            figures=figures(few=few, by_channel=True, parts=True, tree="live_tree"),
            parts_in=PARTS_IN,
            channel=ANY_CHANNEL,
        )
    )
    for few in (False, True)
)

# A refresh corrects the cells by the outlets marked on their own, as a question does, and
# keeps the correction: each outlet's part at the last refresh is taken off its territory's
# cells and its ancestors' subtree sums, and its part now is added and stored. So it recomputes
# those outlets only, and the subtree sums of their territories only, where a territory marked
# whole has every subtree sum added up again.
#
# The outlets marked on their own, in a territory not marked whole and summed at the last
# refresh in one not marked whole either (an outlet moved marks both territories whole).
BY_OUTLET = text("""
SELECT o.id FROM outlet AS o
LEFT JOIN planning_outlet_part AS p ON p.month = :start AND p.outlet_id = o.id
WHERE o.id = ANY(CAST(:outlets AS uuid[]))
  AND o.territory_id <> ALL(CAST(:dirty AS uuid[]))
  AND (p.territory_id IS NULL OR p.territory_id <> ALL(CAST(:dirty AS uuid[])))
""")

# The territories whose cells those outlets' parts were in or go to, and every one above them.
AFFECTED = text(f"""{CLOSURE}
SELECT DISTINCT c.ancestor FROM closure AS c
WHERE c.descendant IN (
    SELECT territory_id FROM outlet WHERE id = ANY(CAST(:outlets AS uuid[]))
    UNION
    SELECT territory_id FROM planning_outlet_part
    WHERE month = :start AND outlet_id = ANY(CAST(:outlets AS uuid[]))
)""")


def _keys(table: str) -> tuple[str, ...]:
    """A sum table's keys beside the territory and its channel."""
    return tuple(k for k in SUMS[table][0] if k != "channel")


def _add(name: str, table: str, parts: str, sign: str) -> str:
    """CTE ``name``: adds the rows of ``parts`` (territory_id, channel, the table's keys and
    sums), times ``sign``, to ``table``'s cells: the territory's own, per channel and for every
    channel together, and the subtree sums of the territory and each above it (``closure``)."""
    summed = SUMS[table][1]

    def keyed(alias: str = "") -> str:
        return "".join(f", {alias}{k}" for k in _keys(table))

    signed = ", ".join(f"{sign}sum({c}) AS {c}" for c in summed)
    totals = ", ".join(f"sum(x.{c})" for c in summed)
    added = ", ".join(f"{c} = c.{c} + excluded.{c}" for c in summed)
    return f"""by_channel_{name} AS (
    SELECT territory_id, coalesce(channel, '{EVERY_CHANNEL}') AS channel{keyed()}, {signed}
    FROM ({parts}) AS d
    GROUP BY GROUPING SETS ((territory_id, channel{keyed()}), (territory_id{keyed()}))
),
{name} AS (
    INSERT INTO {table} AS c (month, subtree, territory_id, channel{keyed()}, {", ".join(summed)})
    SELECT :start, x.subtree, x.territory_id, x.channel{keyed("x.")}, {totals}
    FROM (
        SELECT false AS subtree, d.* FROM by_channel_{name} AS d
        UNION ALL
        SELECT true, a.ancestor, d.channel{keyed("d.")}, {", ".join(f"d.{c}" for c in summed)}
        FROM by_channel_{name} AS d JOIN closure AS a ON a.descendant = d.territory_id
    ) AS x
    GROUP BY x.subtree, x.territory_id, x.channel{keyed("x.")}
    ON CONFLICT (month, subtree, territory_id, channel{keyed()}) DO UPDATE SET {added}
)"""


def _columns(table: str, alias: str = "") -> str:
    """A sum table's keys beside the territory and its channel, then its sums."""
    return ", ".join(f"{alias}{c}" for c in (*_keys(table), *SUMS[table][1]))


def _stored(table: str) -> str:
    """What the marked outlets' stored parts hold of a sum table: their territory and channel
    at the last refresh, then the table's keys and sums."""
    if table == "planning_outlets_cell":
        return "SELECT o.territory_id, o.channel, o.universe, o.covered FROM stored AS o"
    return (
        f"SELECT o.territory_id, o.channel, {_columns(table, 'r.')} FROM stored AS o "
        f"JOIN {PARTS[table][0]} AS r ON r.month = o.month AND r.outlet_id = o.outlet_id "
        "WHERE r.month = :start AND r.outlet_id = ANY(CAST(:outlets AS uuid[]))"
    )


# Takes the marked outlets' stored parts off the cells, and drops them.
TAKE_OFF = text(
    f"""{CLOSURE},
stored AS (
    SELECT * FROM planning_outlet_part
    WHERE month = :start AND outlet_id = ANY(CAST(:outlets AS uuid[]))
),
"""
    + ",\n".join(_add(f"off_{i}", table, _stored(table), "-") for i, table in enumerate(SUMS))
    + ",\n"
    + ",\n".join(
        f"""drop_{i} AS (
    DELETE FROM {part} WHERE month = :start AND outlet_id = ANY(CAST(:outlets AS uuid[]))
)"""
        for i, (part, _) in enumerate(PARTS.values())
    )
    + "\nSELECT count(*) FROM stored"
)

# Stores the marked outlets' parts now, and adds them to the cells.
ADD_ON = text(
    f"""{CLOSURE},
live_tree (id, bucket) AS (SELECT t.id, t.id FROM territory AS t),
{figures(few=True, by_channel=True, parts=True, tree="live_tree")},
{PARTS_IN},
"""
    + ",\n".join(
        _add(
            f"on_{i}",
            table,
            f"SELECT bucket AS territory_id, CAST(channel AS text) AS channel, "
            f"{_columns(table)} FROM {cte}",
            "",
        )
        for i, (table, (_, cte)) in enumerate(PARTS.items())
    )
    + "\nSELECT count(*) FROM part_outlets"
)

# Cells corrected down to no facts: no rows, as a refresh from the facts would give none.
EMPTY = [
    text(f"""
DELETE FROM {table}
WHERE month = :start AND facts = 0 AND territory_id = ANY(CAST(:affected AS uuid[]))
""")
    for table in ("planning_sku_cell", "planning_last_year_cell")
]


MARK = text("""
INSERT INTO planning_snapshot (month, cut, window_days, history_months, timezone, refreshed_at)
VALUES (:start, :cut, :window_days, :history_months, :timezone, now())
ON CONFLICT (month) DO UPDATE SET cut = excluded.cut, window_days = excluded.window_days,
    history_months = excluded.history_months, timezone = excluded.timezone,
    refreshed_at = excluded.refreshed_at
""")


MARKS = text("""
SELECT coalesce(array_agg(DISTINCT territory_id) FILTER (WHERE outlet_id IS NULL), '{}'),
       coalesce(array_agg(DISTINCT outlet_id) FILTER (WHERE outlet_id IS NOT NULL), '{}'),
       coalesce(array_agg(DISTINCT territory_id) FILTER (WHERE outlet_id IS NOT NULL), '{}')
FROM planning_dirty
""")

# Past this many outlets marked on their own (a bulk import marks them all), their territories
# are marked whole instead. At 100,000 outlets each costs about 1 ms of the country's table
# and 13 ms of a refresh (5,000 of them: 5.9 s and 67 s; all 190 leaves recomputed whole:
# 49 s and 183 s), so the two meet past 10,000 for the refresh and later for the table.
MOST_OUTLETS = 10_000


@dataclass(frozen=True)
class Marks:
    """What was written to since the last refresh: territories marked whole, and outlets
    marked on their own (in territories that may be marked whole too)."""

    territories: list[uuid.UUID] = field(default_factory=list)
    outlets: list[uuid.UUID] = field(default_factory=list)


def _marks(
    whole: Sequence[uuid.UUID], outlets: Sequence[uuid.UUID], theirs: Sequence[uuid.UUID]
) -> Marks:
    """The marks, with ``outlets`` (in the territories ``theirs``) marking their territories
    whole when there are more than MOST_OUTLETS."""
    if len(outlets) > MOST_OUTLETS:
        return Marks(sorted({*whole, *theirs}), [])
    return Marks(list(whole), list(outlets))


def marks(session: Session) -> Marks:
    """The marks written since the last refresh."""
    return _marks(*session.execute(MARKS).one())


def spans(timezone: str, window_days: int, today: date | None = None) -> list[Span]:
    """The months the rollup keeps: the current one to today, and the previous one whole."""
    zone = ZoneInfo(timezone)
    day = today or datetime.now(zone).date()
    month = day.replace(day=1)
    previous = add_months(month, -1)
    return [Span(month, day, zone, window_days), Span(previous, day, zone, window_days)]


def current(snapshot: PlanningSnapshot | None, span: Span) -> bool:
    """Whether the snapshot's cells were computed for this span."""
    return (
        snapshot is not None
        and snapshot.cut == span.cut
        and snapshot.window_days == span.window_days
        and snapshot.history_months == span.history_months
        and snapshot.timezone == span.zone.key
    )


# The rows of months not held, as ranges of the month that leads every key: "month <> ALL"
# alone read every part of the months held (4 s of a refresh at 100,000 outlets).
STALE = """
DELETE FROM {table}
WHERE month < :oldest OR month > :newest
   OR (month > :oldest AND month < :newest AND month <> ALL(:months))
"""


def _correct(session: Session, params: dict[str, Any]) -> None:
    """Corrects the cells by the outlets marked on their own (``params["outlets"]``) that no
    territory marked whole recomputes."""
    outlets = list(session.scalars(BY_OUTLET, params))
    if not outlets:
        return
    at = {**params, "outlets": outlets, "dirty_outlets": outlets, "rolled": True, "dirty": []}
    at["affected"] = list(session.scalars(AFFECTED, at))
    for statement in (TAKE_OFF, ADD_ON, *EMPTY):
        session.execute(statement, at)


def refresh_planning_rollup(session: Session, spans: Sequence[Span]) -> dict[date, int]:
    """Bring the rollup's months to ``spans``; returns the territories recomputed per month.

    A month whose snapshot is of the same span recomputes only the territories marked whole
    since, and corrects the cells by the outlets marked on their own (their territories are
    not counted as recomputed); another (a new day moves the cut) recomputes them all, but
    for the history tables, which only a new month, history or time zone recomputes. Months
    not in ``spans`` are dropped. The prospects' lookalikes are found again near the outlets
    written since. Flushes, never commits.
    """
    # One refresh at a time: two would claim, delete and insert the same cells.
    session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:name))"), {"name": PLANNING})
    claimed = session.execute(CLAIM).all()
    marked = _marks(
        list({territory for territory, outlet in claimed if outlet is None}),
        list({outlet for _, outlet in claimed if outlet is not None}),
        list({territory for territory, outlet in claimed if outlet is not None}),
    )
    whole, outlets = marked.territories, marked.outlets
    history_claimed = [(t, day) for t, day in session.execute(CLAIM_HISTORY)]
    months = [span.month for span in spans]
    held = {
        "months": months,
        "oldest": min(months, default=date.max),
        "newest": max(months, default=date.min),
    }
    for table in (*CELLS, "planning_snapshot"):
        session.execute(text(STALE.format(table=table)), held)
    snapshots = {
        s.month: s
        for s in session.exec(select(PlanningSnapshot).execution_options(populate_existing=True))
    }
    sources.analytic(session)
    done: dict[date, int] = {}
    for span in spans:
        full = not current(snapshots.get(span.month), span)
        history_full = not history_current(snapshots.get(span.month), span)
        params = {
            **span.params(),
            "full": full,
            "rolled": not full,
            "dirty": whole,
            "dirty_outlets": [],
            "history_full": history_full,
            "history_dirty": written(history_claimed, span),
            "sku_id": None,
            "brand_id": None,
            "channel": None,
            "window_days": span.window_days,
            "timezone": span.zone.key,
        }
        if not full and outlets:
            _correct(session, {**params, "outlets": outlets})
        if full or whole:
            for statement in (*CLEAR, *CLEAR_PARTS):
                session.execute(statement, params)
            fill = FILL if full else FILL_FEW
            done[span.month] = int(session.execute(fill, params).scalar_one())
            for statement in (*SUBTREES, TARGETS):
                session.execute(statement, params)
        else:
            done[span.month] = 0
        for statement in CLEAR_HISTORY:
            session.execute(statement, params)
        session.execute(HISTORY if history_full else HISTORY_FEW, params)
        session.execute(MARK, params)
    lookalike_store.refresh_lookalikes(session)
    session.flush()
    return done
