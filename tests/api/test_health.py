"""Probes and metrics for operators."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from api.app import create_app
from models.cluster import free_port
from models.settings import Settings


def test_healthz_answers_while_alive(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}


def test_readyz_reports_each_check(client: TestClient) -> None:
    response = client.get("/readyz")

    assert response.status_code == 200
    checks = {check["name"]: check["ok"] for check in response.json()["checks"]}
    assert checks == {"database": True, "postgis": True, "migrations": True}


def test_readyz_is_503_when_the_database_is_unreachable(tmp_path: Path) -> None:
    settings = Settings(
        database_url=f"postgresql://nobody:x@127.0.0.1:{free_port()}/none",
        data_dir=tmp_path,
        secret_key="k" * 32,
    )
    with TestClient(create_app(settings)) as client:
        response = client.get("/readyz")

    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"].startswith("database: unreachable")


def test_readyz_is_503_when_migrations_are_behind(make_database: object, tmp_path: Path) -> None:
    url = make_database()  # type: ignore[operator]
    settings = Settings(database_url=url, data_dir=tmp_path, secret_key="k" * 32)
    with TestClient(create_app(settings)) as client:
        response = client.get("/readyz")

    assert response.status_code == 503
    failed = {check["name"] for check in response.json()["checks"] if not check["ok"]}
    assert failed == {"postgis", "migrations"}


def test_request_id_is_returned_and_propagated(client: TestClient) -> None:
    fresh = client.get("/healthz").headers["x-request-id"]
    given = "a" * 32

    echoed = client.get("/healthz", headers={"X-Request-ID": given}).headers["x-request-id"]

    assert len(fresh) == 32
    assert echoed == given


def test_metrics_count_requests_by_route(client: TestClient) -> None:
    client.get("/healthz")
    client.get("/healthz")

    metrics = client.get("/metrics").text

    assert 'http_requests_total{handler="/healthz",method="GET",status="2xx"} 2.0' in metrics
    assert 'http_request_duration_seconds_bucket{handler="/healthz"' in metrics
