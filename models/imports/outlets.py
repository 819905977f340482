"""Outlet imports: upserted by code, then put in the leaf territory that contains them."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import text
from sqlmodel import Session

from models.imports.spec import Column, Format, Kind, Outcome, Spec
from models.territories import leaf_containing

# Optional columns the file leaves out keep their stored value (a new outlet gets the
# default); a present but empty cell means the default. Extra columns are merged into
# ``attributes``, where an empty cell removes the key.
UPSERT = text(
    """
WITH upserted AS (
    INSERT INTO outlet AS o
        (id, code, name, address, channel, outlet_class, status, location, attributes,
         territory_id)
    SELECT gen_random_uuid(), s.code, s.name,
        CASE WHEN 'address' = ANY(:present) THEN coalesce(s.address, '')
             ELSE coalesce(cur.address, '') END,
        s.channel::outlet_channel,
        CASE WHEN 'class' = ANY(:present) THEN coalesce(s.class, 'C')::outlet_class
             ELSE coalesce(cur.outlet_class, 'C') END,
        CASE WHEN 'status' = ANY(:present) THEN coalesce(s.status, 'active')::outlet_status
             ELSE coalesce(cur.status, 'active') END,
        p.point,
        CASE WHEN s.attributes IS NULL THEN coalesce(cur.attributes, '{}')
             ELSE (coalesce(cur.attributes, '{}') || s.attributes::jsonb) - ARRAY(
                SELECT key FROM jsonb_each(s.attributes::jsonb) WHERE value = 'null') END,
        -- The leaf territory is found in the same statement: no second write of every row.
        LEAF
    FROM import_rows AS s
    CROSS JOIN LATERAL
        (SELECT ST_SetSRID(ST_MakePoint(s.lon::float8, s.lat::float8), 4326) AS point) AS p
    LEFT JOIN outlet AS cur ON cur.code = s.code
    ON CONFLICT (code) DO UPDATE SET
        name = excluded.name, address = excluded.address, channel = excluded.channel,
        outlet_class = excluded.outlet_class, status = excluded.status,
        location = excluded.location, attributes = excluded.attributes,
        territory_id = excluded.territory_id, updated_at = now()
    -- Unchanged rows are not rewritten: no dead tuples, no GiST churn, updated_at stays true.
    WHERE (o.name, o.address, o.channel, o.outlet_class, o.status, o.location, o.attributes)
        IS DISTINCT FROM (excluded.name, excluded.address, excluded.channel,
            excluded.outlet_class, excluded.status, excluded.location, excluded.attributes)
    -- xmax is 0 only on a freshly inserted row version: tells inserts from updates.
    RETURNING o.id, o.location, o.territory_id, xmax = 0 AS inserted
)
-- The main query still sees the table as it was before the upsert (one snapshot for all
-- of the statement), so "before" holds the old locations.
SELECT count(*) FILTER (WHERE u.inserted) AS inserted,
       count(*) FILTER (WHERE NOT u.inserted) AS updated,
       count(*) FILTER (WHERE u.territory_id IS DISTINCT FROM before.territory_id) AS assigned
FROM upserted AS u
LEFT JOIN outlet AS before ON before.id = u.id
""".replace("LEAF", leaf_containing("p.point"))
)


def apply(session: Session, present: Sequence[str]) -> Outcome:
    """Upsert the staged outlets, each in the leaf territory that contains it."""
    counts = session.execute(UPSERT, {"present": list(present)}).one()
    return Outcome(inserted=counts.inserted, updated=counts.updated, assigned=counts.assigned)


SPEC = Spec(
    kind=Kind.outlets,
    columns=(
        Column("code", required=True, length=64),
        Column("name", required=True, length=200),
        Column("address", length=400),
        Column("channel", required=True, check="enum", enum="outlet_channel"),
        Column("class", check="enum", enum="outlet_class"),
        Column("status", check="enum", enum="outlet_status"),
        Column("lon", required=True, check="number", bounds=("-180", "180")),
        Column("lat", required=True, check="number", bounds=("-90", "90")),
    ),
    keys=(("code",),),
    apply=apply,
    extras=True,
    geojson="point",
    formats=frozenset({Format.csv, Format.geojson}),
)
