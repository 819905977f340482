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
JOIN visit AS v ON v.outlet_id = u.outlet_id
JOIN audit AS a ON a.visit_id = v.id
JOIN audit_line AS l ON l.audit_id = a.id
WHERE v.started_at >= :evidence_from_ts AND v.started_at < :cut_ts"""

# An order line says the outlet stocks the SKU (or will, on delivery); it counts no facings.
ORDER = """
SELECT v.outlet_id, l.sku_id, v.started_at, true, CAST(NULL AS integer)
FROM {outlets} AS u
JOIN visit AS v ON v.outlet_id = u.outlet_id
JOIN sales_order AS so ON so.visit_id = v.id
JOIN order_line AS l ON l.order_id = so.id
WHERE v.started_at >= :evidence_from_ts AND v.started_at < :cut_ts"""

# A photo analysis records the SKUs it recognised, with their front-row facings. A photo only
# proves presence: an SKU missing from one shot may stand on a shelf the rep did not photograph,
# so photos add sightings and never absences. Rejected shots (quality) are no evidence.
PHOTO = """
SELECT v.outlet_id, f.sku_id, v.started_at, f.facings > 0, f.facings
FROM {outlets} AS u
JOIN visit AS v ON v.outlet_id = u.outlet_id
JOIN photo AS p ON p.visit_id = v.id AND p.status = 'analysed'
JOIN photo_facing AS f ON f.photo_id = p.id
WHERE v.started_at >= :evidence_from_ts AND v.started_at < :cut_ts"""

# The sources of presence evidence; a new one (a distributor's stock report, say) is one more
# branch with the same five columns.
EVIDENCE = (AUDIT, ORDER, PHOTO)

LATEST = """
SELECT DISTINCT ON (e.outlet_id, e.sku_id) e.outlet_id, e.sku_id, e.present, e.facings
FROM ({evidence}) AS e (outlet_id, sku_id, seen_at, present, facings)
ORDER BY e.outlet_id, e.sku_id, e.seen_at DESC, e.present DESC"""


def evidence(outlets: str) -> str:
    """SQL for every piece of evidence at the outlets of the CTE ``outlets``, the newest or
    not: rows ``(outlet_id, sku_id, seen_at, present, facings)``. Binds as latest_presence."""
    return "\nUNION ALL".join(branch.format(outlets=outlets) for branch in EVIDENCE)


def latest_presence(outlets: str) -> str:
    """SQL for the newest evidence per (outlet, SKU) at the outlets of the CTE ``outlets``.

    ``outlets`` names a relation with an ``outlet_id`` column (our code, never user input).
    Binds ``:evidence_from_ts`` and ``:cut_ts``. DISTINCT ON leads with the outlet, the
    distribution column of the fact tables, so Citus can run it on each shard.
    """
    return LATEST.format(evidence=evidence(outlets))
