"""The demo data loaded on first start, so a new user can sign in and explore at once."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from models.users import Role, User, create_user


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


def seed_demo(session: Session) -> int:
    """Add the demo accounts that are missing; returns how many were added. Flushes only."""
    wanted = {user.username for user in DEMO_USERS}
    present = set(session.exec(select(User.username).where(User.username.in_(wanted))))  # type: ignore[attr-defined]
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
