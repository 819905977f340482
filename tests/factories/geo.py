"""Territories and outlets for tests."""

from __future__ import annotations

import uuid
from typing import Any

from geoalchemy2 import WKTElement
from sqlmodel import Session

from models.outlets import Channel, Outlet, OutletClass, OutletStatus
from models.territories import Territory, assign_outlets


def square(lon: float, lat: float, size: float = 0.1) -> dict[str, Any]:
    """A GeoJSON Polygon: the square with its south-west corner at (lon, lat)."""
    ring = [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


def _wkt_square(lon: float, lat: float, size: float) -> WKTElement:
    corners = f"{lon} {lat}, {lon + size} {lat}, {lon + size} {lat + size}, {lon} {lat + size}"
    return WKTElement(f"MULTIPOLYGON((({corners}, {lon} {lat})))", srid=4326)


def create_territory(
    session: Session,
    *,
    code: str | None = None,
    parent: Territory | None = None,
    corner: tuple[float, float] = (2.0, 48.0),
    size: float = 0.1,
    level: str = "territory",
) -> Territory:
    """A square territory; outlets already in it are assigned to it."""
    territory = Territory(
        code=code or f"T-{uuid.uuid4().hex[:8]}",
        name=code or "Territory",
        level=level,
        parent_id=parent.id if parent else None,
        geom=_wkt_square(*corner, size),
    )
    session.add(territory)
    session.flush()
    assign_outlets(session)
    session.refresh(territory)
    return territory


def create_outlet(
    session: Session,
    *,
    lon: float = 2.05,
    lat: float = 48.05,
    code: str | None = None,
    channel: Channel = Channel.convenience,
    outlet_class: OutletClass = OutletClass.B,
    status: OutletStatus = OutletStatus.active,
) -> Outlet:
    """An outlet at (lon, lat), assigned to the leaf territory containing it."""
    outlet = Outlet(
        code=code or f"O-{uuid.uuid4().hex[:8]}",
        name=code or "Outlet",
        channel=channel,
        outlet_class=outlet_class,
        status=status,
        location=WKTElement(f"POINT({lon} {lat})", srid=4326),
    )
    session.add(outlet)
    session.flush()
    assign_outlets(session, [outlet.id])
    session.refresh(outlet)
    return outlet
