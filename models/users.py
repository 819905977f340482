"""Users, their roles and the territories they are assigned to."""

from __future__ import annotations

import enum
import uuid
from collections.abc import Sequence

from pwdlib import PasswordHash
from sqlalchemy import Enum as SAEnum
from sqlmodel import Field, Session, SQLModel, select

from models.base import TimestampedModel
from models.errors import Conflict, NotFound, Unauthorized
from models.territories import Territory

password_hash = PasswordHash.recommended()
# Verifying against a real hash when the user does not exist keeps both answers equally slow,
# so response time does not tell an attacker which usernames exist.
_DUMMY_HASH = password_hash.hash("fieldsales-timing-equaliser")


class Role(enum.StrEnum):
    rep = "rep"
    manager = "manager"
    planner = "planner"
    admin = "admin"


class UserTerritory(SQLModel, table=True):
    __tablename__ = "user_territory"

    user_id: uuid.UUID = Field(foreign_key="app_user.id", primary_key=True, ondelete="CASCADE")
    territory_id: uuid.UUID = Field(
        foreign_key="territory.id", primary_key=True, ondelete="CASCADE", index=True
    )


class UserBase(SQLModel):
    username: str = Field(unique=True, min_length=1, max_length=100)
    role: Role = Field(sa_type=SAEnum(Role, name="user_role"))
    full_name: str = Field(default="", max_length=200)


class User(UserBase, TimestampedModel, table=True):
    __tablename__ = "app_user"

    password_hash: str
    active: bool = True


class UserPublic(UserBase):
    id: uuid.UUID
    territory_ids: list[uuid.UUID] = []


def create_user(
    session: Session,
    *,
    username: str,
    password: str,
    role: Role,
    territory_ids: Sequence[uuid.UUID] = (),
    full_name: str = "",
) -> User:
    """Add a user with a hashed password and their territories; flushes, never commits."""
    if session.exec(select(User).where(User.username == username)).first():
        raise Conflict(f"A user named {username!r} already exists.")
    found = set(session.exec(select(Territory.id).where(Territory.id.in_(territory_ids))))  # type: ignore[attr-defined]
    missing = [str(tid) for tid in territory_ids if tid not in found]
    if missing:
        raise NotFound(f"Unknown territory: {', '.join(missing)}.")
    user = User(
        username=username,
        password_hash=password_hash.hash(password),
        role=role,
        full_name=full_name,
    )
    session.add(user)
    session.flush()
    session.add_all(UserTerritory(user_id=user.id, territory_id=tid) for tid in set(territory_ids))
    session.flush()
    return user


def authenticate(session: Session, username: str, password: str) -> User | None:
    user = session.exec(select(User).where(User.username == username, User.active)).first()
    if user is None:
        password_hash.verify(password, _DUMMY_HASH)
        return None
    return user if password_hash.verify(password, user.password_hash) else None


def active_user(session: Session, user_id: uuid.UUID) -> User:
    """The user a valid token names, provided the account still exists and is enabled."""
    user = session.get(User, user_id)
    if user is None or not user.active:
        raise inactive_account()
    return user


def inactive_account() -> Unauthorized:
    return Unauthorized(
        "This account no longer exists or is disabled.", headers={"WWW-Authenticate": "Bearer"}
    )


def territory_ids_of(session: Session, user_id: uuid.UUID) -> list[uuid.UUID]:
    stmt = select(UserTerritory.territory_id).where(UserTerritory.user_id == user_id)
    return list(session.exec(stmt))


def to_public(session: Session, user: User) -> UserPublic:
    return UserPublic(
        id=user.id,
        username=user.username,
        role=user.role,
        full_name=user.full_name,
        territory_ids=territory_ids_of(session, user.id),
    )
