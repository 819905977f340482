"""The gap to target by lever, and the ranked actions that close it.

For each SKU whose run-rate falls short of the territory's target, in the target's unit
(quantity when the target has one, else value), three levers, each the sum of its actions:

1. open outlets: the best prospects (ranked as /opportunities ranks them, cost to serve aside),
   each with its expected monthly sales of the SKU from its lookalikes;
2. distribution: active outlets covered this month that lack the SKU although it is on their
   channel's must-stock list, each at the SKU's monthly rate in carrying outlets of that
   channel (of any channel when none of it carries);
3. rate of sale: active outlets carrying the SKU below the territory's upper-quartile monthly
   rate, each raised to the median (so only those under the median add anything), shown with
   their shelf facings against the top quartile's.

Every effect is rounded to three places before it is summed, so the lever figures are exactly
the sums of the actions listed.
"""

from __future__ import annotations

import enum
import uuid
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy import text
from sqlmodel import Session

from models.pagination import encode_cursor
from models.planning import sources
from models.planning.frame import Frame
from models.planning.lookalikes import NEIGHBOURS, RADIUS_M, expected_sku
from models.planning.opportunities import prospects
from models.planning.targets import effective


class Lever(enum.StrEnum):
    open_outlet = "open_outlet"
    distribution = "distribution"
    rate_of_sale = "rate_of_sale"


