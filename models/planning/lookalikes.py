"""What an outlet without history would sell: the average of its lookalikes.

Lookalikes of an outlet are the nearest active outlets of the same channel and class within a
radius, found by KNN on the outlet geography index; their monthly sales over the history
months (before the period) average into the expectation. An outlet with no lookalike in reach
falls back to the average active outlet of its channel in the territory.

Ranking needs only each subject's total; SKU by SKU is worked out for the few subjects that
need it (the best prospects, the outlets an SKU's target is split to), which keeps the work
proportional to what is shown.

The planning rollup (models/planning/rollup.py) keeps both halves for the prospects: every
prospect's lookalikes at the default radius and count (``planning_lookalike``,
models/planning/lookalike_store.py), and, for the
months it holds, each outlet's month over the history months and each territory's channels by
SKU (``planning_history_outlet``, ``planning_history_channel``). The ``held`` variant of the
CTEs reads them wherever they still hold and finds the rest from the facts, so the figures are
those of the data now, rollup or not:

- a prospect's stored lookalikes hold until an outlet of its channel and class is added,
  removed, or changes place, status, channel or class within their reach (each such write
  leaves what the outlet was and is in ``planning_outlet_mark``, by a trigger, in the writer's
  transaction); for a caller who sees part of the map only, they hold when the caller may see
  them all (then the nearest it may see are the same);
- an outlet's history holds while no sale or order of a day of the history months was written
  at an outlet of its territory, and no outlet of it changed (the marks of
  ``planning_history_mark``, left by triggers as well): a day's check-ins and orders leave it.
"""

from __future__ import annotations

from models.planning import sources

NEIGHBOURS = 5
RADIUS_M = 5_000.0


# One subject's lookalikes; ``s`` is a row of (outlet_id, channel, outlet_class, location). The
# KNN runs on geography(location), the expression of ix_outlet_location_geography, so `<->`
# walks the index nearest-first and stops after :neighbours matches; ST_DWithin is answered by
# the same index. Only outlets of territories the caller may see can be a lookalike: their
# names are shown.
NEAREST = """
SELECT a.id AS outlet_id,
       CAST(ST_Distance(geography(a.location), geography(s.location)) AS numeric) AS distance_m
FROM outlet AS a
WHERE a.status = 'active' AND a.id <> s.outlet_id
  AND a.channel = s.channel AND a.outlet_class = s.outlet_class
  AND ST_DWithin(geography(a.location), geography(s.location), :radius_m)
  AND (CAST(:visible AS uuid[]) IS NULL OR a.territory_id = ANY(CAST(:visible AS uuid[])))
ORDER BY geography(a.location) <-> geography(s.location)
LIMIT :neighbours"""

FOUND = """
lookalike AS (
    SELECT s.outlet_id AS subject_id, n.outlet_id, n.distance_m
    FROM {subjects} AS s CROSS JOIN LATERAL ({nearest}) AS n
)"""

# The stored lookalikes where they hold, found for the other subjects. With :use_rollup false,
# or no lookalikes stored for this radius and count, every subject's are found.
#
# Only an outlet of the subject's channel and class written within its reach can change its
# lookalikes: within the radius while it has fewer than it may have, else nearer than the
# farthest of them. Stored distances are on the spheroid and the marks are looked for on the
# sphere (the index's distance), which differs by under 0.6 %: the reach is taken 1 % longer.
HELD = """
reach AS (
    SELECT s.outlet_id,
           CASE WHEN count(p.outlet_id) >= :neighbours THEN max(p.distance_m)
                ELSE :radius_m END * 1.01 AS reach_m
    FROM {subjects} AS s LEFT JOIN planning_lookalike AS p ON p.subject_id = s.outlet_id
    GROUP BY s.outlet_id
),
held_subject AS (
    SELECT s.outlet_id
    FROM {subjects} AS s
    JOIN outlet AS o ON o.id = s.outlet_id
    JOIN reach AS r ON r.outlet_id = s.outlet_id
    WHERE CAST(:use_rollup AS boolean) AND o.status = 'prospect'
      AND EXISTS (SELECT 1 FROM planning_lookalike_snapshot AS z
                  WHERE z.radius_m = :radius_m AND z.neighbours = :neighbours)
      AND NOT EXISTS (
          SELECT 1 FROM planning_outlet_mark AS m
          WHERE m.channel = s.channel AND m.outlet_class = s.outlet_class
            AND ST_DWithin(geography(m.location), geography(s.location), r.reach_m, false))
      AND NOT EXISTS (
          SELECT 1 FROM planning_lookalike AS p JOIN outlet AS a ON a.id = p.outlet_id
          WHERE p.subject_id = s.outlet_id AND CAST(:visible AS uuid[]) IS NOT NULL
            AND NOT coalesce(a.territory_id = ANY(CAST(:visible AS uuid[])), false))
),
lookalike AS (
    SELECT p.subject_id, p.outlet_id, p.distance_m
    FROM planning_lookalike AS p JOIN held_subject AS h ON h.outlet_id = p.subject_id
    UNION ALL
    SELECT s.outlet_id, n.outlet_id, n.distance_m
    FROM {subjects} AS s CROSS JOIN LATERAL ({nearest}) AS n
    WHERE s.outlet_id NOT IN (SELECT outlet_id FROM held_subject)
)"""

