"""Outlets: the shops reps visit."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query
from fastapi.responses import JSONResponse

from api.deps import CurrentUser, SessionDep
from api.problems import problem_responses
from models import outlet_queries as outlets
from models.errors import Invalid
from models.outlet_queries import Near, OutletCreate, OutletFilter, OutletPublic, OutletUpdate
from models.outlets import Channel, OutletStatus
from models.pagination import MAX_LIMIT, Page, decode_cursor, paginate
from models.scope import scoped_outlets

router = APIRouter(prefix="/v1/outlets", tags=["outlets"])
GEOJSON = "application/geo+json"


def _near(near: str | None, radius_m: float | None) -> Near | None:
    if near is None:
        if radius_m is not None:
            raise Invalid("radius_m needs near=lon,lat.")
        return None
    try:
        lon, lat = (float(part) for part in near.split(","))
    except ValueError:
        raise Invalid("near must be lon,lat in decimal degrees, e.g. near=2.35,48.85.") from None
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise Invalid("near is outside WGS84 lon/lat ranges.")
    return Near(lon, lat, radius_m)


def _feature_collection(page: Page[OutletPublic]) -> JSONResponse:
    features = [
        {
            "type": "Feature",
            "id": str(item.id),
            "geometry": {"type": "Point", "coordinates": [item.location.lon, item.location.lat]},
            "properties": item.model_dump(mode="json", exclude={"location", "id"}),
        }
        for item in page.items
    ]
    body: dict[str, Any] = {"type": "FeatureCollection", "features": features}
    body["next_cursor"] = page.next_cursor
    return JSONResponse(body, media_type=GEOJSON)


def _near_cursor(cursor: str | None) -> tuple[float, uuid.UUID] | None:
    if cursor is None:
        return None
    key = decode_cursor(cursor, ("d", "id"))
    try:
        return float(key["d"]), uuid.UUID(key["id"])
    except (TypeError, ValueError):
        raise Invalid("The cursor is not one this endpoint issued.") from None


def _page(
    session: SessionDep, user: CurrentUser, where: OutletFilter, cursor: str | None, limit: int
) -> Page[OutletPublic]:
    scoped = scoped_outlets(user)
    if where.near is None:
        after = decode_cursor(cursor, ("code",))["code"] if cursor else None
        items = outlets.list_by_code(session, scoped, where, after=after, limit=limit + 1)
        return paginate(items, limit, lambda o: {"code": o.code})
    rows = outlets.list_nearest(session, scoped, where, after=_near_cursor(cursor), limit=limit + 1)
    sort_key = {row[0].id: row[1] for row in rows}
    return paginate(
        [row[0] for row in rows], limit, lambda o: {"d": sort_key[o.id], "id": str(o.id)}
    )


@router.get(
    "",
    response_model=Page[OutletPublic],
    responses={
        **problem_responses(401, 422),
        200: {"content": {GEOJSON: {}}, "description": "A page of outlets (JSON or GeoJSON)."},
    },
)
def list_outlets(
    user: CurrentUser,
    session: SessionDep,
    territory_id: uuid.UUID | None = None,
    near: Annotated[
        str | None, Query(description="lon,lat: nearest first, with distance_m")
    ] = None,
    radius_m: Annotated[float | None, Query(gt=0, le=200_000)] = None,
    status: OutletStatus | None = None,
    channel: Channel | None = None,
    unassigned: bool = False,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100,
    format: Literal["json", "geojson"] | None = None,
    accept: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Page[OutletPublic] | JSONResponse:
    """Outlets in the caller's territories: by code, or nearest first with `near`."""
    where = OutletFilter(territory_id, status, channel, unassigned, _near(near, radius_m))
    page = _page(session, user, where, cursor, limit)
    if format == "geojson" or (format is None and accept is not None and GEOJSON in accept):
        return _feature_collection(page)
    return page


@router.post(
    "",
    status_code=201,
    response_model=OutletPublic,
    responses=problem_responses(401, 403, 409, 422),
)
def create_outlet(body: OutletCreate, user: CurrentUser, session: SessionDep) -> OutletPublic:
    """Add an outlet; reps and managers only inside their territories (reps: prospects)."""
    return outlets.create_outlet(session, user, body)


@router.get("/{outlet_id}", response_model=OutletPublic, responses=problem_responses(401, 404))
def get_outlet(outlet_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> OutletPublic:
    """One outlet within the caller's scope."""
    return outlets.public(session, outlets.get_outlet(session, scoped_outlets(user), outlet_id))


@router.patch(
    "/{outlet_id}", response_model=OutletPublic, responses=problem_responses(401, 404, 422)
)
def update_outlet(
    outlet_id: uuid.UUID, body: OutletUpdate, user: CurrentUser, session: SessionDep
) -> OutletPublic:
    """Correct an outlet's details or location; it stays within the caller's scope."""
    outlet = outlets.get_outlet(session, scoped_outlets(user), outlet_id)
    return outlets.update_outlet(session, user, outlet, body)
