"""Users for tests."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from fastapi.testclient import TestClient
from sqlmodel import Session

from models.users import Role, User
from models.users import create_user as _create_user

PASSWORD = "correct horse battery staple"


def create_user(
    session: Session,
    *,
    username: str | None = None,
    role: Role = Role.rep,
    password: str = PASSWORD,
    territory_ids: Sequence[uuid.UUID] = (),
) -> User:
    return _create_user(
        session,
        username=username or f"{role.value}-{uuid.uuid4().hex[:8]}",
        password=password,
        role=role,
        territory_ids=territory_ids,
    )


def sign_in(client: TestClient, user: User, password: str = PASSWORD) -> dict[str, str]:
    """The Authorization header of a freshly signed-in user."""
    response = client.post("/v1/auth/token", data={"username": user.username, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}
