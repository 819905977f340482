"""Manager pages: shelf share with its drill-down, photo evidence, alerts, reps."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from api.console import svg
from api.console.formatting import paginate, sort_rows
from api.console.web import ConsoleRoute, Reader, render
from api.deps import SessionDep, SettingsDep, StoreDep
from models import outlet_queries, photos
from models.analysis import analysis_public, annotated_key
from models.catalogue import list_brands, list_categories
from models.errors import Invalid, NotFound
from models.outlets import Channel
from models.reports import alerts, evidence, reps
from models.reports.shelf_share import GroupBy, ShareQuery, ShareRow, default_window, shelf_share
from models.routes import today
from models.scope import scoped_outlets, scoped_territories
from models.settings import Settings
from models.territories import get_territory, list_territories

router = APIRouter(route_class=ConsoleRoute)
PAGE = 50
From = Annotated[date | None, Query(alias="from")]
To = Annotated[date | None, Query(alias="to")]
SHARE_SORTS: dict[str, Any] = {
    "group": lambda r: r.group_label or "",
    "brand": lambda r: r.brand,
    "share": lambda r: r.share,
    "change": lambda r: r.change_pp,
    "photos": lambda r: r.photos,
    "outlets": lambda r: r.outlets,
}


def window(settings: Settings, start: date | None, stop: date | None) -> tuple[date, date]:
    """[from, to] as a half-open range of days, the last four weeks by default (as the API)."""
    first, after = default_window(today(settings))
    first, after = start or first, (stop + timedelta(days=1)) if stop else after
    if after <= first:
        raise Invalid("`to` must not be before `from`.")
    return first, after


def trend(rows: list[ShareRow]) -> svg.Trend:
    """Weekly share per brand, from the report grouped by week."""
    series: dict[str, dict[str, float]] = {}
    for row in rows:
        series.setdefault(row.brand, {})[row.group or ""] = row.share
    return svg.trend([svg.Series(name, points) for name, points in sorted(series.items())])


def _filters(request: Request, session: SessionDep) -> dict[str, Any]:
    return {
        "categories": list_categories(session, after=None, limit=200),
        "brands": list_brands(session, after=None, limit=200),
        "channels": list(Channel),
        "args": request.query_params,
    }


@router.get("/shelf-share", response_class=HTMLResponse)
def shelf_share_page(
    request: Request,
    user: Reader,
    session: SessionDep,
    settings: SettingsDep,
    category_id: uuid.UUID | None = None,
    channel: Channel | None = None,
    start: From = None,
    stop: To = None,
    sort: str | None = None,
    page: int = 1,
) -> Response:
    """Shelf share by territory × brand, with the change, the evidence and a weekly trend."""
    first, after = window(settings, start, stop)
    query = ShareQuery(first, after, GroupBy.territory, category_id=category_id, channel=channel)
    rows, order = sort_rows(shelf_share(session, user, query), sort, SHARE_SORTS, "group")
    shown, paged = paginate(rows, page, PAGE)
    weekly = shelf_share(
        session, user, ShareQuery(first, after, GroupBy.week, None, None, category_id, channel)
    )
    context = {
        "rows": shown,
        "paged": paged,
        "order": order,
        "first": first,
        "last": after - timedelta(days=1),
        "trend": trend(weekly),
        **_filters(request, session),
    }
    return render(request, "shelf_share.html", context)


@router.get("/shelf-share/territories/{territory_id}", response_class=HTMLResponse)
def territory_share_page(
    request: Request,
    territory_id: uuid.UUID,
    user: Reader,
    session: SessionDep,
    settings: SettingsDep,
    category_id: uuid.UUID | None = None,
    channel: Channel | None = None,
    start: From = None,
    stop: To = None,
    sort: str | None = None,
    page: int = 1,
) -> Response:
    """One territory's shelf share by outlet × brand."""
    territory = get_territory(session, scoped_territories(user), territory_id)
    first, after = window(settings, start, stop)
    query = ShareQuery(first, after, GroupBy.outlet, territory.id, None, category_id, channel)
    rows, order = sort_rows(shelf_share(session, user, query), sort, SHARE_SORTS, "group")
    shown, paged = paginate(rows, page, PAGE)
    weekly = ShareQuery(first, after, GroupBy.week, territory.id, None, category_id, channel)
    context = {
        "territory": territory,
        "rows": shown,
        "paged": paged,
        "order": order,
        "first": first,
        "last": after - timedelta(days=1),
        "trend": trend(shelf_share(session, user, weekly)),
        **_filters(request, session),
    }
    return render(request, "territory_share.html", context)


