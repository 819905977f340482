"""Planning rollup by outlet: each outlet's part of the sums, and marks of the outlets written

A visit checked out no longer marks the prospects' history.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 04:00:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The facts of one outlet: from the rows a statement wrote (``{rows}``) to their outlets, with
# the territory each is assigned to. A mark with an outlet stands for that outlet only.
VIA_VISIT = "JOIN visit AS v ON v.id = r.visit_id JOIN outlet AS o ON o.id = v.outlet_id"
OUTLETS = {
    "sale": "SELECT o.territory_id, o.id FROM {rows} AS r JOIN outlet AS o ON o.id = r.outlet_id",
    "visit": "SELECT o.territory_id, o.id FROM {rows} AS r JOIN outlet AS o ON o.id = r.outlet_id",
    "sales_order": f"SELECT o.territory_id, o.id FROM {{rows}} AS r {VIA_VISIT}",
    "audit": f"SELECT o.territory_id, o.id FROM {{rows}} AS r {VIA_VISIT}",
    "photo": f"SELECT o.territory_id, o.id FROM {{rows}} AS r {VIA_VISIT}",
    "order_line": "SELECT o.territory_id, o.id FROM {rows} AS l "
    "JOIN sales_order AS r ON r.id = l.order_id " + VIA_VISIT,
    "audit_line": "SELECT o.territory_id, o.id FROM {rows} AS l "
    "JOIN audit AS r ON r.id = l.audit_id " + VIA_VISIT,
    "photo_facing": "SELECT o.territory_id, o.id FROM {rows} AS l "
    "JOIN photo AS r ON r.id = l.photo_id " + VIA_VISIT,
}

FUNCTION = """
CREATE OR REPLACE FUNCTION planning_mark_{table}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO planning_dirty (territory_id{outlet})
        SELECT DISTINCT x.territory_id{x_outlet} FROM ({new}) AS x (territory_id{outlet})
        WHERE x.territory_id IS NOT NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        INSERT INTO planning_dirty (territory_id{outlet})
        SELECT DISTINCT x.territory_id{x_outlet} FROM ({old}) AS x (territory_id{outlet})
        WHERE x.territory_id IS NOT NULL;
    END IF;
    RETURN NULL;
END
$$
"""


def _functions(*, by_outlet: bool) -> None:
    for table, outlets in OUTLETS.items():
        territories = outlets if by_outlet else outlets.replace(", o.id FROM", " FROM")
        op.execute(
            FUNCTION.format(
                table=table,
                outlet=", outlet_id" if by_outlet else "",
                x_outlet=", x.outlet_id" if by_outlet else "",
                new=territories.format(rows="new_rows"),
                old=territories.format(rows="old_rows"),
            )
        )


# The prospects' history sums a visit's orders by its outlet and its start: a visit changed in
# neither (checked out, scored) moves no order, and marks no history. A deleted one still does.
HISTORY_VISIT = """
CREATE OR REPLACE FUNCTION planning_history_mark_visit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        INSERT INTO planning_history_mark (territory_id, day)
        SELECT DISTINCT t.territory_id, CAST(x.started_at AS date)
        FROM old_rows AS o
        JOIN new_rows AS n ON n.id = o.id
        CROSS JOIN LATERAL (VALUES (o.outlet_id, o.started_at), (n.outlet_id, n.started_at))
            AS x (outlet_id, started_at)
        JOIN outlet AS t ON t.id = x.outlet_id
        WHERE (o.outlet_id, o.started_at) IS DISTINCT FROM (n.outlet_id, n.started_at)
          AND t.territory_id IS NOT NULL;
    ELSE
        INSERT INTO planning_history_mark (territory_id, day)
        SELECT DISTINCT t.territory_id, CAST(r.started_at AS date)
        FROM old_rows AS r JOIN outlet AS t ON t.id = r.outlet_id
        WHERE t.territory_id IS NOT NULL;
    END IF;
    RETURN NULL;