# The history months' sales of each lookalike, by SKU, and its month in all.
# The history months' sales of each lookalike by SKU, per month (``{sales}``: theirs).
LOOKALIKE_HISTORY = """
lookalike_history AS (
    SELECT f.outlet_id, f.sku_id,
           sum(f.quantity) / :history_months AS quantity, sum(f.value) / :history_months AS value
    FROM ({sales}) AS f
    GROUP BY f.outlet_id, f.sku_id
)"""

FOUND_HISTORY = (
    LOOKALIKE_HISTORY
    + """,
-- Each lookalike's month: what it sells in all, and how many SKUs.
lookalike_month AS (
    SELECT outlet_id, sum(value) AS value, sum(quantity) AS quantity,
           count(*) FILTER (WHERE quantity <> 0 OR value <> 0) AS skus
    FROM lookalike_history
    GROUP BY outlet_id
)"""
)

# Territories with a day of the history months written since the refresh (a day either side:
# the marks' days are in the writer's time zone), or outlets changed.
HISTORY_WRITTEN = """
history_written AS (
    SELECT DISTINCT m.territory_id FROM planning_history_mark AS m
    WHERE m.day IS NULL
       OR (m.day >= CAST(:history_start AS date) - 1 AND m.day <= CAST(:start AS date))
)"""

# Whether the rollup's history tables hold for the territory ``{territory}``: the rollup holds
# the month, for this history and time zone, and no day of that history was written to since.
HISTORY_HOLDS = """(CAST(:use_rollup AS boolean) AND {territory} IS NOT NULL
      AND EXISTS (SELECT 1 FROM planning_snapshot AS z
                  WHERE z.month = :start AND z.timezone = :timezone
                    AND z.history_months = :history_months)
      AND {territory} NOT IN (SELECT territory_id FROM history_written))"""

# The month of the lookalikes whose cells hold from the rollup, of the others from the facts
# (looked up outlet by outlet); SKU by SKU from the facts, for the others only. A cell is the
# same sum of the same rows: every figure built on it is the same to the last digit.
HELD_HISTORY = (
    """{written},
lookalike_held AS (
    SELECT u.outlet_id, o.territory_id
    FROM lookalike_outlet AS u JOIN outlet AS o ON o.id = u.outlet_id
    WHERE {holds}
),
lookalike_found AS (
    SELECT outlet_id FROM lookalike_outlet EXCEPT SELECT outlet_id FROM lookalike_held
),"""
    + LOOKALIKE_HISTORY
    + """,
lookalike_month AS (
    SELECT m.outlet_id, m.value, m.quantity, m.skus
    FROM lookalike_held AS h
    JOIN planning_history_outlet AS m
        ON m.month = :start AND m.territory_id = h.territory_id AND m.outlet_id = h.outlet_id
    UNION ALL
    SELECT outlet_id, sum(value), sum(quantity),
           count(*) FILTER (WHERE quantity <> 0 OR value <> 0)
    FROM lookalike_history
    GROUP BY outlet_id
)"""
)

# Each outlet's history by SKU with its channel (``{sales}``: the outlets' sales).
CHANNEL_SALES = """
    SELECT c.channel, h.sku_id, h.quantity, h.value,
           CASE WHEN h.quantity <> 0 OR h.value <> 0 THEN 1 ELSE 0 END AS selling
    FROM (SELECT f.outlet_id, f.sku_id, sum(f.quantity) AS quantity, sum(f.value) AS value
          FROM ({sales}) AS f
          GROUP BY f.outlet_id, f.sku_id) AS h
    JOIN channel_outlet AS c ON c.outlet_id = h.outlet_id"""

# Each channel's history by SKU: summed over its outlets (``selling`` those that sold it).
FOUND_CHANNEL = (
    """
channel_sums AS ("""
    + CHANNEL_SALES
    + """
)"""
)

# The same from the rollup's channel cells for the territories whose cells hold.
HELD_CHANNEL = (
    """
channel_held AS (SELECT tree.id FROM tree WHERE {holds}),
channel_found AS (
    SELECT c.outlet_id FROM channel_outlet AS c
    WHERE c.territory_id NOT IN (SELECT id FROM channel_held)
),
channel_sums AS (
    SELECT c.channel, c.sku_id, c.quantity, c.value, c.selling
    FROM channel_held AS t
    JOIN planning_history_channel AS c ON c.month = :start AND c.territory_id = t.id
    WHERE c.channel IN (SELECT channel FROM channel_size)
    UNION ALL"""
    + CHANNEL_SALES
    + """
)"""
)