@router.get("/outlets/{outlet_id}", response_class=HTMLResponse)
def outlet_page(
    request: Request,
    outlet_id: uuid.UUID,
    user: Reader,
    session: SessionDep,
    settings: SettingsDep,
    start: From = None,
    stop: To = None,
    page: int = 1,
) -> Response:
    """An outlet: its shelf share per brand and its shelf photos."""
    outlet = outlet_queries.get_outlet(session, scoped_outlets(user), outlet_id)
    first, after = window(settings, start, stop)
    query = ShareQuery(first, after, GroupBy.outlet, outlet.territory_id)
    shares = [r for r in shelf_share(session, user, query) if r.group == str(outlet.id)]
    where = evidence.PhotoFilter(outlet_id=outlet.id)
    cards, more = evidence.photo_page(session, user, where, offset=(page - 1) * 24, limit=24)
    context = {
        "outlet": outlet_queries.public(session, outlet),
        "shares": shares,
        "cards": cards,
        "page": page,
        "more": more,
        "first": first,
        "last": after - timedelta(days=1),
    }
    return render(request, "outlet.html", context)


@router.get("/photos", response_class=HTMLResponse)
def gallery_page(
    request: Request,
    user: Reader,
    session: SessionDep,
    settings: SettingsDep,
    territory_id: uuid.UUID | None = None,
    outlet_id: uuid.UUID | None = None,
    brand_id: uuid.UUID | None = None,
    rep_id: uuid.UUID | None = None,
    start: From = None,
    stop: To = None,
    quality: Literal["", "ok", "flagged"] = "",
    page: int = 1,
) -> Response:
    """Shelf photos, newest first, filtered by territory, outlet, brand, rep, date, quality."""
    where = evidence.PhotoFilter(
        territory_id=territory_id,
        outlet_id=outlet_id,
        brand_id=brand_id,
        rep_id=rep_id,
        start=start,
        stop=stop,
        quality_ok={"": None, "ok": True, "flagged": False}[quality],
    )
    page = max(page, 1)
    cards, more = evidence.photo_page(session, user, where, offset=(page - 1) * 24, limit=24)
    first, after = window(settings, None, None)
    context = {
        "cards": cards,
        "page": page,
        "more": more,
        "territories": list_territories(
            session, scoped_territories(user), parent_id=None, level=None, after=None, limit=500
        ),
        "reps": reps.reps_report(session, settings, user, first, after),
        **_filters(request, session),
    }
    return render(request, "gallery.html", context)


@router.get("/photos/{photo_id}", response_class=HTMLResponse)
def photo_page(
    request: Request, photo_id: uuid.UUID, user: Reader, session: SessionDep
) -> Response:
    """A photo with its boxes drawn, facings per SKU, share per brand, quality, model."""
    photo = photos.readable_photo(session, user, photo_id)
    cards, _ = evidence.photo_page(
        session, user, evidence.PhotoFilter(photo_id=photo.id), offset=0, limit=1
    )
    try:
        analysis = analysis_public(session, photo.id)
    except NotFound:
        analysis = None
    context = {"photo": photos.public(photo), "card": cards[0], "analysis": analysis}
    return render(request, "photo.html", context)


@router.get("/photos/{photo_id}/image.jpg")
def photo_image(
    photo_id: uuid.UUID, user: Reader, session: SessionDep, store: StoreDep
) -> Response:
    """The annotated photo (the original while the analysis has not drawn one)."""
    photo = photos.readable_photo(session, user, photo_id)
    try:
        data, media = store.get(annotated_key(photo.id)), "image/jpeg"
    except NotFound:
        data, media = store.get(photo.storage_key), photo.content_type
    return Response(data, media_type=media, headers={"Cache-Control": "private, max-age=3600"})


@router.get("/alerts", response_class=HTMLResponse)
def alerts_page(
    request: Request,
    user: Reader,
    session: SessionDep,
    settings: SettingsDep,
    until: date | None = None,
    page: int = 1,
) -> Response:
    """Early warnings, worst first, each with links to its evidence."""
    last = until or today(settings)
    found = alerts.alerts(session, settings, user, last + timedelta(days=1))
    shown, paged = paginate(found, page, PAGE)
    names = {
        t.id: t.name
        for t in list_territories(
            session, scoped_territories(user), parent_id=None, level=None, after=None, limit=500
        )
    }
    context = {"alerts": shown, "paged": paged, "until": last, "names": names}
    return render(request, "alerts.html", context)


REP_SORTS: dict[str, Any] = {
    "rep": lambda r: r.username,
    "adherence": lambda r: r.plan_adherence,
    "visits": lambda r: r.visits,
    "minutes": lambda r: r.avg_minutes_in_store,
    "outside": lambda r: r.outside_geofence,
    "trust": lambda r: r.avg_trust,
    "photos": lambda r: r.photos_per_visit,
}


@router.get("/reps", response_class=HTMLResponse)
def reps_page(
    request: Request,
    user: Reader,
    session: SessionDep,
    settings: SettingsDep,
    start: From = None,
    stop: To = None,
    sort: str | None = None,
    page: int = 1,
) -> Response:
    """Per rep: plan against done, time in store, geofence and photo flags."""
    first, after = window(settings, start, stop)
    rows, order = sort_rows(
        reps.reps_report(session, settings, user, first, after), sort, REP_SORTS, "rep"
    )
    shown, paged = paginate(rows, page, PAGE)
    context = {
        "rows": shown,
        "paged": paged,
        "order": order,
        "first": first,
        "last": after - timedelta(days=1),
        "args": request.query_params,
    }
    return render(request, "reps.html", context)
