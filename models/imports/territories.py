"""Territory imports: boundaries checked by PostGIS, parents resolved in the file or stored."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import text
from sqlmodel import Session

from models.imports.spec import Column, Format, Kind, Outcome, Spec
from models.territories import assign_outlets

# A parse error must become a row problem, not abort the transaction: the exception block
# catches it (one subtransaction per boundary, which territory files can afford).
GEOMETRY_FUNCTION = """
CREATE OR REPLACE FUNCTION pg_temp.import_geometry(raw text, OUT geom geometry, OUT problem text)
LANGUAGE plpgsql AS $$
BEGIN
    IF left(ltrim(raw), 1) = '{' THEN
        geom := ST_GeomFromGeoJSON(raw);
    ELSE
        geom := ST_GeomFromEWKT(raw);
    END IF;
EXCEPTION WHEN others THEN
    problem := SQLERRM;
END $$
"""
PARSE_GEOMETRY = """
UPDATE import_rows SET (geom, problem) = (
    SELECT g.geom, g.problem FROM pg_temp.import_geometry(geometry) AS g
) WHERE geometry IS NOT NULL
"""
# Ids are settled before the checks, so that parents named in the same file resolve and the
# hierarchy the import would produce can be searched for cycles.
RESOLVE_IDS = """
UPDATE import_rows AS s SET id = coalesce(
    (SELECT t.id FROM territory AS t WHERE t.code = s.code), gen_random_uuid())
"""
RESOLVE_PARENTS = """
UPDATE import_rows AS s SET parent_id = CASE
    WHEN 'parent_code' = ANY(%(present)s) THEN coalesce(
        (SELECT p.id FROM import_rows AS p WHERE p.code = s.parent_code ORDER BY p.line LIMIT 1),
        (SELECT t.id FROM territory AS t WHERE t.code = s.parent_code))
    ELSE (SELECT t.parent_id FROM territory AS t WHERE t.id = s.id)
END
"""
CHECKS = """
SELECT line, 'geometry', reason FROM (
    SELECT line, CASE
        WHEN problem IS NOT NULL THEN 'not WKT or GeoJSON: ' || problem
        WHEN GeometryType(geom) NOT IN ('POLYGON', 'MULTIPOLYGON')
            THEN 'must be a Polygon or MultiPolygon, not ' || GeometryType(geom)
        WHEN ST_SRID(geom) NOT IN (0, 4326)
            THEN 'must be WGS84 lon/lat (SRID 4326), not SRID ' || ST_SRID(geom)
        WHEN ST_IsEmpty(geom) THEN 'empty'
        WHEN ST_XMin(geom) < -180 OR ST_XMax(geom) > 180 OR ST_YMin(geom) < -90
            OR ST_YMax(geom) > 90 THEN 'coordinates must be WGS84 lon/lat'
        WHEN NOT ST_IsValid(geom) THEN 'not a valid polygon: ' || ST_IsValidReason(geom)
    END AS reason
    FROM import_rows WHERE geometry IS NOT NULL
) AS g WHERE reason IS NOT NULL
UNION ALL
SELECT line, 'parent_code', 'no territory ' || parent_code || ' here or stored'
FROM import_rows WHERE parent_code IS NOT NULL AND parent_id IS NULL
UNION ALL
SELECT line, 'parent_code', 'would put the territory below itself' FROM (
    WITH RECURSIVE graph AS (
        SELECT id, parent_id FROM import_rows
        UNION ALL
        SELECT t.id, t.parent_id FROM territory AS t
        WHERE NOT EXISTS (SELECT 1 FROM import_rows AS s WHERE s.id = t.id)
    ), walk (line, start, node, depth) AS (
        SELECT line, id, parent_id, 1 FROM import_rows WHERE parent_id IS NOT NULL
        UNION ALL
        SELECT w.line, w.start, g.parent_id, w.depth + 1
        FROM walk AS w JOIN graph AS g ON g.id = w.node
        WHERE w.node <> w.start AND g.parent_id IS NOT NULL AND w.depth < 100
    )
    SELECT DISTINCT line FROM walk WHERE node = start
) AS cycles
"""
UPSERT = text("""
WITH upserted AS (
    INSERT INTO territory AS t (id, code, name, level, parent_id, geom)
    SELECT s.id, s.code, s.name,
        CASE WHEN 'level' = ANY(:present) THEN coalesce(s.level, 'territory')
             ELSE coalesce(cur.level, 'territory') END,
        s.parent_id,
        ST_Multi(ST_Force2D(ST_SetSRID(s.geom, 4326)))
    FROM import_rows AS s
    LEFT JOIN territory AS cur ON cur.id = s.id
    ON CONFLICT (code) DO UPDATE SET
        name = excluded.name, level = excluded.level,
        parent_id = excluded.parent_id, geom = excluded.geom
    WHERE (t.name, t.level, t.parent_id, t.geom)
        IS DISTINCT FROM (excluded.name, excluded.level, excluded.parent_id, excluded.geom)
    RETURNING xmax = 0 AS inserted
)
SELECT count(*) FILTER (WHERE inserted) AS inserted,
       count(*) FILTER (WHERE NOT inserted) AS updated
FROM upserted
""")
# Areas that share more than an edge ('2********': the interiors meet in two dimensions);
# ST_Intersects first, so the GiST index on territory.geom finds the candidates.
OVERLAPS = text("""
SELECT DISTINCT least(a.code, b.code) AS one, greatest(a.code, b.code) AS other
FROM import_rows AS s
JOIN territory AS a ON a.id = s.id
JOIN territory AS b ON b.id <> a.id AND b.parent_id IS NOT DISTINCT FROM a.parent_id
    AND ST_Intersects(a.geom, b.geom) AND ST_Relate(a.geom, b.geom, '2********')
ORDER BY one, other
""")


def apply(session: Session, present: Sequence[str]) -> Outcome:
    """Upsert the staged territories, then re-assign every outlet to its leaf territory."""
    counts = session.execute(UPSERT, {"present": list(present)}).one()
    overlaps = [(row.one, row.other) for row in session.execute(OVERLAPS)]
    return Outcome(
        inserted=counts.inserted,
        updated=counts.updated,
        assigned=assign_outlets(session),
        overlaps=overlaps,
    )


SPEC = Spec(
    kind=Kind.territories,
    columns=(
        Column("code", required=True, length=64),
        Column("name", required=True, length=200),
        Column("level", length=32),
        Column("parent_code", length=64),
        # Present in every file; an empty cell is a territory without a boundary (a grouping).
        Column("geometry", in_header=True, check="geometry"),
    ),
    keys=(("code",),),
    apply=apply,
    checks=CHECKS,
    prepare=(GEOMETRY_FUNCTION, PARSE_GEOMETRY, RESOLVE_IDS, RESOLVE_PARENTS),
    derived=(("geom", "geometry"), ("problem", "text"), ("id", "uuid"), ("parent_id", "uuid")),
    geojson="area",
    formats=frozenset({Format.csv, Format.geojson}),
)
