"""Catalogue endpoints: brands, categories, SKUs and their reference pack images."""

from __future__ import annotations

import errno
import hashlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, col, func, select

from models.catalogue import Sku, SkuCreate, SkuImage
from models.settings import Settings
from models.storage import make_store
from models.users import Role
from tests.factories.catalogue import (
    S3_REGION,
    S3Server,
    create_brand,
    create_category,
    create_sku,
    image_bytes,
    moto_s3,
    noise_image,
    png_header,
)
from tests.factories.users import create_user, sign_in

PROBLEM = "urn:fieldsales:problem:"
MAX_UPLOAD = 64 * 1024
PNG = image_bytes("PNG")
SOME_ID = uuid.uuid4()
# Digits to str.isdigit, yet not the ASCII digits a barcode holds.
FULLWIDTH_EAN = "".join(chr(0xFF10 + int(d)) for d in "4006381333931")


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"max_upload_bytes": MAX_UPLOAD})


@pytest.fixture
def admin(client: TestClient, session: Session) -> dict[str, str]:
    return sign_in(client, create_user(session, role=Role.admin))


@pytest.fixture
def rep(client: TestClient, session: Session) -> dict[str, str]:
    return sign_in(client, create_user(session, role=Role.rep))


def stored_files(settings: Settings) -> list[Path]:
    root = Path(settings.photo_store_url)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def image_rows(session: Session) -> int:
    return session.exec(select(func.count()).select_from(SkuImage)).one()


def upload(client: TestClient, headers: dict[str, str], sku_id: uuid.UUID, data: bytes) -> Any:
    files = {"file": ("pack.bin", data, "application/octet-stream")}
    return client.post(f"/v1/skus/{sku_id}/images", files=files, headers=headers)


def sku_body(brand_id: uuid.UUID, category_id: uuid.UUID, **fields: Any) -> dict[str, Any]:
    body = {"code": "COLA-330", "name": "Cola 330 ml can", "brand_id": str(brand_id)}
    return body | {"category_id": str(category_id), "pack_size": "330 ml"} | fields


# --- who may call what -------------------------------------------------------------------

ENDPOINTS = [
    ("GET", "/v1/brands", False),
    ("POST", "/v1/brands", True),
    ("GET", "/v1/categories", False),
    ("POST", "/v1/categories", True),
    ("GET", "/v1/skus", False),
    ("POST", "/v1/skus", True),
    ("GET", f"/v1/skus/{SOME_ID}", False),
    ("PATCH", f"/v1/skus/{SOME_ID}", True),
    ("GET", f"/v1/skus/{SOME_ID}/images", False),
    ("POST", f"/v1/skus/{SOME_ID}/images", True),
    ("GET", f"/v1/skus/{SOME_ID}/images/{SOME_ID}", False),
]


@pytest.mark.parametrize(("method", "path", "write"), ENDPOINTS)
def test_anonymous_caller_is_refused(
    client: TestClient, method: str, path: str, write: bool
) -> None:
    response = client.request(method, path)

    assert (response.status_code, response.json()["type"]) == (401, PROBLEM + "unauthorized")


@pytest.mark.parametrize(("method", "path"), [(m, p) for m, p, write in ENDPOINTS if write])
def test_rep_may_not_write(client: TestClient, rep: dict[str, str], method: str, path: str) -> None:
    response = client.request(method, path, headers=rep, json={})

    assert (response.status_code, response.json()["type"]) == (403, PROBLEM + "forbidden")


@pytest.mark.parametrize("role", [Role.rep, Role.manager, Role.planner])
def test_every_signed_in_role_reads_the_catalogue(
    client: TestClient, session: Session, settings: Settings, role: Role
) -> None:
    sku = create_sku(session, code="READ-1")
    headers = sign_in(client, create_user(session, role=role))

    response = client.get("/v1/skus", headers=headers)

    assert [item["id"] for item in response.json()["items"]] == [str(sku.id)]


# --- brands and categories ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/brands", {"code": "ACME", "name": "Acme", "own": True}),
        ("/v1/brands", {"code": "RIVAL", "name": "Rival"}),
        ("/v1/categories", {"code": "SOFT", "name": "Soft drinks"}),
    ],
)
def test_admin_adds_and_anyone_lists(
    client: TestClient, admin: dict[str, str], rep: dict[str, str], path: str, body: dict[str, Any]
) -> None:
    created = client.post(path, json=body, headers=admin)

    assert created.status_code == 201, created.text
    assert created.json().items() >= body.items()
    assert client.get(path, headers=rep).json() == {"items": [created.json()], "next_cursor": None}


