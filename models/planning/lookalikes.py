"""What an outlet without history would sell: the average of its lookalikes.

Lookalikes of an outlet are the nearest active outlets of the same channel and class within a
radius, found by KNN on the outlet geography index; their monthly sales over the history
months (before the period) average into the expectation. An outlet with no lookalike in reach
falls back to the average active outlet of its channel in the territory.

Ranking needs only each subject's total; SKU by SKU is worked out for the few subjects that
need it (the best prospects, the outlets an SKU's target is split to), which keeps the work
proportional to what is shown.
"""

from __future__ import annotations

from models.planning import sources

NEIGHBOURS = 5
RADIUS_M = 5_000.0

# ``{subjects}`` names a CTE of (outlet_id, channel, outlet_class, location). The KNN runs on
# geography(location), the expression of ix_outlet_location_geography, so `<->` walks the index
# nearest-first and stops after :neighbours matches; ST_DWithin is answered by the same index.
# Only outlets of territories the caller may see can be a lookalike: their names are shown.
LOOKALIKES = """
lookalike AS (
    SELECT s.outlet_id AS subject_id, n.outlet_id, n.distance_m
    FROM {subjects} AS s
    CROSS JOIN LATERAL (
        SELECT a.id AS outlet_id,
               CAST(ST_Distance(geography(a.location), geography(s.location)) AS numeric)
                   AS distance_m
        FROM outlet AS a
        WHERE a.status = 'active' AND a.id <> s.outlet_id
          AND a.channel = s.channel AND a.outlet_class = s.outlet_class
          AND ST_DWithin(geography(a.location), geography(s.location), :radius_m)
          AND (CAST(:visible AS uuid[]) IS NULL
               OR a.territory_id = ANY(CAST(:visible AS uuid[])))
        ORDER BY geography(a.location) <-> geography(s.location)
        LIMIT :neighbours
    ) AS n
),
lookalike_outlet AS (SELECT DISTINCT outlet_id FROM lookalike),
lookalike_history AS (
    SELECT f.outlet_id, f.sku_id,
           sum(f.quantity) / :history_months AS quantity, sum(f.value) / :history_months AS value
    FROM ({lookalike_sales}) AS f
    GROUP BY f.outlet_id, f.sku_id
),
lookalike_count AS (
    SELECT subject_id, count(*) AS n FROM lookalike GROUP BY subject_id
),
-- Each lookalike's month: what it sells in all, and how many SKUs.
lookalike_month AS (
    SELECT outlet_id, sum(value) AS value, sum(quantity) AS quantity,
           count(*) FILTER (WHERE quantity <> 0 OR value <> 0) AS skus
    FROM lookalike_history
    GROUP BY outlet_id
),
-- The fallback: active outlets of the territory, averaged by channel (zeros included), for
-- the channels of the subjects without a lookalike only.
channel_outlet AS (
    SELECT o.id AS outlet_id, o.channel
    FROM outlet AS o JOIN tree ON tree.id = o.territory_id
    WHERE o.status = 'active'
      AND o.channel IN (SELECT s.channel FROM {subjects} AS s
                        WHERE s.outlet_id NOT IN (SELECT subject_id FROM lookalike))
),
channel_size AS (
    SELECT channel, count(*) AS n FROM channel_outlet GROUP BY channel
),
channel_history AS (
    SELECT c.channel, h.sku_id,
           sum(h.quantity) / (z.n * :history_months) AS quantity,
           sum(h.value) / (z.n * :history_months) AS value,
           count(*) FILTER (WHERE h.quantity <> 0 OR h.value <> 0) / CAST(z.n AS numeric) AS odds
    FROM (SELECT f.outlet_id, f.sku_id, sum(f.quantity) AS quantity, sum(f.value) AS value
          FROM ({channel_sales}) AS f
          GROUP BY f.outlet_id, f.sku_id) AS h
    JOIN channel_outlet AS c ON c.outlet_id = h.outlet_id
    JOIN channel_size AS z ON z.channel = c.channel
    GROUP BY c.channel, h.sku_id, z.n
),
-- Each subject's expected month in all: value, quantity, SKUs carried, and what it rests on.
expectation AS (
    SELECT s.outlet_id,
           coalesce(l.value, c.value, 0) AS value, coalesce(l.quantity, c.quantity, 0) AS quantity,
           coalesce(l.skus, c.skus, 0) AS skus,
           CASE WHEN l.outlet_id IS NOT NULL THEN 'lookalikes'
                WHEN c.channel IS NOT NULL THEN 'channel_average'
                ELSE 'none' END AS basis
    FROM {subjects} AS s
    LEFT JOIN (
        SELECT l.subject_id AS outlet_id, sum(coalesce(m.value, 0)) / n.n AS value,
               sum(coalesce(m.quantity, 0)) / n.n AS quantity,
               sum(coalesce(m.skus, 0)) / CAST(n.n AS numeric) AS skus
        FROM lookalike AS l
        JOIN lookalike_count AS n ON n.subject_id = l.subject_id
        LEFT JOIN lookalike_month AS m ON m.outlet_id = l.outlet_id
        GROUP BY l.subject_id, n.n
    ) AS l ON l.outlet_id = s.outlet_id
    LEFT JOIN (
        SELECT channel, sum(value) AS value, sum(quantity) AS quantity, sum(odds) AS skus
        FROM channel_history
        GROUP BY channel
    ) AS c ON c.channel = s.channel
)"""

# Expected monthly sales SKU by SKU, for the subjects of ``{wanted}`` (a CTE with outlet_id)
# and the SKUs of ``{skus}`` (a CTE with sku_id).
EXPECTED_SKU = """
expected_sku AS (
    SELECT l.subject_id AS outlet_id, h.sku_id,
           sum(h.quantity) / c.n AS quantity, sum(h.value) / c.n AS value
    FROM {wanted} AS w
    JOIN lookalike AS l ON l.subject_id = w.outlet_id
    JOIN lookalike_count AS c ON c.subject_id = l.subject_id
    JOIN lookalike_history AS h ON h.outlet_id = l.outlet_id
    JOIN {skus} AS k ON k.sku_id = h.sku_id
    GROUP BY l.subject_id, h.sku_id, c.n
    UNION ALL
    SELECT s.outlet_id, h.sku_id, h.quantity, h.value
    FROM {wanted} AS w
    JOIN {subjects} AS s ON s.outlet_id = w.outlet_id
    JOIN channel_history AS h ON h.channel = s.channel
    JOIN {skus} AS k ON k.sku_id = h.sku_id
    WHERE NOT EXISTS (SELECT 1 FROM lookalike AS l WHERE l.subject_id = s.outlet_id)
)"""


def lookalikes(subjects: str) -> str:
    """CTEs ``lookalike`` … ``expectation`` for the subjects CTE (needs ``tree``).

    Binds :radius_m, :neighbours, :visible, :history_months, :history_start(_ts), :start(_ts).
    """
    return LOOKALIKES.format(
        subjects=subjects,
        lookalike_sales=sources.sales("lookalike_outlet", "history_start", "start"),
        channel_sales=sources.sales("channel_outlet", "history_start", "start"),
    )


def expected_sku(subjects: str, wanted: str, skus: str) -> str:
    """CTE ``expected_sku(outlet_id, sku_id, quantity, value)``, after ``lookalikes``."""
    return EXPECTED_SKU.format(subjects=subjects, wanted=wanted, skus=skus)
