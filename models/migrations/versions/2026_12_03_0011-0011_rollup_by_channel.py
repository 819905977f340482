"""Planning rollup by channel: the coverage table's sums kept per channel too

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 03:00:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Each sum table and the key columns after (month, subtree, territory_id).
TABLES = {
    "planning_outlets_cell": (),
    "planning_sku_cell": ("sku_id",),
    "planning_category_cell": ("category_id",),
    "planning_last_year_cell": ("sku_id",),
}


def _rekey(table: str, key: Sequence[str], channel: bool) -> None:
    op.drop_constraint(op.f(f"pk_{table}"), table, type_="primary")
    columns = ["month", "subtree", "territory_id", *(["channel"] if channel else []), *key]
    op.create_primary_key(op.f(f"pk_{table}"), table, columns)


def upgrade() -> None:
    # The cells held are totals over every channel: dropped with their snapshots, so the next
    # refresh computes every month it keeps again, per channel and for all channels ("*").
    for table in TABLES:
        op.execute(f"DELETE FROM {table}")
    op.execute("DELETE FROM planning_snapshot")
    for table, key in TABLES.items():
        op.add_column(table, sa.Column("channel", sa.String(length=32), nullable=False))
        _rekey(table, key, channel=True)


def downgrade() -> None:
    for table in TABLES:
        op.execute(f"DELETE FROM {table}")
    op.execute("DELETE FROM planning_snapshot")
    for table, key in TABLES.items():
        _rekey(table, key, channel=False)
        op.drop_column(table, "channel")