@pytest.mark.parametrize(
    ("path", "body", "loc"),
    [
        ("/v1/brands", {"name": "No code"}, ["body", "code"]),
        ("/v1/brands", {"code": "", "name": "Empty code"}, ["body", "code"]),
        ("/v1/brands", {"code": "X" * 65, "name": "Long code"}, ["body", "code"]),
        ("/v1/brands", {"code": "B", "name": "N", "own": "maybe"}, ["body", "own"]),
        ("/v1/categories", {"code": "C"}, ["body", "name"]),
    ],
)
def test_invalid_brand_or_category_points_at_the_field(
    client: TestClient, admin: dict[str, str], path: str, body: dict[str, Any], loc: list[str]
) -> None:
    response = client.post(path, json=body, headers=admin)

    assert response.status_code == 422
    assert [e["loc"] for e in response.json()["errors"]] == [loc]


# --- SKUs ---------------------------------------------------------------------------------


def test_sku_round_trip(client: TestClient, session: Session, admin: dict[str, str]) -> None:
    brand, category = create_brand(session, own=True), create_category(session)
    body = sku_body(brand.id, category.id, ean="4006381333931", rrp="1.25", active=False)

    created = client.post("/v1/skus", json=body, headers=admin)
    fetched = client.get(f"/v1/skus/{created.json()['id']}", headers=admin)

    assert created.status_code == 201, created.text
    assert fetched.json() == created.json()
    assert created.json().items() >= body.items()


def test_unknown_sku_is_not_found(client: TestClient, admin: dict[str, str]) -> None:
    response = client.get(f"/v1/skus/{uuid.uuid4()}", headers=admin)

    assert (response.status_code, response.json()["type"]) == (404, PROBLEM + "not-found")


@pytest.mark.parametrize(
    ("ean", "error"),
    [
        ("96385074", None),
        ("12345670", None),
        ("036000291452", None),
        ("4006381333931", None),
        ("5901234123457", None),
        ("0036000291452", None),
        ("10012345678902", None),
        ("00614141000036", None),
        ("96385075", "gtin_check_digit"),
        ("036000291453", "gtin_check_digit"),
        ("4006381333932", "gtin_check_digit"),
        ("10012345678900", "gtin_check_digit"),
        ("", "gtin_format"),
        ("1234567", "gtin_format"),
        ("123456789", "gtin_format"),
        ("12345678901", "gtin_format"),
        ("123456789012345", "gtin_format"),
        ("400638133393A", "gtin_format"),
        (" 4006381333931", "gtin_format"),
        (FULLWIDTH_EAN, "gtin_format"),
        ("-4006381333931", "gtin_format"),
    ],
)
def test_ean_check_digit_is_checked(ean: str, error: str | None) -> None:
    # The rule itself, without HTTP: each length valid and with a wrong digit, and non-GTINs.
    assert _ean_errors(ean) == ([(("ean",), error)] if error else [])


def _ean_errors(ean: str) -> list[tuple[tuple[str | int, ...], str]]:
    body = {"code": "C", "name": "N", "brand_id": SOME_ID, "category_id": SOME_ID, "ean": ean}
    try:
        SkuCreate.model_validate(body)
    except ValidationError as exc:
        return [(e["loc"], e["type"]) for e in exc.errors()]
    return []


@pytest.mark.parametrize(
    ("ean", "status", "error"),
    [
        ("036000291452", 201, None),
        ("036000291453", 422, "gtin_check_digit"),
        ("03600029145", 422, "gtin_format"),
    ],
)
def test_sku_ean_is_checked_at_the_door(
    client: TestClient,
    session: Session,
    admin: dict[str, str],
    ean: str,
    status: int,
    error: str | None,
) -> None:
    brand, category = create_brand(session), create_category(session)

    response = client.post("/v1/skus", json=sku_body(brand.id, category.id, ean=ean), headers=admin)

    assert response.status_code == status
    errors = response.json().get("errors", [])
    assert [(e["loc"], e["type"]) for e in errors] == ([(["body", "ean"], error)] if error else [])


