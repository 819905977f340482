"""The demo accounts: the four sign-in-at-once ones, and the market's field force.

The accounts do not depend on the seed, so the README can list them: one rep per leaf
territory (``rep`` works Lyon Presqu'île), a manager per region (``manager`` has Lyon Centre)
and one for the whole country, ``planner`` and ``admin``.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import text
from sqlmodel import Session, col, select

from models.users import Role, User, create_user, password_hash


@dataclass(frozen=True)
class DemoUser:
    username: str
    password: str
    role: Role
    full_name: str


DEMO_USERS = (
    DemoUser("admin", "admin-demo", Role.admin, "Demo Admin"),
    DemoUser("planner", "planner-demo", Role.planner, "Demo Planner"),
    DemoUser("manager", "manager-demo", Role.manager, "Demo Manager"),
    DemoUser("rep", "rep-demo", Role.rep, "Demo Rep"),
)
PASSWORDS = {user.role: user.password for user in DEMO_USERS}


@dataclass(frozen=True)
class FieldUser:
    """An account of the demo market and the territory it works (by code)."""

    username: str
    full_name: str
    role: Role
    territory: str

    @property
    def password(self) -> str:
        return PASSWORDS[self.role]


def _rep(name: str, territory: str) -> FieldUser:
    return FieldUser(name, name.replace(".", " ").title(), Role.rep, territory)


# In PLACES order: leaf territory codes are the region's code and a number.
FIELD_FORCE = (
    FieldUser("rep", "Demo Rep", Role.rep, "FR-LYO-CEN-01"),
    _rep("lea.bernard", "FR-LYO-CEN-02"),
    _rep("hugo.lambert", "FR-LYO-CEN-03"),
    _rep("camille.dupont", "FR-LYO-CEN-04"),
    _rep("nathan.morel", "FR-LYO-CEN-05"),
    _rep("ines.fontaine", "FR-LYO-CEN-06"),
    _rep("julien.garnier", "FR-LYO-NOR-01"),
    _rep("chloe.mercier", "FR-LYO-NOR-02"),
    _rep("antoine.roux", "FR-LYO-NOR-03"),
    _rep("sarah.lefebvre", "FR-LYO-NOR-04"),
    _rep("maxime.blanc", "FR-LYO-NOR-05"),
    _rep("pauline.chevalier", "FR-LYO-NOR-06"),
    _rep("karim.mansouri", "FR-LYO-EST-01"),
    _rep("emma.perrin", "FR-LYO-EST-02"),
    _rep("louis.gauthier", "FR-LYO-EST-03"),
    _rep("nadia.ferreira", "FR-LYO-EST-04"),
    _rep("quentin.masson", "FR-LYO-EST-05"),
    _rep("thomas.robin", "FR-LYO-EST-06"),
    _rep("manon.nguyen", "FR-LYO-EST-07"),
    _rep("romain.lacroix", "FR-LYO-EST-08"),
    FieldUser("manager", "Demo Manager", Role.manager, "FR-LYO-CEN"),
    FieldUser("sophie.girard", "Sophie Girard", Role.manager, "FR-LYO-NOR"),
    FieldUser("mehdi.benali", "Mehdi Benali", Role.manager, "FR-LYO-EST"),
    FieldUser("isabelle.moreau", "Isabelle Moreau", Role.manager, "FR"),
    FieldUser("planner", "Demo Planner", Role.planner, ""),
    FieldUser("admin", "Demo Admin", Role.admin, ""),
)


def seed_demo(session: Session) -> int:
    """Add the demo accounts that are missing; returns how many were added. Flushes only."""
    wanted = {user.username for user in DEMO_USERS}
    present = set(session.exec(select(User.username).where(col(User.username).in_(wanted))))
    added = [user for user in DEMO_USERS if user.username not in present]
    for user in added:
        create_user(
            session,
            username=user.username,
            password=user.password,
            role=user.role,
            full_name=user.full_name,
        )
    return len(added)


_ASSIGN = text("""
INSERT INTO user_territory (user_id, territory_id)
SELECT u.id, t.id
FROM unnest(CAST(:usernames AS text[]), CAST(:codes AS text[])) AS a(username, code)
JOIN app_user AS u ON u.username = a.username
JOIN territory AS t ON t.code = a.code
ON CONFLICT DO NOTHING
""")


def add_field_force(session: Session) -> dict[str, uuid.UUID]:
    """Every account of ``FIELD_FORCE`` (existing ones kept) with its territory assigned.

    ``FIELD_FORCE`` includes the ``DEMO_USERS``, with the same passwords.

    Returns:
        The user id of each username.
    """
    usernames = [user.username for user in FIELD_FORCE]
    present = set(session.exec(select(User.username).where(col(User.username).in_(usernames))))
    missing = [user for user in FIELD_FORCE if user.username not in present]
    # Hashing is slow on purpose (argon2): one hash per password serves every account using it.
    hashes = {role: password_hash.hash(PASSWORDS[role]) for role in {u.role for u in missing}}
    session.add_all(
        User(
            username=user.username,
            full_name=user.full_name,
            role=user.role,
            password_hash=hashes[user.role],
        )
        for user in missing
    )
    session.flush()
    assigned = [user for user in FIELD_FORCE if user.territory]
    session.execute(
        _ASSIGN,
        {"usernames": [u.username for u in assigned], "codes": [u.territory for u in assigned]},
    )
    return ids_of(session, usernames)


def ids_of(session: Session, usernames: list[str]) -> dict[str, uuid.UUID]:
    rows = session.exec(select(User.username, User.id).where(col(User.username).in_(usernames)))
    found: Mapping[str, uuid.UUID] = dict(rows.all())
    return dict(found)
