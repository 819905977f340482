"""The figures of the coverage table per bucket of outlets, computed from the facts.

Shared by the coverage table (models/planning/coverage.py), which reads them for the territories
and outlets the rollup does not hold, and by the rollup's refresh (models/planning/rollup.py),
which stores them per outlet and per territory.
"""

from __future__ import annotations

from models.planning import presence, sources

# The figures of each bucket computed from the facts, over the outlets of the universe:
# outlets, SKU cells, category sales and last year's sales. The rollup (models/planning/rollup.py)
# stores the same CTEs per outlet and per territory, so read either way the sums are the same.
# Each SKU cell and last year's cell also counts the facts it adds up (``facts``): a cell of
# none is no row, so a cell corrected down to no facts is dropped as the facts would drop it.
# With :rolled, the outlets of the territories listed in :dirty, and those listed in
# :dirty_outlets (marked on their own: their territory's cells are read, corrected by them).
# Given as values, the lists let the planner see how few outlets that is, and look their facts
# up by index.
ONLY_DIRTY = """
      AND (NOT CAST(:rolled AS boolean) OR o.territory_id = ANY(CAST(:dirty AS uuid[]))
           OR o.id = ANY(CAST(:dirty_outlets AS uuid[])))"""

# The pairs of outlets and SKUs, from the facts.
FACTS_OF = """
{universe},
shown_sku AS (
    SELECT k.id, k.category_id FROM sku AS k
    WHERE (CAST(:sku_id AS uuid) IS NULL OR k.id = CAST(:sku_id AS uuid))
      AND (CAST(:brand_id AS uuid) IS NULL OR k.brand_id = CAST(:brand_id AS uuid))
),
-- What each outlet of the universe sold of each SKU in the period to the cut (every SKU:
-- weighted distribution needs whole categories), and when its newest evidence saw the SKU on
-- the shelf and saw it missing: one aggregate over sales and evidence together, where joining
-- the sums to the newest evidence (sources.PAIRS) sorts and hashes both.
outlet_sku AS (
    SELECT f.outlet_id, f.sku_id, sum(f.quantity) AS quantity, sum(f.value) AS value,
           max(f.seen_at) FILTER (WHERE f.present) AS seen,
           max(f.seen_at) FILTER (WHERE NOT f.present) AS missed
    FROM (
        SELECT s.outlet_id, s.sku_id, s.quantity, s.value,
               CAST(NULL AS timestamptz) AS seen_at, CAST(NULL AS boolean) AS present
        FROM ({sales}) AS s
        UNION ALL
        SELECT e.outlet_id, e.sku_id, 0, 0, e.seen_at, e.present
        FROM ({evidence}) AS e (outlet_id, sku_id, seen_at, present, facings)
    ) AS f
    GROUP BY f.outlet_id, f.sku_id
),
category_sales AS (
    SELECT c.outlet_id, k.category_id, sum(c.value) AS value
    FROM outlet_sku AS c JOIN sku AS k ON k.id = c.sku_id
    GROUP BY c.outlet_id, k.category_id
),
-- The pairs of shown SKUs. Selling is proof of carrying, so sales never come from an outlet
-- that does not count as carrying: that makes sales = |U| x ND x ROS exact. The newest
-- evidence decides presence; on one day both ways, the sighting wins (presence.LATEST).
pair AS (
    SELECT u.bucket, u.channel, c.outlet_id, c.sku_id, k.category_id, c.quantity, c.value,
           c.seen >= c.missed OR (c.seen IS NOT NULL AND c.missed IS NULL)
               OR c.quantity <> 0 OR c.value <> 0 AS carrying
    FROM outlet_sku AS c
    JOIN shown_sku AS k ON k.id = c.sku_id
    JOIN universe AS u ON u.outlet_id = c.outlet_id
)"""

# The sums per bucket, straight from the pairs (the coverage table's live figures).
SUMS_OF = """
live_sku AS (
    SELECT p.bucket{by_p}, p.sku_id,
           count(*) FILTER (WHERE p.carrying) AS carrying,
           sum(p.quantity) AS quantity, sum(p.value) AS value,
           coalesce(sum(c.value) FILTER (WHERE p.carrying), 0) AS carrying_category_value,
           count(*) AS facts
    FROM pair AS p
    LEFT JOIN category_sales AS c ON c.outlet_id = p.outlet_id AND c.category_id = p.category_id
    GROUP BY {group_p}
),
live_category AS (
    SELECT u.bucket{by_u}, c.category_id, sum(c.value) AS value
    FROM category_sales AS c JOIN universe AS u ON u.outlet_id = c.outlet_id
    GROUP BY {group_category}
),
live_last_year AS (
    SELECT u.bucket{by_u}, f.sku_id, sum(f.quantity) AS quantity, sum(f.value) AS value,
           count(*) AS facts
    FROM ({sales_last_year}) AS f
    JOIN universe AS u ON u.outlet_id = f.outlet_id
    JOIN shown_sku AS k ON k.id = f.sku_id
    GROUP BY {group_last_year}
),
live_outlets AS (
    SELECT u.bucket{by_u}, count(*) AS universe, count(*) FILTER (WHERE {covered}) AS covered
    FROM universe AS u
    GROUP BY {group_outlets}
)"""