def test_wrong_check_digit_says_so(
    client: TestClient, session: Session, admin: dict[str, str]
) -> None:
    brand, category = create_brand(session), create_category(session)

    response = client.post(
        "/v1/skus", json=sku_body(brand.id, category.id, ean="4006381333932"), headers=admin
    )

    assert response.json()["errors"][0]["msg"] == (
        "The check digit is wrong: it is 2, the other digits make it 1."
    )


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ("brand_id", "There is no brand {}."),
        ("category_id", "There is no category {}."),
    ],
)
def test_unknown_brand_or_category_is_invalid(
    client: TestClient, session: Session, admin: dict[str, str], field: str, message: str
) -> None:
    brand, category = create_brand(session), create_category(session)
    missing = uuid.uuid4()
    body = sku_body(brand.id, category.id) | {field: str(missing)}

    response = client.post("/v1/skus", json=body, headers=admin)

    assert response.status_code == 422
    assert response.json()["detail"] == message.format(missing)
    assert [e["loc"] for e in response.json()["errors"]] == [["body", field]]
    assert session.exec(select(func.count()).select_from(Sku)).one() == 0


@pytest.mark.parametrize(
    ("method", "path", "body", "detail"),
    [
        ("POST", "/v1/brands", {"code": "TAKEN", "name": "B"}, "A brand with code 'TAKEN'"),
        ("POST", "/v1/categories", {"code": "TAKEN", "name": "C"}, "A category with code 'TAKEN'"),
        ("POST", "/v1/skus", {"code": "TAKEN"}, "An SKU with code 'TAKEN'"),
        ("POST", "/v1/skus", {"ean": "4006381333931"}, "An SKU with EAN '4006381333931'"),
        ("PATCH", "/v1/skus/{other}", {"code": "TAKEN"}, "An SKU with code 'TAKEN'"),
        ("PATCH", "/v1/skus/{other}", {"ean": "4006381333931"}, "An SKU with EAN"),
    ],
)
def test_duplicates_conflict(
    client: TestClient,
    session: Session,
    admin: dict[str, str],
    method: str,
    path: str,
    body: dict[str, Any],
    detail: str,
) -> None:
    brand = create_brand(session, code="TAKEN")
    category = create_category(session, code="TAKEN")
    create_sku(session, code="TAKEN", brand=brand, category=category, ean="4006381333931")
    other = create_sku(session, code="OTHER", brand=brand, category=category)
    if path == "/v1/skus":
        body = sku_body(brand.id, category.id, code="NEW") | body

    response = client.request(method, path.format(other=other.id), json=body, headers=admin)

    assert (response.status_code, response.json()["type"]) == (409, PROBLEM + "conflict")
    assert response.json()["detail"].startswith(detail)
    assert client.get(f"/v1/skus/{other.id}", headers=admin).json()["code"] == "OTHER"


def test_patch_changes_only_what_is_sent(
    client: TestClient, session: Session, admin: dict[str, str]
) -> None:
    sku = create_sku(session, code="P-1", name="Before", ean="96385074")
    brand = create_brand(session)
    before = client.get(f"/v1/skus/{sku.id}", headers=admin).json()

    response = client.patch(
        f"/v1/skus/{sku.id}",
        json={"name": "After", "brand_id": str(brand.id), "ean": None, "rrp": "2.50"},
        headers=admin,
    )

    assert response.status_code == 200, response.text
    changed = {"name": "After", "brand_id": str(brand.id), "ean": None, "rrp": "2.50"}
    assert response.json() == before | changed


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"name": None}, ["body", "name"]),
        ({"code": None}, ["body", "code"]),
        ({"active": None}, ["body", "active"]),
        ({"brand_id": None}, ["body", "brand_id"]),
        ({"ean": "96385075"}, ["body", "ean"]),
        ({"rrp": "-1"}, ["body", "rrp"]),
        ({"rrp": "1.005"}, ["body", "rrp"]),
    ],
)
def test_patch_refuses_nulls_and_bad_values(
    client: TestClient,
    session: Session,
    admin: dict[str, str],
    body: dict[str, Any],
    loc: list[str],
) -> None:
    sku = create_sku(session)

    response = client.patch(f"/v1/skus/{sku.id}", json=body, headers=admin)

    assert response.status_code == 422
    assert [e["loc"] for e in response.json()["errors"]] == [loc]


def test_patch_to_an_unknown_brand_is_invalid(
    client: TestClient, session: Session, admin: dict[str, str]
) -> None:
    sku = create_sku(session)

    response = client.patch(
        f"/v1/skus/{sku.id}", json={"brand_id": str(uuid.uuid4())}, headers=admin
    )

    assert response.status_code == 422
    assert [e["loc"] for e in response.json()["errors"]] == [["body", "brand_id"]]


