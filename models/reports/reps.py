"""Rep activity: planned against done visits, time in store, and the flags worth a look."""

from __future__ import annotations

import uuid
from datetime import date

from pydantic import BaseModel, Field
from sqlalchemy import text
from sqlmodel import Session

from models.scope import territory_ids
from models.settings import Settings
from models.users import User

# Planned visits are what the journey plan asks of each rep's outlets over the period:
# (days in period) / (class interval), summed over the active outlets of their territories.
SQL = """
WITH reps AS (
    SELECT u.id, u.username, u.full_name
    FROM app_user AS u
    WHERE u.role = 'rep' AND u.active
      AND (CAST(:scoped AS boolean) IS FALSE OR EXISTS (
          SELECT 1 FROM user_territory AS ut
          WHERE ut.user_id = u.id AND ut.territory_id = ANY(:scope_ids)))
),
planned AS (
    SELECT ut.user_id, sum(:days / CAST(CASE o.outlet_class::text
        WHEN 'A' THEN :every_a WHEN 'B' THEN :every_b ELSE :every_c END AS float)) AS planned
    FROM user_territory AS ut
    JOIN outlet AS o ON o.territory_id = ut.territory_id AND o.status = 'active'
    GROUP BY ut.user_id
),
visits AS (
    SELECT v.rep_id, count(*) AS done,
           count(*) FILTER (WHERE v.ended_at IS NOT NULL) AS closed,
           avg(extract(epoch FROM v.ended_at - v.started_at) / 60)
               FILTER (WHERE v.ended_at IS NOT NULL) AS minutes_in_store,
           count(*) FILTER (WHERE v.geofence = 'outside') AS outside_geofence,
           count(*) FILTER (WHERE 'mock_location' = ANY(v.flags)) AS mock_location,
           count(*) FILTER (WHERE 'implausible_speed' = ANY(v.flags)) AS implausible_speed,
           count(*) FILTER (WHERE 'clock_skew' = ANY(v.flags)) AS clock_skew,
           count(*) FILTER (WHERE 'reused_photo' = ANY(v.flags)) AS reused_photo,
           avg(v.trust_score) AS trust
    FROM visit AS v
    WHERE v.started_at >= :start AND v.started_at < :stop
    GROUP BY v.rep_id
),
photos AS (
    SELECT v.rep_id, count(p.id) AS photos,
           count(p.id) FILTER (WHERE p.status = 'rejected') AS rejected
    FROM visit AS v JOIN photo AS p ON p.visit_id = v.id
    WHERE v.started_at >= :start AND v.started_at < :stop
    GROUP BY v.rep_id
)
SELECT r.id, r.username, r.full_name, coalesce(pl.planned, 0) AS planned,
       coalesce(vi.done, 0) AS done, coalesce(vi.closed, 0) AS closed, vi.minutes_in_store,
       coalesce(vi.outside_geofence, 0) AS outside_geofence,
       coalesce(vi.mock_location, 0) AS mock_location,
       coalesce(vi.implausible_speed, 0) AS implausible_speed,
       coalesce(vi.clock_skew, 0) AS clock_skew, coalesce(vi.reused_photo, 0) AS reused_photo,
       vi.trust, coalesce(ph.photos, 0) AS photos, coalesce(ph.rejected, 0) AS rejected
FROM reps AS r
LEFT JOIN planned AS pl ON pl.user_id = r.id
LEFT JOIN visits AS vi ON vi.rep_id = r.id
LEFT JOIN photos AS ph ON ph.rep_id = r.id
ORDER BY r.username
"""


class RepRow(BaseModel):
    rep_id: uuid.UUID
    username: str
    full_name: str
    planned_visits: float = Field(description="What the journey plan asks over the period.")
    visits: int
    plan_adherence: float | None = Field(description="Visits / planned visits.")
    avg_minutes_in_store: float | None
    outside_geofence: int
    mock_location: int
    implausible_speed: int
    clock_skew: int
    reused_photo: int
    avg_trust: float | None
    photos_per_visit: float | None
    photos_rejected: int


def reps_report(
    session: Session, settings: Settings, user: User, start: date, stop: date
) -> list[RepRow]:
    """Per rep in the caller's scope over [start, stop)."""
    ids = territory_ids(user)
    every = settings.visit_every_days
    rows = session.execute(
        text(SQL),
        {
            "start": start,
            "stop": stop,
            "days": float((stop - start).days),
            "every_a": every.get("A", 7),
            "every_b": every.get("B", 14),
            "every_c": every.get("C", 28),
            "scoped": ids is not None,
            "scope_ids": list(session.scalars(ids)) if ids is not None else [],
        },
    )
    return [
        RepRow(
            rep_id=r.id,
            username=r.username,
            full_name=r.full_name,
            planned_visits=round(r.planned, 1),
            visits=r.done,
            plan_adherence=round(r.done / r.planned, 3) if r.planned else None,
            avg_minutes_in_store=None
            if r.minutes_in_store is None
            else round(r.minutes_in_store, 1),
            outside_geofence=r.outside_geofence,
            mock_location=r.mock_location,
            implausible_speed=r.implausible_speed,
            clock_skew=r.clock_skew,
            reused_photo=r.reused_photo,
            avg_trust=None if r.trust is None else round(r.trust, 3),
            photos_per_visit=round(r.photos / r.done, 2) if r.done else None,
            photos_rejected=r.rejected,
        )
        for r in rows
    ]
