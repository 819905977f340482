"""Territories: the sales geography, a hierarchy of MultiPolygons, and outlet assignment."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from geoalchemy2 import Geometry
from geojson_pydantic import MultiPolygon, Polygon
from pydantic import BaseModel, field_validator
from sqlalchemy import Select, Uuid, func, literal, text
from sqlmodel import Field, Session, SQLModel, col, select
from sqlmodel.sql.expression import SelectOfScalar

from models.base import TimestampedModel
from models.errors import Conflict, Invalid, NotFound

Boundary = Polygon | MultiPolygon
# A detailed district outline has a few thousand vertices; far more is a mistake or an attack
# (validity checks and assignment joins grow with the vertex count).
MAX_VERTICES = 50_000


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
    vertices = sum(len(ring) for polygon in rings for ring in polygon)
    if vertices > MAX_VERTICES:
        raise ValueError(f"a boundary has at most {MAX_VERTICES} vertices, not {vertices}")
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


def leaf_containing(point: str) -> str:
    """SQL for the id of the leaf territory covering the point expression ``point``.

    Leaves are territories without children; where leaves overlap the smallest wins, so the
    answer never depends on row order. The GiST index on territory.geom serves ST_Covers.
    ``point`` is SQL text written by our code, never user input.
    """
    return f"""(
        SELECT t.id FROM territory AS t
        WHERE ST_Covers(t.geom, {point})
          AND NOT EXISTS (SELECT 1 FROM territory AS c WHERE c.parent_id = t.id)
        ORDER BY ST_Area(t.geom), t.code
        LIMIT 1
    )"""


_ASSIGN = """
UPDATE outlet AS o SET territory_id = found.territory_id, updated_at = now()
FROM (
    SELECT candidate.id, LEAF AS territory_id
    FROM outlet AS candidate
    {where}
) AS found
WHERE found.id = o.id AND o.territory_id IS DISTINCT FROM found.territory_id
""".replace("LEAF", leaf_containing("candidate.location"))
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


def subtree(roots: Select[uuid.UUID], name: str = "subtree") -> Select[uuid.UUID]:
    """The ids of the given territories and of everything below them (recursive CTE)."""
    tree = roots.cte(name, recursive=True)
    tree = tree.union(select(Territory.id).join(tree, col(Territory.parent_id) == tree.c.id))
    ids: Select[uuid.UUID] = select(tree.c.id)
    return ids


def subtree_ids(session: Session, root: uuid.UUID) -> list[uuid.UUID]:
    """The ids of a territory and of everything below it."""
    roots: Select[uuid.UUID] = select(literal(root, Uuid).label("id"))
    return list(session.scalars(subtree(roots, "below")))


def _public(territory: Territory, geometry: str | None, overlaps: list[str]) -> TerritoryPublic:
    return TerritoryPublic(
        id=territory.id,
        code=territory.code,
        name=territory.name,
        level=territory.level,
        parent_id=territory.parent_id,
        geometry=json.loads(geometry) if geometry else None,
        created_at=territory.created_at,
        overlaps=overlaps,
    )


def with_geojson(statement: SelectOfScalar[Territory]) -> Select[Territory, str | None]:
    """The same territories, each with its boundary as GeoJSON made by PostGIS (cm precision)."""
    return statement.add_columns(func.ST_AsGeoJSON(Territory.geom, 7))


def list_territories(
    session: Session,
    scoped: SelectOfScalar[Territory],
    *,
    parent_id: uuid.UUID | None,
    level: str | None,
    after: str | None,
    limit: int,
) -> list[TerritoryPublic]:
    """A page of the caller's territories in code order, after the code ``after``."""
    statement = scoped.order_by(Territory.code).limit(limit)
    if parent_id is not None:
        statement = statement.where(col(Territory.parent_id) == parent_id)
    if level is not None:
        statement = statement.where(col(Territory.level) == level)
    if after is not None:
        statement = statement.where(col(Territory.code) > after)
    rows = session.execute(with_geojson(statement)).all()
    return [_public(territory, geometry, []) for territory, geometry in rows]


