"""Outlet imports: upsert by code, extra columns as attributes, assignment to territories."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlmodel import Session

from tests.imports.conftest import rejected, run_import

DATA = Path(__file__).parent / "data"
HEADER = "code,name,channel,lon,lat\n"


def stored(session: Session, code: str) -> dict[str, Any]:
    row = session.execute(
        text(
            "SELECT o.name, o.address, o.channel::text, o.outlet_class::text AS class,"
            " o.status::text, ST_X(o.location) AS lon, ST_Y(o.location) AS lat, o.attributes,"
            " t.code AS territory"
            " FROM outlet AS o LEFT JOIN territory AS t ON t.id = o.territory_id"
            " WHERE o.code = :code"
        ),
        {"code": code},
    ).one()
    return dict(row._mapping)


def test_csv_with_quoted_lines_and_extra_columns(session: Session) -> None:
    run_import(session, "territories", (DATA / "territories.geojson").read_bytes())

    summary = run_import(session, "outlets", (DATA / "outlets.csv").read_bytes())

    assert (summary.rows, summary.inserted, summary.updated, summary.assigned) == (5, 5, 0, 4)
    assert stored(session, "OUT-1") == {
        "name": "Épicerie du Marché",
        "address": "1 rue du Marché, Paris",
        "channel": "traditional_trade",
        "class": "B",
        "status": "active",
        "lon": 2.1,
        "lat": 48.2,
        "attributes": {"phone": "+33 1 23 45 67 89"},
        "territory": "WEST",
    }
    assert stored(session, "OUT-3")["address"] == "3 avenue de l'Est\n(back entrance)"
    assert stored(session, "OUT-4")["class"] == "C"  # empty cells take the defaults
    assert stored(session, "OUT-5")["territory"] is None


def test_reimport_counts_inserts_updates_and_unchanged(session: Session) -> None:
    first = HEADER + "A,Shop A,convenience,2.1,48.1\nB,Shop B,horeca,2.2,48.2\n"
    run_import(session, "outlets", first)

    same = run_import(session, "outlets", first)
    changed = run_import(
        session, "outlets", first.replace("Shop B", "Shop Bee") + "C,Shop C,other,2.3,48.3\n"
    )

    assert (same.inserted, same.updated, same.unchanged) == (0, 0, 2)
    assert (changed.inserted, changed.updated, changed.unchanged) == (1, 1, 1)
    total = session.execute(text("SELECT count(*) FROM outlet WHERE code IN ('A', 'B', 'C')"))
    assert total.scalar_one() == 3


def test_columns_left_out_keep_their_values(session: Session) -> None:
    run_import(
        session,
        "outlets",
        "code,name,channel,status,class,lon,lat,chain,phone\nA,Shop,horeca,closed,A,2,48,Co,123\n",
    )

    run_import(session, "outlets", "code,name,channel,lon,lat,phone\nA,Shop,horeca,2,48,\n")

    assert stored(session, "A") | {"lon": None, "lat": None} == {
        "name": "Shop",
        "address": "",
        "channel": "horeca",
        "class": "A",
        "status": "closed",
        "lon": None,
        "lat": None,
        "attributes": {"chain": "Co"},  # the empty phone cell removed the key
        "territory": None,
    }


def test_geojson_points_with_properties(session: Session) -> None:
    summary = run_import(session, "outlets", (DATA / "outlets.geojson").read_bytes())

    assert summary.inserted == 2
    kiosk = stored(session, "GEO-1")
    assert (kiosk["lon"], kiosk["lat"]) == (2.1, 48.1)
    assert kiosk["attributes"] == {"floor_m2": 12, "open_sunday": True}
    assert stored(session, "GEO-2")["class"] == "A"


@pytest.mark.parametrize(
    ("row", "column", "reason"),
    [
        (",Shop,convenience,2,48", "code", "required"),
        ("B,Shop,kiosk,2,48", "channel", "not one of: hypermarket, supermarket, convenience,"),
        ("B,Shop,convenience,east,48", "lon", "not a number"),
        ("B,Shop,convenience,1e3,48", "lon", "not a number"),
        ("B,Shop,convenience,NaN,48", "lon", "not a number"),
        ("B,Shop,convenience,180.5,48", "lon", "must be at most 180"),
        ("B,Shop,convenience,2,-90.01", "lat", "must be at least -90"),
        ("B,Shop,convenience,2", None, "4 fields where the header has 5"),
        ("A,Again,convenience,2,48", "code", "same code as line 2"),
        (f"B,{'n' * 201},convenience,2,48", "name", "longer than 200 characters"),
    ],
)
def test_a_bad_row_is_refused_with_its_line(
    session: Session, row: str, column: str | None, reason: str
) -> None:
    file = HEADER + "A,Shop,convenience,2,48\n" + row + "\n"

    errors = rejected(session, "outlets", file)

    assert len(errors) == 1
    assert (errors[0]["line"], errors[0]["column"]) == (3, column)
    assert errors[0]["reason"].startswith(reason)


def test_geojson_problems_name_the_feature(session: Session) -> None:
    file = (
        '{"type": "FeatureCollection", "features": ['
        '{"type": "Feature", "properties": {"code": "A", "name": "A", "channel": "other"},'
        ' "geometry": {"type": "Point", "coordinates": [2, 48]}},'
        '{"type": "Feature", "properties": {"code": "B", "name": "B", "channel": "other"},'
        ' "geometry": {"type": "LineString", "coordinates": [[2, 48], [3, 49]]}}]}'
    )

    errors = rejected(session, "outlets", file)

    assert errors == [
        {"feature": 2, "column": "geometry", "reason": "must be a GeoJSON Point [lon, lat]"}
    ]


def test_an_outlet_that_moves_changes_territory(session: Session) -> None:
    run_import(session, "territories", (DATA / "territories.geojson").read_bytes())
    run_import(session, "outlets", HEADER + "A,Shop,convenience,2.1,48.1\nB,Shop,other,2.2,48.2\n")

    renamed = run_import(
        session, "outlets", HEADER + "A,Shop A,convenience,2.1,48.1\nB,Shop,other,2.2,48.2\n"
    )
    moved = run_import(
        session, "outlets", HEADER + "A,Shop A,convenience,2.9,48.1\nB,Shop,other,2.2,48.2\n"
    )

    assert (renamed.updated, renamed.assigned) == (1, 0)
    assert (moved.updated, moved.assigned) == (1, 1)
    assert stored(session, "A")["territory"] == "EAST"
