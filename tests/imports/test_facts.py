"""Sales and target imports: natural keys, references, dates and numbers checked in SQL."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlmodel import Session

from tests.imports.conftest import rejected, run_import

MASTER = {
    "territories": 'code,name,geometry\nT1,One,"POLYGON((2 48, 3 48, 3 49, 2 49, 2 48))"\n',
    "outlets": "code,name,channel,lon,lat\nO1,Shop,convenience,2.5,48.5\n",
    "skus": "code,name,brand_code,category_code,brand_name,category_name\nS1,Cola,B,C,Brand,Cat\n",
}
SALES = "outlet_code,sku_code,date,quantity,value\n"
TARGETS = "territory_code,sku_code,period,quantity,value\n"


@pytest.fixture
def master(session: Session) -> None:
    for kind, content in MASTER.items():
        run_import(session, kind, content)


@pytest.mark.usefixtures("master")
def test_sales_upsert_on_outlet_sku_and_day(session: Session) -> None:
    first = run_import(
        session, "sales", SALES + "O1,S1,2024-05-01,3,4.50\nO1,S1,2024-05-02,1,1.5\n"
    )
    again = run_import(session, "sales", SALES + "O1,S1,2024-05-02,2,3\nO1,S1,2024-05-03,1,1.5\n")

    rows = session.execute(text("SELECT day::text, quantity::text FROM sale ORDER BY day"))
    assert (first.inserted, again.inserted, again.updated) == (2, 1, 1)
    assert [tuple(row) for row in rows] == [
        ("2024-05-01", "3.000"),
        ("2024-05-02", "2.000"),
        ("2024-05-03", "1.000"),
    ]


@pytest.mark.usefixtures("master")
def test_targets_upsert_on_territory_sku_and_month(session: Session) -> None:
    run_import(session, "targets", TARGETS + "T1,S1,2024-05,100,\nT1,S1,2024-06,,2000\n")
    again = run_import(
        session, "targets", "territory_code,sku_code,period,value\nT1,S1,2024-05,5\n"
    )

    rows = session.execute(text("SELECT period::text, quantity, value FROM target ORDER BY 1"))
    assert (again.inserted, again.updated, again.unchanged) == (0, 1, 0)
    assert [(p, q, v and float(v)) for p, q, v in rows] == [
        ("2024-05-01", None, 5.0),  # a target row is replaced as a whole
        ("2024-06-01", None, 2000.0),
    ]


@pytest.mark.usefixtures("master")
@pytest.mark.parametrize(
    ("row", "column", "reason"),
    [
        ("O9,S1,2024-05-01,1,1", "outlet_code", "no outlet O9"),
        ("O1,S9,2024-05-01,1,1", "sku_code", "no SKU S9"),
        ("O1,S1,2024-02-30,1,1", "date", "no such day in that month"),
        ("O1,S1,01/05/2024,1,1", "date", "not a date: YYYY-MM-DD"),
        ("O1,S1,2024-05-01,-1,1", "quantity", "must be at least 0"),
        ("O1,S1,2024-05-01,1,", "value", "required"),
        ("O1,S1,2024-05-01,1,1e3", "value", "not a number"),
        ("O1,S1,2024-05-01,1,1000000000000", "value", "must be at most 999999999999.99"),
        ("O1,S1,2024-04-30,1,1", "outlet_code, sku_code, date", "same outlet_code, sku_code, date"),
    ],
)
def test_a_bad_sales_row_is_refused(session: Session, row: str, column: str, reason: str) -> None:
    errors = rejected(session, "sales", SALES + "O1,S1,2024-04-30,1,1\n" + row + "\n")

    assert len(errors) == 1
    assert (errors[0]["line"], errors[0]["column"]) == (3, column)
    assert errors[0]["reason"].startswith(reason)


@pytest.mark.usefixtures("master")
@pytest.mark.parametrize(
    ("row", "column", "reason"),
    [
        ("T9,S1,2024-05,1,", "territory_code", "no territory T9"),
        ("T1,S1,2024-13,1,", "period", "not a month: YYYY-MM"),
        ("T1,S1,2024-05-01,1,", "period", "not a month: YYYY-MM"),
        ("T1,S1,2024-05,,", "quantity", "give a quantity, a value or both"),
    ],
)
def test_a_bad_target_row_is_refused(session: Session, row: str, column: str, reason: str) -> None:
    errors = rejected(session, "targets", TARGETS + row + "\n")

    assert errors == [{"line": 2, "column": column, "reason": reason}]
