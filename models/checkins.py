"""Check-in and check-out: the geofence verdict, trust flags, and exactly-once writes."""

from __future__ import annotations

import math
import uuid
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from geoalchemy2 import Geography
from pydantic import AwareDatetime, BaseModel, Field
from sqlalchemy import DateTime, Float, Uuid, bindparam, cast, func, or_, true
from sqlmodel import Session, col, select

from models.base import utcnow
from models.db import Compiled, Rows, session_one
from models.errors import Conflict, Invalid, NotFound
from models.idempotency import fingerprint, insert_once, insert_once_now
from models.outlets import Outlet
from models.scope import UNSCOPED, assigned_subtree
from models.settings import Settings
from models.users import User, inactive_account
from models.visits import Geofence, Visit, VisitFlag

# How much each flag lowers trust: the score is the product of (1 - weight) over raised flags.
FLAG_WEIGHTS = {
    VisitFlag.far_from_outlet: 0.5,
    VisitFlag.mock_location: 0.5,
    VisitFlag.implausible_speed: 0.4,
    VisitFlag.clock_skew: 0.2,
    VisitFlag.poor_gps_accuracy: 0.15,
    VisitFlag.reused_photo: 0.5,
}


class GpsFix(BaseModel):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    accuracy_m: float | None = Field(default=None, ge=0, le=100_000)


class CheckIn(BaseModel):
    id: uuid.UUID = Field(description="Generated on the phone; a retry sends the same id.")
    outlet_id: uuid.UUID
    started_at: AwareDatetime = Field(description="Device time of the check-in.")
    location: GpsFix
    mock_location: bool = Field(default=False, description="The OS reported a mock location.")
    device_time: AwareDatetime | None = Field(
        default=None, description="The device clock when sending, to detect clock skew."
    )


class CheckOut(BaseModel):
    ended_at: AwareDatetime
    location: GpsFix | None = None


class VisitPublic(BaseModel):
    id: uuid.UUID
    outlet_id: uuid.UUID
    rep_id: uuid.UUID
    started_at: datetime
    received_at: datetime
    location: GpsFix
    distance_m: float = Field(description="From the outlet, on the WGS84 spheroid.")
    geofence: Geofence
    flags: list[VisitFlag]
    trust_score: float = Field(ge=0, le=1)
    ended_at: datetime | None
    duration_s: float | None
    status: str = Field(description="open until checked out, then closed (immutable).")


def _point(fix: GpsFix) -> Any:
    return func.ST_SetSRID(func.ST_MakePoint(fix.lon, fix.lat), 4326)


def _metres(a: Any, b: Any) -> Any:
    return func.ST_Distance(cast(a, Geography), cast(b, Geography))


def _verdict(distance: float, accuracy: float | None, radius: float) -> Geofence:
    if distance <= radius:
        return Geofence.inside
    if accuracy is not None and distance - accuracy <= radius:
        return Geofence.uncertain
    return Geofence.outside


def _too_fast(settings: Settings, body: CheckIn, previous: Any) -> bool:
    """Whether reaching this check-in from the rep's previous one needs implausible speed."""
    if previous.previous_at is None:
        return False
    hours = (body.started_at - previous.previous_at).total_seconds() / 3600
    metres = previous.previous_m
    return bool(metres > 1000 and metres / 1000 > settings.max_travel_kmh * hours)


def _flags(
    settings: Settings, body: CheckIn, geofence: Geofence, too_fast: bool, received: datetime
) -> list[VisitFlag]:
    accuracy = body.location.accuracy_m
    skew = (
        body.device_time is not None
        and abs((body.device_time - received).total_seconds()) > settings.max_clock_skew_s
    )
    future = body.started_at - received > timedelta(seconds=settings.max_clock_skew_s)
    raised = {
        VisitFlag.far_from_outlet: geofence == Geofence.outside,
        VisitFlag.poor_gps_accuracy: accuracy is None or accuracy > settings.poor_gps_accuracy_m,
        VisitFlag.mock_location: body.mock_location,
        VisitFlag.clock_skew: skew or future,
        VisitFlag.implausible_speed: too_fast,
    }
    return [flag for flag, on in raised.items() if on]


def trust(flags: list[VisitFlag]) -> float:
    return round(math.prod(1 - FLAG_WEIGHTS[flag] for flag in flags), 3)


@cache
def _context() -> Compiled:
    """One round trip for what a check-in needs to know.

    The caller's account (no row: it no longer exists), metres from the fix to the outlet (null
    when the outlet is not in the caller's scope), and the time and distance of the rep's
    previous check-in (the rep_id, started_at index).
    """
    fix = func.ST_SetSRID(
        func.ST_MakePoint(bindparam("lon", type_=Float), bindparam("lat", type_=Float)), 4326
    )
    user_id = bindparam("user_id", type_=Uuid)
    caller = select(col(User.active), col(User.role)).where(col(User.id) == user_id).subquery()
    unscoped = or_(*(caller.c.role == role for role in sorted(UNSCOPED)))
    outlet = select(_metres(Outlet.location, fix)).where(
        col(Outlet.id) == bindparam("outlet_id", type_=Uuid),
        or_(unscoped, col(Outlet.territory_id).in_(assigned_subtree(user_id))),
    )
    previous = (
        select(col(Visit.started_at).label("at"), _metres(Visit.location, fix).label("m"))
        .where(
            col(Visit.rep_id) == user_id,
            col(Visit.started_at) < bindparam("started_at", type_=DateTime(timezone=True)),
        )
        .order_by(col(Visit.started_at).desc())
        .limit(1)
        .subquery("previous")
    )
    return Compiled.of(
        select(
            caller.c.active,
            outlet.scalar_subquery().label("distance"),
            previous.c.at.label("previous_at"),
            previous.c.m.label("previous_m"),
        ).select_from(caller.outerjoin(previous, true()))
    )


