"""What the analysis of a shelf photo found: detections, facings, share of shelf, quality.

One set of results per photo: a re-analysis replaces them in one transaction, so readers see
the old results until the new ones are committed, never a mix and never duplicates.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Column, text
from sqlalchemy.dialects.postgresql import JSONB, TIMESTAMP
from sqlmodel import Field, SQLModel

from models.base import utcnow


class PhotoAnalysis(SQLModel, table=True):
    __tablename__ = "photo_analysis"

    photo_id: uuid.UUID = Field(foreign_key="photo.id", primary_key=True, ondelete="CASCADE")
    analysed_at: datetime = Field(
        default_factory=utcnow,
        sa_type=TIMESTAMP(timezone=True),
        sa_column_kwargs={"server_default": text("now()")},
    )
    model_version: str = Field(max_length=200, index=True)
    width: int
    height: int
    quality_ok: bool
    quality: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))
    # 64-bit perceptual hash as a signed bigint; Hamming distance is bit_count(a # b).
    phash: int = Field(sa_column=Column(BigInteger, nullable=False, index=True))
    shelves: int
    gaps: int
    price_tags: int
    linear_px: float = Field(description="Summed width of all front-row facings, in pixels.")
    details: dict[str, Any] = Field(
        sa_column=Column(JSONB, nullable=False, server_default=text("'{}'::jsonb")),
        description="Shelf rows, gaps, displays and POSM as the analysis returned them.",
    )
    duration_ms: float


class PhotoDetection(SQLModel, table=True):
    __tablename__ = "photo_detection"

    photo_id: uuid.UUID = Field(
        foreign_key="photo_analysis.photo_id", primary_key=True, ondelete="CASCADE"
    )
    index: int = Field(primary_key=True)
    kind: str = Field(max_length=16)
    x1: float
    y1: float
    x2: float
    y2: float
    score: float
    sku_id: uuid.UUID | None = Field(default=None, foreign_key="sku.id", ondelete="SET NULL")
    sku_score: float | None = None
    brand_id: uuid.UUID | None = Field(default=None, foreign_key="brand.id", ondelete="SET NULL")


class PhotoFacing(SQLModel, table=True):
    """Front-row facings of one SKU on one photo: presence evidence for distribution."""

    __tablename__ = "photo_facing"

    photo_id: uuid.UUID = Field(
        foreign_key="photo_analysis.photo_id", primary_key=True, ondelete="CASCADE"
    )
    sku_id: uuid.UUID = Field(foreign_key="sku.id", primary_key=True, index=True)
    facings: int = Field(ge=0)


class PhotoBrandShare(SQLModel, table=True):
    """One brand's linear share of the shelf on one photo (unknown products: the remainder)."""

    __tablename__ = "photo_brand_share"

    photo_id: uuid.UUID = Field(
        foreign_key="photo_analysis.photo_id", primary_key=True, ondelete="CASCADE"
    )
    brand_id: uuid.UUID = Field(foreign_key="brand.id", primary_key=True, index=True)
    width_px: float
    share: float = Field(ge=0, le=1)