END
$$
"""
# As revision 0010 left it: every visit updated marks the days it started on.
HISTORY_VISIT_BEFORE = """
CREATE OR REPLACE FUNCTION planning_history_mark_visit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO planning_history_mark (territory_id, day)
        SELECT DISTINCT x.territory_id, x.day FROM (
            SELECT o.territory_id, CAST(r.started_at AS date) FROM new_rows AS r
            JOIN outlet AS o ON o.id = r.outlet_id
        ) AS x (territory_id, day)
        WHERE x.territory_id IS NOT NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        INSERT INTO planning_history_mark (territory_id, day)
        SELECT DISTINCT x.territory_id, x.day FROM (
            SELECT o.territory_id, CAST(r.started_at AS date) FROM old_rows AS r
            JOIN outlet AS o ON o.id = r.outlet_id
        ) AS x (territory_id, day)
        WHERE x.territory_id IS NOT NULL;
    END IF;
    RETURN NULL;
END
$$
"""

# Each outlet's part of a sum table, with its key beside (month, outlet_id) and its sums.
PARTS = {
    "planning_outlet_sku_part": (
        ("sku_id",),
        ("carrying", "quantity", "value", "carrying_category_value", "facts"),
    ),
    "planning_outlet_category_part": (("category_id",), ("value",)),
    "planning_outlet_last_year_part": (("sku_id",), ("quantity", "value", "facts")),
}
COUNTS = {"carrying", "facts"}
# The sum tables that gain how many facts each cell adds up (a cell of none is no row).
COUNTED = ("planning_sku_cell", "planning_last_year_cell")


def upgrade() -> None:
    op.add_column("planning_dirty", sa.Column("outlet_id", sa.Uuid(), nullable=True))
    _functions(by_outlet=True)
    op.execute(HISTORY_VISIT)
    op.create_table(
        "planning_outlet_part",
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("outlet_id", sa.Uuid(), nullable=False),
        sa.Column("territory_id", sa.Uuid(), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("universe", sa.Integer(), nullable=False),
        sa.Column("covered", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("month", "outlet_id", name=op.f("pk_planning_outlet_part")),
    )
    op.create_index(
        op.f("ix_planning_outlet_part_territory_id"),
        "planning_outlet_part",
        ["month", "territory_id"],
    )
    for table, (key, sums) in PARTS.items():
        op.create_table(
            table,
            sa.Column("month", sa.Date(), nullable=False),
            sa.Column("outlet_id", sa.Uuid(), nullable=False),
            *(sa.Column(k, sa.Uuid(), nullable=False) for k in key),
            *(
                sa.Column(c, sa.Integer() if c in COUNTS else sa.Numeric(), nullable=False)
                for c in sums
            ),
            sa.PrimaryKeyConstraint("month", "outlet_id", *key, name=op.f(f"pk_{table}")),
        )
    # The cells held were summed without their parts: dropped with their snapshots, so the
    # next refresh computes every month it keeps again, with each outlet's part.
    for table in ("outlets", "sku", "category", "last_year"):
        op.execute(f"DELETE FROM planning_{table}_cell")
    op.execute("DELETE FROM planning_snapshot")
    for table in COUNTED:
        op.add_column(table, sa.Column("facts", sa.Integer(), nullable=False))


def downgrade() -> None:
    for table in ("outlets", "sku", "category", "last_year"):
        op.execute(f"DELETE FROM planning_{table}_cell")
    op.execute("DELETE FROM planning_snapshot")
    for table in COUNTED:
        op.drop_column(table, "facts")
    for table in PARTS:
        op.drop_table(table)
    op.drop_index(op.f("ix_planning_outlet_part_territory_id"), "planning_outlet_part")
    op.drop_table("planning_outlet_part")
    op.execute(HISTORY_VISIT_BEFORE)
    _functions(by_outlet=False)
    op.drop_column("planning_dirty", "outlet_id")