# --- listing: filters and pages ------------------------------------------------------------


@pytest.fixture
def shelf(session: Session) -> dict[str, uuid.UUID]:
    """Two brands (ours, a rival's), two categories, five SKUs."""
    ours, rival = create_brand(session, own=True), create_brand(session, own=False)
    drinks, snacks = create_category(session), create_category(session)
    for code, name, brand, category, active in [
        ("D1", "Cola 330ml", ours, drinks, True),
        ("D2", "Cola Zero 1.5L", ours, drinks, False),
        ("D3", "Rival COLA 330ml", rival, drinks, True),
        ("S1", "Crisps 100% salted", ours, snacks, True),
        ("S2", "Rival crisps", rival, snacks, True),
    ]:
        create_sku(session, code=code, name=name, brand=brand, category=category, active=active)
    return {"ours": ours.id, "rival": rival.id, "drinks": drinks.id, "snacks": snacks.id}


@pytest.mark.parametrize(
    ("query", "codes"),
    [
        ({}, ["D1", "D2", "D3", "S1", "S2"]),
        ({"brand_id": "ours"}, ["D1", "D2", "S1"]),
        ({"category_id": "snacks"}, ["S1", "S2"]),
        ({"own": "true"}, ["D1", "D2", "S1"]),
        ({"own": "false"}, ["D3", "S2"]),
        ({"active": "false"}, ["D2"]),
        ({"q": "cola"}, ["D1", "D2", "D3"]),
        ({"q": "ZERO"}, ["D2"]),
        ({"q": "s1"}, ["S1"]),
        ({"q": "100%"}, ["S1"]),
        ({"q": "%"}, ["S1"]),
        ({"q": "_"}, []),
        ({"q": "cola", "own": "false"}, ["D3"]),
        ({"category_id": "drinks", "active": "true", "brand_id": "ours"}, ["D1"]),
        ({"brand_id": "rival", "category_id": "snacks", "q": "crisps"}, ["S2"]),
    ],
)
def test_sku_filters(
    client: TestClient,
    rep: dict[str, str],
    shelf: dict[str, uuid.UUID],
    query: dict[str, str],
    codes: list[str],
) -> None:
    params = {k: str(shelf.get(v, v)) for k, v in query.items()}

    response = client.get("/v1/skus", params=params, headers=rep)

    assert [item["code"] for item in response.json()["items"]] == codes


@pytest.mark.parametrize(
    ("params", "loc"),
    [
        ({"limit": "0"}, ["query", "limit"]),
        ({"limit": "501"}, ["query", "limit"]),
        ({"brand_id": "not-a-uuid"}, ["query", "brand_id"]),
        ({"own": "perhaps"}, ["query", "own"]),
        ({"q": ""}, ["query", "q"]),
    ],
)
def test_bad_list_parameters_are_invalid(
    client: TestClient, rep: dict[str, str], params: dict[str, str], loc: list[str]
) -> None:
    response = client.get("/v1/skus", params=params, headers=rep)

    assert response.status_code == 422
    assert [e["loc"] for e in response.json()["errors"]] == [loc]


@pytest.mark.parametrize(
    ("path", "cursor"),
    [
        ("/v1/brands", "not-base64!"),
        ("/v1/categories", "e30"),
        ("/v1/skus", "eyJjb2RlIjoxfQ"),
        ("/v1/skus", "eyJpZCI6IngifQ"),
    ],
    ids=["garbage", "empty-key", "number-code", "other-field"],
)
def test_foreign_cursor_is_invalid(
    client: TestClient, rep: dict[str, str], path: str, cursor: str
) -> None:
    response = client.get(path, params={"cursor": cursor}, headers=rep)

    assert (response.status_code, response.json()["detail"]) == (
        422,
        "The cursor is not one this endpoint issued.",
    )


def _all_pages(
    client: TestClient, headers: dict[str, str], path: str, params: dict[str, str]
) -> Iterator[list[str]]:
    cursor: str | None = None
    while True:
        page = client.get(
            path, params=params | ({"cursor": cursor} if cursor else {}), headers=headers
        )
        assert page.status_code == 200, page.text
        yield [item["code"] for item in page.json()["items"]]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            return


