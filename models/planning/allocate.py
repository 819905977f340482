"""Split a territory's SKU target down to its children and its outlets, sums kept exact.

Each outlet's weight is its potential: its own monthly sales of the SKU over the history months,
or, for an outlet with no sales history at all (a prospect, a new shop), the average of its
lookalikes. A child's share is in proportion to its outlets' potential, each outlet's share of
its child's in proportion to its own; where every weight is zero the split is even.

Rounding is the largest-remainder method, in the granularity the target is written in (1000 is
split in whole units, 12.5 in tenths): everyone gets the whole units of their exact share, and
the units left go one each to the largest remainders, so the parts add up to the whole exactly.
All of it is one statement per unit (quantity, value), set-based from weights to writes.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field
from sqlalchemy import text
from sqlmodel import Session, col, select

from models.errors import Invalid
from models.planning import sources
from models.planning.frame import Frame, Month
from models.planning.lookalikes import NEIGHBOURS, RADIUS_M, expected_sku, lookalikes
from models.sales import Target

Measure = Literal["quantity", "value"]
SCALE: dict[Measure, int] = {"quantity": 3, "value": 2}  # the columns' scales

STATEMENT = """
WITH RECURSIVE
{tree},
{universe},
history AS (
    SELECT f.outlet_id, sum(f.{measure}) FILTER (WHERE f.sku_id = :sku_id) AS own
    FROM ({history}) AS f
    GROUP BY f.outlet_id
),
subject AS (
    SELECT o.id AS outlet_id, o.channel, o.outlet_class, o.location
    FROM universe AS u JOIN outlet AS o ON o.id = u.outlet_id
    WHERE NOT EXISTS (SELECT 1 FROM history AS h WHERE h.outlet_id = u.outlet_id)
),
{lookalikes},
the_sku AS (SELECT CAST(:sku_id AS uuid) AS sku_id),
{expected_sku},
potential AS (
    SELECT u.outlet_id, u.bucket,
           round(CASE WHEN h.outlet_id IS NOT NULL THEN coalesce(h.own, 0) / :history_months
                      ELSE coalesce(x.{measure}, 0) END, 6) AS weight
    FROM universe AS u
    LEFT JOIN history AS h ON h.outlet_id = u.outlet_id
    LEFT JOIN expected_sku AS x ON x.outlet_id = u.outlet_id AND x.sku_id = :sku_id
),
-- The children, and the territory itself when outlets sit in it directly.
bucket AS (
    SELECT t.id FROM territory AS t WHERE t.parent_id = :root
    UNION SELECT bucket FROM universe
),
bucket_weight AS (
    SELECT b.id AS item, coalesce(sum(p.weight), 0) AS potential, count(p.outlet_id) AS outlets
    FROM bucket AS b LEFT JOIN potential AS p ON p.bucket = b.id
    GROUP BY b.id
),
share1 AS (
    SELECT item, CASE WHEN sum(potential) OVER () > 0 THEN potential
                      WHEN sum(outlets) OVER () > 0 THEN outlets ELSE 1 END AS weight
    FROM bucket_weight
),
split1 AS (
    SELECT item, div(:units * weight, sum(weight) OVER ()) AS base,
           mod(:units * weight, sum(weight) OVER ()) AS rest
    FROM share1
),
alloc1 AS (
    SELECT item, base + CASE WHEN row_number() OVER (ORDER BY rest DESC, item)
                                  <= :units - sum(base) OVER () THEN 1 ELSE 0 END AS units
    FROM split1
),
share2 AS (
    SELECT bucket AS grp, outlet_id AS item,
           CASE WHEN sum(weight) OVER (PARTITION BY bucket) > 0 THEN weight ELSE 1 END AS weight
    FROM potential
),
split2 AS (
    SELECT s.grp, s.item, a.units AS total,
           div(a.units * s.weight, sum(s.weight) OVER (PARTITION BY s.grp)) AS base,
           mod(a.units * s.weight, sum(s.weight) OVER (PARTITION BY s.grp)) AS rest
    FROM share2 AS s JOIN alloc1 AS a ON a.item = s.grp
),
alloc2 AS (
    SELECT grp, item,
           base + CASE WHEN row_number() OVER (PARTITION BY grp ORDER BY rest DESC, item)
                            <= total - sum(base) OVER (PARTITION BY grp) THEN 1 ELSE 0 END AS units
    FROM split2
),
territory_write AS (
    INSERT INTO target AS x (territory_id, sku_id, period, {measure})
    SELECT item, :sku_id, :start, units * :unit FROM alloc1 WHERE item <> :root
    ON CONFLICT (territory_id, sku_id, period) DO UPDATE SET {measure} = excluded.{measure}{reset}
    RETURNING 1
),
outlet_write AS (
    INSERT INTO outlet_target AS x (outlet_id, sku_id, period, {measure})
    SELECT item, :sku_id, :start, units * :unit FROM alloc2
    ON CONFLICT (outlet_id, sku_id, period) DO UPDATE SET {measure} = excluded.{measure}{reset}
    RETURNING 1
),
-- Outlets that left the universe (closed, moved away) lose their old share.
stale AS (
    DELETE FROM outlet_target AS x
    USING outlet AS o, tree
    WHERE x.outlet_id = o.id AND tree.id = o.territory_id
      AND x.sku_id = :sku_id AND x.period = :start
      AND NOT EXISTS (SELECT 1 FROM alloc2 AS a WHERE a.item = x.outlet_id)
    RETURNING 1
)
SELECT (SELECT count(*) FROM alloc1) AS buckets,
       (SELECT count(*) FROM territory_write) AS territories,
       (SELECT count(*) FROM outlet_write) AS outlets,
       (SELECT count(*) FROM stale) AS removed
