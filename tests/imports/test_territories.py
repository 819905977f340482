"""Territory imports: boundaries checked by PostGIS, hierarchy in one file, outlets follow."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import Session

from tests.imports.conftest import rejected, run_import

DATA = Path(__file__).parent / "data"
HEADER = "code,name,level,parent_code,geometry\n"
WEST = '"POLYGON((2 48, 2.5 48, 2.5 49, 2 49, 2 48))"'
BOWTIE = '"POLYGON((2 48, 3 49, 3 48, 2 49, 2 48))"'


def territory_of(session: Session) -> dict[str, str | None]:
    rows = session.execute(
        text(
            "SELECT o.code, t.code AS territory FROM outlet AS o"
            " LEFT JOIN territory AS t ON t.id = o.territory_id"
        )
    )
    return {row.code: row.territory for row in rows}


def test_geojson_hierarchy_with_children_before_their_parent(session: Session) -> None:
    summary = run_import(session, "territories", (DATA / "territories.geojson").read_bytes())

    rows = session.execute(
        text(
            "SELECT t.code, p.code FROM territory AS t"
            " LEFT JOIN territory AS p ON p.id = t.parent_id"
        )
    )
    parents = {row[0]: row[1] for row in rows}
    assert (summary.rows, summary.inserted, summary.updated) == (3, 3, 0)
    assert parents == {"WEST": "NORTH", "EAST": "NORTH", "NORTH": None}
    assert summary.overlaps == []


def test_reimport_updates_only_what_changed(session: Session) -> None:
    first = HEADER + f"A,Alpha,,,{WEST}\nB,Beta,,A,\n"
    run_import(session, "territories", first)

    again = run_import(session, "territories", first)
    renamed = run_import(session, "territories", first.replace("Beta", "Bravo"))

    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 2)
    assert (renamed.inserted, renamed.updated, renamed.unchanged) == (0, 1, 1)
    count = session.execute(text("SELECT count(*) FROM territory WHERE code IN ('A', 'B')"))
    assert count.scalar_one() == 2


def test_outlets_follow_a_boundary_reimport(session: Session) -> None:
    run_import(session, "territories", (DATA / "territories.geojson").read_bytes())
    run_import(session, "outlets", "code,name,channel,lon,lat\nX,Shop,convenience,2.45,48.5\n")
    assert territory_of(session)["X"] == "WEST"

    moved = HEADER + (
        'WEST,West,,NORTH,"POLYGON((2 48, 2.4 48, 2.4 49, 2 49, 2 48))"\n'
        'EAST,East,,NORTH,"POLYGON((2.4 48, 3 48, 3 49, 2.4 49, 2.4 48))"\n'
    )
    summary = run_import(session, "territories", moved)

    assert (summary.updated, summary.assigned) == (2, 1)
    assert territory_of(session)["X"] == "EAST"


def test_overlapping_siblings_are_reported_not_refused(session: Session) -> None:
    file = HEADER + (
        f"P,Parent,region,,\nA,A,,P,{WEST}\n"
        'B,B,,P,"POLYGON((2.4 48, 3 48, 3 49, 2.4 49, 2.4 48))"\n'
        'C,C,,P,"POLYGON((2.5 48, 2.6 48, 2.6 49, 2.5 49, 2.5 48))"\n'  # touches A only
    )

    summary = run_import(session, "territories", file)

    assert summary.overlaps == [("A", "B"), ("B", "C")]


@pytest.mark.parametrize(
    ("row", "column", "reason"),
    [
        ("T,,,,", "name", "required"),
        (f"T,Name,,,{BOWTIE}", "geometry", "not a valid polygon: Self-intersection[2.5 48.5]"),
        ('T,Name,,,"POLYGON((2 48, 3 48"', "geometry", "not WKT or GeoJSON: parse error"),
        ('T,Name,,,"{""type"": ""Polygon""}"', "geometry", "not WKT or GeoJSON: "),
        ("T,Name,,,POINT(2 48)", "geometry", "must be a Polygon or MultiPolygon, not POINT"),
        (
            'T,Name,,,"SRID=3857;POLYGON((0 0, 1 0, 1 1, 0 0))"',
            "geometry",
            "must be WGS84 lon/lat (SRID 4326), not SRID 3857",
        ),
        (
            '"T",Name,,,"POLYGON((200 48, 201 48, 201 49, 200 48))"',
            "geometry",
            "coordinates must be WGS84 lon/lat",
        ),
        ("T,Name,,NOWHERE,", "parent_code", "no territory NOWHERE here or stored"),
        ("T,Name,,T,", "parent_code", "would put the territory below itself"),
        ("A,Again,,,", "code", "same code as line 2"),
        (f"T,Name,{'x' * 33},,", "level", "longer than 32 characters"),
    ],
)
def test_a_bad_row_is_refused_with_its_line(
    session: Session, row: str, column: str, reason: str
) -> None:
    errors = rejected(session, "territories", HEADER + "A,Alpha,,,\n" + row + "\n")

    assert len(errors) == 1
    assert errors[0]["line"] == 3
    assert errors[0]["column"] == column
    assert errors[0]["reason"].startswith(reason)


def test_a_cycle_through_stored_territories_is_refused(session: Session) -> None:
    run_import(session, "territories", HEADER + "A,Alpha,,,\nB,Beta,,A,\n")

    errors = rejected(session, "territories", HEADER + "A,Alpha,,B,\n")

    assert errors == [
        {"line": 2, "column": "parent_code", "reason": "would put the territory below itself"}
    ]


def test_geojson_boundaries_are_checked_by_feature(session: Session) -> None:
    def feature(code: str, ring: str) -> str:
        return (
            f'{{"type": "Feature", "properties": {{"code": "{code}", "name": "{code}"}},'
            f' "geometry": {{"type": "Polygon", "coordinates": [{ring}]}}}}'
        )

    square_3d = "[[2, 48, 10], [3, 48, 10], [3, 49, 10], [2, 49, 10], [2, 48, 10]]"
    bowtie = "[[2, 48], [3, 49], [3, 48], [2, 49], [2, 48]]"
    collection = '{{"type": "FeatureCollection", "features": [{}]}}'

    errors = rejected(
        session,
        "territories",
        collection.format(f"{feature('A', square_3d)}, {feature('B', bowtie)}"),
    )
    summary = run_import(session, "territories", collection.format(feature("A", square_3d)))

    assert errors == [
        {
            "feature": 2,
            "column": "geometry",
            "reason": "not a valid polygon: Self-intersection[2.5 48.5]",
        }
    ]
    assert summary.inserted == 1  # heights are dropped: boundaries are 2D
