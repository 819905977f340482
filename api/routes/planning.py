"""Planning: coverage × SKU × target by territory, targets, the gap by lever, outlets to open."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from api.deps import Editor, SessionDep, SettingsDep, require
from api.problems import problem_responses
from models.outlets import Channel
from models.pagination import decode_cursor
from models.planning import allocate, coverage, gap, msl, opportunities, targets
from models.planning.allocate import Allocation, AllocationIn
from models.planning.coverage import CoverageFilter, CoverageTable
from models.planning.frame import Month, frame_for, parse_month, visible_territories
from models.planning.gap import GapOptions, GapReport
from models.planning.msl import MustStockList
from models.planning.opportunities import Opportunity, OpportunityOptions
from models.planning.targets import TargetPublic, TargetsIn
from models.users import Role, User

router = APIRouter(prefix="/v1/planning", tags=["planning"])

# Managers read their region's plan; reps have no business here at all (403, not 404).
Reader = Annotated[User, Depends(require(Role.manager, Role.planner, Role.admin))]
AsOf = Annotated[date | None, Query(description="Count up to this day, included (default: today).")]


@router.get(
    "/coverage", response_model=CoverageTable, responses=problem_responses(401, 403, 404, 422)
)
def get_coverage(
    user: Reader,
    session: SessionDep,
    settings: SettingsDep,
    territory_id: uuid.UUID,
    period: Annotated[Month, Query(description="The month, YYYY-MM.")],
    sku_id: uuid.UUID | None = None,
    brand_id: uuid.UUID | None = None,
    channel: Channel | None = None,
    as_of: AsOf = None,
) -> Response:
    """Coverage, ND, WD, ROS, sales, target and gap per SKU for a territory and its children."""
    frame = frame_for(
        session,
        user,
        territory_id,
        month=parse_month(period),
        as_of=as_of,
        zone=settings.timezone,
        window_days=settings.presence_window_days,
    )
    where = CoverageFilter(sku_id=sku_id, brand_id=brand_id, channel=channel)
    # CoverageTable written as JSON by PostgreSQL (decimals as text, as FastAPI writes them).
    return Response(coverage.coverage_json(session, frame, where), media_type="application/json")


@router.put(
    "/targets", response_model=list[TargetPublic], responses=problem_responses(401, 403, 422)
)
def put_targets(body: TargetsIn, user: Editor, session: SessionDep) -> list[TargetPublic]:
    """Set targets per territory × SKU × month; a target already set is replaced."""
    return targets.set_targets(session, body)


@router.get(
    "/opportunities",
    response_model=list[Opportunity],
    responses=problem_responses(401, 403, 404, 422),
)
def get_opportunities(
    user: Reader,
    session: SessionDep,
    settings: SettingsDep,
    territory_id: uuid.UUID,
    options: Annotated[OpportunityOptions, Query()],
    as_of: AsOf = None,
) -> list[Opportunity]:
    """Prospects ranked by expected monthly uplift, each with the lookalikes behind it."""
    frame = frame_for(
        session,
        user,
        territory_id,
        month=None,
        as_of=as_of,
        zone=settings.timezone,
        window_days=settings.presence_window_days,
    )
    visible = visible_territories(session, user)
    return opportunities.opportunities(session, frame, options, visible)


@router.get("/gap", response_model=GapReport, responses=problem_responses(401, 403, 404, 422))
def get_gap(
    user: Reader,
    session: SessionDep,
    settings: SettingsDep,
    territory_id: uuid.UUID,
    period: Annotated[Month, Query(description="The month, YYYY-MM.")],
    options: Annotated[GapOptions, Query()],
    cursor: str | None = None,
    as_of: AsOf = None,
) -> GapReport:
    """Per SKU short of target, what each lever closes, and the ranked actions behind it."""
    frame = frame_for(
        session,
        user,
        territory_id,
        month=parse_month(period),
        as_of=as_of,
        zone=settings.timezone,
        window_days=settings.presence_window_days,
    )
    after = int(decode_cursor(cursor, ("rank",))["rank"]) if cursor else 0
    visible = visible_territories(session, user)
    return gap.gap_report(session, frame, options, after=after, visible=visible)


@router.post(
    "/allocate", response_model=Allocation, responses=problem_responses(401, 403, 404, 422)
)
def post_allocate(
    body: AllocationIn, user: Editor, session: SessionDep, settings: SettingsDep
) -> Allocation:
    """Split a territory's SKU target to its children and outlets by potential, sums exact."""
    month = parse_month(body.period)
    frame = frame_for(
        session,
        user,
        body.territory_id,
        month=month,
        as_of=None,
        zone=settings.timezone,
        window_days=settings.presence_window_days,
    )
    return allocate.allocate(session, frame, body.sku_id, visible_territories(session, user))


@router.get(
    "/msl/{channel}", response_model=MustStockList, responses=problem_responses(401, 403, 422)
)
def get_msl(channel: Channel, user: Reader, session: SessionDep) -> MustStockList:
    """The channel's must-stock list, with the facings planned per SKU."""
    return msl.get_list(session, channel)


@router.put("/msl", response_model=MustStockList, responses=problem_responses(401, 403, 422))
def put_msl(body: MustStockList, user: Editor, session: SessionDep) -> MustStockList:
    """Replace a channel's must-stock list."""
    return msl.replace_list(session, body)