def get_territory(
    session: Session, scoped: SelectOfScalar[Territory], territory_id: uuid.UUID
) -> Territory:
    territory = session.exec(scoped.where(col(Territory.id) == territory_id)).first()
    if territory is None:
        raise NotFound(f"No territory {territory_id}.")
    return territory


def public(
    session: Session, territory: Territory, overlaps: list[str] | None = None
) -> TerritoryPublic:
    geometry = session.scalar(
        select(func.ST_AsGeoJSON(Territory.geom, 7)).where(col(Territory.id) == territory.id)
    )
    return _public(territory, geometry, overlaps or [])


def _check_parent(session: Session, territory_id: uuid.UUID | None, parent_id: uuid.UUID) -> None:
    """The parent must exist and must not be the territory itself or one of its descendants."""
    if session.get(Territory, parent_id) is None:
        raise Invalid(f"No parent territory {parent_id}.")
    if territory_id is None:
        return
    ancestors = select(Territory.id, Territory.parent_id).where(col(Territory.id) == parent_id)
    tree = ancestors.cte("ancestors", recursive=True)
    tree = tree.union(
        select(Territory.id, Territory.parent_id).join(tree, col(Territory.id) == tree.c.parent_id)
    )
    if territory_id in set(session.exec(select(tree.c.id))):
        raise Invalid("A territory cannot be placed under itself or one of its descendants.")


def create_territory(session: Session, data: TerritoryCreate) -> TerritoryPublic:
    """Add a territory; outlets inside it move to it. Flushes, never commits."""
    if data.parent_id is not None:
        _check_parent(session, None, data.parent_id)
    if session.exec(select(Territory.id).where(col(Territory.code) == data.code)).first():
        raise Conflict(f"A territory with code {data.code!r} already exists.")
    territory = Territory(
        code=data.code,
        name=data.name,
        level=data.level,
        parent_id=data.parent_id,
        geom=checked_geometry(session, data.geometry) if data.geometry else None,
    )
    session.add(territory)
    session.flush()
    assign_outlets(session)
    return public(session, territory, overlapping_siblings(session, territory))


def update_territory(
    session: Session, territory: Territory, data: TerritoryUpdate
) -> TerritoryPublic:
    """Change a territory; a new boundary or parent re-assigns outlets in one statement."""
    changes = data.model_dump(exclude_unset=True)
    if changes.get("parent_id") is not None:
        _check_parent(session, territory.id, changes["parent_id"])
    if data.geometry is not None:
        territory.geom = checked_geometry(session, data.geometry)
    for field in ("name", "level", "parent_id"):
        if field in changes:
            setattr(territory, field, changes[field])
    session.add(territory)
    session.flush()
    assign_outlets(session)
    return public(session, territory, overlapping_siblings(session, territory))


def _as_uuid(ref: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(ref)
    except ValueError:
        return None


def resolve_territories(session: Session, refs: list[str]) -> list[uuid.UUID]:
    """Territory ids for references given as ids or codes; unknown ones are a NotFound."""
    ids = [tid for tid in map(_as_uuid, refs) if tid is not None]
    rows = session.exec(
        select(Territory.code, Territory.id).where(
            col(Territory.code).in_(refs) | col(Territory.id).in_(ids)
        )
    ).all()
    known: dict[str | uuid.UUID | None, uuid.UUID] = dict(rows)
    known.update((tid, tid) for _, tid in rows)
    resolved = {ref: known.get(ref) or known.get(_as_uuid(ref)) for ref in refs}
    missing = [ref for ref, tid in resolved.items() if tid is None]
    if missing:
        raise NotFound(f"Unknown territory: {', '.join(missing)}.")
    return [tid for tid in resolved.values() if tid is not None]
