"""The catalogue: brands (ours and competitors'), categories, SKUs and their pack images."""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, field_validator
from pydantic_core import PydanticCustomError
from sqlalchemy import Numeric, UniqueConstraint, func, or_
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel, col, select
from sqlmodel.sql.expression import SelectOfScalar

from models.base import TimestampedModel
from models.errors import Conflict, DomainError, Invalid, NotFound, Unavailable
from models.images import inspect_image
from models.storage import PhotoStore

T = TypeVar("T")
log = logging.getLogger("fieldsales.catalogue")


class Brand(TimestampedModel, table=True):
    __tablename__ = "brand"

    code: str = Field(unique=True, max_length=64)
    name: str = Field(max_length=200)
    own: bool = Field(default=False, description="Ours (true) or a competitor's (false).")


class Category(TimestampedModel, table=True):
    __tablename__ = "category"

    code: str = Field(unique=True, max_length=64)
    name: str = Field(max_length=200)


class Sku(TimestampedModel, table=True):
    __tablename__ = "sku"

    code: str = Field(unique=True, max_length=64)
    name: str = Field(max_length=200)
    brand_id: uuid.UUID = Field(foreign_key="brand.id", index=True, ondelete="RESTRICT")
    category_id: uuid.UUID = Field(foreign_key="category.id", index=True, ondelete="RESTRICT")
    pack_size: str = Field(default="", max_length=64)
    ean: str | None = Field(default=None, unique=True, max_length=14)
    rrp: Decimal | None = Field(default=None, sa_type=Numeric(12, 2))
    active: bool = True


class SkuImage(TimestampedModel, table=True):
    """A reference pack image: what shelf recognition matches product crops against."""

    __tablename__ = "sku_image"
    __table_args__ = (UniqueConstraint("sku_id", "sha256", name="uq_sku_image_sku_id_sha256"),)

    sku_id: uuid.UUID = Field(foreign_key="sku.id", index=True, ondelete="CASCADE")
    storage_key: str = Field(unique=True, max_length=400)
    content_type: str = Field(max_length=64)
    width: int
    height: int
    sha256: str = Field(max_length=64)


GTIN_LENGTHS = (8, 12, 13, 14)


def gtin_check_digit(body: str) -> int:
    """The GS1 mod-10 check digit for the other digits: weights 3, 1, 3, ... from the right."""
    total = sum(int(digit) * (3 - 2 * (i % 2)) for i, digit in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def _checked_gtin(value: str) -> str:
    if len(value) not in GTIN_LENGTHS or not value.isascii() or not value.isdigit():
        raise PydanticCustomError(
            "gtin_format", "An EAN/GTIN has 8, 12, 13 or 14 digits and nothing else."
        )
    expected = gtin_check_digit(value[:-1])
    if int(value[-1]) != expected:
        raise PydanticCustomError(
            "gtin_check_digit",
            "The check digit is wrong: it is {given}, the other digits make it {expected}.",
            {"given": int(value[-1]), "expected": expected},
        )
    return value


# EAN-8, UPC-A, EAN-13 or GTIN-14, kept as written on the pack.
Gtin = Annotated[str, AfterValidator(_checked_gtin)]


class BrandCreate(SQLModel):
    code: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=200)
    own: bool = Field(default=False, description="Ours (true) or a competitor's (false).")


class BrandPublic(BrandCreate):
    id: uuid.UUID
    created_at: datetime


class CategoryCreate(SQLModel):
    code: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=200)


class CategoryPublic(CategoryCreate):
    id: uuid.UUID
    created_at: datetime


class SkuFields(SQLModel):
    name: str = Field(min_length=1, max_length=200)
    brand_id: uuid.UUID
    category_id: uuid.UUID
    pack_size: str = Field(default="", max_length=64)
    ean: Gtin | None = None
    rrp: Decimal | None = Field(
        default=None, ge=0, max_digits=12, decimal_places=2, description="Recommended retail price."
    )
    active: bool = True


class SkuCreate(SkuFields):
    code: str = Field(min_length=1, max_length=64)


class SkuUpdate(SQLModel):
    """The fields to change; ``ean`` and ``rrp`` may be set to null, the others only left out."""

    code: str | None = Field(default=None, min_length=1, max_length=64)
    name: str | None = Field(default=None, min_length=1, max_length=200)
    brand_id: uuid.UUID | None = None
    category_id: uuid.UUID | None = None
    pack_size: str | None = Field(default=None, max_length=64)
    ean: Gtin | None = None
    rrp: Decimal | None = Field(default=None, ge=0, max_digits=12, decimal_places=2)
    active: bool | None = None

    @field_validator("code", "name", "brand_id", "category_id", "pack_size", "active")
    @classmethod
    def _not_null(cls, value: object) -> object:
        if value is None:
            raise ValueError("may be left out, but not null")
        return value


