"""Territories: the sales geography."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import CurrentUser, Editor, SessionDep
from api.problems import problem_responses
from models import territories
from models.pagination import MAX_LIMIT, Page, decode_cursor, paginate
from models.scope import scoped_territories
from models.territories import TerritoryCreate, TerritoryPublic, TerritoryUpdate

router = APIRouter(prefix="/v1/territories", tags=["territories"])


@router.get("", response_model=Page[TerritoryPublic], responses=problem_responses(401, 422))
def list_territories(
    user: CurrentUser,
    session: SessionDep,
    parent_id: uuid.UUID | None = None,
    level: str | None = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100,
) -> Page[TerritoryPublic]:
    """Territories the caller may see, in code order, with GeoJSON boundaries."""
    after = decode_cursor(cursor, ("code",))["code"] if cursor else None
    items = territories.list_territories(
        session,
        scoped_territories(user),
        parent_id=parent_id,
        level=level,
        after=after,
        limit=limit + 1,
    )
    return paginate(items, limit, lambda t: {"code": t.code})


@router.post(
    "",
    status_code=201,
    response_model=TerritoryPublic,
    responses=problem_responses(401, 403, 409, 422),
)
def create_territory(body: TerritoryCreate, user: Editor, session: SessionDep) -> TerritoryPublic:
    """Create a territory; overlapping siblings are reported in `overlaps`."""
    return territories.create_territory(session, body)


@router.get(
    "/{territory_id}", response_model=TerritoryPublic, responses=problem_responses(401, 404)
)
def get_territory(
    territory_id: uuid.UUID, user: CurrentUser, session: SessionDep
) -> TerritoryPublic:
    """One territory within the caller's scope."""
    territory = territories.get_territory(session, scoped_territories(user), territory_id)
    return territories.public(session, territory)


@router.patch(
    "/{territory_id}",
    response_model=TerritoryPublic,
    responses=problem_responses(401, 403, 404, 422),
)
def update_territory(
    territory_id: uuid.UUID, body: TerritoryUpdate, user: Editor, session: SessionDep
) -> TerritoryPublic:
    """Rename, move or redraw a territory; its outlets are re-assigned at once."""
    territory = territories.get_territory(session, scoped_territories(user), territory_id)
    return territories.update_territory(session, territory, body)