"""


# The first unit written replaces the row (the other unit emptied); the second completes it.
RESET = {"quantity": ", value = NULL", "value": ", quantity = NULL"}


def _query(measure: Measure, first: bool) -> str:
    return STATEMENT.format(
        tree=sources.TREE,
        universe=sources.UNIVERSE,
        history=sources.sales("universe", "history_start", "start"),
        lookalikes=lookalikes("subject"),
        expected_sku=expected_sku("subject", "subject", "the_sku"),
        measure=measure,
        reset=RESET[measure] if first else "",
    )


QUERIES = {(m, first): text(_query(m, first)) for m in SCALE for first in (True, False)}

SHARES = """
WITH RECURSIVE
{tree},
share AS (
    SELECT tree.bucket, count(*) AS outlets,
           sum(ot.quantity) AS outlet_quantity, sum(ot.value) AS outlet_value
    FROM tree
    JOIN outlet AS o ON o.territory_id = tree.id
    JOIN outlet_target AS ot ON ot.outlet_id = o.id AND ot.sku_id = :sku_id AND ot.period = :start
    GROUP BY tree.bucket
)
SELECT t.id AS territory_id, t.code, t.name,
       tg.quantity, tg.value, coalesce(s.outlets, 0) AS outlets,
       s.outlet_quantity, s.outlet_value
FROM territory AS t
LEFT JOIN target AS tg ON tg.territory_id = t.id AND tg.sku_id = :sku_id AND tg.period = :start
LEFT JOIN share AS s ON s.bucket = t.id
WHERE t.parent_id = :root OR (t.id = :root AND s.bucket IS NOT NULL)
ORDER BY t.id = :root, t.code
"""
SUMMARY = text(SHARES.format(tree=sources.TREE))


class AllocationIn(BaseModel):
    territory_id: uuid.UUID
    sku_id: uuid.UUID
    period: Month = Field(description="The month, YYYY-MM.")


class AllocationShare(BaseModel):
    territory_id: uuid.UUID
    code: str
    name: str
    quantity: Decimal | None = Field(description="The child's target as now set.")
    value: Decimal | None
    outlets: int = Field(description="Outlets given a share.")
    outlet_quantity: Decimal | None = Field(description="Sum of those outlets' targets.")
    outlet_value: Decimal | None


class Allocation(BaseModel):
    territory_id: uuid.UUID
    sku_id: uuid.UUID
    period: str
    quantity: Decimal | None
    value: Decimal | None
    shares: list[AllocationShare] = Field(
        description="Each child; the territory itself last when outlets sit in it directly."
    )


def granularity(amount: Decimal, measure: Measure) -> tuple[int, Decimal]:
    """The amount as a whole number of units, and the unit: the finest digit it is written in."""
    exponent = amount.normalize().as_tuple().exponent
    assert isinstance(exponent, int)
    places = min(max(-exponent, 0), SCALE[measure])
    unit = Decimal(1).scaleb(-places)
    return int(amount / unit), unit


def allocate(
    session: Session, frame: Frame, sku_id: uuid.UUID, visible: list[uuid.UUID] | None
) -> Allocation:
    """Split the territory's target for the SKU and month; flushes, never commits."""
    target = session.exec(
        select(Target).where(
            col(Target.territory_id) == frame.territory.id,
            col(Target.sku_id) == sku_id,
            col(Target.period) == frame.month,
        )
    ).first()
    if target is None:
        raise Invalid("This territory has no target for this SKU and month to split; set one.")
    params = {
        **frame.params(),
        "channel": None,
        "sku_id": sku_id,
        "radius_m": RADIUS_M,
        "neighbours": NEIGHBOURS,
        "visible": visible,
    }
    given: list[tuple[Measure, Decimal | None]] = [
        ("quantity", target.quantity),
        ("value", target.value),
    ]
    amounts = [(measure, amount) for measure, amount in given if amount is not None]
    sources.analytic(session)
    for i, (measure, amount) in enumerate(amounts):
        units, unit = granularity(amount, measure)
        done = session.execute(QUERIES[measure, i == 0], {**params, "units": units, "unit": unit})
        if done.one().buckets == 0:
            raise Invalid("This territory has neither children nor outlets to split its target to.")
    shares = session.execute(
        SUMMARY, {"root": frame.territory.id, "sku_id": sku_id, "start": frame.month}
    )
    return Allocation(
        territory_id=frame.territory.id,
        sku_id=sku_id,
        period=frame.month.strftime("%Y-%m"),
        quantity=target.quantity,
        value=target.value,
        shares=[AllocationShare.model_validate(dict(row)) for row in shares.mappings()],
    )
