"""A few weeks of visit history: each rep works their journey plan, checking in and out.

Outlets are due by class (A weekly, B fortnightly, C monthly, as the route planner plans
them), at most ``MAX_STOPS`` a day, visited in a short tour from the rep's start of day.
Reps miss a day now and then and skip a few stops. Check-ins sit within metres of the outlet
with ordinary GPS accuracy, except a few poor fixes and the planted far-away check-ins.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from numpy.typing import NDArray

from models.demo.geography import PLACES
from models.demo.outlets import KM_LAT, KM_LON, STATUSES, Outlets
from models.demo.planted import FAR_SHARE
from models.outlets import OutletStatus
from models.routes import short_tour

ZONE = ZoneInfo("Europe/Paris")
EVERY_WORKING_DAYS = np.array([5, 10, 20])  # A, B, C: weekly, fortnightly, monthly
MAX_STOPS = 12
ABSENT = 0.05  # days a rep does not work
SKIPPED = 0.08  # stops a rep does not make
POOR_FIX = 0.03  # check-ins with a poor GPS fix
MINUTES_IN_STORE = np.array([35.0, 22.0, 14.0])  # A, B, C
SPEED_KMH = 18.0  # across town, parking included


@dataclass(frozen=True)
class Rep:
    id: uuid.UUID
    leaf: int  # index in PLACES
    far: bool  # the planted rep who checks in from far away


@dataclass(frozen=True)
class VisitRow:
    id: uuid.UUID
    rep_id: uuid.UUID
    outlet_id: uuid.UUID
    started_at: datetime
    ended_at: datetime
    received_at: datetime
    checkout_received_at: datetime
    lon: float
    lat: float
    accuracy_m: float
    end_lon: float
    end_lat: float
    end_accuracy_m: float


def working_days(today: date, weeks: int) -> list[date]:
    """Monday to Friday of the last ``weeks`` weeks, up to yesterday."""
    days = (today - timedelta(days=n) for n in range(weeks * 7, 0, -1))
    return [day for day in days if day.weekday() < 5]


def _offset(rng: np.random.Generator, lon: float, lat: float, metres: float) -> tuple[float, float]:
    """A point about ``metres`` away (Gaussian per axis) from (lon, lat)."""
    dx, dy = rng.normal(0, metres, 2) / 1000
    return round(lon + dx * KM_LON, 6), round(lat + dy * KM_LAT, 6)


def _far(rng: np.random.Generator, lon: float, lat: float) -> tuple[float, float]:
    """A point 0.8-3 km away in any direction: the rep was never at the outlet."""
    angle, km = rng.uniform(0, 2 * math.pi), rng.uniform(0.8, 3.0)
    return round(lon + km * math.cos(angle) * KM_LON, 6), round(
        lat + km * math.sin(angle) * KM_LAT, 6
    )


def _due(
    rng: np.random.Generator,
    outlets: Outlets,
    mine: NDArray[np.intp],
    k: int,
    phase: NDArray[np.intp],
) -> list[int]:
    """Outlets of the rep due on working day ``k``: class A first, a few skipped, capped."""
    every = EVERY_WORKING_DAYS[outlets.klass[mine]]
    due = mine[(k + phase) % every == 0]
    due = due[rng.random(len(due)) >= SKIPPED]
    due = due[np.argsort(outlets.klass[due], kind="stable")]
    return [int(i) for i in due[:MAX_STOPS]]


def _fix(
    rng: np.random.Generator, rep: Rep, lon: float, lat: float
) -> tuple[tuple[float, float], float]:
    """Where the phone says the rep checked in, and the accuracy it reports (metres)."""
    if rep.far and rng.random() < FAR_SHARE:
        return _far(rng, lon, lat), round(float(rng.uniform(5, 25)), 1)
    if rng.random() < POOR_FIX:
        return _offset(rng, lon, lat, 90), round(float(rng.uniform(120, 250)), 1)
    return _offset(rng, lon, lat, 12), round(float(rng.uniform(5, 25)), 1)


def _visit(
    rng: np.random.Generator,
    rep: Rep,
    outlet: uuid.UUID,
    at: tuple[float, float],
    start: datetime,
    minutes: float,
) -> VisitRow:
    ended = start + timedelta(minutes=minutes)
    (lon, lat), accuracy = _fix(rng, rep, *at)
    end_lon, end_lat = _offset(rng, lon, lat, 8)
    # Most phones send at once; some are offline and sync an hour or more later.
    delay = timedelta(
        seconds=rng.uniform(1, 6) * 3600 if rng.random() < 0.06 else rng.uniform(2, 40)
    )
    return VisitRow(
        id=uuid.UUID(bytes=rng.bytes(16), version=4),
        rep_id=rep.id,
        outlet_id=outlet,
        started_at=start,
        ended_at=ended,
        received_at=start + delay,
        checkout_received_at=ended + delay,
        lon=lon,
        lat=lat,
        accuracy_m=accuracy,
        end_lon=end_lon,
        end_lat=end_lat,
        end_accuracy_m=round(float(rng.uniform(5, 25)), 1),
    )


def _day(
    rng: np.random.Generator, outlets: Outlets, rep: Rep, day: date, stops: list[int]
) -> Iterator[VisitRow]:
    """One working day: from near the territory's centre, a short tour of the due outlets."""
    place = PLACES[rep.leaf]
    here = _offset(rng, place.lon, place.lat, 800)
    points = [(float(outlets.lon[i]), float(outlets.lat[i])) for i in stops]
    clock = datetime.combine(day, time(8, 30), ZONE) + timedelta(minutes=rng.normal(0, 12))
    for stop in short_tour(here, points):
        km = math.hypot((points[stop][0] - here[0]) / KM_LON, (points[stop][1] - here[1]) / KM_LAT)
        clock += timedelta(minutes=km / SPEED_KMH * 60 + rng.uniform(3, 8))
        minutes = max(5.0, rng.normal(MINUTES_IN_STORE[outlets.klass[stops[stop]]], 5))
        visit = _visit(rng, rep, outlets.ids[stops[stop]], points[stop], clock, minutes)
        yield visit
        clock, here = visit.ended_at, points[stop]


def make_visits(
    rng: np.random.Generator, outlets: Outlets, reps: Sequence[Rep], today: date, weeks: int
) -> list[VisitRow]:
    """The visit history of every rep over the last ``weeks`` weeks, before ``today``."""
    active = outlets.status == STATUSES.index(OutletStatus.active)
    days = working_days(today, weeks)
    rows: list[VisitRow] = []
    for rep in reps:
        mine = np.nonzero(active & (outlets.leaf == rep.leaf))[0]
        phase = rng.integers(0, 20, len(mine))
        for k, day in enumerate(days):
            if rng.random() < ABSENT:
                continue
            rows.extend(_day(rng, outlets, rep, day, _due(rng, outlets, mine, k, phase)))
    return rows
