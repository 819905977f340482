"""Prospect rollup: outlets' and channels' history, prospects' lookalikes, and their marks

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 02:30:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The channel and class types belong to the outlet table (revision 0003); this one only uses them.
CLASS = postgresql.ENUM("A", "B", "C", name="outlet_class", create_type=False)
CHANNEL = postgresql.ENUM(
    "hypermarket",
    "supermarket",
    "convenience",
    "traditional_trade",
    "horeca",
    "other",
    name="outlet_channel",
    create_type=False,
)

# An outlet added or removed, or changed in what makes it a lookalike (place, status, channel,
# class), leaves what it was and what it is: the prospects of that channel and class near it
# may have other lookalikes.
FUNCTION = """
CREATE FUNCTION planning_mark_outlet_place() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO planning_outlet_mark (location, channel, outlet_class)
        SELECT n.location, n.channel, n.outlet_class FROM new_rows AS n;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO planning_outlet_mark (location, channel, outlet_class)
        SELECT o.location, o.channel, o.outlet_class FROM old_rows AS o;
    ELSE
        INSERT INTO planning_outlet_mark (location, channel, outlet_class)
        SELECT x.location, x.channel, x.outlet_class
        FROM old_rows AS o
        JOIN new_rows AS n ON n.id = o.id
        CROSS JOIN LATERAL (VALUES (o.location, o.channel, o.outlet_class),
                                   (n.location, n.channel, n.outlet_class))
            AS x (location, channel, outlet_class)
        WHERE (o.location, o.status, o.channel, o.outlet_class)
              IS DISTINCT FROM (n.location, n.status, n.channel, n.outlet_class);
    END IF;
    RETURN NULL;
END
$$
"""

# What the history tables sum: sales by their day, orders by their visit's start (a date in the
# writer's time zone: readers allow a day either side). An outlet's tables also change with its
# territory, status or channel, whatever the day (NULL).
VIA_VISIT = "JOIN visit AS v ON v.id = r.visit_id JOIN outlet AS o ON o.id = v.outlet_id"
VISIT_DAY = "SELECT o.territory_id, CAST(v.started_at AS date)"
HISTORY_DAYS = {
    "sale": "SELECT o.territory_id, r.day FROM {rows} AS r JOIN outlet AS o ON o.id = r.outlet_id",
    "visit": "SELECT o.territory_id, CAST(r.started_at AS date) FROM {rows} AS r "
    "JOIN outlet AS o ON o.id = r.outlet_id",
    "sales_order": f"{VISIT_DAY} FROM {{rows}} AS r {VIA_VISIT}",
    "order_line": f"{VISIT_DAY} FROM {{rows}} AS l "
    f"JOIN sales_order AS r ON r.id = l.order_id {VIA_VISIT}",
    "outlet": "SELECT r.territory_id, CAST(NULL AS date) FROM {rows} AS r",
}

HISTORY_FUNCTION = """
CREATE FUNCTION planning_history_mark_{table}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO planning_history_mark (territory_id, day)
        SELECT DISTINCT x.territory_id, x.day FROM ({new}) AS x (territory_id, day)
        WHERE x.territory_id IS NOT NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        INSERT INTO planning_history_mark (territory_id, day)
        SELECT DISTINCT x.territory_id, x.day FROM ({old}) AS x (territory_id, day)
        WHERE x.territory_id IS NOT NULL;
    END IF;
    RETURN NULL;
