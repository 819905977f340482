"""Bad input, one row per kind (the README's "Bad input" table): its status, its problem type,
and that nothing changed unless the row says what did."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import Session

from api import tokens
from models.base import utcnow
from models.settings import Settings
from models.territories import MAX_VERTICES
from tests.factories.catalogue import image_bytes, png_header
from tests.factories.geo import square
from tests.hardening.conftest import World, build_world

MAX_UPLOAD = 200_000
JPEG = image_bytes("JPEG", (640, 480))
NOW = datetime.now(UTC).replace(microsecond=0)
COUNTED = [
    "territory",
    "outlet",
    "brand",
    "sku",
    "visit",
    "audit",
    "sales_order",
    "photo",
    "target",
    "msl",
    "app_user",
    "procrastinate_jobs",
]


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"max_upload_bytes": MAX_UPLOAD})


@dataclass
class Ctx:
    client: TestClient
    world: World
    settings: Settings

    def headers(self, role: str) -> dict[str, str]:
        user = self.world.users[role]
        return {"Authorization": f"Bearer {tokens.issue(self.settings, user).access_token}"}

    def outlet(self, index: int = 0) -> str:
        """Outlets 0 (territory A: the rep's), 1 (B: the manager's), 2 (C: neither's)."""
        return str(self.world.ids["outlet_id"][index])

    def territory(self) -> str:
        return str(self.world.ids["territory_id"][0])

    def visit_url(self) -> str:
        return f"/v1/visits/{self.world.ids['visit_id'][0]}"


def check_in(ctx: Ctx, **overrides: Any) -> dict[str, Any]:
    payload = {
        "id": str(uuid.UUID(int=1)),
        "outlet_id": ctx.outlet(),
        "started_at": NOW.isoformat(),
        "location": {"lat": 48.2, "lon": 2.2, "accuracy_m": 10},
    }
    return payload | overrides


def token(ctx: Ctx, *, key: str | None = None, expires: timedelta = timedelta(minutes=5)) -> str:
    claims = {
        "sub": str(ctx.world.users["rep"].id),
        "role": "rep",
        "kind": "access",
        "exp": utcnow() + expires,
    }
    return jwt.encode(claims, key or ctx.settings.signing_key, algorithm=tokens.ALGORITHM)


def ring(vertices: int) -> dict[str, Any]:
    """A valid polygon (a many-sided figure around 2.25, 48.25) with this many vertices."""
    points = [
        [2.25 + 0.1 * (i % 2 - 0.5) * (1 + i / vertices), 48.25 + 0.1 * (i / vertices - 0.5)]
        for i in range(vertices - 1)
    ]
    return {"type": "Polygon", "coordinates": [[*points, points[0]]]}


def upload(data: bytes) -> Callable[[Ctx], dict[str, Any]]:
    def request(ctx: Ctx) -> dict[str, Any]:
        return {
            "method": "POST",
            "url": f"{ctx.visit_url()}/photos",
            "files": {"file": ("shelf.jpg", data, "image/jpeg")},
            "headers": ctx.headers("rep"),
        }

    return request


def post(
    url: str, role: str, body: Callable[[Ctx], Any], method: str = "POST"
) -> Callable[[Ctx], dict[str, Any]]:
    def request(ctx: Ctx) -> dict[str, Any]:
        return {"method": method, "url": url, "json": body(ctx), "headers": ctx.headers(role)}

    return request


def get(url: Callable[[Ctx], str], role: str = "rep") -> Callable[[Ctx], dict[str, Any]]:
    def request(ctx: Ctx) -> dict[str, Any]:
        return {"method": "GET", "url": url(ctx), "headers": ctx.headers(role)}

    return request


def raw(content: bytes, content_type: str = "application/json") -> Callable[[Ctx], dict[str, Any]]:
    def request(ctx: Ctx) -> dict[str, Any]:
        headers = ctx.headers("rep") | {"Content-Type": content_type}
        return {"method": "POST", "url": "/v1/visits", "content": content, "headers": headers}

    return request


def with_token(make: Callable[[Ctx], str]) -> Callable[[Ctx], dict[str, Any]]:
    def request(ctx: Ctx) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {make(ctx)}"}
        return {"method": "POST", "url": "/v1/visits", "json": check_in(ctx), "headers": headers}

    return request


def first_check_in(ctx: Ctx) -> None:
    response = ctx.client.post("/v1/visits", json=check_in(ctx), headers=ctx.headers("rep"))
    assert response.status_code == 201, response.text


@dataclass
class Row:
    case: str
    request: Callable[[Ctx], dict[str, Any]]
    status: int
    kind: str | None  # the problem type; None for a success
    changed: dict[str, int] = field(default_factory=dict)
    before: Callable[[Ctx], None] | None = None


ROWS = [
    Row("malformed JSON", raw(b'{"id": '), 400, "malformed-json"),
    Row("JSON that is not UTF-8", raw(b'{"id": "\xff\xfe"}'), 400, "malformed-json"),
    Row("a body that is not JSON", raw(b"id=1", "text/plain"), 422, "validation-error"),
    Row("missing fields", post("/v1/visits", "rep", lambda c: {}), 422, "validation-error"),
    Row(
        "wrong types",
        post("/v1/visits", "rep", lambda c: check_in(c, started_at="yesterday-ish")),
        422,
        "validation-error",
    ),
    Row(
        "unknown enum value",
        post("/v1/outlets", "admin", lambda c: {"code": "X", "name": "X", "channel": "moon"}),
        422,
        "validation-error",
    ),
    Row(
        "text with a NUL character",
        post("/v1/brands", "admin", lambda c: {"code": "B\u0000", "name": "Nul"}),
        422,
        "validation-error",
    ),
    Row(
        "JSON attributes with a NUL character",
        lambda c: post(
            f"/v1/outlets/{c.outlet()}", "admin", lambda c: {"attributes": {"a\u0000": 1}}, "PATCH"
        )(c),
        422,
        "validation-error",
    ),
    Row(
        "unknown fields are ignored",
        post("/v1/visits", "rep", lambda c: check_in(c, battery_pct=12)),
        201,
        None,
        changed={"visit": 1},
    ),
    Row(
        "latitude out of range",
        post("/v1/visits", "rep", lambda c: check_in(c, location={"lat": 91, "lon": 2.2})),
        422,
        "validation-error",
    ),
    Row(
        "longitude out of range in a boundary",
        post(
            "/v1/territories",
            "admin",
            lambda c: {"code": "X", "name": "X", "geometry": square(179.95, 48.0)},
        ),
        422,
        "validation-error",
    ),
    Row(
        "self-intersecting polygon",
        post(
            "/v1/territories",
            "admin",
            lambda c: {
                "code": "X",
                "name": "X",
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [[[2, 48], [2.1, 48.1], [2.1, 48], [2, 48.1], [2, 48]]],
                },
            },
        ),
        422,
        "validation-error",
    ),
    Row(
        "polygon with too many vertices",
        post(
            "/v1/territories",
            "admin",
            lambda c: {"code": "X", "name": "X", "geometry": ring(MAX_VERTICES + 1)},
        ),
        422,
        "validation-error",
    ),
    Row(
        "sync batch over 500 operations",
        post("/v1/sync", "rep", lambda c: {"operations": [check_in(c) | {"op": "check_in"}] * 501}),
        422,
        "validation-error",
    ),
    Row(
        "targets batch over 10,000 rows",
        post(
            "/v1/planning/targets",
            "planner",
            lambda c: {"targets": [{"period": "2026-01"}] * 10_001},
            method="PUT",
        ),
        422,
        "validation-error",
    ),
    Row("photo over the size limit", upload(b"\xff" * (MAX_UPLOAD + 1)), 413, "payload-too-large"),
    Row("photo that is not an image", upload(b"%PDF-1.7 pretending"), 415, "not-an-image"),
    Row("decompression bomb", upload(png_header(30_000, 30_000)), 422, "image-too-large"),
    Row("truncated photo", upload(JPEG[: len(JPEG) // 2]), 422, "truncated-image"),
    Row(
        "replayed id",
        post("/v1/visits", "rep", check_in),
        200,
        None,
        before=first_check_in,
    ),
    Row(
        "same id, different content",
        post("/v1/visits", "rep", lambda c: check_in(c, mock_location=True)),
        409,
        "conflict",
        before=first_check_in,
    ),
    Row("no token", lambda c: {"method": "GET", "url": "/v1/me"}, 401, "unauthorized"),
    Row(
        "expired token",
        with_token(lambda c: token(c, expires=timedelta(minutes=-1))),
        401,
        "unauthorized",
    ),
    Row(
        "token signed with another key",
        with_token(lambda c: token(c, key="not-our-signing-key-0123456789abcdef")),
        401,
        "unauthorized",
    ),
    Row(
        "another territory's outlet", get(lambda c: f"/v1/outlets/{c.outlet(2)}"), 404, "not-found"
    ),
    Row(
        "check-in at another territory's outlet",
        post("/v1/visits", "rep", lambda c: check_in(c, outlet_id=c.outlet(2))),
        404,
        "not-found",
    ),
    Row(
        "month out of range",
        get(
            lambda c: "/v1/planning/coverage?territory_id=" + c.outlet() + "&period=0000-01",
            "admin",
        ),
        422,
        "validation-error",
    ),
    Row(
        "day out of range",
        get(lambda c: "/v1/alerts?until=9999-12-31", "admin"),
        422,
        "validation-error",
    ),
    Row(
        "report window reaching before year 1",
        get(lambda c: "/v1/reports/shelf-share?from=0001-01-01", "admin"),
        422,
        "validation-error",
    ),
]


def row_counts(session: Session) -> dict[str, int]:
    counts = " UNION ALL ".join(f"SELECT '{t}', count(*) FROM {t}" for t in COUNTED)
    return {str(name): int(count) for name, count in session.execute(text(counts))}


@pytest.mark.parametrize("row", ROWS, ids=[row.case for row in ROWS])
def test_bad_input_gets_its_answer_and_changes_nothing(
    client: TestClient, session: Session, settings: Settings, row: Row
) -> None:
    ctx = Ctx(client, build_world(session), settings)
    if row.before:
        row.before(ctx)
    before = row_counts(session)

    response = client.request(**row.request(ctx))

    after = row_counts(session)
    assert response.status_code == row.status, response.text
    if row.kind is not None:
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["type"] == f"urn:fieldsales:problem:{row.kind}"
    assert {t: after[t] - before[t] for t in COUNTED if after[t] != before[t]} == row.changed
