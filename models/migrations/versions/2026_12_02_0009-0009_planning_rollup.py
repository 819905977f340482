"""Planning rollup: the coverage table's sums per territory and month, and dirty marks

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 02:30:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# From the rows a statement wrote (``{rows}``) to the territories of their outlets.
VIA_VISIT = "JOIN visit AS v ON v.id = r.visit_id JOIN outlet AS o ON o.id = v.outlet_id"
TERRITORIES = {
    "outlet": "SELECT r.territory_id FROM {rows} AS r",
    "sale": "SELECT o.territory_id FROM {rows} AS r JOIN outlet AS o ON o.id = r.outlet_id",
    "visit": "SELECT o.territory_id FROM {rows} AS r JOIN outlet AS o ON o.id = r.outlet_id",
    "sales_order": f"SELECT o.territory_id FROM {{rows}} AS r {VIA_VISIT}",
    "audit": f"SELECT o.territory_id FROM {{rows}} AS r {VIA_VISIT}",
    "photo": f"SELECT o.territory_id FROM {{rows}} AS r {VIA_VISIT}",
    "order_line": "SELECT o.territory_id FROM {rows} AS l "
    "JOIN sales_order AS r ON r.id = l.order_id " + VIA_VISIT,
    "audit_line": "SELECT o.territory_id FROM {rows} AS l "
    "JOIN audit AS r ON r.id = l.audit_id " + VIA_VISIT,
    "photo_facing": "SELECT o.territory_id FROM {rows} AS l "
    "JOIN photo AS r ON r.id = l.photo_id " + VIA_VISIT,
    # A target set changes the effective targets of its territory and those above it.
    "target": "SELECT r.territory_id FROM {rows} AS r",
    # A territory moved, added or removed changes the subtrees of its old and new parents.
    "territory": "SELECT v.id FROM {rows} AS r CROSS JOIN LATERAL (VALUES (r.id), (r.parent_id)) "
    "AS v (id)",
    # An SKU moved to another category changes every territory's weighted distribution (a
    # new SKU has no facts yet, and deleting one deletes its facts, which mark themselves).
    "sku": "SELECT t.id FROM territory AS t WHERE EXISTS (SELECT FROM {rows})",
}
EVENTS = {"sku": ("update",)}

FUNCTION = """
CREATE FUNCTION planning_mark_{table}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO planning_dirty (territory_id)
        SELECT DISTINCT x.territory_id FROM ({new}) AS x (territory_id)
        WHERE x.territory_id IS NOT NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        INSERT INTO planning_dirty (territory_id)
        SELECT DISTINCT x.territory_id FROM ({old}) AS x (territory_id)
        WHERE x.territory_id IS NOT NULL;
    END IF;
    RETURN NULL;
END
$$
"""

TRIGGERS = {
    "insert": "REFERENCING NEW TABLE AS new_rows",
    "update": "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
    "delete": "REFERENCING OLD TABLE AS old_rows",
}


def _cells(name: str, *columns: sa.Column, subtree: bool = True) -> None:  # type: ignore[type-arg]
    op.create_table(
        name,
        sa.Column("month", sa.Date(), nullable=False),
        *([sa.Column("subtree", sa.Boolean(), nullable=False)] if subtree else []),
        sa.Column("territory_id", sa.Uuid(), nullable=False),
        *columns,
    )


def upgrade() -> None:
    op.create_table(
        "planning_snapshot",
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("cut", sa.Date(), nullable=False),
        sa.Column("window_days", sa.Integer(), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("refreshed_at", postgresql.TIMESTAMP(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("month", name=op.f("pk_planning_snapshot")),
    )
    _cells(
        "planning_outlets_cell",
        sa.Column("universe", sa.Integer(), nullable=False),
        sa.Column("covered", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "month", "subtree", "territory_id", name=op.f("pk_planning_outlets_cell")
        ),
    )
    _cells(
        "planning_sku_cell",
        sa.Column("sku_id", sa.Uuid(), nullable=False),
        sa.Column("carrying", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Numeric(), nullable=False),
        sa.Column("value", sa.Numeric(), nullable=False),
        sa.Column("carrying_category_value", sa.Numeric(), nullable=False),
        sa.PrimaryKeyConstraint(
            "month", "subtree", "territory_id", "sku_id", name=op.f("pk_planning_sku_cell")
        ),
    )
    _cells(
        "planning_category_cell",
        sa.Column("category_id", sa.Uuid(), nullable=False),
        sa.Column("value", sa.Numeric(), nullable=False),
        sa.PrimaryKeyConstraint(
            "month",
            "subtree",
            "territory_id",
            "category_id",
            name=op.f("pk_planning_category_cell"),
        ),
    )
    _cells(
        "planning_last_year_cell",
        sa.Column("sku_id", sa.Uuid(), nullable=False),
        sa.Column("quantity", sa.Numeric(), nullable=False),
        sa.Column("value", sa.Numeric(), nullable=False),
        sa.PrimaryKeyConstraint(
            "month",
            "subtree",
            "territory_id",
            "sku_id",
            name=op.f("pk_planning_last_year_cell"),
        ),
    )
    _cells(
        "planning_target_cell",
        sa.Column("sku_id", sa.Uuid(), nullable=False),
        sa.Column("quantity", sa.Numeric(), nullable=True),
        sa.Column("value", sa.Numeric(), nullable=True),
        sa.PrimaryKeyConstraint(
            "month", "territory_id", "sku_id", name=op.f("pk_planning_target_cell")
        ),
        subtree=False,
    )
    op.create_table(
        "planning_dirty",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("territory_id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_planning_dirty")),
    )
    for table, territories in TERRITORIES.items():
        new, old = territories.format(rows="new_rows"), territories.format(rows="old_rows")
        op.execute(FUNCTION.format(table=table, new=new, old=old))
        for event in EVENTS.get(table, tuple(TRIGGERS)):
            op.execute(
                f"CREATE TRIGGER planning_mark_{event} AFTER {event.upper()} ON {table} "
                f"{TRIGGERS[event]} FOR EACH STATEMENT EXECUTE FUNCTION planning_mark_{table}()"
            )


def downgrade() -> None:
    for table in TERRITORIES:
        for event in EVENTS.get(table, tuple(TRIGGERS)):
            op.execute(f"DROP TRIGGER planning_mark_{event} ON {table}")
        op.execute(f"DROP FUNCTION planning_mark_{table}()")
    op.drop_table("planning_dirty")
    for name in ("target", "last_year", "category", "sku", "outlets"):
        op.drop_table(f"planning_{name}_cell")
    op.drop_table("planning_snapshot")