class SkuPublic(SQLModel):
    # Not SkuCreate: rows written before a rule tightened must still be readable.
    id: uuid.UUID
    code: str
    name: str
    brand_id: uuid.UUID
    category_id: uuid.UUID
    pack_size: str
    ean: str | None
    rrp: Decimal | None
    active: bool
    created_at: datetime


class SkuFilters(SQLModel):
    brand_id: uuid.UUID | None = None
    category_id: uuid.UUID | None = None
    own: bool | None = Field(default=None, description="Only our brands (true) or competitors'.")
    q: str | None = Field(
        default=None, min_length=1, max_length=200, description="Part of the name or code."
    )
    active: bool | None = None


class SkuImagePublic(SQLModel):
    id: uuid.UUID
    sku_id: uuid.UUID
    content_type: str
    width: int
    height: int
    sha256: str
    created_at: datetime


# What each constraint's violation tells the caller: the field at fault and why.
_REFUSALS: dict[str, tuple[type[DomainError], str, str]] = {
    "uq_brand_code": (Conflict, "code", "A brand with code {value!r} already exists."),
    "uq_category_code": (Conflict, "code", "A category with code {value!r} already exists."),
    "uq_sku_code": (Conflict, "code", "An SKU with code {value!r} already exists."),
    "uq_sku_ean": (Conflict, "ean", "An SKU with EAN {value!r} already exists."),
    "fk_sku_brand_id_brand": (Invalid, "brand_id", "There is no brand {value}."),
    "fk_sku_category_id_category": (Invalid, "category_id", "There is no category {value}."),
}


@contextmanager
def _constrained(session: Session, values: Mapping[str, Any]) -> Iterator[None]:
    """A savepoint whose unique and foreign-key violations come out as our errors.

    Only the database sees concurrent writes, so it is asked rather than checked first; the
    savepoint leaves the session usable after a refusal.
    """
    try:
        with session.begin_nested():
            yield
    except IntegrityError as exc:
        constraint = getattr(getattr(exc.orig, "diag", None), "constraint_name", None)
        if constraint not in _REFUSALS:
            raise
        error, field, message = _REFUSALS[constraint]
        detail = message.format(value=values.get(field))
        raise error(
            detail, errors=[{"loc": ["body", field], "msg": detail, "type": constraint}]
        ) from exc


def _after(statement: SelectOfScalar[T], code: Any, after: str | None) -> SelectOfScalar[T]:
    """Keyset pagination on the unique ``code``: its index serves both the order and the seek."""
    statement = statement.order_by(code)
    return statement if after is None else statement.where(code > after)


def list_brands(session: Session, *, after: str | None, limit: int) -> list[BrandPublic]:
    statement = _after(select(Brand), col(Brand.code), after).limit(limit)
    return [BrandPublic.model_validate(brand) for brand in session.exec(statement)]


def create_brand(session: Session, data: BrandCreate) -> BrandPublic:
    brand = Brand.model_validate(data)
    with _constrained(session, data.model_dump()):
        session.add(brand)
    return BrandPublic.model_validate(brand)


def list_categories(session: Session, *, after: str | None, limit: int) -> list[CategoryPublic]:
    statement = _after(select(Category), col(Category.code), after).limit(limit)
    return [CategoryPublic.model_validate(category) for category in session.exec(statement)]


def create_category(session: Session, data: CategoryCreate) -> CategoryPublic:
    category = Category.model_validate(data)
    with _constrained(session, data.model_dump()):
        session.add(category)
    return CategoryPublic.model_validate(category)


def list_skus(
    session: Session, filters: SkuFilters, *, after: str | None, limit: int
) -> list[SkuPublic]:
    """SKUs in code order after ``after``, narrowed by the filters given."""
    statement = _after(select(Sku), col(Sku.code), after).limit(limit)
    if filters.brand_id is not None:
        statement = statement.where(col(Sku.brand_id) == filters.brand_id)
    if filters.category_id is not None:
        statement = statement.where(col(Sku.category_id) == filters.category_id)
    if filters.own is not None:
        statement = statement.where(
            col(Sku.brand_id).in_(select(Brand.id).where(col(Brand.own) == filters.own))
        )
    if filters.active is not None:
        statement = statement.where(col(Sku.active) == filters.active)
    if filters.q is not None:
        # A scan: fine for a catalogue of thousands of SKUs; a trigram index would serve more.
        statement = statement.where(
            or_(
                col(Sku.name).icontains(filters.q, autoescape=True),
                col(Sku.code).icontains(filters.q, autoescape=True),
            )
        )
    return [SkuPublic.model_validate(sku) for sku in session.exec(statement)]