@pytest.mark.parametrize(
    ("path", "make"),
    [
        ("/v1/brands", lambda s, code: create_brand(s, code=code)),
        ("/v1/categories", lambda s, code: create_category(s, code=code)),
        ("/v1/skus", lambda s, code: create_sku(s, code=code)),
    ],
)
def test_pages_cover_everything_once(
    client: TestClient, session: Session, rep: dict[str, str], path: str, make: Any
) -> None:
    codes = ["k-07", "A-01", "a-02", "Z-9", "b_03", "M-5", "m-50"]
    for code in codes:
        make(session, code)
    everything = [item["code"] for item in client.get(path, headers=rep).json()["items"]]

    pages = list(_all_pages(client, rep, path, {"limit": "3"}))

    assert [len(page) for page in pages] == [3, 3, 1]
    assert [code for page in pages for code in page] == everything
    assert sorted(everything) == sorted(codes)


def test_pages_keep_the_filter(
    client: TestClient, rep: dict[str, str], shelf: dict[str, uuid.UUID]
) -> None:
    pages = list(_all_pages(client, rep, "/v1/skus", {"limit": "1", "own": "true"}))

    assert pages == [["D1"], ["D2"], ["S1"]]


def test_exactly_full_last_page_has_no_cursor(
    client: TestClient, session: Session, rep: dict[str, str]
) -> None:
    for code in ("A", "B"):
        create_brand(session, code=code)

    response = client.get("/v1/brands", params={"limit": "2"}, headers=rep)

    assert response.json()["next_cursor"] is None


# --- reference images ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("image_format", "content_type", "extension"),
    [("PNG", "image/png", "png"), ("JPEG", "image/jpeg", "jpg"), ("WEBP", "image/webp", "webp")],
)
def test_upload_keeps_the_image(
    client: TestClient,
    session: Session,
    settings: Settings,
    admin: dict[str, str],
    rep: dict[str, str],
    image_format: str,
    content_type: str,
    extension: str,
) -> None:
    sku = create_sku(session)
    data = image_bytes(image_format, (64, 48))

    response = upload(client, admin, sku.id, data)

    assert response.status_code == 201, response.text
    image = response.json()
    assert image | {"id": None, "created_at": None} == {
        "id": None,
        "sku_id": str(sku.id),
        "content_type": content_type,
        "width": 64,
        "height": 48,
        "sha256": hashlib.sha256(data).hexdigest(),
        "created_at": None,
    }
    root = Path(settings.photo_store_url)
    assert stored_files(settings) == [root / f"sku-images/{sku.id}/{image['id']}.{extension}"]
    assert client.get(f"/v1/skus/{sku.id}/images", headers=rep).json() == [image]
    fetched = client.get(f"/v1/skus/{sku.id}/images/{image['id']}", headers=rep)
    assert (fetched.content, fetched.headers["content-type"]) == (data, content_type)


def test_same_bytes_again_return_the_same_image(
    client: TestClient, session: Session, settings: Settings, admin: dict[str, str]
) -> None:
    sku = create_sku(session)
    first = upload(client, admin, sku.id, PNG)

    again = upload(client, admin, sku.id, PNG)

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert (len(stored_files(settings)), image_rows(session)) == (1, 1)


def test_same_bytes_for_another_sku_are_another_image(
    client: TestClient, session: Session, settings: Settings, admin: dict[str, str]
) -> None:
    one, two = create_sku(session), create_sku(session)

    responses = [upload(client, admin, sku.id, PNG) for sku in (one, two)]

    assert [r.status_code for r in responses] == [201, 201]
    assert (len(stored_files(settings)), image_rows(session)) == (2, 2)


