"""Outlets: the shops reps visit, with their location, channel, class and status."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import Column, Index, text
from sqlalchemy import Enum as SAEnum
from sqlalchemy.dialects.postgresql import JSONB, TIMESTAMP
from sqlmodel import Field

from models.base import TimestampedModel, utcnow


class Channel(enum.StrEnum):
    hypermarket = "hypermarket"
    supermarket = "supermarket"
    convenience = "convenience"
    traditional_trade = "traditional_trade"
    horeca = "horeca"
    other = "other"


class OutletClass(enum.StrEnum):
    A = "A"
    B = "B"
    C = "C"


class OutletStatus(enum.StrEnum):
    active = "active"
    prospect = "prospect"
    closed = "closed"


class Outlet(TimestampedModel, table=True):
    __tablename__ = "outlet"
    __table_args__ = (
        # Distances and nearest-first order are computed on the geography (metres on the
        # spheroid); this expression index is what lets `<->` answer KNN from the index.
        Index(
            "ix_outlet_location_geography",
            text("(location::geography)"),
            postgresql_using="gist",
        ),
    )

    code: str = Field(unique=True, max_length=64)
    name: str = Field(max_length=200)
    address: str = Field(default="", max_length=400)
    channel: Channel = Field(sa_type=SAEnum(Channel, name="outlet_channel"))
    outlet_class: OutletClass = Field(
        default=OutletClass.C, sa_type=SAEnum(OutletClass, name="outlet_class")
    )
    status: OutletStatus = Field(
        default=OutletStatus.active, sa_type=SAEnum(OutletStatus, name="outlet_status"), index=True
    )
    location: Any = Field(sa_type=Geometry("POINT", srid=4326, spatial_index=True))
    territory_id: uuid.UUID | None = Field(
        default=None, foreign_key="territory.id", index=True, ondelete="SET NULL"
    )
    attributes: dict[str, Any] = Field(
        default_factory=dict,
        sa_column=Column(JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    )
    updated_at: datetime = Field(
        default_factory=utcnow,
        sa_type=TIMESTAMP(timezone=True),
        sa_column_kwargs={"server_default": text("now()"), "onupdate": utcnow},
    )
