"""Who sees what: each statement is scoped once here and reused by every route.

A rep sees the territories assigned to them and everything below; a manager their region's
subtree (the same rule, with a region assigned); planners and admins see everything. Objects
outside the scope simply do not exist for the caller (404), so nothing leaks.
"""

from __future__ import annotations

import uuid
from typing import Any, TypeVar

from sqlalchemy import BindParameter, Select
from sqlmodel import col, select
from sqlmodel.sql.expression import SelectOfScalar

from models.outlets import Outlet
from models.territories import Territory, subtree
from models.users import Role, User, UserTerritory
from models.visits import Visit

UNSCOPED = frozenset({Role.planner, Role.admin})


def territory_ids(user: User) -> Select[uuid.UUID] | None:
    """The ids of the territories the user may see, or None for all of them."""
    if user.role in UNSCOPED:
        return None
    return assigned_subtree(user.id)


def assigned_subtree(user_id: uuid.UUID | BindParameter[uuid.UUID]) -> Select[uuid.UUID]:
    """The territories assigned to a user and everything below them.

    Takes a bound parameter too, for statements built once and run many times.
    """
    assigned: Select[uuid.UUID] = select(col(UserTerritory.territory_id).label("id")).where(
        col(UserTerritory.user_id) == user_id
    )
    return subtree(assigned, "scope")


def scoped_territories(user: User) -> SelectOfScalar[Territory]:
    statement = select(Territory)
    ids = territory_ids(user)
    return statement if ids is None else statement.where(col(Territory.id).in_(ids))


def scoped_outlets(user: User) -> SelectOfScalar[Outlet]:
    statement = select(Outlet)
    ids = territory_ids(user)
    return statement if ids is None else statement.where(col(Outlet.territory_id).in_(ids))


Statement = TypeVar("Statement", bound=Select[*tuple[Any, ...]])


def readable_visits(statement: Statement, user: User) -> Statement:
    """Restrict a statement over ``visit`` to the visits the user may read: a rep's own, or
    those at outlets in the user's scope."""
    if user.role == Role.rep:
        return statement.where(col(Visit.rep_id) == user.id)
    ids = territory_ids(user)
    if ids is None:
        return statement
    outlets = select(Outlet.id).where(col(Outlet.territory_id).in_(ids))
    return statement.where(col(Visit.outlet_id).in_(outlets))
