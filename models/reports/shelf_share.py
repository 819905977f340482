"""Linear share of shelf per brand, grouped, with its uncertainty and its change.

The share of brand b in a group is a ratio estimator over the group's analysed shelf photos:
R = Σ width_b / Σ shelf width. Its standard error treats photos as the sampled units
(cluster sampling), so a figure from three photos says so in its interval:
Var(R) ≈ n / (n - 1) · Σ (x_i - R·y_i)² / (Σ y_i)², computed from sums in one pass; the sums
come from the daily rollup where it is current (models/rollups.py).
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import text
from sqlmodel import Session

from models.outlets import Channel
from models.rollups import OVERLAP, SHELF
from models.scope import territory_ids
from models.territories import subtree_ids
from models.users import User


class GroupBy(StrEnum):
    territory = "territory"
    channel = "channel"
    outlet = "outlet"
    week = "week"
    brand = "brand"


# Fixed SQL for each grouping: chosen from this table, never from the request's text.
GROUP_KEYS = {
    GroupBy.territory: ("o.territory_id::text", "t.name"),
    GroupBy.channel: ("o.channel::text", "o.channel::text"),
    GroupBy.outlet: ("o.id::text", "o.name"),
    GroupBy.week: ("to_char(date_trunc('week', c.day), 'IYYY-\"W\"IW')", "NULL"),
    GroupBy.brand: ("'all'", "'all'"),
}

# The sums come per outlet-day, from the rollup (models/rollups.py) where it is current and
# from the photos themselves where it is not: outlet-days with an analysis newer than its last
# refresh (less the overlap), or all of them before a first refresh or with a category asked
# (the rollup's facings are per brand). Either way the figures are those of the photos now.
SQL = """
WITH mark AS (
    SELECT refreshed_at - CAST(:overlap AS interval) AS since, timezone AS tz
    FROM rollup_watermark WHERE name = :rollup AND CAST(:category_id AS uuid) IS NULL
),
zone AS (
    SELECT coalesce((SELECT tz FROM mark), current_setting('TimeZone')) AS tz
),
dirty AS (
    SELECT DISTINCT (v.started_at AT TIME ZONE (SELECT tz FROM zone))::date AS day, v.outlet_id
    FROM photo_analysis AS a
    JOIN photo AS p ON p.id = a.photo_id
    JOIN visit AS v ON v.id = p.visit_id
    WHERE a.analysed_at >= coalesce((SELECT since FROM mark), '-infinity')
),
live AS (
    SELECT d.day, d.outlet_id, p.id AS photo_id, a.linear_px AS y
    FROM dirty AS d
    JOIN visit AS v ON v.outlet_id = d.outlet_id
        AND (v.started_at AT TIME ZONE (SELECT tz FROM zone))::date = d.day
    JOIN photo AS p ON p.visit_id = v.id AND p.kind = 'shelf'
    JOIN photo_analysis AS a ON a.photo_id = p.id AND a.quality_ok AND a.linear_px > 0
    WHERE d.day >= :start AND d.day < :stop
),
cells AS (
    SELECT r.day, r.outlet_id, r.photos AS n, r.shelf_px AS sy, r.shelf_px_sq AS syy
    FROM shelf_outlet_day AS r
    WHERE r.day >= :start AND r.day < :stop
      AND NOT EXISTS (SELECT FROM dirty AS d WHERE d.day = r.day AND d.outlet_id = r.outlet_id)
    UNION ALL
    SELECT day, outlet_id, count(*), sum(y), sum(y * y) FROM live GROUP BY day, outlet_id
),
brand_cells AS (
    SELECT r.day, r.outlet_id, r.brand_id, r.photos AS nb, r.facings,
           r.width_px AS sx, r.width_px_sq AS sxx, r.width_x_shelf AS sxy
    FROM shelf_brand_day AS r
    WHERE r.day >= :start AND r.day < :stop
      AND (CAST(:brand_id AS uuid) IS NULL OR r.brand_id = :brand_id)
      AND NOT EXISTS (SELECT FROM dirty AS d WHERE d.day = r.day AND d.outlet_id = r.outlet_id)
    UNION ALL
    SELECT l.day, l.outlet_id, s.brand_id, count(*),
           coalesce(sum((
               SELECT sum(f.facings) FROM photo_facing AS f JOIN sku ON sku.id = f.sku_id
               WHERE f.photo_id = l.photo_id AND sku.brand_id = s.brand_id
                 AND (CAST(:category_id AS uuid) IS NULL OR sku.category_id = :category_id)
           )), 0),
           sum(s.width_px), sum(s.width_px * s.width_px), sum(s.width_px * l.y)
    FROM live AS l
    JOIN photo_brand_share AS s ON s.photo_id = l.photo_id
    WHERE (CAST(:brand_id AS uuid) IS NULL OR s.brand_id = :brand_id)
    GROUP BY l.day, l.outlet_id, s.brand_id
),
groups AS (
    SELECT {key} AS group_key, min({label}) AS group_label, sum(c.n)::int AS n,
           sum(c.sy) AS sy, sum(c.syy) AS syy, count(DISTINCT c.outlet_id) AS outlets
    FROM cells AS c
    JOIN outlet AS o ON o.id = c.outlet_id
    LEFT JOIN territory AS t ON t.id = o.territory_id
    WHERE (CAST(:channel AS text) IS NULL OR o.channel::text = :channel) AND ({scope})
    GROUP BY 1
),
brands AS (
    SELECT {key} AS group_key, c.brand_id, sum(c.nb)::int AS photos_with_brand,
           count(DISTINCT c.outlet_id) AS outlets_with_brand, sum(c.sx) AS sx,
           sum(c.sxx) AS sxx, sum(c.sxy) AS sxy, sum(c.facings)::int AS facings
    FROM brand_cells AS c
    JOIN outlet AS o ON o.id = c.outlet_id
    LEFT JOIN territory AS t ON t.id = o.territory_id
    WHERE (CAST(:channel AS text) IS NULL OR o.channel::text = :channel) AND ({scope})
    GROUP BY 1, 2
)
SELECT g.group_key, g.group_label, b.id AS brand_id, b.name AS brand, b.own,
       g.n AS photos, br.photos_with_brand, br.outlets_with_brand, g.outlets,
       br.sx, br.sxx, br.sxy, g.sy, g.syy, br.facings
