"""Daily shelf-share rollups per outlet and brand, refreshed incrementally by a periodic job.

The rollup keeps sums, not ratios, so any grouping of outlets and days adds them up: Σ brand
width (x), Σ x², Σ x·y and facings per outlet-day-brand; photos, Σ shelf width (y) and Σ y² per
outlet-day. A ratio estimate and its interval (models/reports/shelf_share.py) follow from them.

A refresh recomputes whole outlet-days, those with a photo analysed since the last refresh,
from the analysis tables: running it twice, or over a re-analysed photo, gives the same rows.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Index, text
from sqlalchemy.dialects.postgresql import TIMESTAMP
from sqlmodel import Field, Session, SQLModel

from models.analysis import PhotoAnalysis

SHELF = "shelf_share"
# An analysis commits a few seconds after its analysed_at (the model runs in the transaction):
# each refresh looks back this far before its watermark so such late commits are not missed.
OVERLAP = timedelta(minutes=15)

# The refresh finds recent analyses by time; without this index it reads them all.
Index("ix_photo_analysis_analysed_at", PhotoAnalysis.__table__.c.analysed_at)  # type: ignore[attr-defined]


class ShelfOutletDay(SQLModel, table=True):
    """Analysed shelf photos of one outlet on one day (in the field force's time zone)."""

    __tablename__ = "shelf_outlet_day"

    day: date = Field(primary_key=True)
    outlet_id: uuid.UUID = Field(foreign_key="outlet.id", primary_key=True, ondelete="CASCADE")
    photos: int
    shelf_px: float = Field(description="Σ y: summed shelf width of the photos.")
    shelf_px_sq: float = Field(description="Σ y².")


class ShelfBrandDay(SQLModel, table=True):
    """One brand on the shelf photos of one outlet on one day."""

    __tablename__ = "shelf_brand_day"

    day: date = Field(primary_key=True)
    outlet_id: uuid.UUID = Field(foreign_key="outlet.id", primary_key=True, ondelete="CASCADE")
    brand_id: uuid.UUID = Field(
        foreign_key="brand.id", primary_key=True, index=True, ondelete="CASCADE"
    )
    photos: int = Field(description="Photos on which the brand is seen.")
    facings: int
    width_px: float = Field(description="Σ x: the brand's summed width.")
    width_px_sq: float = Field(description="Σ x².")
    width_x_shelf: float = Field(description="Σ x·y.")


class RollupWatermark(SQLModel, table=True):
    """When each rollup was last refreshed: analyses before it (less the overlap) are in."""

    __tablename__ = "rollup_watermark"

    name: str = Field(primary_key=True, max_length=64)
    refreshed_at: datetime = Field(sa_type=TIMESTAMP(timezone=True))
    timezone: str = Field(max_length=64, description="The time zone its days are in.")


# The outlet-days to recompute: those with a photo analysed since the watermark.
TOUCHED = text("""
CREATE TEMPORARY TABLE rollup_touched ON COMMIT DROP AS
SELECT DISTINCT (v.started_at AT TIME ZONE :tz)::date AS day, v.outlet_id
FROM photo_analysis AS a
JOIN photo AS p ON p.id = a.photo_id
JOIN visit AS v ON v.id = p.visit_id
WHERE a.analysed_at >= :since
""")

CLEAR = [
    text(f"""
DELETE FROM {table} AS r USING rollup_touched AS t
WHERE r.day = t.day AND r.outlet_id = t.outlet_id
""")
    for table in ("shelf_outlet_day", "shelf_brand_day")
]
# Days in another time zone are other days: a change of zone starts the rollup afresh.
CLEAR_ALL = [text(f"DELETE FROM {table}") for table in ("shelf_outlet_day", "shelf_brand_day")]

# The photos the shelf-share report counts, in the touched outlet-days.
PHOTOS = text("""
CREATE TEMPORARY TABLE rollup_photos ON COMMIT DROP AS
SELECT t.day, t.outlet_id, p.id AS photo_id, a.linear_px AS y
FROM rollup_touched AS t
JOIN visit AS v ON v.outlet_id = t.outlet_id
    AND (v.started_at AT TIME ZONE :tz)::date = t.day
JOIN photo AS p ON p.visit_id = v.id AND p.kind = 'shelf'
JOIN photo_analysis AS a ON a.photo_id = p.id AND a.quality_ok AND a.linear_px > 0
""")

FILL = [
    text("""
INSERT INTO shelf_outlet_day (day, outlet_id, photos, shelf_px, shelf_px_sq)
SELECT day, outlet_id, count(*), sum(y), sum(y * y) FROM rollup_photos GROUP BY day, outlet_id
"""),
    text("""
INSERT INTO shelf_brand_day
    (day, outlet_id, brand_id, photos, facings, width_px, width_px_sq, width_x_shelf)
SELECT ph.day, ph.outlet_id, s.brand_id, count(*), coalesce(sum(f.facings), 0),
       sum(s.width_px), sum(s.width_px * s.width_px), sum(s.width_px * ph.y)
FROM rollup_photos AS ph
JOIN photo_brand_share AS s ON s.photo_id = ph.photo_id
LEFT JOIN LATERAL (
    SELECT sum(pf.facings) AS facings FROM photo_facing AS pf JOIN sku ON sku.id = pf.sku_id
    WHERE pf.photo_id = ph.photo_id AND sku.brand_id = s.brand_id
) AS f ON TRUE
GROUP BY ph.day, ph.outlet_id, s.brand_id
"""),
]

# now() is the refresh transaction's start: analyses committed after it are picked up next time.
MARK = text("""
INSERT INTO rollup_watermark (name, refreshed_at, timezone) VALUES (:name, now(), :tz)
ON CONFLICT (name) DO UPDATE SET refreshed_at = excluded.refreshed_at, timezone = :tz
""")


def refresh_shelf_rollup(session: Session, timezone: str) -> int:
    """Recompute the outlet-days touched since the last refresh; returns how many. Flushes."""
    # One refresh at a time: two would delete and insert the same keys.
    session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:name))"), {"name": SHELF})
    mark = session.get(RollupWatermark, SHELF, populate_existing=True)
    current = mark is not None and mark.timezone == timezone
    since = datetime(1970, 1, 1, tzinfo=UTC)
    if mark is not None and current:
        since = mark.refreshed_at - OVERLAP
    session.execute(TOUCHED, {"tz": timezone, "since": since})
    for statement in CLEAR if current else CLEAR_ALL:
        session.execute(statement)
    session.execute(PHOTOS, {"tz": timezone})
    for statement in FILL:
        session.execute(statement)
    touched = session.execute(text("SELECT count(*) FROM rollup_touched")).scalar_one()
    session.execute(text("DROP TABLE rollup_touched, rollup_photos"))
    session.execute(MARK, {"name": SHELF, "tz": timezone})
    session.flush()
    return int(touched)
