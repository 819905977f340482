"""Presence of an SKU at an outlet: the most recent evidence inside a window.

Evidence comes from every source that looks at a shelf or takes an order, written as one
``UNION ALL`` so a new source is one more branch in ``EVIDENCE``. Each branch yields
``(outlet_id, sku_id, seen_at, present, facings)``; the newest row per outlet and SKU wins, and
on a tie (one visit, two sources) a sighting beats an absence: the order or the photo saw it.
"""

from __future__ import annotations

# An audit line states presence either way, with the facings counted by the rep.
AUDIT = """
SELECT v.outlet_id, l.sku_id, v.started_at AS seen_at, l.present, l.facings
FROM {outlets} AS u
{visits}
JOIN audit AS a ON a.visit_id = v.id
JOIN audit_line AS l ON l.audit_id = a.id
WHERE v.started_at >= :evidence_from_ts AND v.started_at < :cut_ts"""

# An order line says the outlet stocks the SKU (or will, on delivery); it counts no facings.
ORDER = """
SELECT v.outlet_id, l.sku_id, v.started_at, true, CAST(NULL AS integer)
FROM {outlets} AS u
{visits}
JOIN sales_order AS so ON so.visit_id = v.id
JOIN order_line AS l ON l.order_id = so.id
WHERE v.started_at >= :evidence_from_ts AND v.started_at < :cut_ts"""

# A photo analysis records the SKUs it recognised, with their front-row facings. A photo only
# proves presence: an SKU missing from one shot may stand on a shelf the rep did not photograph,
# so photos add sightings and never absences. Rejected shots (quality) are no evidence.
PHOTO = """
SELECT v.outlet_id, f.sku_id, v.started_at, f.facings > 0, f.facings
FROM {outlets} AS u
{visits}
JOIN photo AS p ON p.visit_id = v.id AND p.status = 'analysed'
JOIN photo_facing AS f ON f.photo_id = p.id
WHERE v.started_at >= :evidence_from_ts AND v.started_at < :cut_ts"""

# The sources of presence evidence; a new one (a distributor's stock report, say) is one more
# branch with the same five columns.
EVIDENCE = (AUDIT, ORDER, PHOTO)

# The visits of the outlets in the window: joined (the planner hashes the window's visits), or
# for a few outlets looked up outlet by outlet on (outlet_id, started_at), as sources.sales does
# with sales. At 100,000 outlets, one territory written to since the rollup's refresh added
# 0.50 s to the country's table when every visit of the window was hashed to keep its own,
# 0.25 s so (bench/planning.py's market); with ten such territories both ways cost the same.
VISITS = "JOIN visit AS v ON v.outlet_id = u.outlet_id"
VISITS_FEW = """CROSS JOIN LATERAL (
    SELECT * FROM visit AS v
    WHERE v.outlet_id = u.outlet_id
      AND v.started_at >= :{since}_ts AND v.started_at < :{until}_ts OFFSET 0
) AS v"""


def visits(since: str, until: str, *, few: bool = False) -> str:
    """The join of ``u`` (outlets) to ``v``, their visits started in a span (``since`` and
    ``until`` name the span's ``_ts`` parameters); ``few``: looked up outlet by outlet."""
    return VISITS_FEW.format(since=since, until=until) if few else VISITS


LATEST = """
SELECT DISTINCT ON (e.outlet_id, e.sku_id) e.outlet_id, e.sku_id, e.present, e.facings
FROM ({evidence}) AS e (outlet_id, sku_id, seen_at, present, facings)
ORDER BY e.outlet_id, e.sku_id, e.seen_at DESC, e.present DESC"""


def evidence(outlets: str, *, few: bool = False) -> str:
    """SQL for every piece of evidence at the outlets of the CTE ``outlets``, the newest or
    not: rows ``(outlet_id, sku_id, seen_at, present, facings)``. Binds as latest_presence.
    ``few``: for a few outlets, their visits looked up outlet by outlet."""
    joined = visits("evidence_from", "cut", few=few)
    return "\nUNION ALL".join(branch.format(outlets=outlets, visits=joined) for branch in EVIDENCE)


def latest_presence(outlets: str, *, few: bool = False) -> str:
    """SQL for the newest evidence per (outlet, SKU) at the outlets of the CTE ``outlets``.

    ``outlets`` names a relation with an ``outlet_id`` column (our code, never user input).
    Binds ``:evidence_from_ts`` and ``:cut_ts``. DISTINCT ON leads with the outlet, the
    distribution column of the fact tables, so Citus can run it on each shard. ``few``: as
    for `evidence`.
    """
    return LATEST.format(evidence=evidence(outlets, few=few))
