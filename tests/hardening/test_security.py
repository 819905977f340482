"""Security checks: who needs a token, which tokens count, sign-in throttling, served types."""

from __future__ import annotations

import base64
import json
import re
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from sqlmodel import Session

from api import tokens
from models.analysis import annotated_key
from models.base import utcnow
from models.settings import Settings
from models.storage import make_store
from models.users import Role, User
from tests.factories.catalogue import create_sku, image_bytes
from tests.factories.users import PASSWORD, create_user
from tests.hardening.conftest import World, build_world

SPEC = Path(__file__).parents[2] / "openapi" / "openapi.json"
# Everything else needs a bearer token (or, for the console's pages, its signed-in cookie);
# the console's static files (stylesheet, scripts) are public too.
PUBLIC = {
    "GET /healthz",
    "GET /readyz",
    "GET /metrics",
    "GET /openapi.json",
    "GET /docs",
    "GET /docs/oauth2-redirect",
    "GET /redoc",
    "POST /v1/auth/token",
    "POST /v1/auth/refresh",
    "GET /console/login",
    "POST /console/login",
    "POST /console/logout",
}


def operations(app: FastAPI) -> list[tuple[str, str]]:
    """Every method and path the app routes, path parameters filled with a fresh id."""
    found = []
    for route in iter_route_contexts(app.routes):
        path = re.sub(r"\{[^}]+\}", str(uuid.uuid4()), route.path or "")
        found += [(method, path) for method in sorted((route.methods or set()) - {"HEAD"})]
    return found


def test_every_route_needs_a_token_except_health_docs_and_sign_in(
    client: TestClient, app: FastAPI
) -> None:
    anonymous = TestClient(app, follow_redirects=False)
    public = set()
    for method, path in operations(app):
        response = anonymous.request(method, path)
        signed_out = response.status_code == 401 or (
            response.status_code == 303
            and response.headers["location"].startswith("/console/login?")
        )
        if not signed_out:
            public.add(f"{method} {path}")

    assert public == PUBLIC
    assert len(operations(app)) > len(PUBLIC) + 40


def _forge(token: str, **changes: Any) -> str:
    """The token with its claims changed and its original signature kept."""
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    changed = base64.urlsafe_b64encode(json.dumps(claims | changes).encode()).rstrip(b"=")
    return f"{header}.{changed.decode()}.{signature}"


def _claims(user: User, kind: str = "access", expires: timedelta = timedelta(minutes=5)) -> Any:
    return {"sub": str(user.id), "role": user.role.value, "kind": kind, "exp": utcnow() + expires}


def _deactivate(session: Session, user: User) -> None:
    user.active = False
    session.flush()


def _delete(session: Session, user: User) -> None:
    session.delete(user)
    session.flush()


def _issued_then(
    settings: Settings, session: Session, user: User, change: Callable[[Session, User], None]
) -> str:
    """A token issued while the account was fine, the account changed afterwards."""
    token = tokens.issue(settings, user).access_token
    change(session, user)
    return token


TokenCase = Callable[[Settings, Session, User], str]
TOKENS: list[tuple[str, TokenCase, int]] = [
    ("valid", lambda s, db, u: tokens.issue(s, u).access_token, 200),
    ("garbage", lambda s, db, u: "not-a-token", 401),
    (
        "expired",
        lambda s, db, u: jwt.encode(
            _claims(u, expires=timedelta(seconds=-1)), s.signing_key, tokens.ALGORITHM
        ),
        401,
    ),
    (
        "signed with another key",
        lambda s, db, u: jwt.encode(_claims(u), "another-key-" + "x" * 32, tokens.ALGORITHM),
        401,
    ),
    (
        "claims tampered with",
        lambda s, db, u: _forge(tokens.issue(s, u).access_token, role="admin"),
        401,
    ),
    (
        "unsigned (alg none)",
        lambda s, db, u: jwt.encode(_claims(u), "", algorithm="none"),
        401,
    ),
    ("a refresh token", lambda s, db, u: tokens.issue(s, u).refresh_token, 401),
    ("of a deactivated user", lambda s, db, u: _issued_then(s, db, u, _deactivate), 401),
    ("of a deleted user", lambda s, db, u: _issued_then(s, db, u, _delete), 401),
]


