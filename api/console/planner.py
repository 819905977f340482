"""Planner pages: coverage × SKU × target, the gap by lever, outlets to open, targets."""

from __future__ import annotations

import uuid
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlmodel import Session

from api.console import svg
from api.console.formatting import paginate, sort_rows
from api.console.web import ConsoleRoute, Csrf, Editor, Reader, render
from api.deps import SessionDep, SettingsDep
from models import outlet_queries
from models.catalogue import get_sku
from models.errors import Invalid
from models.outlet_queries import OutletFilter
from models.outlets import OutletStatus
from models.pagination import decode_cursor
from models.planning import allocate, coverage, gap, opportunities, targets
from models.planning.frame import Frame, frame_for, parse_month, visible_territories
from models.scope import scoped_outlets, scoped_territories
from models.settings import Settings
from models.territories import TerritoryPublic, list_territories
from models.territories import public as territory_public
from models.users import User

router = APIRouter(route_class=ConsoleRoute)
ROW_SORTS: dict[str, Any] = {
    "sku": lambda r: r.sku_code,
    "nd": lambda r: r.nd,
    "ros": lambda r: r.ros,
    "sales": lambda r: r.sales_quantity,
    "target": lambda r: r.target_quantity,
    "gap": lambda r: r.gap_quantity,
}


def _territories(session: Session, user: User) -> list[TerritoryPublic]:
    scoped = scoped_territories(user)
    return list_territories(session, scoped, parent_id=None, level=None, after=None, limit=500)


def _top(visible: list[TerritoryPublic]) -> uuid.UUID:
    """The highest territory the user sees: the default of every planning page."""
    ids = {t.id for t in visible}
    tops = [t for t in visible if t.parent_id not in ids]
    if not tops:
        raise Invalid("No territory to show yet: import territories first.")
    return tops[0].id


def _frame(
    session: Session,
    settings: Settings,
    user: User,
    territory_id: uuid.UUID,
    period: str | None,
) -> Frame:
    return frame_for(
        session,
        user,
        territory_id,
        month=parse_month(period) if period else None,
        as_of=None,
        zone=settings.timezone,
        window_days=settings.presence_window_days,
    )


def _context(frame: Frame, visible: list[TerritoryPublic]) -> dict[str, Any]:
    by_id = {t.id: t for t in visible}
    trail: list[TerritoryPublic] = []
    node = by_id.get(frame.territory.id)
    while node is not None:
        trail.insert(0, node)
        node = by_id.get(node.parent_id) if node.parent_id else None
    return {
        "territory": frame.territory,
        "trail": trail,
        "territories": visible,
        "period": frame.month.strftime("%Y-%m"),
        "as_of": frame.as_of,
    }


@router.get("/coverage", response_class=HTMLResponse)
def coverage_page(
    request: Request,
    user: Reader,
    session: SessionDep,
    settings: SettingsDep,
    territory_id: uuid.UUID | None = None,
    period: str | None = None,
    brand_id: uuid.UUID | None = None,
    sort: str | None = None,
    page: int = 1,
) -> Response:
    """Coverage × SKU × target for a territory and its children, the identity on each row."""
    visible = _territories(session, user)
    frame = _frame(session, settings, user, territory_id or _top(visible), period)
    table = coverage.coverage_table(session, frame, coverage.CoverageFilter(brand_id=brand_id))
    own = [r for r in table.rows if r.territory_id == frame.territory.id]
    rows, order = sort_rows(own, sort, ROW_SORTS, "sku")
    shown, paged = paginate(rows, page, 25)
    context = {
        "totals": table.territories,
        "rows": shown,
        "paged": paged,
        "order": order,
        "args": request.query_params,
        **_context(frame, visible),
    }
    return render(request, "coverage.html", context)


@router.get("/gap", response_class=HTMLResponse)
def gap_page(
    request: Request,
    user: Reader,
    session: SessionDep,
    settings: SettingsDep,
    territory_id: uuid.UUID | None = None,
    period: str | None = None,
    cursor: str | None = None,
) -> Response:
    """Per SKU short of target, what each lever closes, and the ranked actions."""
    visible = _territories(session, user)
    frame = _frame(session, settings, user, territory_id or _top(visible), period)
    after = int(decode_cursor(cursor, ("rank",))["rank"]) if cursor else 0
    report = gap.gap_report(
        session,
        frame,
        gap.GapOptions(limit=25),
        after=after,
        visible=visible_territories(session, user),
    )
    context = {"report": report, "args": request.query_params}
    return render(request, "gap.html", context | _context(frame, visible))


