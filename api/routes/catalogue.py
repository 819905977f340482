"""Catalogue: brands, categories, SKUs and their reference pack images."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, UploadFile

from api.deps import Admin, CurrentUser, SessionDep, SettingsDep, StoreDep
from api.problems import problem_responses
from models import catalogue
from models.catalogue import (
    BrandCreate,
    BrandPublic,
    CategoryCreate,
    CategoryPublic,
    SkuCreate,
    SkuFilters,
    SkuImagePublic,
    SkuPublic,
    SkuUpdate,
)
from models.errors import Invalid
from models.images import CONTENT_TYPES
from models.pagination import MAX_LIMIT, Page, decode_cursor, paginate

router = APIRouter(prefix="/v1", tags=["catalogue"])


Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]


def _after(cursor: str | None) -> str | None:
    """The code a cursor says the last page ended at."""
    if cursor is None:
        return None
    code = decode_cursor(cursor, ("code",))["code"]
    if not isinstance(code, str):
        raise Invalid("The cursor is not one this endpoint issued.")
    return code


def _by_code(row: BrandPublic | CategoryPublic | SkuPublic) -> dict[str, Any]:
    return {"code": row.code}


@router.get("/brands", response_model=Page[BrandPublic], responses=problem_responses(401, 422))
def list_brands(
    _: CurrentUser, session: SessionDep, cursor: str | None = None, limit: Limit = 100
) -> Page[BrandPublic]:
    """Brands, ours and competitors', in code order."""
    items = catalogue.list_brands(session, after=_after(cursor), limit=limit + 1)
    return paginate(items, limit, _by_code)


@router.post(
    "/brands",
    status_code=201,
    response_model=BrandPublic,
    responses=problem_responses(401, 403, 409, 422),
)
def create_brand(body: BrandCreate, _: Admin, session: SessionDep) -> BrandPublic:
    """Add a brand; `own` tells ours from competitors'."""
    return catalogue.create_brand(session, body)


@router.get(
    "/categories", response_model=Page[CategoryPublic], responses=problem_responses(401, 422)
)
def list_categories(
    _: CurrentUser, session: SessionDep, cursor: str | None = None, limit: Limit = 100
) -> Page[CategoryPublic]:
    """Product categories in code order."""
    items = catalogue.list_categories(session, after=_after(cursor), limit=limit + 1)
    return paginate(items, limit, _by_code)


@router.post(
    "/categories",
    status_code=201,
    response_model=CategoryPublic,
    responses=problem_responses(401, 403, 409, 422),
)
def create_category(body: CategoryCreate, _: Admin, session: SessionDep) -> CategoryPublic:
    """Add a product category."""
    return catalogue.create_category(session, body)


@router.get("/skus", response_model=Page[SkuPublic], responses=problem_responses(401, 422))
def list_skus(
    _: CurrentUser,
    session: SessionDep,
    filters: Annotated[SkuFilters, Query()],
    cursor: str | None = None,
    limit: Limit = 100,
) -> Page[SkuPublic]:
    """SKUs in code order, by brand, category, own or competitor brand, text and status."""
    items = catalogue.list_skus(session, filters, after=_after(cursor), limit=limit + 1)
    return paginate(items, limit, _by_code)


@router.post(
    "/skus",
    status_code=201,
    response_model=SkuPublic,
    responses=problem_responses(401, 403, 409, 422),
)
def create_sku(body: SkuCreate, _: Admin, session: SessionDep) -> SkuPublic:
    """Add an SKU; its EAN/GTIN must carry a valid check digit."""
    return catalogue.create_sku(session, body)


@router.get("/skus/{sku_id}", response_model=SkuPublic, responses=problem_responses(401, 404))
def get_sku(sku_id: uuid.UUID, _: CurrentUser, session: SessionDep) -> SkuPublic:
    """One SKU."""
    return SkuPublic.model_validate(catalogue.get_sku(session, sku_id))


@router.patch(
    "/skus/{sku_id}",
    response_model=SkuPublic,
    responses=problem_responses(401, 403, 404, 409, 422),
)
def update_sku(sku_id: uuid.UUID, body: SkuUpdate, _: Admin, session: SessionDep) -> SkuPublic:
    """Change an SKU's fields; only those sent change."""
    return catalogue.update_sku(session, sku_id, body)


@router.get(
    "/skus/{sku_id}/images",
    response_model=list[SkuImagePublic],
    responses=problem_responses(401, 404),
)
def list_sku_images(sku_id: uuid.UUID, _: CurrentUser, session: SessionDep) -> list[SkuImagePublic]:
    """An SKU's reference pack images, oldest first."""
    return catalogue.list_sku_images(session, sku_id)


@router.post(
    "/skus/{sku_id}/images",
    status_code=201,
    response_model=SkuImagePublic,
    responses={
        200: {"model": SkuImagePublic, "description": "These bytes were already kept."},
        **problem_responses(401, 403, 404, 413, 415, 422, 503),
    },
)
def upload_sku_image(
    sku_id: uuid.UUID,
    file: UploadFile,
    response: Response,
    _: Admin,
    session: SessionDep,
    settings: SettingsDep,
    store: StoreDep,
) -> SkuImagePublic:
    """Add a reference pack image (JPEG, PNG or WebP) for shelf recognition; repeats are 200."""
    # One byte past the limit is enough to refuse; the rest never enters memory.
    data = file.file.read(settings.max_upload_bytes + 1)
    image, created = catalogue.add_sku_image(
        session, store, sku_id, data, max_bytes=settings.max_upload_bytes
    )
    if not created:
        response.status_code = 200
    return image


@router.get(
    "/skus/{sku_id}/images/{image_id}",
    response_class=Response,
    responses={
        200: {
            "content": {content_type: {} for content_type in CONTENT_TYPES.values()},
            "description": "The image as uploaded.",
        },
        **problem_responses(401, 404, 503),
    },
)
def get_sku_image(
    sku_id: uuid.UUID, image_id: uuid.UUID, _: CurrentUser, session: SessionDep, store: StoreDep
) -> Response:
    """The bytes of one reference pack image."""
    image, data = catalogue.sku_image_bytes(session, store, sku_id, image_id)
    # An image id never names other bytes, so clients may keep it as long as they like.
    headers = {"ETag": f'"{image.sha256}"', "Cache-Control": "private, max-age=31536000, immutable"}
    return Response(data, media_type=image.content_type, headers=headers)
