"""Every error is RFC 9457 problem+json with a stable type."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

PREFIX = "urn:fieldsales:problem:"


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status", "kind"),
    [
        ("GET", "/no/such/path", {}, 404, "not-found"),
        ("DELETE", "/healthz", {}, 405, "method-not-allowed"),
        ("GET", "/v1/me", {}, 401, "unauthorized"),
        (
            "POST",
            "/v1/auth/refresh",
            {"content": b'{"refresh_token": ', "headers": {"Content-Type": "application/json"}},
            400,
            "malformed-json",
        ),
        ("POST", "/v1/auth/refresh", {"json": {"refresh_token": 42}}, 422, "validation-error"),
        ("POST", "/v1/auth/refresh", {"json": {}}, 422, "validation-error"),
        ("POST", "/v1/auth/token", {"data": {"username": "x"}}, 422, "validation-error"),
    ],
)
def test_errors_are_problem_json(
    client: TestClient, method: str, path: str, kwargs: dict[str, object], status: int, kind: str
) -> None:
    response = client.request(method, path, **kwargs)  # type: ignore[arg-type]

    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == PREFIX + kind
    assert body["status"] == status
    assert body["title"]
    assert body["instance"] == path
    assert body["request_id"] == response.headers["x-request-id"]


def test_validation_error_points_at_the_field(client: TestClient) -> None:
    response = client.post("/v1/auth/refresh", json={"refresh_token": 42})

    assert [e["loc"] for e in response.json()["errors"]] == [["body", "refresh_token"]]


def test_unexpected_error_is_a_problem_without_internals(app: FastAPI) -> None:
    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret internal detail")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/boom")

    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == PREFIX + "internal-error"
    assert "secret" not in response.text