def get_sku(session: Session, sku_id: uuid.UUID) -> Sku:
    sku = session.get(Sku, sku_id)
    if sku is None:
        raise NotFound(f"No SKU {sku_id}.")
    return sku


def create_sku(session: Session, data: SkuCreate) -> SkuPublic:
    sku = Sku.model_validate(data)
    with _constrained(session, data.model_dump()):
        session.add(sku)
    return SkuPublic.model_validate(sku)


def update_sku(session: Session, sku_id: uuid.UUID, data: SkuUpdate) -> SkuPublic:
    sku = get_sku(session, sku_id)
    changes = data.model_dump(exclude_unset=True)
    # Changed inside the savepoint, so a refused change is flushed (and undone) there alone.
    with _constrained(session, changes):
        sku.sqlmodel_update(changes)
        session.add(sku)
    return SkuPublic.model_validate(sku)


def list_sku_images(session: Session, sku_id: uuid.UUID) -> list[SkuImagePublic]:
    get_sku(session, sku_id)
    statement = (
        select(SkuImage)
        .where(col(SkuImage.sku_id) == sku_id)
        .order_by(col(SkuImage.created_at), col(SkuImage.id))
    )
    return [SkuImagePublic.model_validate(image) for image in session.exec(statement)]


def add_sku_image(
    session: Session, store: PhotoStore, sku_id: uuid.UUID, data: bytes, *, max_bytes: int
) -> tuple[SkuImagePublic, bool]:
    """Keep a reference pack image of an SKU; the same bytes again return the image kept.

    Returns:
        The image, and whether it is new.
    """
    get_sku(session, sku_id)
    info = inspect_image(data, max_bytes=max_bytes)
    digest = hashlib.sha256(data).hexdigest()
    # No unique index on (sku_id, sha256) to fall back on: two identical uploads at once wait
    # for each other here until the first commits, and the second then finds its row.
    session.execute(select(func.pg_advisory_xact_lock(_lock_key(sku_id, digest))))
    existing = session.exec(
        select(SkuImage).where(col(SkuImage.sku_id) == sku_id, col(SkuImage.sha256) == digest)
    ).first()
    if existing is not None:
        return SkuImagePublic.model_validate(existing), False
    image_id = uuid.uuid4()
    image = SkuImage(
        id=image_id,
        sku_id=sku_id,
        storage_key=f"sku-images/{sku_id}/{image_id}.{info.extension}",
        content_type=info.content_type,
        width=info.width,
        height=info.height,
        sha256=digest,
    )
    store.put(image.storage_key, data, info.content_type)
    try:
        with session.begin_nested():
            session.add(image)
    except Exception:
        _discard(store, image.storage_key)
        raise
    return SkuImagePublic.model_validate(image), True


def _lock_key(sku_id: uuid.UUID, digest: str) -> int:
    """A signed 64-bit advisory lock key for one SKU's one image content."""
    raw = hashlib.sha256(sku_id.bytes + bytes.fromhex(digest)).digest()
    return int.from_bytes(raw[:8], "big", signed=True)


def _discard(store: PhotoStore, key: str) -> None:
    """Delete an object no row will point at; failing that, leave it to be swept, loudly."""
    try:
        store.delete(key)
    except Unavailable:
        log.exception("could not delete the orphaned stored object %s", key)


def sku_image_bytes(
    session: Session, store: PhotoStore, sku_id: uuid.UUID, image_id: uuid.UUID
) -> tuple[SkuImagePublic, bytes]:
    """One reference image of an SKU, with its bytes from the store."""
    image = session.get(SkuImage, image_id)
    if image is None or image.sku_id != sku_id:
        raise NotFound(f"SKU {sku_id} has no image {image_id}.")
    return SkuImagePublic.model_validate(image), store.get(image.storage_key)


@dataclass(frozen=True)
class ReferenceImage:
    """One reference pack image, as shelf recognition needs it."""

    sku: str  # the SKU's code: recognition answers codes, analyses are matched back by code
    brand: str  # the brand's code, likewise
    name: str
    own: bool
    storage_key: str
    content_type: str


def reference_images(session: Session) -> list[ReferenceImage]:
    """Every active SKU's reference images, in a stable order (the catalogue's fingerprint)."""
    # SQLAlchemy's own select: SQLModel's is typed for at most four columns.
    rows = session.execute(
        sa_select(
            col(Sku.code),
            col(Brand.code),
            col(Sku.name),
            col(Brand.own),
            col(SkuImage.storage_key),
            col(SkuImage.content_type),
        )
        .join(Brand, col(Brand.id) == col(Sku.brand_id))
        .join(SkuImage, col(SkuImage.sku_id) == col(Sku.id))
        .where(col(Sku.active))
        .order_by(col(Sku.code), col(SkuImage.created_at), col(SkuImage.id))
    )
    return [ReferenceImage(*row) for row in rows]
