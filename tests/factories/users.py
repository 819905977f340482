"""Users for tests."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from fastapi.testclient import TestClient
from sqlmodel import Session

from api import tokens
from models.users import Role, User, UserTerritory, password_hash

PASSWORD = "correct horse battery staple"
# Hashing is deliberately slow (argon2); one hash serves every test user.
PASSWORD_HASH = password_hash.hash(PASSWORD)


def create_user(
    session: Session,
    *,
    username: str | None = None,
    role: Role = Role.rep,
    territory_ids: Sequence[uuid.UUID] = (),
) -> User:
    """A user whose password is ``PASSWORD``."""
    user = User(
        username=username or f"{role.value}-{uuid.uuid4().hex[:8]}",
        role=role,
        password_hash=PASSWORD_HASH,
    )
    session.add(user)
    session.flush()
    session.add_all(UserTerritory(user_id=user.id, territory_id=tid) for tid in territory_ids)
    session.flush()
    return user


def sign_in(client: TestClient, user: User) -> dict[str, str]:
    """The Authorization header of a signed-in user (tokens issued as the token endpoint does)."""
    pair = tokens.issue(client.app.state.settings, user)  # type: ignore[attr-defined]
    return {"Authorization": f"Bearer {pair.access_token}"}