STATEMENT = """
WITH RECURSIVE
{tree},
row_territory (id) AS (SELECT CAST(:root AS uuid)),
{universe},
shown_sku AS (SELECT k.id, k.category_id FROM sku AS k),
{pairs},
{effective},
short AS (
    SELECT t.sku_id,
           CASE WHEN t.quantity IS NOT NULL THEN 'quantity' ELSE 'value' END AS unit,
           coalesce(t.quantity, t.value) AS target,
           round(coalesce(sum(CASE WHEN t.quantity IS NOT NULL THEN p.quantity ELSE p.value END),
                          0) * :days / :elapsed, 3) AS projected
    FROM row_target AS t LEFT JOIN pair AS p ON p.sku_id = t.sku_id
    WHERE :elapsed > 0
    GROUP BY t.sku_id, t.quantity, t.value
),
gap AS (SELECT s.*, s.target - s.projected AS gap FROM short AS s WHERE s.target > s.projected),
-- Each active outlet's month at its pace so far, in the unit of the SKU's target.
rate AS (
    SELECT p.outlet_id, p.sku_id, p.channel, p.carrying,
           (CASE g.unit WHEN 'quantity' THEN p.quantity ELSE p.value END)
               * :days / :elapsed AS monthly
    FROM pair AS p JOIN gap AS g ON g.sku_id = p.sku_id
    WHERE p.status = 'active'
),
channel_rate AS (
    SELECT sku_id, channel, avg(monthly) AS monthly FROM rate WHERE carrying
    GROUP BY sku_id, channel
),
sku_rate AS (
    SELECT sku_id, avg(monthly) AS monthly FROM rate WHERE carrying GROUP BY sku_id
),
quartile AS (
    SELECT sku_id,
           percentile_disc(0.5) WITHIN GROUP (ORDER BY monthly) AS median,
           percentile_disc(0.75) WITHIN GROUP (ORDER BY monthly) AS upper
    FROM rate WHERE carrying
    GROUP BY sku_id
),
top_facings AS (
    SELECT r.sku_id, percentile_disc(0.5) WITHIN GROUP (ORDER BY l.facings) AS facings
    FROM rate AS r
    JOIN quartile AS q ON q.sku_id = r.sku_id
    JOIN latest AS l ON l.outlet_id = r.outlet_id AND l.sku_id = r.sku_id
    WHERE r.carrying AND r.monthly >= q.upper AND l.facings IS NOT NULL
    GROUP BY r.sku_id
),
{prospects},
best AS (
    SELECT e.outlet_id
    FROM expectation AS e JOIN outlet AS o ON o.id = e.outlet_id
    WHERE e.value > 0
    ORDER BY e.value DESC, o.code
    LIMIT :prospects
),
{expected_sku},
opening AS (
    SELECT b.outlet_id, g.sku_id, 'open_outlet' AS lever,
           CASE g.unit WHEN 'quantity' THEN x.quantity ELSE x.value END AS effect,
           CAST(NULL AS numeric) AS current,
           CASE g.unit WHEN 'quantity' THEN x.quantity ELSE x.value END AS reference,
           CAST(NULL AS integer) AS facings, CAST(NULL AS integer) AS reference_facings
    FROM best AS b
    JOIN expected_sku AS x ON x.outlet_id = b.outlet_id
    JOIN gap AS g ON g.sku_id = x.sku_id
),
-- Covered, asked once per outlet: inlined, the test would run once per outlet and SKU.
covered_outlet AS MATERIALIZED (
    SELECT u.outlet_id, u.channel FROM universe AS u WHERE u.status = 'active' AND {covered}
),
distribution AS (
    SELECT c.outlet_id, g.sku_id, 'distribution', coalesce(r.monthly, a.monthly),
           CAST(0 AS numeric), coalesce(r.monthly, a.monthly), l.facings, m.facings
    FROM covered_outlet AS c
    JOIN msl AS m ON m.channel = c.channel
    JOIN gap AS g ON g.sku_id = m.sku_id
    LEFT JOIN sku_rate AS a ON a.sku_id = g.sku_id
    LEFT JOIN channel_rate AS r ON r.sku_id = g.sku_id AND r.channel = c.channel
    LEFT JOIN latest AS l ON l.outlet_id = c.outlet_id AND l.sku_id = g.sku_id
    WHERE NOT EXISTS (SELECT 1 FROM pair AS p
                      WHERE p.outlet_id = c.outlet_id AND p.sku_id = g.sku_id AND p.carrying)
),
rate_of_sale AS (
    SELECT r.outlet_id, r.sku_id, 'rate_of_sale', q.median - r.monthly, r.monthly, q.median,
           l.facings, f.facings
    FROM rate AS r
    JOIN quartile AS q ON q.sku_id = r.sku_id
    LEFT JOIN latest AS l ON l.outlet_id = r.outlet_id AND l.sku_id = r.sku_id
    LEFT JOIN top_facings AS f ON f.sku_id = r.sku_id
    WHERE r.carrying AND r.monthly < q.upper AND r.monthly < q.median
),
action AS (
    SELECT a.outlet_id, a.sku_id, a.lever, round(a.effect, 3) AS effect,
           round(a.current, 3) AS current, round(a.reference, 3) AS reference,
           a.facings, a.reference_facings
    FROM (SELECT * FROM opening UNION ALL SELECT * FROM distribution
          UNION ALL SELECT * FROM rate_of_sale) AS a
    WHERE round(a.effect, 3) > 0
),
ranked AS (
    SELECT a.*, o.code AS outlet_code, o.name AS outlet_name, k.code AS sku_code,
           row_number() OVER (ORDER BY a.effect DESC, o.code, k.code, a.lever) AS rank
    FROM action AS a JOIN outlet AS o ON o.id = a.outlet_id JOIN sku AS k ON k.id = a.sku_id
),
summary AS (
    SELECT g.sku_id, g.unit, g.target, g.projected, g.gap,
           coalesce(sum(a.effect) FILTER (WHERE a.lever = 'open_outlet'), 0) AS open_outlets,
           coalesce(sum(a.effect) FILTER (WHERE a.lever = 'distribution'), 0) AS distribution,
           coalesce(sum(a.effect) FILTER (WHERE a.lever = 'rate_of_sale'), 0) AS rate_of_sale,
           count(a.sku_id) AS actions
    FROM gap AS g LEFT JOIN action AS a ON a.sku_id = g.sku_id
    GROUP BY g.sku_id, g.unit, g.target, g.projected, g.gap
)
SELECT 'sku' AS kind, s.sku_id, k.code AS sku_code, s.unit, s.target, s.projected, s.gap,
       s.open_outlets, s.distribution, s.rate_of_sale, s.actions,
       round(q.median, 3) AS median_rate, round(q.upper, 3) AS upper_quartile_rate,
       f.facings AS top_quartile_facings,
       NULL AS rank, CAST(NULL AS uuid) AS outlet_id, NULL AS outlet_code, NULL AS outlet_name,
       NULL AS lever, NULL AS effect, NULL AS current, NULL AS reference,
       CAST(NULL AS integer) AS facings, CAST(NULL AS integer) AS reference_facings
FROM summary AS s
JOIN sku AS k ON k.id = s.sku_id
LEFT JOIN quartile AS q ON q.sku_id = s.sku_id
LEFT JOIN top_facings AS f ON f.sku_id = s.sku_id
UNION ALL
(SELECT 'action', r.sku_id, r.sku_code, g.unit, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
        NULL, NULL, NULL,
        r.rank, r.outlet_id, r.outlet_code, r.outlet_name,
        r.lever, r.effect, r.current, r.reference, r.facings, r.reference_facings
 FROM ranked AS r JOIN gap AS g ON g.sku_id = r.sku_id
 WHERE r.rank > :after
 ORDER BY r.rank
 LIMIT :limit)
ORDER BY kind DESC, sku_code, rank
"""

QUERY = text(
    STATEMENT.format(
        tree=sources.TREE,
        universe=sources.UNIVERSE,
        pairs=sources.PAIRS,
        effective=effective(),
        prospects=prospects(),
        expected_sku=expected_sku("subject", "best", "gap", held=True),
        covered=sources.covered("u.outlet_id"),
    )
)

