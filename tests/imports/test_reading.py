"""Reading files: degenerate inputs, headers, encodings and line numbers, before any row."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from models.imports import Rejected, Unsupported
from models.imports.reading import ean_problem
from tests.imports.conftest import rejected, run_import

OUTLETS = "code,name,channel,lon,lat\n"


@pytest.mark.parametrize(
    ("content", "detail"),
    [
        (b"", "The file is empty: it needs a header line and rows."),
        (b"\n\n", "The file is empty: it needs a header line and rows."),
        (OUTLETS.encode(), "The file has no rows to import."),
        (OUTLETS.encode() + b"\n,,,,\n", "The file has no rows to import."),
        (b"{", "The file is not valid JSON: Expecting property name enclosed in double quotes"),
        (b'{"type": "Feature"}', "Expected a GeoJSON FeatureCollection."),
        (b'{"type": "FeatureCollection"}', "The FeatureCollection has no list of features."),
        (b"\xffcode,name\n", "The header cannot be read: the file is not UTF-8 text."),
    ],
)
def test_degenerate_files_are_refused(session: Session, content: bytes, detail: str) -> None:
    with pytest.raises(Rejected) as caught:
        run_import(session, "outlets", content)

    assert caught.value.detail.startswith(detail)


@pytest.mark.parametrize(
    ("kind", "header", "errors"),
    [
        (
            "skus",
            "code,name,brand_code,category_code,colour",
            [{"column": "colour", "reason": "unknown column; expected: code, name, brand_code, "}],
        ),
        ("sales", "outlet_code,sku_code,date,quantity", [{"column": "value"}]),
        ("outlets", "code,name,channel,lon,lat,Name", [{"column": "Name"}]),
        ("outlets", "code,,name,channel,lon,lat", [{"column": "#2"}]),
        ("targets", "territory_code,sku_code,period", [{"column": "quantity"}]),
    ],
)
def test_a_header_that_does_not_fit_is_refused_before_loading(
    session: Session, kind: str, header: str, errors: list[dict[str, str]]
) -> None:
    with pytest.raises(Rejected) as caught:
        run_import(session, kind, header + "\nx,x,x,x,x,x\n")

    found = caught.value.extensions["errors"]
    assert caught.value.detail == "The header does not fit this kind of import."
    assert [error["line"] for error in found] == [1] * len(errors)
    assert [error["column"] for error in found] == [error["column"] for error in errors]
    assert all(
        f["reason"].startswith(e.get("reason", "")) for f, e in zip(found, errors, strict=True)
    )


def test_line_numbers_count_physical_lines(session: Session) -> None:
    # BOM, CRLF, a blank line and a quoted cell spanning two lines come before the bad row.
    file = (
        "\ufeffCode , NAME,channel,lon,lat\r\n"
        'A,"two\r\nlines",convenience,2,48\r\n'
        "\r\n"
        "B,Shop,convenience,2,-91\r\n"
    )

    errors = rejected(session, "outlets", file)

    assert errors == [{"line": 5, "column": "lat", "reason": "must be at least -90"}]


def test_a_row_that_is_not_utf8_stops_the_reading(session: Session) -> None:
    file = OUTLETS.encode() + b"A,Caf\xe9,horeca,2,48\n" + b"B,Shop,bogus,2,48\n" * 10_000

    errors = rejected(session, "outlets", file)

    assert errors[-1] == {
        "line": 2,
        "column": None,
        "reason": "cannot be read: the file is not UTF-8 text",
    }


def test_errors_are_capped_and_counted(session: Session) -> None:
    file = OUTLETS + "A,Shop,bogus,2,48\n" * 1500

    with pytest.raises(Rejected) as caught:
        run_import(session, "outlets", file)

    extensions = caught.value.extensions
    assert len(extensions["errors"]) == 1000
    assert extensions["error_count"] == 1500 + 1499  # every row's channel, and repeated codes
    assert caught.value.detail.startswith("2999 problem(s) in the file; the first 1000 are listed")


def test_geojson_is_only_for_territories_and_outlets(session: Session) -> None:
    with pytest.raises(Unsupported):
        run_import(session, "sales", '{"type": "FeatureCollection", "features": []}')


@pytest.mark.parametrize(
    ("code", "problem"),
    [
        ("", "not an EAN: 8, 12, 13 or 14 digits"),
        ("1234567", "not an EAN: 8, 12, 13 or 14 digits"),
        ("14006381333938", None),  # GTIN-14
        ("4006381333931", None),  # EAN-13
        ("4006381333932", "wrong EAN check digit"),
        ("036000291452", None),  # UPC-A
        ("96385074", None),  # EAN-8
        ("4OO6381333931", "not an EAN: 8, 12, 13 or 14 digits"),
    ],
)
def test_ean_check_digit(code: str, problem: str | None) -> None:
    assert ean_problem(code) == problem