@pytest.mark.parametrize(("case", "make", "status"), TOKENS, ids=[t[0] for t in TOKENS])
def test_only_tokens_we_signed_for_a_live_user_count(
    client: TestClient,
    session: Session,
    settings: Settings,
    case: str,
    make: TokenCase,
    status: int,
) -> None:
    user = create_user(session, role=Role.rep)
    token = make(settings, session, user)

    response = client.get("/v1/me", headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == status
    if status == 401:
        assert response.json()["type"] == "urn:fieldsales:problem:unauthorized"
        assert response.headers["www-authenticate"] == "Bearer"


class TestSignInThrottle:
    @pytest.fixture
    def settings(self, settings: Settings) -> Settings:
        return settings.model_copy(update={"sign_in_rate_limit": "3/minute"})

    def test_guessing_is_cut_off_per_address_and_username(
        self, app: FastAPI, client: TestClient, session: Session
    ) -> None:
        user = create_user(session)
        other = create_user(session)
        guesses = [
            client.post("/v1/auth/token", data={"username": user.username, "password": "guess"})
            for _ in range(3)
        ]

        right_password = client.post(
            "/v1/auth/token", data={"username": user.username, "password": PASSWORD}
        )
        other_user = client.post(
            "/v1/auth/token", data={"username": other.username, "password": PASSWORD}
        )
        other_address = TestClient(app, client=("192.0.2.7", 50000)).post(
            "/v1/auth/token", data={"username": user.username, "password": PASSWORD}
        )

        assert [g.status_code for g in guesses] == [401, 401, 401]
        assert right_password.status_code == 429
        assert right_password.json()["type"] == "urn:fieldsales:problem:too-many-requests"
        assert 1 <= int(right_password.headers["retry-after"]) <= 60
        assert (other_user.status_code, other_address.status_code) == (200, 200)


def test_the_contract_serves_nothing_a_browser_would_run() -> None:
    spec = json.loads(SPEC.read_text())
    served = {
        media
        for path in spec["paths"].values()
        for operation in path.values()
        for response in operation["responses"].values()
        for media in response.get("content", {})
    }

    assert not {m for m in served if re.search(r"html|javascript|ecmascript|svg|xml", m)}


def test_an_upload_comes_back_only_as_the_image_it_is(
    client: TestClient, session: Session, settings: Settings
) -> None:
    world: World = build_world(session)
    admin = {"Authorization": f"Bearer {tokens.issue(settings, world.users['admin']).access_token}"}
    sku = create_sku(session)
    polyglot = image_bytes("PNG", (64, 64)) + b"<html><script>alert(1)</script></html>"
    uploaded = client.post(
        f"/v1/skus/{sku.id}/images",
        files={"file": ("pack.html", polyglot, "text/html")},
        headers=admin,
    )
    photo_id = world.ids["photo_id"][0]
    make_store(settings).put(annotated_key(photo_id), image_bytes("JPEG"), "image/jpeg")

    served = [
        client.get(f"/v1/skus/{sku.id}/images/{uploaded.json()['id']}", headers=admin),
        client.get(f"/v1/photos/{photo_id}/annotated.jpg", headers=admin),
    ]

    assert uploaded.status_code == 201
    assert [r.headers["content-type"] for r in served] == ["image/png", "image/jpeg"]
    for response in served:
        assert response.headers["x-content-type-options"] == "nosniff"
        assert "sandbox" in response.headers["content-security-policy"]


def test_api_answers_carry_the_strict_policy_and_the_docs_do_not(client: TestClient) -> None:
    api = client.get("/v1/me")
    docs = client.get("/docs")

    assert (
        api.headers["content-security-policy"]
        == "default-src 'none'; frame-ancestors 'none'; sandbox"
    )
    assert "content-security-policy" not in docs.headers
    assert docs.headers["x-content-type-options"] == "nosniff"