FROM brands AS br
JOIN groups AS g ON g.group_key = br.group_key
JOIN brand AS b ON b.id = br.brand_id
"""


class ShareRow(BaseModel):
    group: str | None = Field(description="Territory, channel, outlet or ISO week, by group_by.")
    group_label: str | None
    brand_id: uuid.UUID
    brand: str
    own: bool
    share: float = Field(description="Linear share of shelf, 0 to 1.")
    share_low: float = Field(description="95 % interval, low end.")
    share_high: float
    facings: int
    photos: int = Field(description="Analysed shelf photos behind the figure.")
    outlets: int = Field(description="Outlets those photos come from.")
    previous_share: float | None = Field(description="Same group, previous period of equal length.")
    change_pp: float | None = Field(description="Change against it, in percentage points.")


@dataclass(frozen=True)
class ShareQuery:
    start: date
    stop: date  # exclusive
    group_by: GroupBy = GroupBy.territory
    territory_id: uuid.UUID | None = None
    brand_id: uuid.UUID | None = None
    category_id: uuid.UUID | None = None
    channel: Channel | None = None


def _estimate(row: Any) -> tuple[float, float, float]:
    """Ratio estimate and its 95 % interval from the sums of one group and brand."""
    r = row.sx / row.sy
    n = row.photos
    if n < 2:
        return r, 0.0, 1.0
    residual = row.sxx - 2 * r * row.sxy + r * r * row.syy
    se = math.sqrt(max(residual, 0.0) * n / (n - 1)) / row.sy
    return r, max(0.0, r - 1.96 * se), min(1.0, r + 1.96 * se)


def _scope_sql(
    session: Session, user: User, territory_id: uuid.UUID | None
) -> tuple[str, dict[str, Any]]:
    """The outlet filter for the caller's scope and the asked territory, as SQL + params."""
    clauses, params = ["TRUE"], {}
    ids = territory_ids(user)
    if ids is not None:
        clauses.append("o.territory_id = ANY(:scope_ids)")
        params["scope_ids"] = list(session.scalars(ids))
    if territory_id is not None:
        params["asked_ids"] = subtree_ids(session, territory_id)
        clauses.append("o.territory_id = ANY(:asked_ids)")
    return " AND ".join(clauses), params


def _window(session: Session, user: User, query: ShareQuery, start: date, stop: date) -> list[Any]:
    key, label = GROUP_KEYS[query.group_by]
    scope, params = _scope_sql(session, user, query.territory_id)
    statement = text(SQL.format(key=key, label=label, scope=scope))
    return list(
        session.execute(
            statement,
            {
                "start": start,
                "stop": stop,
                "channel": query.channel.value if query.channel else None,
                "brand_id": query.brand_id,
                "category_id": query.category_id,
                "rollup": SHELF,
                "overlap": OVERLAP,
                **params,
            },
        )
    )


def shelf_share(session: Session, user: User, query: ShareQuery) -> list[ShareRow]:
    """Share per group and brand, largest first within each group."""
    length = query.stop - query.start
    now = _window(session, user, query, query.start, query.stop)
    before = {
        (row.group_key, row.brand_id): row.sx / row.sy
        for row in _window(session, user, query, query.start - length, query.start)
    }
    rows = []
    for row in now:
        share, low, high = _estimate(row)
        previous = before.get((row.group_key, row.brand_id))
        rows.append(
            ShareRow(
                group=row.group_key,
                group_label=row.group_label,
                brand_id=row.brand_id,
                brand=row.brand,
                own=row.own,
                share=round(share, 4),
                share_low=round(low, 4),
                share_high=round(high, 4),
                facings=int(row.facings),
                photos=row.photos,
                outlets=row.outlets,
                previous_share=None if previous is None else round(previous, 4),
                change_pp=None if previous is None else round(100 * (share - previous), 2),
            )
        )
    return sorted(rows, key=lambda r: (r.group or "", -r.share))


def default_window(today: date) -> tuple[date, date]:
    """The last four full weeks up to today."""
    stop = today + timedelta(days=1)
    return stop - timedelta(days=28), stop
