"""The rep's day: which outlets are due (journey plan) and a short tour through them."""

from __future__ import annotations

import math
import uuid
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from pydantic import BaseModel
from sqlalchemy import Date, Text, and_, case, cast, exists, func, literal
from sqlmodel import Session, col, select

from models.outlet_queries import Location
from models.outlets import Channel, Outlet, OutletClass, OutletStatus
from models.scope import scoped_outlets
from models.settings import Settings
from models.users import User
from models.visits import Visit


class RouteStop(BaseModel):
    order: int
    outlet_id: uuid.UUID
    code: str
    name: str
    channel: Channel
    outlet_class: OutletClass
    location: Location
    last_visit_at: datetime | None
    overdue_days: int | None
    visited: bool
    leg_m: float


class Route(BaseModel):
    date: date
    stops: list[RouteStop]
    total_m: float


def today(settings: Settings) -> date:
    return datetime.now(ZoneInfo(settings.timezone)).date()


def _day_bounds(day: date, zone: str) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time.min, tzinfo=ZoneInfo(zone))
    return start, start + timedelta(days=1)


def _candidates(
    session: Session, settings: Settings, user: User, day: date
) -> list[tuple[Outlet, float, float, datetime | None, int | None, bool]]:
    """Outlets due that day (class interval elapsed, or never visited), most overdue first."""
    start, end = _day_bounds(day, settings.timezone)
    last = (
        select(func.max(Visit.started_at))
        .where(col(Visit.outlet_id) == Outlet.id, col(Visit.started_at) < start)
        .scalar_subquery()
    )
    visited = exists().where(
        col(Visit.outlet_id) == Outlet.id,
        col(Visit.rep_id) == user.id,
        and_(col(Visit.started_at) >= start, col(Visit.started_at) < end),
    )
    interval = case(
        *(
            (col(Outlet.outlet_class) == klass, days)
            for klass, days in settings.visit_every_days.items()
        ),
        else_=28,
    )
    # Calendar days in the field force's time zone: a visit last Tuesday is 7 days ago all day.
    elapsed = literal(day, Date) - cast(func.timezone(settings.timezone, last), Date)
    overdue = elapsed - interval
    # Never-visited outlets are spread over their interval by a stable hash of their id, so a
    # new territory's outlets do not all fall due on the first day.
    slot = func.abs(func.hashtext(cast(Outlet.id, Text))) % interval
    first_due = (day.toordinal() % interval) == slot
    due = case((last.is_(None), first_due), else_=overdue >= 0)
    statement = (
        scoped_outlets(user)
        .where(col(Outlet.status) == OutletStatus.active, due | visited)
        .add_columns(func.ST_X(Outlet.location), func.ST_Y(Outlet.location), last, overdue, visited)
        .order_by(visited.desc(), overdue.desc().nulls_last(), Outlet.code)
        .limit(settings.route_max_stops)
    )
    return [tuple(row) for row in session.execute(statement).all()]


def haversine_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    lon1, lat1, lon2, lat2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6_371_008.8 * math.asin(math.sqrt(h))


def short_tour(start: tuple[float, float], points: list[tuple[float, float]]) -> list[int]:
    """A short open tour from ``start`` through every point: nearest neighbour, then 2-opt.

    Routes hold a few dozen stops, so the quadratic work is small and bounded.
    """
    left, order, here = set(range(len(points))), [], start
    while left:
        nearest = min(left, key=lambda i: haversine_m(here, points[i]))
        order.append(nearest)
        left.remove(nearest)
        here = points[nearest]
    path = [start, *(points[i] for i in order)]
    improved = True
    while improved:
        improved = False
        for i in range(1, len(order) - 1):
            for j in range(i + 1, len(order)):
                a, b, c = path[i - 1], path[i], path[j]
                d = path[j + 1] if j + 1 < len(path) else None
                before = haversine_m(a, b) + (haversine_m(c, d) if d else 0)
                after = haversine_m(a, c) + (haversine_m(b, d) if d else 0)
                if after < before - 0.01:
                    order[i - 1 : j] = reversed(order[i - 1 : j])
                    path = [start, *(points[k] for k in order)]
                    improved = True
    return order


def plan_day(
    session: Session, settings: Settings, user: User, day: date, start: tuple[float, float] | None
) -> Route:
    """The day's due outlets ordered into a short tour from ``start`` (default: their centre)."""
    rows = _candidates(session, settings, user, day)
    points = [(lon, lat) for _, lon, lat, *_ in rows]
    if start is None and points:
        start = (sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points))
    order = short_tour(start, points) if start else []
    stops, here, total = [], start, 0.0
    for position, index in enumerate(order, start=1):
        outlet, lon, lat, last, overdue, visited = rows[index]
        leg = haversine_m(here, (lon, lat)) if here else 0.0
        total += leg
        here = (lon, lat)
        stops.append(
            RouteStop(
                order=position,
                outlet_id=outlet.id,
                code=outlet.code,
                name=outlet.name,
                channel=outlet.channel,
                outlet_class=outlet.outlet_class,
                location=Location(lon=lon, lat=lat),
                last_visit_at=last,
                overdue_days=overdue,
                visited=visited,
                leg_m=round(leg, 1),
            )
        )
    return Route(date=day, stops=stops, total_m=round(total, 1))
