"""SKU imports: upserted by code; brands and categories a row names are created when missing."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import text
from sqlmodel import Session

from models.imports.spec import Column, Kind, Outcome, Spec

# A brand or category that is not stored is created from the first row that gives its name;
# other rows of it may leave the name empty but not contradict it. Stored ones are not touched.
CHECKS = """
SELECT s.line, 'brand_code', 'no brand ' || s.brand_code || '; give brand_name to create it'
FROM import_rows AS s
WHERE s.brand_code IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM brand AS b WHERE b.code = s.brand_code)
  AND NOT EXISTS (SELECT 1 FROM import_rows AS n
                  WHERE n.brand_code = s.brand_code AND n.brand_name IS NOT NULL)
UNION ALL
SELECT s.line, 'category_code',
    'no category ' || s.category_code || '; give category_name to create it'
FROM import_rows AS s
WHERE s.category_code IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM category AS c WHERE c.code = s.category_code)
  AND NOT EXISTS (SELECT 1 FROM import_rows AS n
                  WHERE n.category_code = s.category_code AND n.category_name IS NOT NULL)
UNION ALL
SELECT line, 'brand_name', 'differs from the brand_name on line ' || first_line FROM (
    SELECT line, brand_name, first_value(brand_name) OVER w AS first_name,
        first_value(line) OVER w AS first_line
    FROM import_rows WHERE brand_name IS NOT NULL
    WINDOW w AS (PARTITION BY brand_code ORDER BY line)
) AS named WHERE brand_name <> first_name
UNION ALL
SELECT line, 'category_name', 'differs from the category_name on line ' || first_line FROM (
    SELECT line, category_name, first_value(category_name) OVER w AS first_name,
        first_value(line) OVER w AS first_line
    FROM import_rows WHERE category_name IS NOT NULL
    WINDOW w AS (PARTITION BY category_code ORDER BY line)
) AS named WHERE category_name <> first_name
UNION ALL
SELECT s.line, 'ean', 'already the EAN of SKU ' || k.code
FROM import_rows AS s JOIN sku AS k ON k.ean = s.ean AND k.code <> s.code
"""
CREATE_BRANDS = text("""
WITH created AS (
    INSERT INTO brand (id, code, name, own)
    SELECT DISTINCT ON (s.brand_code) gen_random_uuid(), s.brand_code, s.brand_name,
        coalesce(lower(s.brand_own) IN ('true', 'yes', '1'), false)
    FROM import_rows AS s
    WHERE s.brand_name IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM brand AS b WHERE b.code = s.brand_code)
    ORDER BY s.brand_code, s.line
    ON CONFLICT (code) DO NOTHING
    RETURNING 1
) SELECT count(*) FROM created
""")
CREATE_CATEGORIES = text("""
WITH created AS (
    INSERT INTO category (id, code, name)
    SELECT DISTINCT ON (s.category_code) gen_random_uuid(), s.category_code, s.category_name
    FROM import_rows AS s
    WHERE s.category_name IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM category AS c WHERE c.code = s.category_code)
    ORDER BY s.category_code, s.line
    ON CONFLICT (code) DO NOTHING
    RETURNING 1
) SELECT count(*) FROM created
""")
# Optional columns left out of the file keep their stored values; present but empty clears.
UPSERT = text("""
WITH upserted AS (
    INSERT INTO sku AS k (id, code, name, brand_id, category_id, pack_size, ean, rrp, active)
    SELECT gen_random_uuid(), s.code, s.name, b.id, c.id,
        CASE WHEN 'pack_size' = ANY(:present) THEN coalesce(s.pack_size, '')
             ELSE coalesce(cur.pack_size, '') END,
        CASE WHEN 'ean' = ANY(:present) THEN s.ean ELSE cur.ean END,
        CASE WHEN 'rrp' = ANY(:present) THEN s.rrp::numeric ELSE cur.rrp END,
        coalesce(cur.active, true)
    FROM import_rows AS s
    JOIN brand AS b ON b.code = s.brand_code
    JOIN category AS c ON c.code = s.category_code
    LEFT JOIN sku AS cur ON cur.code = s.code
    ON CONFLICT (code) DO UPDATE SET
        name = excluded.name, brand_id = excluded.brand_id, category_id = excluded.category_id,
        pack_size = excluded.pack_size, ean = excluded.ean, rrp = excluded.rrp
    WHERE (k.name, k.brand_id, k.category_id, k.pack_size, k.ean, k.rrp)
        IS DISTINCT FROM (excluded.name, excluded.brand_id, excluded.category_id,
            excluded.pack_size, excluded.ean, excluded.rrp)
    RETURNING xmax = 0 AS inserted
)
SELECT count(*) FILTER (WHERE inserted) AS inserted,
       count(*) FILTER (WHERE NOT inserted) AS updated
FROM upserted
""")


def apply(session: Session, present: Sequence[str]) -> Outcome:
    """Create the missing brands and categories, then upsert the staged SKUs."""
    brands = session.execute(CREATE_BRANDS).scalar_one()
    categories = session.execute(CREATE_CATEGORIES).scalar_one()
    counts = session.execute(UPSERT, {"present": list(present)}).one()
    return Outcome(
        inserted=counts.inserted,
        updated=counts.updated,
        created={"brands": brands, "categories": categories},
    )


SPEC = Spec(
    kind=Kind.skus,
    columns=(
        Column("code", required=True, length=64),
        Column("name", required=True, length=200),
        Column("brand_code", required=True, length=64),
        Column("category_code", required=True, length=64),
        Column("pack_size", length=64),
        Column("ean", check="ean"),
        Column("rrp", check="number", bounds=("0", "9999999999.99")),
        Column("brand_name", length=200),
        Column("brand_own", check="boolean"),
        Column("category_name", length=200),
    ),
    keys=(("code",), ("ean",)),
    apply=apply,
    checks=CHECKS,
)
