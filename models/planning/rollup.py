"""The planning rollup: the coverage table's sums per territory and month, kept current.

The coverage table (models/planning/coverage.py) adds up, per bucket of outlets, four sets of
sums: outlets (universe, covered), SKU cells (carrying, sales, the carriers' category sales),
category sales and last year's sales; and it reads each row's effective target. The rollup
stores, for the current and the previous months, those sums for the outlets assigned to each
territory, per channel and for every channel together (computed by the same SQL,
``figures.figures``), the same sums for each territory's whole subtree, and each territory's
effective target; so the country's table reads one row per child and SKU (every channel's)
instead of passing over every sale, and a table of one channel reads that channel's rows.

Every write to what the table reads (outlets, sales, visits, orders, audits, photos and their
lines, targets, the territory tree, an SKU's category) marks the territories it touched in
``planning_dirty``, by statement-level triggers (migration 0009), in the writer's transaction.
A question reads the rollup for the children whose subtree holds no mark and computes the
marked territories from the facts, so the answer is that of the data now, rollup or not. A
refresh claims the marks (deletes them in one statement, before it reads anything), recomputes
those territories and the subtree sums, and commits both at once: a write committed after the
claim keeps its mark for the next refresh.

For the prospects (models/planning/lookalikes.py) it also keeps, for each month it holds, what
each outlet sold over the history months before it, and each channel of each territory by SKU,
under marks of their own (models/planning/history.py); and every prospect's lookalikes, under
the marks of the outlets written (see lookalike_store.py).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import BigInteger, Column, Numeric, TextClause, text
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


class PlanningTargetCell(SQLModel, table=True):
    """A territory's effective target for one SKU: its own, or the topmost ones below it."""

    __tablename__ = "planning_target_cell"

    month: date = Field(primary_key=True)
    territory_id: uuid.UUID = Field(primary_key=True)
    sku_id: uuid.UUID = Field(primary_key=True)
    quantity: Decimal | None = Field(default=None, sa_type=Numeric())
    value: Decimal | None = Field(default=None, sa_type=Numeric())


class PlanningDirty(SQLModel, table=True):
    """A territory with facts or targets written since the last refresh (one row per statement).

    No unique key: a writer never waits on, or conflicts with, another writer or a refresh.
    """

    __tablename__ = "planning_dirty"

    id: int | None = Field(default=None, sa_column=Column(BigInteger, primary_key=True))
    territory_id: uuid.UUID


# Each sum table, with its key and its summed columns.
SUMS = {
    "planning_outlets_cell": (("channel",), ("universe", "covered")),
    "planning_sku_cell": (
        ("channel", "sku_id"),
        ("carrying", "quantity", "value", "carrying_category_value"),
    ),
    "planning_category_cell": (("channel", "category_id"), ("value",)),
    "planning_last_year_cell": (("channel", "sku_id"), ("quantity", "value")),
}
CELLS = (*SUMS, "planning_target_cell", *HISTORY_CELLS)

CLAIM = text("""
WITH claimed AS (DELETE FROM planning_dirty RETURNING territory_id)
SELECT DISTINCT territory_id FROM claimed
""")

CLEAR = [
    text(f"""
DELETE FROM {table}
WHERE month = :start
  AND (subtree OR CAST(:full AS boolean) OR territory_id = ANY(CAST(:dirty AS uuid[])))
""")
    for table in SUMS
] + [text("DELETE FROM planning_target_cell WHERE month = :start")]

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

# The same figures the coverage table computes, per territory (each its own bucket): all of
# them, or the marked ones with their sales looked up outlet by outlet.
FILL_OF = """
WITH
live_tree (id, bucket) AS (
    SELECT t.id, t.id FROM territory AS t
    WHERE CAST(:full AS boolean) OR t.id = ANY(CAST(:dirty AS uuid[]))
),
{figures},
outlets_in AS (
    INSERT INTO planning_outlets_cell (month, subtree, territory_id, channel, universe, covered)
    SELECT :start, false, bucket, {channel}, universe, covered FROM live_outlets
),
sku_in AS (
    INSERT INTO planning_sku_cell (
        month, subtree, territory_id, channel, sku_id,
        carrying, quantity, value, carrying_category_value
    )
    SELECT :start, false, bucket, {channel}, sku_id,
           carrying, quantity, value, carrying_category_value
    FROM live_sku
),
category_in AS (
    INSERT INTO planning_category_cell (month, subtree, territory_id, channel, category_id, value)
    SELECT :start, false, bucket, {channel}, category_id, value FROM live_category
),
last_year_in AS (
    INSERT INTO planning_last_year_cell
        (month, subtree, territory_id, channel, sku_id, quantity, value)
    SELECT :start, false, bucket, {channel}, sku_id, quantity, value FROM live_last_year
)
SELECT count(*) FROM live_tree
"""
# The live sums come per channel and, with the channel NULL, for every channel together.
ANY_CHANNEL = f"coalesce(CAST(channel AS text), '{EVERY_CHANNEL}')"
FILL = text(FILL_OF.format(figures=figures(few=False, by_channel=True), channel=ANY_CHANNEL))
FILL_FEW = text(FILL_OF.format(figures=figures(few=True, by_channel=True), channel=ANY_CHANNEL))

MARK = text("""
INSERT INTO planning_snapshot (month, cut, window_days, history_months, timezone, refreshed_at)
VALUES (:start, :cut, :window_days, :history_months, :timezone, now())
ON CONFLICT (month) DO UPDATE SET cut = excluded.cut, window_days = excluded.window_days,
    history_months = excluded.history_months, timezone = excluded.timezone,
    refreshed_at = excluded.refreshed_at
""")


DIRTY = text("SELECT DISTINCT territory_id FROM planning_dirty")


def dirty_territories(session: Session) -> list[uuid.UUID]:
    """The territories with facts or targets written since the last refresh."""
    return list(session.scalars(DIRTY))


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


def refresh_planning_rollup(session: Session, spans: Sequence[Span]) -> dict[date, int]:
    """Bring the rollup's months to ``spans``; returns the territories recomputed per month.

    A month whose snapshot is of the same span recomputes only the territories marked since;
    another (a new day moves the cut) recomputes them all, but for the history tables, which
    only a new month, history or time zone recomputes. Months not in ``spans`` are dropped.
    The prospects' lookalikes are found again near the outlets written since. Flushes, never
    commits.
    """
    # One refresh at a time: two would claim, delete and insert the same cells.
    session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:name))"), {"name": PLANNING})
    claimed = list(session.scalars(CLAIM))
    history_claimed = [(t, day) for t, day in session.execute(CLAIM_HISTORY)]
    months = [span.month for span in spans]
    for table in (*CELLS, "planning_snapshot"):
        stale = text(f"DELETE FROM {table} WHERE month <> ALL(:months)")
        session.execute(stale, {"months": months})
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
            "dirty": claimed,
            "history_full": history_full,
            "history_dirty": written(history_claimed, span),
            "sku_id": None,
            "brand_id": None,
            "channel": None,
            "window_days": span.window_days,
            "timezone": span.zone.key,
        }
        for statement in (*CLEAR, *CLEAR_HISTORY):
            session.execute(statement, params)
        fill = FILL if full else FILL_FEW
        done[span.month] = int(session.execute(fill, params).scalar_one())
        session.execute(HISTORY if history_full else HISTORY_FEW, params)
        for statement in (*SUBTREES, TARGETS):
            session.execute(statement, params)
        session.execute(MARK, params)
    lookalike_store.refresh_lookalikes(session)
    session.flush()
    return done
