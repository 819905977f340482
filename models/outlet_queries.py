"""Outlet reads and writes: filters, nearest-first search, scoped create and update."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from geoalchemy2 import Geography
from pydantic import BaseModel, Field
from sqlalchemy import Float, Select, Uuid, func, literal, tuple_
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from models.errors import Conflict, Forbidden, Invalid, NotFound
from models.outlets import Channel, Outlet, OutletClass, OutletStatus
from models.scope import territory_ids
from models.territories import assign_outlets, subtree
from models.users import Role, User


class Location(BaseModel):
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)


class OutletCreate(BaseModel):
    code: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=200)
    address: str = Field(default="", max_length=400)
    channel: Channel
    outlet_class: OutletClass = OutletClass.C
    status: OutletStatus = OutletStatus.active
    location: Location
    attributes: dict[str, Any] = {}


class OutletUpdate(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    address: str | None = Field(default=None, max_length=400)
    channel: Channel | None = None
    outlet_class: OutletClass | None = None
    status: OutletStatus | None = None
    location: Location | None = None
    attributes: dict[str, Any] | None = None


class OutletPublic(BaseModel):
    id: uuid.UUID
    code: str
    name: str
    address: str
    channel: Channel
    outlet_class: OutletClass
    status: OutletStatus
    location: Location
    territory_id: uuid.UUID | None
    attributes: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    distance_m: float | None = None


@dataclass(frozen=True)
class Near:
    lon: float
    lat: float
    radius_m: float | None = None

    def point(self) -> Any:
        return func.geography(func.ST_SetSRID(func.ST_MakePoint(self.lon, self.lat), 4326))


@dataclass(frozen=True)
class OutletFilter:
    territory_id: uuid.UUID | None = None
    status: OutletStatus | None = None
    channel: Channel | None = None
    unassigned: bool = False
    near: Near | None = None


def _geography() -> Any:
    # The function form of the cast the index is built on (location::geography): the planner
    # treats both alike, so KNN and ST_DWithin are answered from that index.
    return func.geography(Outlet.location, type_=Geography)


def _with_coordinates(statement: SelectOfScalar[Outlet]) -> Select[Any]:
    return statement.add_columns(func.ST_X(Outlet.location), func.ST_Y(Outlet.location))


def _public(outlet: Outlet, lon: float, lat: float, distance: float | None = None) -> OutletPublic:
    return OutletPublic.model_validate(
        {
            **outlet.model_dump(exclude={"location"}),
            "location": Location(lon=lon, lat=lat),
            "distance_m": None if distance is None else round(distance, 2),
        }
    )


def _filtered(scoped: SelectOfScalar[Outlet], where: OutletFilter) -> SelectOfScalar[Outlet]:
    statement = scoped
    if where.territory_id is not None:
        roots: Select[uuid.UUID] = select(literal(where.territory_id, Uuid).label("id"))
        statement = statement.where(col(Outlet.territory_id).in_(subtree(roots, "filter")))
    if where.unassigned:
        statement = statement.where(col(Outlet.territory_id).is_(None))
    if where.status is not None:
        statement = statement.where(col(Outlet.status) == where.status)
    if where.channel is not None:
        statement = statement.where(col(Outlet.channel) == where.channel)
    if where.near is not None and where.near.radius_m is not None:
        statement = statement.where(
            func.ST_DWithin(_geography(), where.near.point(), where.near.radius_m)
        )
    return statement


def density(
    session: Session, scoped: SelectOfScalar[Outlet], where: OutletFilter, cell_deg: float
) -> list[tuple[float, float, int]]:
    """The outlets counted per grid cell of ``cell_deg`` degrees: (lon, lat, count) per cell.

    A map of a city's thousands of outlets needs a dot per occupied pixel, not per outlet.
    """
    snapped = func.ST_SnapToGrid(Outlet.location, cell_deg)
    cells = (
        _filtered(scoped, where)
        .with_only_columns(snapped.label("cell"), func.count().label("n"))
        .group_by(snapped)
        .subquery()
    )
    statement = select(func.ST_X(cells.c.cell), func.ST_Y(cells.c.cell), cells.c.n)
    return [(float(x), float(y), int(n)) for x, y, n in session.execute(statement)]


def list_by_code(
    session: Session,
    scoped: SelectOfScalar[Outlet],
    where: OutletFilter,
    *,
    after: str | None,
    limit: int,
) -> list[OutletPublic]:
    """Outlets in code order, after the code ``after``."""
    statement = _filtered(scoped, where).order_by(Outlet.code).limit(limit)
    if after is not None:
        statement = statement.where(col(Outlet.code) > after)
    rows = session.execute(_with_coordinates(statement)).all()
    return [_public(outlet, lon, lat) for outlet, lon, lat in rows]


def list_nearest(
    session: Session,
    scoped: SelectOfScalar[Outlet],
    where: OutletFilter,
    *,
    after: tuple[float, uuid.UUID] | None,
    limit: int,
) -> list[tuple[OutletPublic, float]]:
    """Outlets nearest first (KNN on the GiST index), each with the sort key for the cursor.

    The order is PostGIS's `<->` on the geography (a sphere); the reported `distance_m` is
    ST_Distance on the spheroid, the more exact figure.
    """
    assert where.near is not None
    point = where.near.point()
    knn = _geography().op("<->", return_type=Float)(point)
    statement = _filtered(scoped, where).order_by(knn, col(Outlet.id)).limit(limit)
    if after is not None:
        statement = statement.where(tuple_(knn, Outlet.id) > tuple_(after[0], after[1]))
    rows = session.execute(
        _with_coordinates(statement).add_columns(func.ST_Distance(_geography(), point), knn)
    ).all()
    return [(_public(o, lon, lat, distance), key) for o, lon, lat, distance, key in rows]


def get_outlet(session: Session, scoped: SelectOfScalar[Outlet], outlet_id: uuid.UUID) -> Outlet:
    outlet = session.exec(scoped.where(col(Outlet.id) == outlet_id)).first()
    if outlet is None:
        raise NotFound(f"No outlet {outlet_id}.")
    return outlet


def public(session: Session, outlet: Outlet) -> OutletPublic:
    session.refresh(outlet)
    row = session.execute(
        _with_coordinates(select(Outlet).where(col(Outlet.id) == outlet.id))
    ).one()
    return _public(*row)


def _point(location: Location) -> Any:
    return func.ST_SetSRID(func.ST_MakePoint(location.lon, location.lat), 4326)


def _check_in_scope(session: Session, user: User, outlet: Outlet) -> None:
    """Reps and managers may only place outlets inside their own territories."""
    ids = territory_ids(user)
    if ids is None:
        return
    if outlet.territory_id is None or outlet.territory_id not in set(session.scalars(ids)):
        raise Invalid("This location is outside your territories.")


def create_outlet(session: Session, user: User, data: OutletCreate) -> OutletPublic:
    """Add an outlet in the leaf territory containing it. Flushes, never commits."""
    if user.role == Role.rep and data.status != OutletStatus.prospect:
        raise Forbidden("Reps may add prospects only; an admin or planner activates them.")
    if session.exec(select(Outlet.id).where(col(Outlet.code) == data.code)).first():
        raise Conflict(f"An outlet with code {data.code!r} already exists.")
    outlet = Outlet(**data.model_dump(exclude={"location"}), location=_point(data.location))
    session.add(outlet)
    session.flush()
    assign_outlets(session, [outlet.id])
    session.refresh(outlet)
    _check_in_scope(session, user, outlet)
    return public(session, outlet)


def update_outlet(session: Session, user: User, outlet: Outlet, data: OutletUpdate) -> OutletPublic:
    """Change an outlet; a move re-assigns its territory, still within the caller's scope."""
    changes = data.model_dump(exclude_unset=True, exclude={"location"})
    for field, value in changes.items():
        if value is None:
            raise Invalid(f"{field} cannot be emptied.")
        setattr(outlet, field, value)
    if data.location is not None:
        outlet.location = _point(data.location)
    session.add(outlet)
    session.flush()
    assign_outlets(session, [outlet.id])
    session.refresh(outlet)
    _check_in_scope(session, user, outlet)
    return public(session, outlet)
