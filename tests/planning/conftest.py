"""A small market: two regions, three leaves, three SKUs, and a user of every role."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from models.catalogue import Sku
from models.outlets import Outlet
from models.territories import Territory
from models.users import Role, User
from models.visits import Visit
from tests.factories.catalogue import create_brand, create_category, create_sku
from tests.factories.geo import create_territory
from tests.factories.users import create_user, sign_in
from tests.factories.visits import create_visit

PERIOD = "2026-11"
MONTH = date(2026, 11, 1)
AS_OF = date(2026, 11, 15)  # half of November's 30 days: the run-rate doubles sales to date


@dataclass
class Market:
    territories: dict[str, Territory]
    skus: dict[str, Sku]
    headers: dict[str, dict[str, str]]
    rep: User


def visit(session: Session, rep: User, outlet: Outlet, at: datetime, *, done: bool = True) -> Visit:
    """A visit of the rep's, checked out 20 minutes later when ``done``."""
    ended_at = at + timedelta(minutes=20) if done else None
    return create_visit(session, rep=rep, outlet=outlet, at=at, ended_at=ended_at)


@pytest.fixture
def market(client: TestClient, session: Session) -> Market:
    """R holds A (west) and B (east); R2 holds C. s1 and s2 share a category, s3 has its own."""
    r = create_territory(session, code="R", corner=(2.0, 48.0), size=1.0, level="region")
    r2 = create_territory(session, code="R2", corner=(4.0, 48.0), size=1.0, level="region")
    a = create_territory(session, code="A", parent=r, corner=(2.0, 48.0), size=0.5)
    b = create_territory(session, code="B", parent=r, corner=(2.5, 48.0), size=0.5)
    c = create_territory(session, code="C", parent=r2, corner=(4.0, 48.0), size=0.5)
    ours, theirs = create_brand(session, own=True), create_brand(session)
    drinks, snacks = create_category(session), create_category(session)
    skus = {
        "s1": create_sku(session, code="s1", brand=ours, category=drinks),
        "s2": create_sku(session, code="s2", brand=ours, category=drinks),
        "s3": create_sku(session, code="s3", brand=theirs, category=snacks),
    }
    users = {
        "rep": create_user(session, role=Role.rep, territory_ids=[a.id]),
        "manager": create_user(session, role=Role.manager, territory_ids=[r.id]),
        "planner": create_user(session, role=Role.planner),
        "admin": create_user(session, role=Role.admin),
    }
    headers = {role: sign_in(client, user) for role, user in users.items()}
    territories = {"R": r, "R2": r2, "A": a, "B": b, "C": c}
    return Market(territories, skus, headers, users["rep"])