# The same sums, added up from each outlet's part of them (``part_``, the rollup's refresh
# stores both): an outlet's part is what it adds to its bucket's cells, so a cell corrected by
# an outlet written since takes that part off and the outlet's figures now on.
PARTS_OF = """
part_outlets AS (
    SELECT u.outlet_id, u.bucket, u.channel, 1 AS universe,
           CASE WHEN {covered} THEN 1 ELSE 0 END AS covered
    FROM universe AS u
),
part_sku AS (
    SELECT p.outlet_id, p.bucket, p.channel, p.sku_id,
           CASE WHEN p.carrying THEN 1 ELSE 0 END AS carrying, p.quantity, p.value,
           CASE WHEN p.carrying THEN coalesce(c.value, 0) ELSE 0 END AS carrying_category_value,
           1 AS facts
    FROM pair AS p
    LEFT JOIN category_sales AS c ON c.outlet_id = p.outlet_id AND c.category_id = p.category_id
),
part_category AS (
    SELECT c.outlet_id, u.bucket, u.channel, c.category_id, c.value
    FROM category_sales AS c JOIN universe AS u ON u.outlet_id = c.outlet_id
),
part_last_year AS (
    SELECT f.outlet_id, u.bucket, u.channel, f.sku_id,
           sum(f.quantity) AS quantity, sum(f.value) AS value, count(*) AS facts
    FROM ({sales_last_year}) AS f
    JOIN universe AS u ON u.outlet_id = f.outlet_id
    JOIN shown_sku AS k ON k.id = f.sku_id
    GROUP BY f.outlet_id, u.bucket, u.channel, f.sku_id
),
live_sku AS (
    SELECT p.bucket{by_p}, p.sku_id, sum(p.carrying) AS carrying,
           sum(p.quantity) AS quantity, sum(p.value) AS value,
           sum(p.carrying_category_value) AS carrying_category_value, sum(p.facts) AS facts
    FROM part_sku AS p
    GROUP BY {group_p}
),
live_category AS (
    SELECT p.bucket{by_p}, p.category_id, sum(p.value) AS value
    FROM part_category AS p
    GROUP BY {group_category}
),
live_last_year AS (
    SELECT p.bucket{by_p}, p.sku_id, sum(p.quantity) AS quantity, sum(p.value) AS value,
           sum(p.facts) AS facts
    FROM part_last_year AS p
    GROUP BY {group_last_year}
),
live_outlets AS (
    SELECT p.bucket{by_p}, sum(p.universe) AS universe, sum(p.covered) AS covered
    FROM part_outlets AS p
    GROUP BY {group_outlets}
)"""


def figures(*, few: bool, by_channel: bool = False, parts: bool = False, tree: str = "tree") -> str:
    """The CTEs above, over the outlets of the territories of the CTE ``tree`` (as
    ONLY_DIRTY narrows them); ``few``: sales looked up outlet by outlet (sources.sales), for
    the few outlets marked since the rollup's refresh; ``by_channel``: the ``live_`` sums per
    bucket and channel of the outlets, and per bucket with the channel NULL (the rollup's
    cells), not only per bucket; ``parts``: with each outlet's part (PARTS_OF)."""

    def group(alias: str, *keys: str) -> str:
        rest = "".join(f", {k}" for k in keys)
        if not by_channel:
            return f"{alias}.bucket{rest}"
        return f"GROUPING SETS (({alias}.bucket, {alias}.channel{rest}), ({alias}.bucket{rest}))"

    alias = "p" if parts else "u"
    return (FACTS_OF + ",\n" + (PARTS_OF if parts else SUMS_OF)).format(
        group_p=group("p", "p.sku_id"),
        group_category=group(alias, f"{'p' if parts else 'c'}.category_id"),
        group_last_year=group(alias, f"{'p' if parts else 'f'}.sku_id"),
        group_outlets=group(alias),
        by_p=", p.channel" if by_channel else "",
        by_u=", u.channel" if by_channel else "",
        universe=sources.UNIVERSE_OF.format(tree=tree, only=ONLY_DIRTY),
        sales=sources.sales("universe", "start", "cut", few=few),
        evidence=presence.evidence("universe", few=few),
        sales_last_year=sources.sales("universe", "ly_start", "ly_end", few=few),
        covered=sources.covered("u.outlet_id"),
    )


FIGURES = figures(few=False)
FIGURES_FEW = figures(few=True)
