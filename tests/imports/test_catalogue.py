"""SKU imports: EANs checked, brands and categories created when the file names them."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text
from sqlmodel import Session

from tests.imports.conftest import rejected, run_import

HEADER = "code,name,brand_code,category_code,pack_size,ean,rrp,brand_name,brand_own,category_name\n"
FIRST = HEADER + (
    "SKU-1,Cola 33cl,COLA,SOFT,33cl,5449000000996,0.99,Cola Co,yes,Soft drinks\n"
    "SKU-2,Cola 1.5l,COLA,SOFT,1.5l,,2.49,,,\n"
)


def stored(session: Session, code: str) -> dict[str, Any]:
    row = session.execute(
        text(
            "SELECT k.name, b.code AS brand, b.name AS brand_name, b.own, c.code AS category,"
            " k.pack_size, k.ean, k.rrp::text AS rrp FROM sku AS k"
            " JOIN brand AS b ON b.id = k.brand_id JOIN category AS c ON c.id = k.category_id"
            " WHERE k.code = :code"
        ),
        {"code": code},
    ).one()
    return dict(row._mapping)


def test_skus_create_the_brands_and_categories_they_name(session: Session) -> None:
    summary = run_import(session, "skus", FIRST)

    assert (summary.inserted, summary.created) == (2, {"brands": 1, "categories": 1})
    assert stored(session, "SKU-1") == {
        "name": "Cola 33cl",
        "brand": "COLA",
        "brand_name": "Cola Co",
        "own": True,
        "category": "SOFT",
        "pack_size": "33cl",
        "ean": "5449000000996",
        "rrp": "0.99",
    }


def test_reimport_updates_and_leaves_brands_alone(session: Session) -> None:
    run_import(session, "skus", FIRST)

    again = run_import(
        session,
        "skus",
        "code,name,brand_code,category_code,rrp\n"
        "SKU-1,Cola 33cl,COLA,SOFT,1.09\nSKU-2,Cola 1.5l,COLA,SOFT,2.49\n",
    )

    assert (again.inserted, again.updated, again.unchanged) == (0, 1, 1)
    assert again.created == {"brands": 0, "categories": 0}
    assert stored(session, "SKU-1")["rrp"] == "1.09"
    assert stored(session, "SKU-1")["ean"] == "5449000000996"  # the column was left out


@pytest.mark.parametrize(
    ("row", "column", "reason"),
    [
        ("SKU-3,X,COLA,SOFT,,5449000000997,,,,", "ean", "wrong EAN check digit"),
        ("SKU-3,X,COLA,SOFT,,54490001,,,,", "ean", "wrong EAN check digit"),
        ("SKU-3,X,COLA,SOFT,,ABC,,,,", "ean", "not an EAN: 8, 12, 13 or 14 digits"),
        ("SKU-3,X,COLA,SOFT,,5449000000996,,,,", "ean", "same ean as line 2"),
        ("SKU-3,X,COLA,SOFT,,,-1,,,", "rrp", "must be at least 0"),
        ("SKU-3,X,COLA,SOFT,,,1;50,,,", "rrp", "not a number"),
        ("SKU-3,X,PEPSI,SOFT,,,,,,", "brand_code", "no brand PEPSI; give brand_name to create"),
        ("SKU-3,X,COLA,SOFT,,,,Other Co,,", "brand_name", "differs from the brand_name on line 2"),
        ("SKU-3,X,COLA,SOFT,,,,,perhaps,", "brand_own", "not one of: true, false, yes, no"),
        ("SKU-3,X,COLA,WATER,,,,,,", "category_code", "no category WATER; give category_name"),
    ],
)
def test_a_bad_row_is_refused_with_its_line(
    session: Session, row: str, column: str, reason: str
) -> None:
    errors = rejected(session, "skus", FIRST + row + "\n")

    assert len(errors) == 1
    assert (errors[0]["line"], errors[0]["column"]) == (4, column)
    assert errors[0]["reason"].startswith(reason)


def test_an_ean_held_by_another_stored_sku_is_refused(session: Session) -> None:
    run_import(session, "skus", FIRST)

    errors = rejected(
        session,
        "skus",
        "code,name,brand_code,category_code,ean\nSKU-9,X,COLA,SOFT,5449000000996\n",
    )

    assert errors == [{"line": 2, "column": "ean", "reason": "already the EAN of SKU SKU-1"}]
