"""The opportunities map draws a dot per occupied grid cell, counting the outlets in it."""

from __future__ import annotations

from sqlmodel import Session

from models.outlet_queries import OutletFilter, density
from models.outlets import OutletStatus
from models.scope import scoped_outlets
from models.users import Role
from tests.factories.geo import create_outlet, create_territory
from tests.factories.users import create_user


def test_outlets_in_one_cell_make_one_dot_with_their_count(session: Session) -> None:
    area = create_territory(session, corner=(4.0, 45.0), size=1.0)
    create_territory(session, corner=(6.0, 45.0), size=1.0)  # the last outlet lies here
    for lon, lat in ((4.1001, 45.1001), (4.1002, 45.1002), (4.1003, 45.1001), (4.7, 45.7)):
        create_outlet(session, lon=lon, lat=lat)
    create_outlet(session, lon=4.2, lat=45.2, status=OutletStatus.prospect)
    create_outlet(session, lon=6.5, lat=45.5)
    planner = create_user(session, role=Role.planner)
    where = OutletFilter(territory_id=area.id, status=OutletStatus.active)

    dots = density(session, scoped_outlets(planner), where, 0.01)

    assert sorted(n for _, _, n in dots) == [1, 3]
    assert {(round(x, 2), round(y, 2)) for x, y, _ in dots} == {(4.1, 45.1), (4.7, 45.7)}


def test_a_manager_counts_only_the_outlets_of_their_region(session: Session) -> None:
    mine = create_territory(session, corner=(4.0, 45.0), size=1.0)
    create_territory(session, corner=(5.0, 45.0), size=1.0)  # another region's
    create_outlet(session, lon=4.5, lat=45.5)
    create_outlet(session, lon=5.5, lat=45.5)
    manager = create_user(session, role=Role.manager, territory_ids=[mine.id])

    everything = OutletFilter(status=OutletStatus.active)
    dots = density(session, scoped_outlets(manager), everything, 0.01)

    assert [(round(x, 1), round(y, 1), n) for x, y, n in dots] == [(4.5, 45.5, 1)]
