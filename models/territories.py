"""Territories: the sales geography, a hierarchy of MultiPolygons."""

from __future__ import annotations

import uuid
from typing import Any

from geoalchemy2 import Geometry
from sqlmodel import Field

from models.base import TimestampedModel


class Territory(TimestampedModel, table=True):
    __tablename__ = "territory"

    code: str = Field(unique=True, max_length=64)
    name: str = Field(max_length=200)
    level: str = Field(default="territory", max_length=32)
    parent_id: uuid.UUID | None = Field(
        default=None, foreign_key="territory.id", index=True, ondelete="RESTRICT"
    )
    geom: Any = Field(
        sa_type=Geometry("MULTIPOLYGON", srid=4326, spatial_index=True),
        nullable=True,
    )
