"""Prospects to open, ranked by the monthly sales they are expected to add, each explained."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import text
from sqlmodel import Session

from models.outlet_queries import Location
from models.outlets import Channel, OutletClass
from models.planning import sources
from models.planning.frame import Frame
from models.planning.lookalikes import NEIGHBOURS, RADIUS_M, lookalikes

# An outlet a rep already serves: an active one with a completed visit since the history began.
SERVED = """(c.status = 'active'
    AND (CAST(:visible AS uuid[]) IS NULL OR c.territory_id = ANY(CAST(:visible AS uuid[])))
    AND EXISTS (SELECT 1 FROM visit AS v
                WHERE v.outlet_id = c.id AND v.ended_at IS NOT NULL
                  AND v.started_at >= :history_start_ts AND v.started_at < :cut_ts))"""

PROSPECTS = """
subject AS (
    SELECT o.id AS outlet_id, o.channel, o.outlet_class, o.location
    FROM outlet AS o JOIN tree ON tree.id = o.territory_id
    WHERE o.status = 'prospect'
),
{lookalikes}"""


def prospects(subjects: str = "subject") -> str:
    """CTEs ``subject`` (the territory's prospects) … ``expectation`` (needs ``tree``).

    What the planning rollup holds is read where it holds (see lookalikes.lookalikes).
    """
    return PROSPECTS.format(lookalikes=lookalikes(subjects, held=True))


# The nearest served outlet of ``s``, a row of (outlet_id, location).
NEAREST_SERVED = """
SELECT CAST(ST_Distance(geography(c.location), geography(s.location)) AS numeric) AS distance_m
FROM outlet AS c
WHERE c.id <> s.outlet_id AND {served}
ORDER BY geography(c.location) <-> geography(s.location)
LIMIT 1"""

STATEMENT = """
WITH RECURSIVE
{tree},
{prospects},
-- The distance to serve ranks every prospect when serving costs something; when it is free,
-- it is only shown, and found for the rows shown only (a KNN walk per prospect).
nearest AS (
    SELECT s.outlet_id, n.distance_m
    FROM subject AS s
    CROSS JOIN LATERAL ({nearest}) AS n
    WHERE CAST(:cost_per_km AS numeric) > 0
),
ranked AS (
    SELECT e.*,
           round(coalesce(n.distance_m, 0) / 1000 * :cost_per_km, 2) AS serve_cost,
           round(e.value - coalesce(n.distance_m, 0) / 1000 * :cost_per_km, 2) AS uplift
    FROM expectation AS e
    LEFT JOIN nearest AS n ON n.outlet_id = e.outlet_id
    JOIN outlet AS o ON o.id = e.outlet_id
    ORDER BY uplift DESC, o.code
    LIMIT :limit
),
shown AS MATERIALIZED (
    SELECT r.outlet_id, o.location, geography(o.location) AS place
    FROM ranked AS r JOIN outlet AS o ON o.id = r.outlet_id
),
shown_nearest AS (
    SELECT s.outlet_id, n.distance_m
    FROM shown AS s CROSS JOIN LATERAL ({nearest}) AS n
),
-- Served outlets nearby, counted for the rows shown only: the outlets with a completed visit
-- are found once, with their geography, and each shown row checks them all (a few thousand
-- per row) instead of walking the index over every outlet of a city's radius.
served_outlet AS MATERIALIZED (
    SELECT c.id, geography(c.location) AS place
    FROM outlet AS c
    WHERE c.status = 'active'
      AND (CAST(:visible AS uuid[]) IS NULL OR c.territory_id = ANY(CAST(:visible AS uuid[])))
      AND c.id IN (SELECT v.outlet_id FROM visit AS v
                   WHERE v.ended_at IS NOT NULL AND v.started_at >= :history_start_ts
                     AND v.started_at < :cut_ts)
),
nearby AS (
    SELECT s.outlet_id, count(*) AS covered_nearby
    FROM shown AS s
    -- On the sphere (use_spheroid false): a count needs no millimetres, and it is 2x cheaper.
    JOIN served_outlet AS c ON ST_DWithin(c.place, s.place, :radius_m, false)
    WHERE c.id <> s.outlet_id
    GROUP BY s.outlet_id
),
shown_lookalike AS (
    SELECT l.subject_id,
           json_agg(json_build_object(
               'outlet_id', a.id, 'code', a.code, 'name', a.name,
               'distance_m', round(l.distance_m, 1),
               'monthly_value', round(coalesce(h.value, 0), 2),
               'monthly_quantity', round(coalesce(h.quantity, 0), 3),
               'skus', coalesce(h.skus, 0)) ORDER BY l.distance_m, a.code) AS lookalikes
    FROM shown AS s
    JOIN lookalike AS l ON l.subject_id = s.outlet_id
    JOIN outlet AS a ON a.id = l.outlet_id
    LEFT JOIN lookalike_month AS h ON h.outlet_id = l.outlet_id
    GROUP BY l.subject_id
)
SELECT o.id, o.code, o.name, o.channel, o.outlet_class, o.territory_id,
       ST_X(o.location) AS lon, ST_Y(o.location) AS lat,
       r.basis, round(r.value, 2) AS expected_value, round(r.quantity, 3) AS expected_quantity,
       round(r.skus, 2) AS expected_skus,
       CASE WHEN r.skus > 0 THEN round(r.value / r.skus, 2) END AS expected_ros_value,
       round(sn.distance_m, 1) AS nearest_covered_m,
       coalesce(nb.covered_nearby, 0) AS covered_nearby,
       r.serve_cost, r.uplift, coalesce(sl.lookalikes, '[]') AS lookalikes
FROM ranked AS r
JOIN outlet AS o ON o.id = r.outlet_id
LEFT JOIN shown_nearest AS sn ON sn.outlet_id = r.outlet_id
LEFT JOIN nearby AS nb ON nb.outlet_id = r.outlet_id
LEFT JOIN shown_lookalike AS sl ON sl.subject_id = r.outlet_id
ORDER BY r.uplift DESC, o.code
"""

QUERY = text(
    STATEMENT.format(
        tree=sources.TREE, prospects=prospects(), nearest=NEAREST_SERVED.format(served=SERVED)
    )
)


class Lookalike(BaseModel):
    outlet_id: uuid.UUID
    code: str
    name: str
    distance_m: float
    monthly_value: Decimal
    monthly_quantity: Decimal
    skus: int = Field(description="SKUs it sold over the history months.")


class Opportunity(BaseModel):
    outlet_id: uuid.UUID
    code: str
    name: str
    channel: Channel
    outlet_class: OutletClass
    territory_id: uuid.UUID | None
    location: Location
    rank: int
    basis: str = Field(description="lookalikes, channel_average, or none (nothing to go on).")
    expected_value: Decimal = Field(description="Expected monthly sales value.")
    expected_quantity: Decimal
    expected_skus: Decimal = Field(description="Expected SKUs carried.")
    expected_ros_value: Decimal | None = Field(description="Expected monthly value per SKU.")
    nearest_covered_m: float | None = Field(description="To the nearest outlet reps serve.")
    covered_nearby: int = Field(description="Served outlets within the radius.")
    serve_cost: Decimal
    uplift: Decimal = Field(description="Expected value minus the cost to serve.")
    lookalikes: list[Lookalike]
    explanation: str


class OpportunityOptions(BaseModel):
    limit: int = Field(default=20, ge=1, le=500)
    radius_m: float = Field(default=RADIUS_M, gt=0, le=100_000)
    neighbours: int = Field(default=NEIGHBOURS, ge=1, le=50)
    cost_per_km: Decimal = Field(
        default=Decimal(0),
        ge=0,
        description="Monthly cost to serve per km from the nearest served outlet, in value.",
    )


def _explain(row: dict[str, Any], radius_m: float) -> str:
    if row["basis"] == "lookalikes":
        basis = f"average of {len(row['lookalikes'])} lookalike(s) within {radius_m:g} m"
    elif row["basis"] == "channel_average":
        basis = f"no lookalike within {radius_m:g} m: the territory's {row['channel']} average"
    else:
        basis = "no lookalike and no outlet of its channel to go on"
    nearest = (
        f"{row['nearest_covered_m']} m from the nearest served outlet"
        if row["nearest_covered_m"] is not None
        else "no served outlet in reach"
    )
    return (
        f"Expected {row['expected_value']} a month ({basis}); {nearest}, "
        f"{row['covered_nearby']} served within {radius_m:g} m."
    )


def parameters(
    frame: Frame,
    options: OpportunityOptions,
    visible: list[uuid.UUID] | None,
    *,
    use_rollup: bool = True,
) -> dict[str, Any]:
    return {
        **frame.params(),
        "timezone": frame.zone.key,
        "use_rollup": use_rollup,
        "limit": options.limit,
        "radius_m": options.radius_m,
        "neighbours": options.neighbours,
        "cost_per_km": options.cost_per_km,
        "visible": visible,
    }


def opportunities(
    session: Session,
    frame: Frame,
    options: OpportunityOptions,
    visible: list[uuid.UUID] | None,
    *,
    use_rollup: bool = True,
) -> list[Opportunity]:
    """The territory's prospects, best first, each with the lookalikes behind its figure.

    What the planning rollup holds is read where it still holds; ``use_rollup`` False finds
    everything from the facts. The figures are the same either way.
    """
    sources.analytic(session)
    params = parameters(frame, options, visible, use_rollup=use_rollup)
    rows = session.execute(QUERY, params).mappings().all()
    return [
        Opportunity.model_validate(
            {
                **row,
                "outlet_id": row["id"],
                "location": {"lon": row["lon"], "lat": row["lat"]},
                "rank": rank,
                "explanation": _explain(dict(row), options.radius_m),
            }
        )
        for rank, row in enumerate(rows, start=1)
    ]
