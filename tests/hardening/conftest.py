"""A small world every hardening test can aim at: two regions, people of every role, a visit."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlmodel import Session

from models.users import Role, User
from tests.factories.catalogue import create_brand, create_category, create_sku
from tests.factories.geo import create_outlet, create_territory
from tests.factories.users import create_user
from tests.factories.visits import create_analysed_photo, create_visit

ROLES = [role.value for role in Role]


@dataclass
class World:
    users: dict[str, User]
    # Ids by path parameter name: what the fuzzer substitutes for random ones.
    ids: dict[str, list[uuid.UUID]]


def build_world(session: Session) -> World:
    """Region R1 (territories A, B) and R2 (C); the rep holds A, the manager R1."""
    r1 = create_territory(session, code="R1", corner=(2.0, 48.0), size=1.0, level="region")
    r2 = create_territory(session, code="R2", corner=(4.0, 48.0), size=1.0, level="region")
    a = create_territory(session, code="A", parent=r1, corner=(2.0, 48.0), size=0.5)
    b = create_territory(session, code="B", parent=r1, corner=(2.5, 48.0), size=0.5)
    c = create_territory(session, code="C", parent=r2, corner=(4.0, 48.0), size=0.5)
    outlets = [create_outlet(session, lon=lon, lat=48.2) for lon in (2.2, 2.7, 4.2)]
    users = {
        "rep": create_user(session, role=Role.rep, territory_ids=[a.id]),
        "manager": create_user(session, role=Role.manager, territory_ids=[r1.id]),
        "planner": create_user(session, role=Role.planner),
        "admin": create_user(session, role=Role.admin),
    }
    brand = create_brand(session, own=True)
    sku = create_sku(session, brand=brand, category=create_category(session))
    visit = create_visit(session, rep=users["rep"], outlet=outlets[0], at=datetime.now(UTC))
    photo = create_analysed_photo(session, visit=visit, widths=[(brand, 300.0)], linear_px=900.0)
    ids = {
        "territory_id": [t.id for t in (r1, r2, a, b, c)],
        "outlet_id": [o.id for o in outlets],
        "sku_id": [sku.id],
        "visit_id": [visit.id],
        "photo_id": [photo.id],
    }
    return World(users, ids)
