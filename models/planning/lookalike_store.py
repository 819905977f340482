"""The prospects' stored lookalikes, kept by the planning rollup (models/planning/rollup.py).

Every prospect's lookalikes at the default radius and count (``planning_lookalike``), the
radius and count they were found with, and the marks of the outlets written since
(``planning_outlet_mark``, left by a trigger in the writer's transaction) under which they no
longer hold; models/planning/lookalikes.py reads them where they hold.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import BigInteger, Column, Index, Numeric, text
from sqlalchemy import Enum as SAEnum
from sqlalchemy.dialects.postgresql import TIMESTAMP
from sqlmodel import Field, Session, SQLModel

from models.outlets import Channel, OutletClass
from models.planning.lookalikes import NEAREST, NEIGHBOURS, RADIUS_M


class PlanningLookalike(SQLModel, table=True):
    """One of a prospect's lookalikes at the default radius and count, for any caller."""

    __tablename__ = "planning_lookalike"

    subject_id: uuid.UUID = Field(primary_key=True)
    outlet_id: uuid.UUID = Field(primary_key=True)
    distance_m: Decimal = Field(sa_type=Numeric())


class PlanningLookalikeSnapshot(SQLModel, table=True):
    """The radius and count the stored lookalikes were found with."""

    __tablename__ = "planning_lookalike_snapshot"

    radius_m: float = Field(primary_key=True)
    neighbours: int = Field(primary_key=True)
    refreshed_at: datetime = Field(sa_type=TIMESTAMP(timezone=True))


class PlanningOutletMark(SQLModel, table=True):
    """An outlet added, removed or changed since the last refresh: where, and what it was."""

    __tablename__ = "planning_outlet_mark"
    # Each prospect looks for the marks within its reach, as outlets are looked for.
    __table_args__ = (
        Index(
            "ix_planning_outlet_mark_location_geography",
            text("(location::geography)"),
            postgresql_using="gist",
        ),
    )

    id: int | None = Field(default=None, sa_column=Column(BigInteger, primary_key=True))
    location: Any = Field(sa_type=Geometry("POINT", srid=4326, spatial_index=False))
    channel: Channel = Field(sa_type=SAEnum(Channel, name="outlet_channel"))
    outlet_class: OutletClass = Field(sa_type=SAEnum(OutletClass, name="outlet_class"))


# The rollup's side. Claiming the marks and finding the prospects of their channel and class
# within the radius of them (every prospect whose reach they may be in) is one statement: a mark
# committed after it stays for the next refresh, and until then its prospects' lookalikes are
# found afresh by every question.
CLAIM = text("""
WITH claimed AS (DELETE FROM planning_outlet_mark RETURNING location, channel, outlet_class)
SELECT DISTINCT p.id
FROM claimed AS m
JOIN outlet AS p
    ON ST_DWithin(geography(p.location), geography(m.location), :radius_m * 1.01, false)
WHERE p.status = 'prospect' AND p.channel = m.channel AND p.outlet_class = m.outlet_class
""")

# Those prospects' rows go, and those of outlets that are no longer prospects (or no more).
CLEAR = text("""
DELETE FROM planning_lookalike AS p
WHERE CAST(:full AS boolean) OR p.subject_id = ANY(CAST(:subjects AS uuid[]))
   OR NOT EXISTS (SELECT 1 FROM outlet AS o WHERE o.id = p.subject_id AND o.status = 'prospect')
""")

FILL = text(f"""
WITH subject AS (
    SELECT o.id AS outlet_id, o.channel, o.outlet_class, o.location
    FROM outlet AS o
    WHERE o.status = 'prospect'
      AND (CAST(:full AS boolean) OR o.id = ANY(CAST(:subjects AS uuid[])))
)
INSERT INTO planning_lookalike (subject_id, outlet_id, distance_m)
SELECT s.outlet_id, n.outlet_id, n.distance_m
FROM subject AS s CROSS JOIN LATERAL ({NEAREST}) AS n
""")

STORED = text("""
SELECT 1 FROM planning_lookalike_snapshot WHERE radius_m = :radius_m AND neighbours = :neighbours
""")

SNAPSHOT = text("""
INSERT INTO planning_lookalike_snapshot (radius_m, neighbours, refreshed_at)
VALUES (:radius_m, :neighbours, now())
ON CONFLICT (radius_m, neighbours) DO UPDATE SET refreshed_at = excluded.refreshed_at
""")


def refresh_lookalikes(session: Session) -> int | None:
    """Find the lookalikes of the prospects near the outlets written since the last refresh.

    All of them when none are stored for the default radius and count. Returns how many
    prospects were looked at, None for all. Flushes, never commits.
    """
    params: dict[str, Any] = {"radius_m": RADIUS_M, "neighbours": NEIGHBOURS, "visible": None}
    full = session.execute(STORED, params).first() is None
    subjects: list[uuid.UUID] = list(session.scalars(CLAIM, params))
    if full:
        session.execute(text("DELETE FROM planning_lookalike_snapshot"))
    params |= {"full": full, "subjects": subjects}
    session.execute(CLEAR, params)
    session.execute(FILL, params)
    session.execute(SNAPSHOT, params)
    return None if full else len(subjects)