Unit = Literal["quantity", "value"]


class LeverFigures(BaseModel):
    sku_id: uuid.UUID
    sku_code: str
    unit: Unit = Field(description="The target's unit, in which every figure here is given.")
    target: Decimal
    projected: Decimal
    gap: Decimal
    open_outlets: Decimal
    distribution: Decimal
    rate_of_sale: Decimal
    levers_total: Decimal
    remaining: Decimal = Field(description="Gap left after all three levers (negative: spare).")
    actions: int
    median_rate: Decimal | None = Field(description="Median monthly rate of carrying outlets.")
    upper_quartile_rate: Decimal | None
    top_quartile_facings: int | None = Field(description="Median facings of top-quartile outlets.")


class GapAction(BaseModel):
    rank: int
    outlet_id: uuid.UUID
    outlet_code: str
    outlet_name: str
    sku_id: uuid.UUID
    sku_code: str
    lever: Lever
    unit: Unit
    effect: Decimal = Field(description="Expected monthly effect, in the target's unit.")
    current: Decimal | None = Field(description="The outlet's own monthly rate now.")
    reference: Decimal = Field(description="The rate it is expected to reach.")
    facings: int | None = Field(description="Facings of the SKU at the newest evidence.")
    reference_facings: int | None = Field(description="Planned (MSL) or top-quartile facings.")
    explanation: str


class GapReport(BaseModel):
    territory_id: uuid.UUID
    period: str
    as_of: date
    skus: list[LeverFigures]
    actions: list[GapAction] = Field(description="Best first; all pages sum to the levers.")
    next_cursor: str | None = None


class GapOptions(BaseModel):
    prospects: int = Field(default=10, ge=0, le=500, description="Best prospects to open.")
    limit: int = Field(default=100, ge=1, le=500, description="Actions per page.")


EXPLAIN = {
    Lever.open_outlet: "Open it: its lookalikes sell {reference} a month of {sku}.",
    Lever.distribution: (
        "{sku} is on its channel's must-stock list but not on its shelf; carrying outlets of "
        "the channel sell {reference} a month (plan {reference_facings} facings)."
    ),
    Lever.rate_of_sale: (
        "It sells {current} a month of {sku}; the territory's median is {reference} "
        "(facings {facings} against {reference_facings} in the top quartile)."
    ),
}


def _action(row: dict[str, Any]) -> GapAction:
    lever = Lever(row["lever"])
    explanation = EXPLAIN[lever].format(
        sku=row["sku_code"],
        current=row["current"],
        reference=row["reference"],
        facings="unknown" if row["facings"] is None else row["facings"],
        reference_facings="?" if row["reference_facings"] is None else row["reference_facings"],
    )
    return GapAction.model_validate({**row, "explanation": explanation})


def _figures(row: dict[str, Any]) -> LeverFigures:
    total = row["open_outlets"] + row["distribution"] + row["rate_of_sale"]
    return LeverFigures.model_validate(
        {**row, "levers_total": total, "remaining": row["gap"] - total}
    )


def parameters(
    frame: Frame,
    options: GapOptions,
    after: int,
    visible: list[uuid.UUID] | None,
    *,
    use_rollup: bool = True,
) -> dict[str, Any]:
    return {
        **frame.params(),
        "timezone": frame.zone.key,
        "use_rollup": use_rollup,
        "channel": None,
        "with_targets": True,
        "prospects": options.prospects,
        "after": after,
        "limit": options.limit + 1,
        "radius_m": RADIUS_M,
        "neighbours": NEIGHBOURS,
        "visible": visible,
    }


def gap_report(
    session: Session,
    frame: Frame,
    options: GapOptions,
    *,
    after: int,
    visible: list[uuid.UUID] | None,
    use_rollup: bool = True,
) -> GapReport:
    """SKUs short of target with their levers, and a page of actions after rank ``after``.

    The best prospects are found with what the planning rollup holds where it still holds;
    ``use_rollup`` False finds everything from the facts. The figures are the same either way.
    """
    params = parameters(frame, options, after, visible, use_rollup=use_rollup)
    sources.analytic(session)
    with sources.without_nested_loops(session):
        rows = [dict(row) for row in session.execute(QUERY, params).mappings()]
    actions = [_action(row) for row in rows if row["kind"] == "action"]
    more = len(actions) > options.limit
    actions = actions[: options.limit]
    return GapReport(
        territory_id=frame.territory.id,
        period=frame.month.strftime("%Y-%m"),
        as_of=frame.as_of,
        skus=[_figures(row) for row in rows if row["kind"] == "sku"],
        actions=actions,
        next_cursor=encode_cursor({"rank": actions[-1].rank}) if more else None,
    )
