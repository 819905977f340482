"""Early warnings, each with its evidence, computed set-based over the caller's scope."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import text
from sqlmodel import Session

from models.analysis import REUSE_MAX_BITS
from models.scope import territory_ids
from models.settings import Settings
from models.users import User


class AlertKind(StrEnum):
    share_drop = "share_drop"
    repeated_out_of_stock = "repeated_out_of_stock"
    coverage_falling = "coverage_falling"
    far_check_ins = "far_check_ins"
    reused_photo = "reused_photo"


class Alert(BaseModel):
    kind: AlertKind
    territory_id: uuid.UUID | None
    message: str
    value: float = Field(description="The figure that tripped the threshold.")
    evidence: dict[str, Any] = Field(description="Ids of the visits, photos, outlets behind it.")


# Each query answers (territory_id, message, value, evidence) rows for one kind of alert.
# :scoped/:scope_ids restrict outlets (and so visits and photos) to the caller's territories.
SCOPE = "(CAST(:scoped AS boolean) IS FALSE OR o.territory_id = ANY(:scope_ids))"

SHARE_DROP = f"""
WITH weekly AS (
    SELECT o.territory_id, s.brand_id,
           (v.started_at >= :week_start) AS recent,
           sum(s.width_px) AS x, count(DISTINCT p.id) AS photos,
           array_agg(DISTINCT p.id) AS photo_ids
    FROM photo_brand_share AS s
    JOIN photo AS p ON p.id = s.photo_id
    JOIN visit AS v ON v.id = p.visit_id
    JOIN outlet AS o ON o.id = v.outlet_id
    WHERE v.started_at >= :week_start - interval '7 days' AND v.started_at < :until AND {SCOPE}
    GROUP BY 1, 2, 3
),
shelf AS (
    SELECT o.territory_id, (v.started_at >= :week_start) AS recent, sum(a.linear_px) AS y
    FROM photo_analysis AS a
    JOIN photo AS p ON p.id = a.photo_id
    JOIN visit AS v ON v.id = p.visit_id
    JOIN outlet AS o ON o.id = v.outlet_id
    WHERE a.quality_ok AND v.started_at >= :week_start - interval '7 days'
      AND v.started_at < :until AND {SCOPE}
    GROUP BY 1, 2
)
SELECT now_.territory_id,
       format('%s lost %s points of shelf share in %s week over week (%s%% → %s%%)',
              b.name, round((100 * (then_.x / sb.y - now_.x / sa.y))::numeric, 1), t.name,
              round((100 * then_.x / sb.y)::numeric, 1), round((100 * now_.x / sa.y)::numeric, 1))
           AS message,
       100 * (then_.x / sb.y - now_.x / sa.y) AS value,
       jsonb_build_object('brand_id', b.id, 'photo_ids', now_.photo_ids) AS evidence
FROM weekly AS now_
JOIN weekly AS then_ ON then_.territory_id = now_.territory_id
    AND then_.brand_id = now_.brand_id AND NOT then_.recent
JOIN shelf AS sa ON sa.territory_id = now_.territory_id AND sa.recent
JOIN shelf AS sb ON sb.territory_id = now_.territory_id AND NOT sb.recent
JOIN brand AS b ON b.id = now_.brand_id
JOIN territory AS t ON t.id = now_.territory_id
WHERE now_.recent AND now_.photos >= 2 AND then_.photos >= 2
  AND 100 * (then_.x / sb.y - now_.x / sa.y) >= :share_drop_pp
"""

REPEATED_OOS = f"""
WITH ranked AS (
    SELECT o.id AS outlet_id, o.territory_id, o.name AS outlet, l.sku_id, l.present,
           v.id AS visit_id,
           row_number() OVER (PARTITION BY o.id, l.sku_id ORDER BY v.started_at DESC) AS nth
    FROM audit_line AS l
    JOIN audit AS au ON au.id = l.audit_id
    JOIN visit AS v ON v.id = au.visit_id
    JOIN outlet AS o ON o.id = v.outlet_id
    WHERE v.started_at < :until AND {SCOPE}
)
SELECT r.territory_id,
       format('%s out of stock at %s on the last %s visits', sku.name, min(r.outlet), count(*))
           AS message,
       count(*)::float AS value,
       jsonb_build_object('outlet_id', r.outlet_id, 'sku_id', r.sku_id,
                          'visit_ids', array_agg(r.visit_id)) AS evidence
