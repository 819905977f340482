"""Store visits from the phone: check-in with a geofence verdict, check-out, and their evidence."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import CheckConstraint, Column, Index, Numeric, Text, UniqueConstraint, text
from sqlalchemy import Enum as SAEnum
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TIMESTAMP
from sqlmodel import Field, SQLModel

from models.base import utcnow


def _timestamp(**kwargs: Any) -> Any:
    return Field(sa_type=TIMESTAMP(timezone=True), **kwargs)


class VisitFlag(enum.StrEnum):
    far_from_outlet = "far_from_outlet"
    poor_gps_accuracy = "poor_gps_accuracy"
    mock_location = "mock_location"
    clock_skew = "clock_skew"
    implausible_speed = "implausible_speed"
    reused_photo = "reused_photo"


class Geofence(enum.StrEnum):
    inside = "inside"
    uncertain = "uncertain"  # inside only if the GPS error is counted in our favour
    outside = "outside"


class Visit(SQLModel, table=True):
    """One check-in at an outlet, with its id generated on the phone (retries reuse it)."""

    __tablename__ = "visit"
    __table_args__ = (
        Index("ix_visit_rep_id_started_at", "rep_id", "started_at"),
        Index("ix_visit_outlet_id_started_at", "outlet_id", "started_at"),
        CheckConstraint("ended_at IS NULL OR ended_at >= started_at", name="ends_after_start"),
    )

    id: uuid.UUID = Field(primary_key=True)
    rep_id: uuid.UUID = Field(foreign_key="app_user.id", ondelete="RESTRICT")
    outlet_id: uuid.UUID = Field(foreign_key="outlet.id", ondelete="RESTRICT")
    started_at: datetime = _timestamp()
    received_at: datetime = _timestamp(
        default_factory=utcnow, sa_column_kwargs={"server_default": text("now()")}
    )
    device_time: datetime | None = _timestamp(default=None)
    location: Any = Field(sa_type=Geometry("POINT", srid=4326, spatial_index=False))
    accuracy_m: float | None = None
    mock_location: bool = False
    distance_m: float
    geofence: Geofence = Field(sa_type=SAEnum(Geofence, name="geofence_verdict"))
    flags: list[str] = Field(
        default_factory=list,
        sa_column=Column(ARRAY(Text), nullable=False, server_default=text("'{}'")),
    )
    trust_score: float
    checkin_digest: str = Field(max_length=64)
    ended_at: datetime | None = _timestamp(default=None)
    end_location: Any = Field(
        default=None, sa_type=Geometry("POINT", srid=4326, spatial_index=False), nullable=True
    )
    end_accuracy_m: float | None = None
    checkout_received_at: datetime | None = _timestamp(default=None)
    checkout_digest: str | None = Field(default=None, max_length=64)


class Audit(SQLModel, table=True):
    """What the rep saw on the shelf: per SKU presence, facings, price, stock; displays by brand."""

    __tablename__ = "audit"

    id: uuid.UUID = Field(primary_key=True)
    visit_id: uuid.UUID = Field(foreign_key="visit.id", index=True, ondelete="CASCADE")
    received_at: datetime = _timestamp(
        default_factory=utcnow, sa_column_kwargs={"server_default": text("now()")}
    )
    digest: str = Field(max_length=64)


class AuditLine(SQLModel, table=True):
    __tablename__ = "audit_line"

    audit_id: uuid.UUID = Field(foreign_key="audit.id", primary_key=True, ondelete="CASCADE")
    sku_id: uuid.UUID = Field(foreign_key="sku.id", primary_key=True, index=True)
    present: bool
    facings: int | None = Field(default=None, ge=0)
    shelf_price: Decimal | None = Field(default=None, sa_type=Numeric(12, 2))
    stock: int | None = Field(default=None, ge=0)


class AuditDisplay(SQLModel, table=True):
    __tablename__ = "audit_display"

    audit_id: uuid.UUID = Field(foreign_key="audit.id", primary_key=True, ondelete="CASCADE")
    brand_id: uuid.UUID = Field(foreign_key="brand.id", primary_key=True)
    displays: int = Field(ge=0)


class Order(SQLModel, table=True):
    __tablename__ = "sales_order"

    id: uuid.UUID = Field(primary_key=True)
    visit_id: uuid.UUID = Field(foreign_key="visit.id", index=True, ondelete="CASCADE")
    received_at: datetime = _timestamp(
        default_factory=utcnow, sa_column_kwargs={"server_default": text("now()")}
    )
    digest: str = Field(max_length=64)


class OrderLine(SQLModel, table=True):
    __tablename__ = "order_line"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    order_id: uuid.UUID = Field(foreign_key="sales_order.id", primary_key=True, ondelete="CASCADE")
    sku_id: uuid.UUID = Field(foreign_key="sku.id", primary_key=True, index=True)
    quantity: Decimal = Field(sa_type=Numeric(14, 3))
    price: Decimal = Field(sa_type=Numeric(12, 2))


class PhotoKind(enum.StrEnum):
    shelf = "shelf"
    display = "display"
    other = "other"


class PhotoStatus(enum.StrEnum):
    uploading = "uploading"  # presigned upload granted, bytes not yet confirmed
    pending = "pending"
    analysed = "analysed"
    rejected = "rejected"
    failed = "failed"


class Photo(SQLModel, table=True):
    """A photo taken during a visit; the same bytes sent twice to a visit are one photo."""

    __tablename__ = "photo"
    __table_args__ = (UniqueConstraint("visit_id", "sha256", name="uq_photo_visit_id_sha256"),)

    id: uuid.UUID = Field(primary_key=True)
    visit_id: uuid.UUID = Field(foreign_key="visit.id", index=True, ondelete="CASCADE")
    kind: PhotoKind = Field(sa_type=SAEnum(PhotoKind, name="photo_kind"))
    status: PhotoStatus = Field(
        default=PhotoStatus.pending, sa_type=SAEnum(PhotoStatus, name="photo_status"), index=True
    )
    sha256: str = Field(max_length=64)
    storage_key: str = Field(max_length=400, unique=True)
    content_type: str = Field(max_length=64)
    size_bytes: int
    width: int | None = None
    height: int | None = None
    taken_at: datetime | None = _timestamp(default=None)
    received_at: datetime = _timestamp(
        default_factory=utcnow, sa_column_kwargs={"server_default": text("now()")}
    )
    exif: dict[str, Any] = Field(
        default_factory=dict,
        sa_column=Column(JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    )
    status_reason: str | None = None
