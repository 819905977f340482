"""The catalogue: brands (ours and competitors'), categories, SKUs and their pack images."""

from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy import Numeric
from sqlmodel import Field

from models.base import TimestampedModel


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

    sku_id: uuid.UUID = Field(foreign_key="sku.id", index=True, ondelete="CASCADE")
    storage_key: str = Field(unique=True, max_length=400)
    content_type: str = Field(max_length=64)
    width: int
    height: int
    sha256: str = Field(max_length=64)