FROM ranked AS r JOIN sku ON sku.id = r.sku_id
WHERE r.nth <= :oos_visits
GROUP BY r.territory_id, r.outlet_id, r.sku_id, sku.name
HAVING count(*) = :oos_visits AND bool_and(NOT r.present)
"""

COVERAGE_FALLING = f"""
WITH universe AS (
    SELECT o.territory_id, o.id FROM outlet AS o
    WHERE o.status IN ('active', 'prospect') AND o.territory_id IS NOT NULL AND {SCOPE}
),
covered AS (
    SELECT u.territory_id,
           count(DISTINCT u.id) FILTER (WHERE v.started_at >= :until - interval '28 days') AS now_,
           count(DISTINCT u.id) FILTER (WHERE v.started_at < :until - interval '28 days') AS then_
    FROM universe AS u JOIN visit AS v ON v.outlet_id = u.id
    WHERE v.ended_at IS NOT NULL AND v.started_at >= :until - interval '56 days'
      AND v.started_at < :until
    GROUP BY u.territory_id
),
sizes AS (SELECT territory_id, count(*) AS n FROM universe GROUP BY territory_id)
SELECT c.territory_id,
       format('Coverage of %s fell from %s%% to %s%% over 28 days', t.name,
              round(100.0 * c.then_ / s.n, 1), round(100.0 * c.now_ / s.n, 1)) AS message,
       100.0 * (c.then_ - c.now_) / s.n AS value,
       jsonb_build_object('universe', s.n, 'covered_now', c.now_, 'covered_before', c.then_)
           AS evidence
FROM covered AS c JOIN sizes AS s USING (territory_id) JOIN territory AS t ON t.id = c.territory_id
WHERE 100.0 * (c.then_ - c.now_) / s.n >= :coverage_drop_pp
"""

FAR_CHECK_INS = f"""
SELECT min(o.territory_id::text)::uuid AS territory_id,
       format('%s checked in outside the geofence %s times this week', u.username, count(*))
           AS message,
       count(*)::float AS value,
       jsonb_build_object('rep_id', u.id, 'visit_ids', array_agg(v.id),
                          'distances_m', array_agg(round(v.distance_m))) AS evidence
FROM visit AS v JOIN app_user AS u ON u.id = v.rep_id JOIN outlet AS o ON o.id = v.outlet_id
WHERE v.geofence = 'outside' AND v.started_at >= :until - interval '7 days'
  AND v.started_at < :until AND {SCOPE}
GROUP BY u.id, u.username
HAVING count(*) >= :far_check_ins
"""

REUSED_PHOTO = f"""
SELECT o.territory_id,
       format('%s sent the same shelf photo on two visits (%s and %s)', u.username,
              to_char(v.started_at, 'YYYY-MM-DD'), to_char(w.started_at, 'YYYY-MM-DD'))
           AS message,
       bit_count((a.phash # b.phash)::bit(64))::float AS value,
       jsonb_build_object('rep_id', u.id, 'visit_ids', jsonb_build_array(v.id, w.id),
                          'photo_ids', jsonb_build_array(a.photo_id, b.photo_id)) AS evidence
FROM photo_analysis AS a
JOIN photo AS pa ON pa.id = a.photo_id JOIN visit AS v ON v.id = pa.visit_id
JOIN photo_analysis AS b ON b.photo_id > a.photo_id
    AND bit_count((a.phash # b.phash)::bit(64)) <= :reuse_bits
JOIN photo AS pb ON pb.id = b.photo_id JOIN visit AS w ON w.id = pb.visit_id AND w.id <> v.id
JOIN outlet AS o ON o.id = v.outlet_id
JOIN app_user AS u ON u.id = v.rep_id
WHERE v.started_at >= :until - interval '28 days' AND v.started_at < :until AND {SCOPE}
"""

QUERIES = {
    AlertKind.share_drop: SHARE_DROP,
    AlertKind.repeated_out_of_stock: REPEATED_OOS,
    AlertKind.coverage_falling: COVERAGE_FALLING,
    AlertKind.far_check_ins: FAR_CHECK_INS,
    AlertKind.reused_photo: REUSED_PHOTO,
}


def alerts(session: Session, settings: Settings, user: User, until: date) -> list[Alert]:
    """Every early warning up to ``until`` (exclusive) in the caller's scope, worst first."""
    ids = territory_ids(user)
    params = {
        "until": until,
        "week_start": until - timedelta(days=7),
        "scoped": ids is not None,
        "scope_ids": list(session.scalars(ids)) if ids is not None else [],
        "share_drop_pp": settings.alert_share_drop_pp,
        "oos_visits": settings.alert_oos_visits,
        "coverage_drop_pp": settings.alert_coverage_drop_pp,
        "far_check_ins": settings.alert_far_checkins,
        "reuse_bits": REUSE_MAX_BITS,
    }
    found = [
        Alert(
            kind=kind,
            territory_id=row.territory_id,
            message=row.message,
            value=row.value,
            evidence=row.evidence,
        )
        for kind, sql in QUERIES.items()
        for row in session.execute(text(sql), params)
    ]
    return sorted(found, key=lambda a: (list(AlertKind).index(a.kind), -a.value))