@router.get("/opportunities", response_class=HTMLResponse)
def opportunities_page(
    request: Request,
    user: Reader,
    session: SessionDep,
    settings: SettingsDep,
    territory_id: uuid.UUID | None = None,
    limit: int = 20,
) -> Response:
    """A map of the territory beside the prospects ranked by uplift, each explained."""
    visible = _territories(session, user)
    frame = _frame(session, settings, user, territory_id or _top(visible), None)
    options = opportunities.OpportunityOptions(limit=max(1, min(limit, 100)))
    found = opportunities.opportunities(session, frame, options, visible_territories(session, user))
    geometry = territory_public(session, frame.territory).geometry
    served = outlet_queries.density(
        session,
        scoped_outlets(user),
        OutletFilter(territory_id=frame.territory.id, status=OutletStatus.active),
        svg.pixel_deg(geometry),
    )
    uplifts = [float(o.uplift) for o in found] or [0.0]
    places = [
        svg.Place(lon, lat, "#8a8f98", f"{n:,} served outlet{'s' if n > 1 else ''}", None, 2.0)
        for lon, lat, n in served
    ] + [
        svg.Place(
            o.location.lon,
            o.location.lat,
            svg.ramp(float(o.uplift), min(uplifts), max(uplifts)),
            f"#{o.rank} {o.name}: {float(o.uplift):,.0f} a month",
            f"#prospect-{o.rank}",
            6.0,
        )
        for o in reversed(found)
    ]
    context = {
        "prospects": found,
        "served": sum(n for _, _, n in served),
        "map": svg.territory_map(geometry, places),
        **_context(frame, visible),
    }
    return render(request, "opportunities.html", context)


@router.get("/targets", response_class=HTMLResponse)
def targets_page(
    request: Request,
    user: Reader,
    session: SessionDep,
    settings: SettingsDep,
    territory_id: uuid.UUID | None = None,
    period: str | None = None,
    saved: str | None = None,
) -> Response:
    """A territory's SKU targets for a month, with the children's sums, to edit and allocate."""
    visible = _territories(session, user)
    frame = _frame(session, settings, user, territory_id or _top(visible), period)
    table = coverage.coverage_table(session, frame, coverage.CoverageFilter())
    own = [r for r in table.rows if r.territory_id == frame.territory.id]
    context = {
        "rows": own,
        "totals": table.territories,
        "saved": saved,
        "editable": user.role.value in ("planner", "admin"),
        **_context(frame, visible),
    }
    return render(request, "targets.html", context)


def _amount(text: str) -> Decimal | None:
    try:
        return Decimal(text.replace(",", "").strip()) if text.strip() else None
    except InvalidOperation as exc:
        raise Invalid(f"{text!r} is not a number.") from exc


@router.post("/targets")
def save_target(
    user: Editor,
    session: SessionDep,
    _: Csrf,
    territory_id: Annotated[uuid.UUID, Form()],
    sku_id: Annotated[uuid.UUID, Form()],
    period: Annotated[str, Form()],
    quantity: Annotated[str, Form()] = "",
    value: Annotated[str, Form()] = "",
) -> Response:
    """Set one territory × SKU × month target."""
    try:
        target = targets.TargetIn(
            territory_id=territory_id,
            sku_id=sku_id,
            period=period,
            quantity=_amount(quantity),
            value=_amount(value),
        )
    except ValidationError as exc:
        raise Invalid("; ".join(e["msg"] for e in exc.errors())) from exc
    targets.set_targets(session, targets.TargetsIn(targets=[target]))
    url = f"/console/targets?territory_id={territory_id}&period={period}&saved={sku_id}"
    return RedirectResponse(url, status_code=303)


@router.post("/targets/allocate", response_class=HTMLResponse)
def allocate_target(
    request: Request,
    user: Editor,
    session: SessionDep,
    settings: SettingsDep,
    _: Csrf,
    territory_id: Annotated[uuid.UUID, Form()],
    sku_id: Annotated[uuid.UUID, Form()],
    period: Annotated[str, Form()],
) -> Response:
    """Split a target to the children and outlets by potential, and show the sums."""
    frame = _frame(session, settings, user, territory_id, period)
    result = allocate.allocate(session, frame, sku_id, visible_territories(session, user))
    sums = {
        "quantity": sum((s.quantity or 0 for s in result.shares), Decimal(0)),
        "value": sum((s.value or 0 for s in result.shares), Decimal(0)),
        "outlet_quantity": sum((s.outlet_quantity or 0 for s in result.shares), Decimal(0)),
        "outlet_value": sum((s.outlet_value or 0 for s in result.shares), Decimal(0)),
    }
    context = {"allocation": result, "sums": sums, "sku": get_sku(session, sku_id)}
    return render(request, "allocation.html", context | _context(frame, []))
