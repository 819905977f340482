"""POST /v1/imports/{kind}: who may import, how the file is sent, what comes back."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import Session

from api.routes import imports
from models.users import Role
from tests.factories.users import create_user, sign_in

DATA = Path(__file__).parents[1] / "imports" / "data"
OUTLETS = "code,name,channel,lon,lat\nA,Shop A,convenience,2.1,48.1\nB,Shop B,horeca,2.2,48.2\n"
TARGETS = "territory_code,sku_code,period,quantity\n"
CSV = {"Content-Type": "text/csv"}


def headers(client: TestClient, session: Session, role: Role) -> dict[str, str]:
    return sign_in(client, create_user(session, role=role))


def test_anonymous_caller_is_refused(client: TestClient) -> None:
    response = client.post("/v1/imports/outlets", content=OUTLETS, headers=CSV)

    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    ("role", "kind", "status"),
    [
        (Role.rep, "outlets", 403),
        (Role.manager, "targets", 403),
        (Role.planner, "territories", 403),
        (Role.planner, "skus", 403),
    ],
)
def test_roles_that_may_not_import_this_kind(
    client: TestClient, session: Session, role: Role, kind: str, status: int
) -> None:
    response = client.post(
        f"/v1/imports/{kind}", content=OUTLETS, headers=CSV | headers(client, session, role)
    )

    assert response.status_code == status
    assert response.json()["type"] == "urn:fieldsales:problem:forbidden"


def test_planner_imports_targets_as_a_raw_csv_body(client: TestClient, session: Session) -> None:
    admin = headers(client, session, Role.admin)
    client.post(
        "/v1/imports/territories",
        content=(DATA / "territories.geojson").read_bytes(),
        headers={"Content-Type": "application/geo+json"} | admin,
    )
    client.post(
        "/v1/imports/skus",
        content="code,name,brand_code,category_code,brand_name,category_name\nS1,C,B,C,B,C\n",
        headers=CSV | admin,
    )

    response = client.post(
        "/v1/imports/targets",
        content=TARGETS + "WEST,S1,2024-05,10\nEAST,S1,2024-05,20\n",
        headers={"Content-Type": "text/csv; charset=utf-8"}
        | headers(client, session, Role.planner),
    )

    assert response.status_code == 200, response.text
    assert response.json() == {
        "kind": "targets",
        "rows": 2,
        "inserted": 2,
        "updated": 0,
        "unchanged": 0,
        "assigned": 0,
        "created": {},
        "overlaps": [],
    }


def test_multipart_upload_of_outlets(client: TestClient, session: Session) -> None:
    response = client.post(
        "/v1/imports/outlets",
        files={"file": ("outlets.csv", (DATA / "outlets.csv").read_bytes(), "text/csv")},
        headers=headers(client, session, Role.planner),
    )

    assert response.status_code == 200, response.text
    assert response.json()["inserted"] == 5


def test_multipart_geojson_is_recognised_without_a_content_type(
    client: TestClient, session: Session
) -> None:
    response = client.post(
        "/v1/imports/outlets",
        files={"file": ("points", (DATA / "outlets.geojson").read_bytes(), "")},
        headers=headers(client, session, Role.admin),
    )

    assert response.status_code == 200, response.text
    assert response.json()["inserted"] == 2


def test_a_bad_row_is_a_422_and_nothing_is_applied(client: TestClient, session: Session) -> None:
    response = client.post(
        "/v1/imports/outlets",
        content=OUTLETS + "C,Shop C,kiosk,2.3,48.3\n",
        headers=CSV | headers(client, session, Role.admin),
    )

    body = response.json()
    assert response.status_code == 422
    assert body["type"] == "urn:fieldsales:problem:import-rejected"
    assert body["error_count"] == 1
    assert body["errors"][0] | {"reason": ""} == {"line": 4, "column": "channel", "reason": ""}
    outlets = session.execute(text("SELECT count(*) FROM outlet WHERE code IN ('A', 'B', 'C')"))
    assert outlets.scalar_one() == 0


@pytest.mark.parametrize(
    ("path", "request_headers", "status", "problem"),
    [
        ("/v1/imports/visits", CSV, 422, "validation-error"),
        ("/v1/imports/outlets", {"Content-Type": "application/pdf"}, 415, "unsupported-media-type"),
        (
            "/v1/imports/sales",
            {"Content-Type": "application/geo+json"},
            415,
            "unsupported-media-type",
        ),
    ],
)
def test_what_cannot_be_imported(
    client: TestClient,
    session: Session,
    path: str,
    request_headers: dict[str, str],
    status: int,
    problem: str,
) -> None:
    response = client.post(
        path,
        content=b'{"type": "FeatureCollection", "features": []}',
        headers=request_headers | headers(client, session, Role.admin),
    )

    assert response.status_code == status
    assert response.json()["type"] == f"urn:fieldsales:problem:{problem}"


def test_multipart_without_a_file_field(client: TestClient, session: Session) -> None:
    response = client.post(
        "/v1/imports/outlets",
        data={"other": "x"},
        files={"attachment": ("a.csv", OUTLETS.encode(), "text/csv")},
        headers=headers(client, session, Role.admin),
    )

    assert response.status_code == 422
    assert response.json()["detail"] == "Send the file in the multipart field 'file'."


def test_uploads_past_the_limit_are_refused(
    client: TestClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(imports, "MAX_UPLOAD_BYTES", 64)
    admin = headers(client, session, Role.admin)

    raw = client.post("/v1/imports/outlets", content=OUTLETS, headers=CSV | admin)
    chunked = client.post(
        "/v1/imports/outlets", content=iter([OUTLETS.encode()]), headers=CSV | admin
    )
    multipart = client.post(
        "/v1/imports/outlets",
        files={"file": ("o.csv", OUTLETS.encode(), "text/csv")},
        headers=admin,
    )

    assert "content-length" not in chunked.request.headers
    assert raw.status_code == chunked.status_code == multipart.status_code == 413
    assert raw.json()["type"] == "urn:fieldsales:problem:payload-too-large"
