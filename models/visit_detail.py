"""One visit as a reader sees it: the check-in, its shelf result and its perfect-store score."""

from __future__ import annotations

import uuid

from pydantic import Field
from sqlalchemy import func, text
from sqlmodel import Session, col, select

from models.checkins import GpsFix, VisitPublic, public
from models.errors import NotFound
from models.perfect_store import SHELF_STATUS, ScorePublic, ShelfStatus, score_public
from models.scope import readable_visits
from models.users import User
from models.visits import Visit

SHELF = text(f"""
SELECT {SHELF_STATUS} FROM photo AS p WHERE p.visit_id = :visit_id AND p.status <> 'uploading'
""")


class VisitDetail(VisitPublic):
    shelf: ShelfStatus = Field(
        description="none without photos; partial while some await analysis; then complete."
    )
    perfect_store: ScorePublic | None = Field(
        description="The score and its components; null until an audit or analysed photo."
    )


def readable_visit(session: Session, user: User, visit_id: uuid.UUID) -> tuple[Visit, GpsFix]:
    """A visit the caller may read (a rep's own, or one at an outlet in scope), where it began."""
    statement = select(Visit, func.ST_X(Visit.location), func.ST_Y(Visit.location)).where(
        col(Visit.id) == visit_id
    )
    statement = readable_visits(statement, user)
    row = session.execute(statement).first()
    if row is None:
        raise NotFound(f"No visit {visit_id}.")
    visit, lon, lat = row
    return visit, GpsFix(lat=lat, lon=lon, accuracy_m=visit.accuracy_m)


def visit_detail(session: Session, user: User, visit_id: uuid.UUID) -> VisitDetail:
    visit, location = readable_visit(session, user, visit_id)
    shelf = ShelfStatus(session.scalar(SHELF, {"visit_id": visit.id}))
    return VisitDetail(
        **public(visit, location).model_dump(),
        shelf=shelf,
        perfect_store=score_public(session, visit.id),
    )
