"""The signed-in user: profile and the day's route."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import CurrentUser, SessionDep, SettingsDep
from api.problems import problem_responses
from models import routes
from models.errors import Invalid
from models.routes import Route
from models.users import UserPublic, to_public

router = APIRouter(prefix="/v1/me", tags=["me"])


@router.get("", response_model=UserPublic, responses=problem_responses(401))
def me(user: CurrentUser, session: SessionDep) -> UserPublic:
    """The signed-in user's profile, role and territories."""
    return to_public(session, user)


def _start(start: str | None) -> tuple[float, float] | None:
    if start is None:
        return None
    try:
        lon, lat = (float(part) for part in start.split(","))
    except ValueError:
        raise Invalid("start must be lon,lat in decimal degrees.") from None
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise Invalid("start is outside WGS84 lon/lat ranges.")
    return lon, lat


@router.get("/route", response_model=Route, responses=problem_responses(401, 422))
def route(
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    day: Annotated[date | None, Query(alias="date")] = None,
    start: Annotated[str | None, Query(description="lon,lat where the day begins")] = None,
) -> Route:
    """The day's planned outlets (journey plan) in tour order, each marked visited or not."""
    today = day or routes.today(settings)
    return routes.plan_day(session, settings, user, today, _start(start))