END
$$
"""

# A new visit has no orders yet: only a changed or deleted one moves orders' days (a deleted
# visit's orders go with it, and their own trigger no longer finds the visit). Not marking each
# check-in keeps the busiest insert light.
HISTORY_EVENTS = {"visit": ("update", "delete")}

TRIGGERS = {
    "insert": "REFERENCING NEW TABLE AS new_rows",
    "update": "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
    "delete": "REFERENCING OLD TABLE AS old_rows",
}


def upgrade() -> None:
    # The snapshots held so far were taken without the history tables: the next refresh takes
    # every month again, and until then questions are answered from the facts.
    op.execute("DELETE FROM planning_snapshot")
    op.add_column("planning_snapshot", sa.Column("history_months", sa.Integer(), nullable=False))
    op.create_table(
        "planning_history_outlet",
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("territory_id", sa.Uuid(), nullable=False),
        sa.Column("outlet_id", sa.Uuid(), nullable=False),
        sa.Column("quantity", sa.Numeric(), nullable=False),
        sa.Column("value", sa.Numeric(), nullable=False),
        sa.Column("skus", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "month", "territory_id", "outlet_id", name=op.f("pk_planning_history_outlet")
        ),
    )
    op.create_table(
        "planning_history_channel",
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("territory_id", sa.Uuid(), nullable=False),
        sa.Column("channel", CHANNEL, nullable=False),
        sa.Column("sku_id", sa.Uuid(), nullable=False),
        sa.Column("quantity", sa.Numeric(), nullable=False),
        sa.Column("value", sa.Numeric(), nullable=False),
        sa.Column("selling", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "month", "territory_id", "channel", "sku_id", name=op.f("pk_planning_history_channel")
        ),
    )
    op.create_table(
        "planning_lookalike",
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.Column("outlet_id", sa.Uuid(), nullable=False),
        sa.Column("distance_m", sa.Numeric(), nullable=False),
        sa.PrimaryKeyConstraint("subject_id", "outlet_id", name=op.f("pk_planning_lookalike")),
    )
    op.create_table(
        "planning_lookalike_snapshot",
        sa.Column("radius_m", sa.Float(), nullable=False),
        sa.Column("neighbours", sa.Integer(), nullable=False),
        sa.Column("refreshed_at", postgresql.TIMESTAMP(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "radius_m", "neighbours", name=op.f("pk_planning_lookalike_snapshot")
        ),
    )
    op.create_geospatial_table(
        "planning_outlet_mark",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column(
            "location",
            Geometry(
                geometry_type="POINT",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.Column("channel", CHANNEL, nullable=False),
        sa.Column("outlet_class", CLASS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_planning_outlet_mark")),
    )
    op.create_index(
        "ix_planning_outlet_mark_location_geography",
        "planning_outlet_mark",
        [sa.literal_column("(location::geography)")],
        unique=False,
        postgresql_using="gist",
    )
    op.create_table(
        "planning_history_mark",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("territory_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_planning_history_mark")),
    )
    for table, days in HISTORY_DAYS.items():
        new, old = days.format(rows="new_rows"), days.format(rows="old_rows")
        op.execute(HISTORY_FUNCTION.format(table=table, new=new, old=old))
        for event in HISTORY_EVENTS.get(table, tuple(TRIGGERS)):
            transition = TRIGGERS[event]
            op.execute(
                f"CREATE TRIGGER planning_history_mark_{event} AFTER {event.upper()} ON {table} "
                f"{transition} FOR EACH STATEMENT EXECUTE FUNCTION planning_history_mark_{table}()"
            )
    op.execute(FUNCTION)
    for event, transition in TRIGGERS.items():
        op.execute(
            f"CREATE TRIGGER planning_mark_place_{event} AFTER {event.upper()} ON outlet "
            f"{transition} FOR EACH STATEMENT EXECUTE FUNCTION planning_mark_outlet_place()"
        )


def downgrade() -> None:
    for table in HISTORY_DAYS:
        for event in HISTORY_EVENTS.get(table, tuple(TRIGGERS)):
            op.execute(f"DROP TRIGGER planning_history_mark_{event} ON {table}")
        op.execute(f"DROP FUNCTION planning_history_mark_{table}()")
    op.drop_table("planning_history_mark")
    for event in TRIGGERS:
        op.execute(f"DROP TRIGGER planning_mark_place_{event} ON outlet")
    op.execute("DROP FUNCTION planning_mark_outlet_place()")
    op.drop_index(
        "ix_planning_outlet_mark_location_geography",
        table_name="planning_outlet_mark",
        postgresql_using="gist",
    )
    op.drop_geospatial_table("planning_outlet_mark")
    op.drop_table("planning_lookalike_snapshot")
    op.drop_table("planning_lookalike")
    op.drop_table("planning_history_channel")
    op.drop_table("planning_history_outlet")
    op.drop_column("planning_snapshot", "history_months")
