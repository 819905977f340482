"""Photo evidence: the caller's shelf photos, filtered, newest first, one page at a time."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Select, exists, select
from sqlmodel import Session, col

from models.analysis import PhotoAnalysis, PhotoBrandShare
from models.outlets import Outlet
from models.scope import territory_ids
from models.territories import Territory, subtree_ids
from models.users import User
from models.visits import Photo, Visit


class PhotoCard(BaseModel):
    id: uuid.UUID
    status: str
    started_at: datetime
    outlet_id: uuid.UUID
    outlet_code: str
    outlet_name: str
    territory: str | None
    rep: str
    quality_ok: bool | None
    quality_flags: list[str]
    model_version: str | None


@dataclass(frozen=True)
class PhotoFilter:
    photo_id: uuid.UUID | None = None
    territory_id: uuid.UUID | None = None
    outlet_id: uuid.UUID | None = None
    brand_id: uuid.UUID | None = None
    rep_id: uuid.UUID | None = None
    start: date | None = None
    stop: date | None = None  # inclusive
    quality_ok: bool | None = None


def _statement(session: Session, user: User, where: PhotoFilter) -> Select[Any]:
    statement: Select[Any] = (
        select(
            col(Photo.id),
            col(Photo.status),
            col(Visit.started_at),
            col(Outlet.id).label("outlet_id"),
            col(Outlet.code).label("outlet_code"),
            col(Outlet.name).label("outlet_name"),
            col(Territory.name).label("territory"),
            col(User.username).label("rep"),
            col(PhotoAnalysis.quality_ok),
            col(PhotoAnalysis.quality),
            col(PhotoAnalysis.model_version),
        )
        .join(Visit, col(Visit.id) == col(Photo.visit_id))
        .join(Outlet, col(Outlet.id) == col(Visit.outlet_id))
        .join(User, col(User.id) == col(Visit.rep_id))
        .outerjoin(Territory, col(Territory.id) == col(Outlet.territory_id))
        .outerjoin(PhotoAnalysis, col(PhotoAnalysis.photo_id) == col(Photo.id))
    )
    ids = territory_ids(user)
    if ids is not None:
        statement = statement.where(col(Outlet.territory_id).in_(ids))
    if where.territory_id is not None:
        statement = statement.where(
            col(Outlet.territory_id).in_(subtree_ids(session, where.territory_id))
        )
    if where.photo_id is not None:
        statement = statement.where(col(Photo.id) == where.photo_id)
    if where.outlet_id is not None:
        statement = statement.where(col(Outlet.id) == where.outlet_id)
    if where.rep_id is not None:
        statement = statement.where(col(Visit.rep_id) == where.rep_id)
    if where.start is not None:
        statement = statement.where(col(Visit.started_at) >= where.start)
    if where.stop is not None:
        statement = statement.where(col(Visit.started_at) < where.stop + timedelta(days=1))
    if where.quality_ok is not None:
        statement = statement.where(col(PhotoAnalysis.quality_ok).is_(where.quality_ok))
    if where.brand_id is not None:
        statement = statement.where(
            exists().where(
                col(PhotoBrandShare.photo_id) == col(Photo.id),
                col(PhotoBrandShare.brand_id) == where.brand_id,
            )
        )
    return statement


def photo_page(
    session: Session, user: User, where: PhotoFilter, *, offset: int, limit: int
) -> tuple[list[PhotoCard], bool]:
    """A page of photos newest first, and whether another page follows."""
    statement = _statement(session, user, where).order_by(
        col(Visit.started_at).desc(), col(Photo.id)
    )
    rows = session.execute(statement.offset(offset).limit(limit + 1)).mappings().all()
    cards = [
        PhotoCard(
            **{k: v for k, v in row.items() if k != "quality"},
            quality_flags=list((row["quality"] or {}).get("flags", [])),
        )
        for row in rows[:limit]
    ]
    return cards, len(rows) > limit
