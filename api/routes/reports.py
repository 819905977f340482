"""Reports for regional managers: shelf share, compliance, reps, with CSV export."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Annotated, Any, Literal

from annotated_types import Interval
from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from pydantic import BaseModel

from api.deps import SessionDep, SettingsDep, require
from api.export import CSV, csv_response
from api.problems import problem_responses
from models.errors import Invalid
from models.outlets import Channel
from models.reports import alerts, reps
from models.reports.alerts import Alert
from models.reports.compliance import (
    ComplianceGroupBy,
    ComplianceQuery,
    ComplianceRow,
    compliance,
)
from models.reports.reps import RepRow
from models.reports.shelf_share import GroupBy, ShareQuery, ShareRow, default_window, shelf_share
from models.routes import today
from models.settings import Settings
from models.users import Role, User

router = APIRouter(prefix="/v1/reports", tags=["reports"])
Reader = Annotated[User, Depends(require(Role.manager, Role.planner, Role.admin))]
# Days a report can name: a period as long again before it and a day after it stay dates.
Day = Annotated[date, Interval(ge=date(1900, 1, 1), le=date(2999, 12, 31))]
CSV_OR_JSON: dict[int | str, dict[str, Any]] = {
    200: {"content": {CSV: {}}, "description": "JSON, or CSV with format=csv."}
}


class ShelfShareReport(BaseModel):
    start: date
    stop: date
    group_by: GroupBy
    rows: list[ShareRow]


def _window(settings: Settings, start: date | None, stop: date | None) -> tuple[date, date]:
    """[from, to] as a half-open range of days; the last four weeks by default."""
    first, after = default_window(today(settings))
    first, after = start or first, (stop + timedelta(days=1)) if stop else after
    if after <= first:
        raise Invalid("`to` must not be before `from`.")
    return first, after


@router.get(
    "/shelf-share",
    response_model=ShelfShareReport,
    responses={**problem_responses(401, 403, 422), **CSV_OR_JSON},
)
def shelf_share_report(
    user: Reader,
    session: SessionDep,
    settings: SettingsDep,
    territory_id: uuid.UUID | None = None,
    category_id: uuid.UUID | None = None,
    brand_id: uuid.UUID | None = None,
    channel: Channel | None = None,
    start: Annotated[Day | None, Query(alias="from")] = None,
    stop: Annotated[Day | None, Query(alias="to", description="Inclusive.")] = None,
    group_by: GroupBy = GroupBy.territory,
    format: Literal["json", "csv"] = "json",
) -> ShelfShareReport | Response:
    """Linear share of shelf and facings per brand, with 95 % intervals and the change."""
    first, after = _window(settings, start, stop)
    query = ShareQuery(first, after, group_by, territory_id, brand_id, category_id, channel)
    rows = shelf_share(session, user, query)
    if format == "csv":
        return csv_response(rows, ShareRow, "shelf-share.csv")
    return ShelfShareReport(
        start=first, stop=after - timedelta(days=1), group_by=group_by, rows=rows
    )


class ComplianceReport(BaseModel):
    start: date
    stop: date
    group_by: ComplianceGroupBy
    rows: list[ComplianceRow]
    next_cursor: str | None


@router.get(
    "/compliance",
    response_model=ComplianceReport,
    responses={**problem_responses(401, 403, 404, 422), **CSV_OR_JSON},
)
def compliance_report(
    user: Reader,
    session: SessionDep,
    settings: SettingsDep,
    territory_id: uuid.UUID | None = None,
    channel: Channel | None = None,
    start: Annotated[Day | None, Query(alias="from")] = None,
    stop: Annotated[Day | None, Query(alias="to", description="Inclusive.")] = None,
    group_by: ComplianceGroupBy = ComplianceGroupBy.territory,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: str | None = None,
    format: Literal["json", "csv"] = "json",
) -> ComplianceReport | Response:
    """Per outlet or territory: MSL presence, facings, displays, price tags, perfect-store score."""
    first, after = _window(settings, start, stop)
    query = ComplianceQuery(first, after, group_by, territory_id, channel, limit, cursor)
    page = compliance(session, user, query)
    if format == "csv":
        return csv_response(page.items, ComplianceRow, "compliance.csv")
    return ComplianceReport(
        start=first,
        stop=after - timedelta(days=1),
        group_by=group_by,
        rows=page.items,
        next_cursor=page.next_cursor,
    )


class RepsReport(BaseModel):
    start: date
    stop: date
    rows: list[RepRow]


@router.get(
    "/reps",
    response_model=RepsReport,
    responses={**problem_responses(401, 403, 422), **CSV_OR_JSON},
)
def reps_report(
    user: Reader,
    session: SessionDep,
    settings: SettingsDep,
    start: Annotated[Day | None, Query(alias="from")] = None,
    stop: Annotated[Day | None, Query(alias="to", description="Inclusive.")] = None,
    format: Literal["json", "csv"] = "json",
) -> RepsReport | Response:
    """Per rep: planned against done visits, time in store, geofence and trust flags, photos."""
    first, after = _window(settings, start, stop)
    rows = reps.reps_report(session, settings, user, first, after)
    if format == "csv":
        return csv_response(rows, RepRow, "reps.csv")
    return RepsReport(start=first, stop=after - timedelta(days=1), rows=rows)


alerts_router = APIRouter(prefix="/v1", tags=["reports"])


class AlertList(BaseModel):
    until: date
    alerts: list[Alert]


@alerts_router.get("/alerts", response_model=AlertList, responses=problem_responses(401, 403))
def list_alerts(
    user: Reader,
    session: SessionDep,
    settings: SettingsDep,
    until: Annotated[Day | None, Query(description="Up to this day, inclusive.")] = None,
) -> AlertList:
    """Early warnings with their evidence: share drops, repeated out-of-stock, coverage, fraud."""
    last = until or today(settings)
    return AlertList(
        until=last, alerts=alerts.alerts(session, settings, user, last + timedelta(days=1))
    )
