"""The prospects' history in the planning rollup: what each outlet sold over the history months.

For each month it holds, the rollup (models/planning/rollup.py) keeps, for the lookalikes
(models/planning/lookalikes.py), what each outlet sold per month over the history months
before it, and each channel of each territory by SKU. Their marks are their own
(``planning_history_mark``: the territory and day of each sale or order written, NULL when an
outlet changed), so a day's check-ins and orders leave them standing; only the months whose
history holds a written day are recomputed, by territory.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import BigInteger, Column, Numeric, text
from sqlalchemy import Enum as SAEnum
from sqlmodel import Field, SQLModel

from models.outlets import Channel
from models.planning import sources
from models.planning.frame import Span, add_months

if TYPE_CHECKING:
    from models.planning.rollup import PlanningSnapshot


class PlanningHistoryOutlet(SQLModel, table=True):
    """An outlet's month over the history months before the month: a lookalike's figures."""

    __tablename__ = "planning_history_outlet"

    month: date = Field(primary_key=True)
    territory_id: uuid.UUID = Field(primary_key=True, description="The outlet's, when computed.")
    outlet_id: uuid.UUID = Field(primary_key=True)
    quantity: Decimal = Field(sa_type=Numeric(), description="Per month, summed over SKUs.")
    value: Decimal = Field(sa_type=Numeric(), description="Per month, summed over SKUs.")
    skus: int = Field(description="SKUs it sold.")


class PlanningHistoryChannel(SQLModel, table=True):
    """One SKU at the active outlets of a channel in one territory, over the history months."""

    __tablename__ = "planning_history_channel"

    month: date = Field(primary_key=True)
    territory_id: uuid.UUID = Field(primary_key=True)
    channel: Channel = Field(sa_type=SAEnum(Channel, name="outlet_channel"), primary_key=True)
    sku_id: uuid.UUID = Field(primary_key=True)
    quantity: Decimal = Field(sa_type=Numeric())
    value: Decimal = Field(sa_type=Numeric())
    selling: int = Field(description="Outlets that sold it.")


class PlanningHistoryMark(SQLModel, table=True):
    """A territory with sales or orders of a day written since the last refresh (NULL: any
    day, its outlets changed): the history tables of the months whose history holds the day.
    """

    __tablename__ = "planning_history_mark"

    id: int | None = Field(default=None, sa_column=Column(BigInteger, primary_key=True))
    territory_id: uuid.UUID
    day: date | None = None


HISTORY_CELLS = ("planning_history_outlet", "planning_history_channel")

CLEAR_HISTORY = [
    text(f"""
DELETE FROM {table}
WHERE month = :start
  AND (CAST(:history_full AS boolean) OR territory_id = ANY(CAST(:history_dirty AS uuid[])))
""")
    for table in HISTORY_CELLS
]

# The history cells of every outlet of the territories, summed as lookalikes.LOOKALIKES sums
# them. Outlets outside every territory leave no mark when written to: they have no cells, and
# their figures always come from the facts.
HISTORY_OF = """
WITH
history_outlet AS (
    SELECT o.id AS outlet_id, o.territory_id, o.channel, o.status FROM outlet AS o
    WHERE o.territory_id IS NOT NULL
      AND (CAST(:history_full AS boolean)
           OR o.territory_id = ANY(CAST(:history_dirty AS uuid[])))
),
history_sums AS (
    SELECT f.outlet_id, f.sku_id, sum(f.quantity) AS quantity, sum(f.value) AS value
    FROM ({sales}) AS f
    GROUP BY f.outlet_id, f.sku_id
),
outlet_in AS (
    INSERT INTO planning_history_outlet (month, territory_id, outlet_id, quantity, value, skus)
    SELECT :start, u.territory_id, h.outlet_id, sum(h.quantity / :history_months),
           sum(h.value / :history_months), count(*) FILTER (WHERE h.quantity <> 0 OR h.value <> 0)
    FROM history_sums AS h JOIN history_outlet AS u ON u.outlet_id = h.outlet_id
    GROUP BY u.territory_id, h.outlet_id
)
INSERT INTO planning_history_channel
    (month, territory_id, channel, sku_id, quantity, value, selling)
SELECT :start, u.territory_id, u.channel, h.sku_id, sum(h.quantity), sum(h.value),
       count(*) FILTER (WHERE h.quantity <> 0 OR h.value <> 0)
FROM history_sums AS h JOIN history_outlet AS u ON u.outlet_id = h.outlet_id
WHERE u.status = 'active'
GROUP BY u.territory_id, u.channel, h.sku_id
"""
HISTORY = text(HISTORY_OF.format(sales=sources.sales("history_outlet", "history_start", "start")))
HISTORY_FEW = text(
    HISTORY_OF.format(sales=sources.sales("history_outlet", "history_start", "start", few=True))
)


# The history marks are claimed as the territory marks are; each month recomputes the
# territories with a day of its history written (a day either side: see the marks).
CLAIM_HISTORY = text("""
WITH claimed AS (DELETE FROM planning_history_mark RETURNING territory_id, day)
SELECT DISTINCT territory_id, day FROM claimed
""")


def written(claimed: Sequence[tuple[uuid.UUID, date | None]], span: Span) -> list[uuid.UUID]:
    """The territories whose history tables of the span's month the claimed marks touch."""
    first = add_months(span.month, -span.history_months) - timedelta(days=1)
    return sorted({t for t, day in claimed if day is None or first <= day <= span.month})


def history_current(snapshot: PlanningSnapshot | None, span: Span) -> bool:
    """Whether the snapshot's history tables hold the span's: the days before the month are
    the same whatever the cut, so a new day keeps them.
    """
    return (
        snapshot is not None
        and snapshot.history_months == span.history_months
        and snapshot.timezone == span.zone.key
    )
