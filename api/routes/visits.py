"""Visits from the phone: check-in and check-out, safe to retry."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response

from api.deps import CurrentUser, SessionDep, SettingsDep
from api.problems import problem_responses
from models import checkins
from models.checkins import CheckIn, CheckOut, VisitPublic

router = APIRouter(prefix="/v1/visits", tags=["visits"])


@router.post(
    "",
    status_code=201,
    response_model=VisitPublic,
    responses={
        **problem_responses(401, 404, 409, 422),
        200: {"description": "A replay: the visit as first recorded."},
    },
)
def check_in(
    body: CheckIn, user: CurrentUser, session: SessionDep, settings: SettingsDep, response: Response
) -> VisitPublic:
    """Check in at an outlet: geofence verdict, trust flags; retries return the same visit."""
    visit, created = checkins.check_in(session, settings, user, body)
    if not created:
        response.status_code = 200
    return visit


@router.post(
    "/{visit_id}/checkout",
    response_model=VisitPublic,
    responses=problem_responses(401, 404, 409, 422),
)
def check_out(
    visit_id: uuid.UUID, body: CheckOut, user: CurrentUser, session: SessionDep
) -> VisitPublic:
    """Check out; the visit becomes immutable, and a retry answers the same."""
    visit, _ = checkins.check_out(session, user, visit_id, body)
    return visit
