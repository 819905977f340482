"""Sales and target imports: each row replaces the stored row with the same natural key."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import text
from sqlmodel import Session

from models.imports.spec import Column, Kind, Outcome, Spec

QUANTITY = ("0", "99999999999.999")  # numeric(14, 3)
VALUE = ("0", "999999999999.99")  # numeric(14, 2)

SALES_CHECKS = """
SELECT s.line, 'outlet_code', 'no outlet ' || s.outlet_code FROM import_rows AS s
WHERE s.outlet_code IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM outlet AS o WHERE o.code = s.outlet_code)
UNION ALL
SELECT s.line, 'sku_code', 'no SKU ' || s.sku_code FROM import_rows AS s
WHERE s.sku_code IS NOT NULL AND NOT EXISTS (SELECT 1 FROM sku AS k WHERE k.code = s.sku_code)
"""
SALES_UPSERT = text("""
WITH upserted AS (
    INSERT INTO sale AS x (outlet_id, sku_id, day, quantity, value)
    SELECT o.id, k.id, s.date::date, s.quantity::numeric, s.value::numeric
    FROM import_rows AS s
    JOIN outlet AS o ON o.code = s.outlet_code
    JOIN sku AS k ON k.code = s.sku_code
    ON CONFLICT (outlet_id, sku_id, day) DO UPDATE SET
        quantity = excluded.quantity, value = excluded.value
    WHERE (x.quantity, x.value) IS DISTINCT FROM (excluded.quantity, excluded.value)
    RETURNING xmax = 0 AS inserted
)
SELECT count(*) FILTER (WHERE inserted) AS inserted,
       count(*) FILTER (WHERE NOT inserted) AS updated
FROM upserted
""")
TARGET_CHECKS = """
SELECT s.line, 'territory_code', 'no territory ' || s.territory_code FROM import_rows AS s
WHERE s.territory_code IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM territory AS t WHERE t.code = s.territory_code)
UNION ALL
SELECT s.line, 'sku_code', 'no SKU ' || s.sku_code FROM import_rows AS s
WHERE s.sku_code IS NOT NULL AND NOT EXISTS (SELECT 1 FROM sku AS k WHERE k.code = s.sku_code)
UNION ALL
SELECT line, 'quantity', 'give a quantity, a value or both' FROM import_rows
WHERE quantity IS NULL AND value IS NULL
"""
TARGET_UPSERT = text("""
WITH upserted AS (
    INSERT INTO target AS x (territory_id, sku_id, period, quantity, value)
    SELECT t.id, k.id, (s.period || '-01')::date, s.quantity::numeric, s.value::numeric
    FROM import_rows AS s
    JOIN territory AS t ON t.code = s.territory_code
    JOIN sku AS k ON k.code = s.sku_code
    ON CONFLICT (territory_id, sku_id, period) DO UPDATE SET
        quantity = excluded.quantity, value = excluded.value
    WHERE (x.quantity, x.value) IS DISTINCT FROM (excluded.quantity, excluded.value)
    RETURNING xmax = 0 AS inserted
)
SELECT count(*) FILTER (WHERE inserted) AS inserted,
       count(*) FILTER (WHERE NOT inserted) AS updated
FROM upserted
""")


def apply_sales(session: Session, present: Sequence[str]) -> Outcome:
    counts = session.execute(SALES_UPSERT).one()
    return Outcome(inserted=counts.inserted, updated=counts.updated)


def apply_targets(session: Session, present: Sequence[str]) -> Outcome:
    counts = session.execute(TARGET_UPSERT).one()
    return Outcome(inserted=counts.inserted, updated=counts.updated)


SALES = Spec(
    kind=Kind.sales,
    columns=(
        Column("outlet_code", required=True),
        Column("sku_code", required=True),
        Column("date", required=True, check="date"),
        Column("quantity", required=True, check="number", bounds=QUANTITY),
        Column("value", required=True, check="number", bounds=VALUE),
    ),
    keys=(("outlet_code", "sku_code", "date"),),
    apply=apply_sales,
    checks=SALES_CHECKS,
)
TARGETS = Spec(
    kind=Kind.targets,
    columns=(
        Column("territory_code", required=True),
        Column("sku_code", required=True),
        Column("period", required=True, check="month"),
        # Either may be left out of the file; a row needs at least one of them.
        Column("quantity", check="number", bounds=QUANTITY),
        Column("value", check="number", bounds=VALUE),
    ),
    keys=(("territory_code", "sku_code", "period"),),
    apply=apply_targets,
    checks=TARGET_CHECKS,
    one_of=("quantity", "value"),
)
