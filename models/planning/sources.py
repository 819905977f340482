"""SQL shared by the planning queries: the territory tree, the universe, sales, coverage.

Fragments are templates of our own text; every value travels as a bind parameter.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager

from sqlalchemy import text
from sqlmodel import Session

from models.planning.presence import latest_presence, visits

# Memory for each hash and sort of a planning statement: at 4 MB (the default) the per outlet
# and SKU aggregates of a whole country spill to disk. A plan for the parameters given: the
# driver prepares a statement run five times, and PostgreSQL then tries a generic plan, blind
# to the territory and to which parts of the rollup hold (the outlets to open went from 0.1 s
# to 0.45 s so).
ANALYTIC = (
    text("SET LOCAL jit = off"),
    text("SET LOCAL work_mem = '64MB'"),
    text("SET LOCAL plan_cache_mode = force_custom_plan"),
)


@contextmanager
def _planner_without(session: Session, method: str) -> Iterator[None]:
    """One plan method (``enable_<method>``) off for the statements run inside."""
    session.execute(text(f"SET LOCAL enable_{method} = off"))
    try:
        yield
    finally:
        session.execute(text(f"SET LOCAL enable_{method} = on"))


def without_nested_loops(session: Session) -> AbstractContextManager[None]:
    """Hash and merge joins only, for one statement (a LATERAL subquery still loops).

    Row counts out of CTEs are guesses; on a guess of a few rows PostgreSQL picks a nested loop
    that scans a CTE once per outer row: the gap's top-quartile facings spent 1.0 s of 1.5 s so
    on the demo market, 0.01 s with hash joins. For the gap's plans nothing is lost by it.
    """
    return _planner_without(session, "nestloop")


def without_merge_joins(session: Session) -> AbstractContextManager[None]:
    """No merge joins, for one statement over the facts of many outlets.

    On the guess that a CTE holds a few thousand rows, PostgreSQL sorts the outlet and SKU
    pairs of a whole country (external sorts, rescans under a join filter) to merge-join them.
    Hashing them took the country's coverage from the facts from 61 s to 51 s at 100,000
    outlets, and a region of 20,000 outlets from 1.7 s to 1.3 s of server CPU; read from the
    rollup with 10 of 190 leaves written to since its refresh, 3.0 s to 2.4 s. The rollup's
    refresh, territory by territory, gains nothing from it.
    """
    return _planner_without(session, "mergejoin")


def analytic(session: Session) -> None:
    """Settings for the rest of the transaction: no JIT, room to hash and sort, custom plans.

    Row counts through a dozen CTEs and aggregates are guesses, and the guesses compound into
    costs in the millions: PostgreSQL then JIT-compiles the plan, which took 17 s of an 18 s
    coverage query in bench/planning.py (0.7 s without). The plans gain nothing from it.
    """
    for setting in ANALYTIC:
        session.execute(setting)


# Each territory of the subtree with its *bucket*: the child of the root it lies under, or the
# root itself. Buckets partition the outlets, so the root's figures are its children's sums.
# Each also carries its depth below the root (0 for the root) and the path of its ancestors
# from the root, itself excluded.
TREE = """
tree (id, bucket, depth, path) AS (
    SELECT t.id, t.id, 0, CAST(ARRAY[] AS uuid[]) FROM territory AS t WHERE t.id = :root
    UNION ALL
    SELECT c.id, CASE WHEN p.id = :root THEN c.id ELSE p.bucket END, p.depth + 1, p.path || p.id
    FROM territory AS c JOIN tree AS p ON c.parent_id = p.id
)"""

# Outlets are assigned to the leaf that contains them (territories.assign_outlets), so joining
# on the assignment is the polygon test done once, and no spatial join runs here.
UNIVERSE_OF = """
universe AS (
    SELECT o.id AS outlet_id, tr.bucket, o.channel, o.status
    FROM outlet AS o JOIN {tree} AS tr ON tr.id = o.territory_id
    WHERE o.status IN ('active', 'prospect')
      AND (CAST(:channel AS outlet_channel) IS NULL
           OR o.channel = CAST(:channel AS outlet_channel)){only}
)"""
UNIVERSE = UNIVERSE_OF.format(tree="tree", only="")

# Imported sales count by their day; orders taken on visits by the visit's local start.
SALES = """
{imported}
UNION ALL
SELECT v.outlet_id, l.sku_id, l.quantity, l.quantity * l.price
FROM {outlets} AS u
{visits}
JOIN sales_order AS so ON so.visit_id = v.id
JOIN order_line AS l ON l.order_id = so.id
WHERE v.started_at >= :{since}_ts AND v.started_at < :{until}_ts"""


IMPORTED = """
SELECT s.outlet_id, s.sku_id, s.quantity, s.value
FROM sale AS s JOIN {outlets} AS u ON u.outlet_id = s.outlet_id
WHERE s.day >= :{since} AND s.day < :{until}"""

# The same, outlet by outlet on the sale key, for a few outlets: a join would read the span's
# every sale (2.4 million rows for one territory of a 100,000-outlet country) to keep a few.
# OFFSET 0 keeps the planner from flattening the lookup back into that join.
IMPORTED_FEW = """
SELECT s.outlet_id, s.sku_id, s.quantity, s.value
FROM {outlets} AS u
CROSS JOIN LATERAL (
    SELECT * FROM sale AS s
    WHERE s.outlet_id = u.outlet_id AND s.day >= :{since} AND s.day < :{until} OFFSET 0
) AS s"""


def sales(outlets: str, since: str, until: str, *, few: bool = False) -> str:
    """SQL rows ``(outlet_id, sku_id, quantity, value)`` sold at ``outlets`` in a span.

    ``since`` and ``until`` name date parameters, each with a ``_ts`` twin (local midnight).
    """
    imported = (IMPORTED_FEW if few else IMPORTED).format(outlets=outlets, since=since, until=until)
    joined = visits(since, until, few=few)
    return SALES.format(imported=imported, outlets=outlets, visits=joined, since=since, until=until)


# Covered: a completed visit, or a visit with an order, in the period up to the cut.
COVERED = """EXISTS (
    SELECT 1 FROM visit AS v
    WHERE v.outlet_id = {outlet} AND v.started_at >= :start_ts AND v.started_at < :cut_ts
      AND (v.ended_at IS NOT NULL
           OR EXISTS (SELECT 1 FROM sales_order AS so WHERE so.visit_id = v.id))
)"""


def covered(outlet: str) -> str:
    """SQL that is true when the outlet expression ``outlet`` was covered in the period."""
    return COVERED.format(outlet=outlet)


# What each outlet of the universe sold of each SKU in the period to the cut (every SKU: weighted
# distribution needs whole categories), its newest shelf evidence, and the (outlet, SKU) pairs of
# SKUs in ``shown_sku`` with either. Selling is proof of carrying, so sales never come from an
# outlet that does not count as carrying: that is what makes sales = |U| × ND × ROS exact.
PAIRS_OF = """
sold AS (
    SELECT f.outlet_id, f.sku_id, sum(f.quantity) AS quantity, sum(f.value) AS value
    FROM ({sales}) AS f
    GROUP BY f.outlet_id, f.sku_id
),
latest AS ({latest}),
pair AS (
    SELECT u.outlet_id, u.bucket, u.channel, u.status, k.id AS sku_id, k.category_id,
           coalesce(s.quantity, 0) AS quantity, coalesce(s.value, 0) AS value,
           l.present IS NOT NULL
               OR coalesce(s.quantity, 0) <> 0 OR coalesce(s.value, 0) <> 0 AS carrying
    FROM sold AS s
    FULL JOIN (SELECT outlet_id, sku_id, present FROM latest WHERE present) AS l
        ON l.outlet_id = s.outlet_id AND l.sku_id = s.sku_id
    JOIN universe AS u ON u.outlet_id = coalesce(s.outlet_id, l.outlet_id)
    JOIN shown_sku AS k ON k.id = coalesce(s.sku_id, l.sku_id)
)"""


def pairs(*, few: bool = False) -> str:
    """The ``sold``, ``latest`` and ``pair`` CTEs; ``few``: over a few outlets (see sales)."""
    return PAIRS_OF.format(
        sales=sales("universe", "start", "cut", few=few),
        latest=latest_presence("universe", few=few),
    )


PAIRS = pairs()