# ``{subjects}`` names a CTE of (outlet_id, channel, outlet_class, location).
LOOKALIKES = """
{lookalike},
lookalike_outlet AS (SELECT DISTINCT outlet_id FROM lookalike),
{history},
lookalike_count AS (
    SELECT subject_id, count(*) AS n FROM lookalike GROUP BY subject_id
),
-- The fallback: active outlets of the territory, averaged by channel (zeros included), for
-- the channels of the subjects without a lookalike only.
channel_outlet AS (
    SELECT o.id AS outlet_id, o.channel, o.territory_id
    FROM outlet AS o JOIN tree ON tree.id = o.territory_id
    WHERE o.status = 'active'
      AND o.channel IN (SELECT s.channel FROM {subjects} AS s
                        WHERE s.outlet_id NOT IN (SELECT subject_id FROM lookalike))
),
channel_size AS (
    SELECT channel, count(*) AS n FROM channel_outlet GROUP BY channel
),
{channel},
channel_history AS (
    SELECT s.channel, s.sku_id,
           sum(s.quantity) / (z.n * :history_months) AS quantity,
           sum(s.value) / (z.n * :history_months) AS value,
           sum(s.selling) / CAST(z.n AS numeric) AS odds
    FROM channel_sums AS s JOIN channel_size AS z ON z.channel = s.channel
    GROUP BY s.channel, s.sku_id, z.n
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

# What the lookalikes of the subjects of ``{wanted}`` sold SKU by SKU, from the facts: for the
# few subjects shown, after the rollup has answered for all of them.
WANTED_HISTORY = """
wanted_outlet AS (
    SELECT DISTINCT l.outlet_id FROM {wanted} AS w JOIN lookalike AS l ON l.subject_id = w.outlet_id
),
wanted_history AS (
    SELECT f.outlet_id, f.sku_id,
           sum(f.quantity) / :history_months AS quantity, sum(f.value) / :history_months AS value
    FROM ({sales}) AS f
    GROUP BY f.outlet_id, f.sku_id
),"""

# Expected monthly sales SKU by SKU, for the subjects of ``{wanted}`` (a CTE with outlet_id)
# and the SKUs of ``{skus}`` (a CTE with sku_id).
EXPECTED_SKU = """{history_of}
expected_sku AS (
    SELECT l.subject_id AS outlet_id, h.sku_id,
           sum(h.quantity) / c.n AS quantity, sum(h.value) / c.n AS value
    FROM {wanted} AS w
    JOIN lookalike AS l ON l.subject_id = w.outlet_id
    JOIN lookalike_count AS c ON c.subject_id = l.subject_id
    JOIN {history} AS h ON h.outlet_id = l.outlet_id
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


def _history(sales: str) -> str:
    return sources.sales(sales, "history_start", "start", few=True)


def lookalikes(subjects: str, *, held: bool = False) -> str:
    """CTEs ``lookalike`` … ``expectation`` for the subjects CTE (needs ``tree``).

    Binds :radius_m, :neighbours, :visible, :history_months, :history_start(_ts), :start(_ts);
    ``held`` (what the rollup holds where it holds, the rest from the facts) also :use_rollup
    and :timezone.
    """
    if not held:
        return LOOKALIKES.format(
            subjects=subjects,
            lookalike=FOUND.format(subjects=subjects, nearest=NEAREST),
            history=FOUND_HISTORY.format(
                sales=sources.sales("lookalike_outlet", "history_start", "start")
            ),
            channel=FOUND_CHANNEL.format(
                sales=sources.sales("channel_outlet", "history_start", "start")
            ),
        )
    return LOOKALIKES.format(
        subjects=subjects,
        lookalike=HELD.format(subjects=subjects, nearest=NEAREST),
        history=HELD_HISTORY.format(
            written=HISTORY_WRITTEN,
            holds=HISTORY_HOLDS.format(territory="o.territory_id"),
            sales=_history("lookalike_found"),
        ),
        channel=HELD_CHANNEL.format(
            holds=HISTORY_HOLDS.format(territory="tree.id"), sales=_history("channel_found")
        ),
    )


def expected_sku(subjects: str, wanted: str, skus: str, *, held: bool = False) -> str:
    """CTE ``expected_sku(outlet_id, sku_id, quantity, value)``, after ``lookalikes``."""
    if not held:
        history_of, history = "", "lookalike_history"
    else:
        history_of = WANTED_HISTORY.format(wanted=wanted, sales=_history("wanted_outlet"))
        history = "wanted_history"
    return EXPECTED_SKU.format(
        subjects=subjects, wanted=wanted, skus=skus, history_of=history_of, history=history
    )