@pytest.mark.parametrize(
    ("data", "status", "kind"),
    [
        (b"", 415, "not-an-image"),
        (b"GIF89a and then nothing", 415, "not-an-image"),
        (image_bytes("GIF"), 415, "not-an-image"),
        (PNG[: len(PNG) // 2], 422, "truncated-image"),
        (image_bytes("JPEG", (640, 480))[:-200], 422, "truncated-image"),
        (png_header(30_000, 30_000), 422, "image-too-large"),
        (png_header(10_000, 6_000), 422, "image-too-large"),
        (noise_image("PNG", (200, 200)), 413, "payload-too-large"),
    ],
    ids=["empty", "text", "gif", "truncated-png", "truncated-jpeg", "bomb", "too-many-px", "big"],
)
def test_refused_upload_stores_nothing(
    client: TestClient,
    session: Session,
    settings: Settings,
    admin: dict[str, str],
    data: bytes,
    status: int,
    kind: str,
) -> None:
    sku = create_sku(session)

    response = upload(client, admin, sku.id, data)

    assert (response.status_code, response.json()["type"]) == (status, PROBLEM + kind)
    assert (stored_files(settings), image_rows(session)) == ([], 0)


def test_upload_without_a_file_is_invalid(
    client: TestClient, session: Session, admin: dict[str, str]
) -> None:
    sku = create_sku(session)

    response = client.post(f"/v1/skus/{sku.id}/images", data={"other": "x"}, headers=admin)

    assert response.status_code == 422
    assert [e["loc"] for e in response.json()["errors"]] == [["body", "file"]]


def test_upload_for_an_unknown_sku_stores_nothing(
    client: TestClient, settings: Settings, admin: dict[str, str]
) -> None:
    response = upload(client, admin, uuid.uuid4(), PNG)

    assert response.status_code == 404
    assert stored_files(settings) == []


def test_failed_insert_removes_the_stored_object(
    app: FastAPI,
    session: Session,
    settings: Settings,
    admin: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sku = create_sku(session)
    flush = session.flush

    def failing_flush(objects: Any = None) -> None:
        if any(isinstance(row, SkuImage) for row in session.new):
            raise OperationalError("INSERT INTO sku_image", {}, Exception("connection lost"))
        flush(objects)

    monkeypatch.setattr(session, "flush", failing_flush)
    with TestClient(app, raise_server_exceptions=False) as client:
        response = upload(client, admin, sku.id, PNG)

    # The database went away mid-request: try again shortly, and nothing was left behind.
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert response.json()["type"] == "urn:fieldsales:problem:unavailable"
    assert stored_files(settings) == []


@pytest.mark.parametrize("which", ["unknown-image", "another-skus-image"])
def test_image_of_another_sku_is_not_found(
    client: TestClient, session: Session, admin: dict[str, str], which: str
) -> None:
    mine, theirs = create_sku(session), create_sku(session)
    image_id = upload(client, admin, theirs.id, PNG).json()["id"]
    if which == "unknown-image":
        image_id = str(uuid.uuid4())

    response = client.get(f"/v1/skus/{mine.id}/images/{image_id}", headers=admin)

    assert response.status_code == 404


def test_images_of_an_unknown_sku_are_not_found(client: TestClient, admin: dict[str, str]) -> None:
    assert client.get(f"/v1/skus/{uuid.uuid4()}/images", headers=admin).status_code == 404


def test_stored_object_gone_is_not_found(
    client: TestClient, session: Session, settings: Settings, admin: dict[str, str]
) -> None:
    sku = create_sku(session)
    image = upload(client, admin, sku.id, PNG).json()
    for path in stored_files(settings):
        path.unlink()

    response = client.get(f"/v1/skus/{sku.id}/images/{image['id']}", headers=admin)

    assert response.status_code == 404


def test_full_disk_is_unavailable_with_retry_after(
    client: TestClient,
    session: Session,
    settings: Settings,
    admin: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sku = create_sku(session)

    def full_disk(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full_disk)

    response = upload(client, admin, sku.id, PNG)

    assert (response.status_code, response.json()["type"]) == (503, PROBLEM + "unavailable")
    assert response.headers["retry-after"] == "30"
    assert image_rows(session) == 0


# --- the same through S3 --------------------------------------------------------------------


@pytest.fixture(scope="session")
def s3() -> Iterator[S3Server]:
    with moto_s3() as server:
        yield server


class TestWithAnS3Store:
    @pytest.fixture
    def settings(self, settings: Settings, s3: S3Server) -> Settings:
        return settings.model_copy(
            update={
                "photo_store": s3.store_url(),
                "s3_endpoint_url": s3.endpoint_url,
                "s3_region": S3_REGION,
            }
        )

    def test_upload_lands_in_the_bucket(
        self, client: TestClient, session: Session, settings: Settings, admin: dict[str, str]
    ) -> None:
        sku = create_sku(session)

        response = upload(client, admin, sku.id, PNG)
        again = upload(client, admin, sku.id, PNG)

        assert (response.status_code, again.status_code) == (201, 200), response.text
        key = session.exec(
            select(SkuImage.storage_key).where(col(SkuImage.id) == uuid.UUID(response.json()["id"]))
        ).one()
        assert make_store(settings).get(key) == PNG
        fetched = client.get(f"/v1/skus/{sku.id}/images/{response.json()['id']}", headers=admin)
        assert (fetched.content, fetched.headers["content-type"]) == (PNG, "image/png")