def _context_values(user_id: uuid.UUID, body: CheckIn) -> dict[str, Any]:
    return {
        "lon": body.location.lon,
        "lat": body.location.lat,
        "user_id": user_id,
        "outlet_id": body.outlet_id,
        "started_at": body.started_at,
    }


def _record(
    settings: Settings, user_id: uuid.UUID, body: CheckIn, known: Any | None, received: datetime
) -> dict[str, Any]:
    """The visit row to insert, from what the database knew; refuses what it may not record."""
    if known is None or not known.active:
        raise inactive_account()
    if known.distance is None:
        raise NotFound(f"No outlet {body.outlet_id}.")
    distance = float(known.distance)
    geofence = _verdict(distance, body.location.accuracy_m, settings.geofence_radius_m)
    flags = _flags(settings, body, geofence, _too_fast(settings, body, known), received)
    return {
        "id": body.id,
        "rep_id": user_id,
        "outlet_id": body.outlet_id,
        "started_at": body.started_at,
        "received_at": received,
        "device_time": body.device_time,
        "location": f"SRID=4326;POINT({body.location.lon!r} {body.location.lat!r})",
        "accuracy_m": body.location.accuracy_m,
        "mock_location": body.mock_location,
        "distance_m": round(distance, 2),
        "geofence": geofence,
        "flags": [str(flag) for flag in flags],
        "trust_score": trust(flags),
        "checkin_digest": fingerprint(body),
    }


def check_in(
    session: Session, settings: Settings, user: User, body: CheckIn
) -> tuple[VisitPublic, bool]:
    """Record a check-in once, in the session's transaction (the batch sync).

    A replay answers the stored visit. Returns (visit, created).
    """
    received = utcnow()
    known = session_one(session, _context(), _context_values(user.id, body))
    values = _record(settings, user.id, body, known, received)
    visit, created = insert_once(session, Visit, values, digest_field="checkin_digest")
    # Equal fingerprints mean equal bodies, so the stored position is the one just sent.
    return public(visit, body.location), created


async def check_in_now(
    rows: Rows, settings: Settings, user_id: uuid.UUID, body: CheckIn
) -> tuple[VisitPublic, bool]:
    """The same on the event loop, for the check-in route: two statements, no ORM.

    The account is checked in the context query, not by a lookup of its own.
    """
    received = utcnow()
    known = await rows.one(_context(), _context_values(user_id, body))
    values = _record(settings, user_id, body, known, received)
    visit, created = await insert_once_now(rows, Visit, values, digest_field="checkin_digest")
    return public(visit, body.location), created


def own_visit(session: Session, user: User, visit_id: uuid.UUID, *, lock: bool = False) -> Visit:
    """A visit of the caller's own; anyone else's does not exist for them."""
    statement = select(Visit).where(col(Visit.id) == visit_id, col(Visit.rep_id) == user.id)
    visit = session.exec(statement.with_for_update() if lock else statement).first()
    if visit is None:
        raise NotFound(f"No visit {visit_id}.")
    return visit


def check_out(
    session: Session, user: User, visit_id: uuid.UUID, body: CheckOut
) -> tuple[VisitPublic, bool]:
    """Close the visit once; a replay answers the closed visit. Returns (visit, changed)."""
    visit = own_visit(session, user, visit_id, lock=True)
    digest = fingerprint(body)
    if visit.ended_at is not None:
        if visit.checkout_digest != digest:
            raise Conflict("This visit is already checked out with other details.")
        return public(visit, _position(session, visit)), False
    if body.ended_at < visit.started_at:
        raise Invalid("ended_at is before the check-in's started_at.")
    visit.ended_at = body.ended_at
    visit.end_location = _point(body.location) if body.location else None
    visit.end_accuracy_m = body.location.accuracy_m if body.location else None
    visit.checkout_received_at = utcnow()
    visit.checkout_digest = digest
    session.add(visit)
    session.flush()
    return public(visit, _position(session, visit)), True


def _position(session: Session, visit: Visit) -> GpsFix:
    lon, lat = session.execute(
        select(func.ST_X(Visit.location), func.ST_Y(Visit.location)).where(
            col(Visit.id) == visit.id
        )
    ).one()
    return GpsFix(lat=lat, lon=lon, accuracy_m=visit.accuracy_m)


def public(visit: Any, location: GpsFix) -> VisitPublic:
    """A Visit, or a row of the visit table, as the phone sees it."""
    duration = (visit.ended_at - visit.started_at).total_seconds() if visit.ended_at else None
    return VisitPublic(
        id=visit.id,
        outlet_id=visit.outlet_id,
        rep_id=visit.rep_id,
        started_at=visit.started_at,
        received_at=visit.received_at,
        location=location,
        distance_m=visit.distance_m,
        geofence=visit.geofence,
        flags=[VisitFlag(flag) for flag in visit.flags],
        trust_score=visit.trust_score,
        ended_at=visit.ended_at,
        duration_s=duration,
        status="closed" if visit.ended_at else "open",
    )
