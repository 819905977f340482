"""Outlets belong to the leaf territory that contains them, and scoping follows the tree."""

from __future__ import annotations

import pytest
from geoalchemy2 import WKTElement
from sqlmodel import Session

from models.errors import NotFound
from models.scope import scoped_outlets, scoped_territories
from models.territories import assign_outlets, resolve_territories
from models.users import Role
from tests.factories.geo import create_outlet, create_territory
from tests.factories.users import create_user


def test_outlet_goes_to_the_leaf_not_the_parent(session: Session) -> None:
    region = create_territory(session, corner=(2.0, 48.0), size=1.0, level="region")
    leaf = create_territory(session, parent=region, corner=(2.0, 48.0), size=0.5)

    inside = create_outlet(session, lon=2.1, lat=48.1)
    outside_leaf = create_outlet(session, lon=2.9, lat=48.9)  # in the region only: leaf is none
    nowhere = create_outlet(session, lon=10.0, lat=10.0)

    assert inside.territory_id == leaf.id
    assert outside_leaf.territory_id is None
    assert nowhere.territory_id is None


def test_boundary_change_moves_outlets_in_one_statement(session: Session) -> None:
    west = create_territory(session, code="WEST", corner=(2.0, 48.0), size=0.5)
    east = create_territory(session, code="EAST", corner=(2.5, 48.0), size=0.5)
    outlet = create_outlet(session, lon=2.45, lat=48.2)
    assert outlet.territory_id == west.id

    west.geom = WKTElement("MULTIPOLYGON(((2 48, 2.4 48, 2.4 48.5, 2 48.5, 2 48)))", srid=4326)
    east.geom = WKTElement("MULTIPOLYGON(((2.4 48, 3 48, 3 48.5, 2.4 48.5, 2.4 48)))", srid=4326)
    session.add_all([west, east])
    session.flush()
    moved = assign_outlets(session)
    session.refresh(outlet)

    assert moved == 1
    assert outlet.territory_id == east.id


def test_manager_sees_the_subtree_and_rep_only_their_territory(session: Session) -> None:
    region = create_territory(session, corner=(2.0, 48.0), size=1.0, level="region")
    mine = create_territory(session, parent=region, corner=(2.0, 48.0), size=0.5)
    other = create_territory(session, parent=region, corner=(2.5, 48.5), size=0.5)
    elsewhere = create_territory(session, corner=(5.0, 45.0), size=0.5)
    a = create_outlet(session, lon=2.1, lat=48.1)
    b = create_outlet(session, lon=2.6, lat=48.6)
    create_outlet(session, lon=5.1, lat=45.1)
    manager = create_user(session, role=Role.manager, territory_ids=[region.id])
    rep = create_user(session, role=Role.rep, territory_ids=[mine.id])
    planner = create_user(session, role=Role.planner)

    def outlet_ids(user: object) -> set[object]:
        return {o.id for o in session.exec(scoped_outlets(user))}  # type: ignore[arg-type]

    assert outlet_ids(rep) == {a.id}
    assert outlet_ids(manager) == {a.id, b.id}
    assert len(outlet_ids(planner)) == 3
    assert {t.id for t in session.exec(scoped_territories(manager))} == {
        region.id,
        mine.id,
        other.id,
    }
    assert elsewhere.id not in {t.id for t in session.exec(scoped_territories(rep))}


def test_territories_resolve_by_code_or_id(session: Session) -> None:
    north = create_territory(session, code="NORTH")
    south = create_territory(session, code="SOUTH", corner=(5.0, 45.0))

    resolved = resolve_territories(session, ["NORTH", str(south.id)])

    assert resolved == [north.id, south.id]
    with pytest.raises(NotFound, match="Unknown territory: WEST"):
        resolve_territories(session, ["NORTH", "WEST"])
