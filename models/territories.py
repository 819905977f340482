"""Territories: the sales geography, a hierarchy of MultiPolygons, and outlet assignment."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from geoalchemy2 import Geometry
from geojson_pydantic import MultiPolygon, Polygon
from pydantic import BaseModel, field_validator
from sqlalchemy import func, text
from sqlmodel import Field, Session, SQLModel, col, select

from models.base import TimestampedModel
from models.errors import Invalid

Boundary = Polygon | MultiPolygon


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


def _in_range(boundary: Boundary) -> Boundary:
    rings = boundary.coordinates if isinstance(boundary, MultiPolygon) else [boundary.coordinates]
    for polygon in rings:
        for ring in polygon:
            for position in ring:
                if not (-180 <= position[0] <= 180 and -90 <= position[1] <= 90):
                    raise ValueError(
                        f"coordinates must be WGS84 lon/lat; {list(position)[:2]} is out of range"
                    )
    return boundary


class TerritoryFields(SQLModel):
    name: str = Field(min_length=1, max_length=200)
    level: str = Field(default="territory", min_length=1, max_length=32)
    parent_id: uuid.UUID | None = None


class TerritoryCreate(TerritoryFields):
    code: str = Field(min_length=1, max_length=64)
    geometry: Boundary | None = None

    _range = field_validator("geometry")(lambda v: v and _in_range(v))


class TerritoryUpdate(SQLModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    level: str | None = Field(default=None, min_length=1, max_length=32)
    parent_id: uuid.UUID | None = None
    geometry: Boundary | None = None

    _range = field_validator("geometry")(lambda v: v and _in_range(v))


class TerritoryPublic(BaseModel):
    id: uuid.UUID
    code: str
    name: str
    level: str
    parent_id: uuid.UUID | None
    geometry: dict[str, Any] | None
    created_at: datetime
    overlaps: list[str] = []


def checked_geometry(session: Session, boundary: Boundary) -> Any:
    """The boundary as a PostGIS MultiPolygon, or a 422 carrying PostGIS's reason."""
    geojson = boundary.model_dump_json(exclude_none=True)
    row = session.execute(
        text(
            "SELECT ST_IsValid(g) AS valid, ST_IsValidReason(g) AS reason, ST_Multi(g) AS geom"
            " FROM ST_SetSRID(ST_GeomFromGeoJSON(:geojson), 4326) AS g"
        ),
        {"geojson": geojson},
    ).one()
    if not row.valid:
        raise Invalid(f"The boundary is not a valid polygon: {row.reason}.", reason=row.reason)
    return row.geom


def overlapping_siblings(session: Session, territory: Territory) -> list[str]:
    """Codes of siblings whose area overlaps this territory's (touching edges are fine)."""
    if territory.geom is None:
        return []
    sibling = select(Territory.code).where(
        col(Territory.id) != territory.id,
        col(Territory.parent_id).is_(None)
        if territory.parent_id is None
        else col(Territory.parent_id) == territory.parent_id,
        func.ST_Intersects(Territory.geom, territory.geom),
        func.ST_Area(func.ST_Intersection(Territory.geom, territory.geom)) > 0,
    )
    return sorted(session.exec(sibling.order_by(Territory.code)))


# Leaves are territories without children; where leaves overlap the smallest wins, so the
# result never depends on row order. The GiST index on territory.geom serves ST_Covers.
_ASSIGN = """
UPDATE outlet AS o SET territory_id = found.territory_id, updated_at = now()
FROM (
    SELECT candidate.id, (
        SELECT t.id FROM territory AS t
        WHERE ST_Covers(t.geom, candidate.location)
          AND NOT EXISTS (SELECT 1 FROM territory AS c WHERE c.parent_id = t.id)
        ORDER BY ST_Area(t.geom), t.code
        LIMIT 1
    ) AS territory_id
    FROM outlet AS candidate
    {where}
) AS found
WHERE found.id = o.id AND o.territory_id IS DISTINCT FROM found.territory_id
"""
ASSIGN_ALL = text(_ASSIGN.format(where=""))
ASSIGN_SOME = text(_ASSIGN.format(where="WHERE candidate.id = ANY(:ids)"))


def assign_outlets(session: Session, outlet_ids: list[uuid.UUID] | None = None) -> int:
    """Put outlets in the leaf territory that contains them, in one set-based statement.

    Args:
        outlet_ids: only these outlets; None for all of them (after a boundary change).

    Returns:
        How many outlets changed territory.
    """
    if outlet_ids is None:
        result = session.execute(ASSIGN_ALL)
    else:
        result = session.execute(ASSIGN_SOME, {"ids": outlet_ids})
    return int(result.rowcount)  # type: ignore[attr-defined]


def geojson_of(column: Any) -> Any:
    """GeoJSON produced by PostGIS (7 decimals: about a centimetre)."""
    return func.ST_AsGeoJSON(column, 7)


def parse_geojson(value: str | None) -> dict[str, Any] | None:
    return json.loads(value) if value else None
