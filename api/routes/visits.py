"""Visits from the phone: check-in and check-out, safe to retry."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Response

from api.deps import Caller, CurrentUser, RowsDep, SessionDep, SettingsDep
from api.problems import problem_responses
from models import checkins, visit_detail, visit_records
from models.checkins import CheckIn, CheckOut, VisitPublic
from models.visit_detail import VisitDetail
from models.visit_records import AuditCreate, AuditPublic, OrderCreate, OrderPublic

router = APIRouter(prefix="/v1/visits", tags=["visits"])
JSON = "application/json"


@router.post(
    "",
    status_code=201,
    response_model=VisitPublic,
    responses={
        **problem_responses(401, 404, 409, 422),
        200: {"description": "A replay: the visit as first recorded."},
    },
)
async def check_in(body: CheckIn, caller: Caller, rows: RowsDep, settings: SettingsDep) -> Response:
    """Check in at an outlet: geofence verdict, trust flags; retries return the same visit."""
    # The busiest route: on the event loop, two statements, no session (see models.db).
    visit, created = await checkins.check_in_now(rows, settings, caller, body)
    # Serialised here: the model is ours and valid, FastAPI need not validate it again.
    return Response(visit.model_dump_json(), status_code=201 if created else 200, media_type=JSON)


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


@router.get("/{visit_id}", response_model=VisitDetail, responses=problem_responses(401, 404))
def get_visit(visit_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> VisitDetail:
    """A visit with its shelf result (none, partial, complete) and perfect-store score."""
    return visit_detail.visit_detail(session, user, visit_id)


REPLAY: dict[int | str, dict[str, Any]] = {
    200: {"description": "A replay: the record as first stored."}
}


@router.post(
    "/{visit_id}/audits",
    status_code=201,
    response_model=AuditPublic,
    responses={**problem_responses(401, 404, 409, 422), **REPLAY},
)
def record_audit(
    visit_id: uuid.UUID,
    body: AuditCreate,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    response: Response,
) -> AuditPublic:
    """Record what is on the shelf: per SKU presence, facings, price, stock; displays by brand."""
    audit, created = visit_records.record_audit(session, settings, user, visit_id, body)
    response.status_code = 201 if created else 200
    return audit


@router.post(
    "/{visit_id}/orders",
    status_code=201,
    response_model=OrderPublic,
    responses={**problem_responses(401, 404, 409, 422), **REPLAY},
)
def record_order(
    visit_id: uuid.UUID,
    body: OrderCreate,
    user: CurrentUser,
    session: SessionDep,
    response: Response,
) -> OrderPublic:
    """Take an order during the visit; its lines feed sales."""
    order, created = visit_records.record_order(session, user, visit_id, body)
    response.status_code = 201 if created else 200
    return order
