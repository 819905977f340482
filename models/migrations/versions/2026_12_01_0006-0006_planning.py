"""Planning: must-stock lists by channel, outlet targets

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 21:30:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The channel type belongs to the outlet table (revision 0003); this one only uses it.
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


def upgrade() -> None:
    op.create_table(
        "msl",
        sa.Column("channel", CHANNEL, nullable=False),
        sa.Column("sku_id", sa.Uuid(), nullable=False),
        sa.Column("facings", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["sku_id"], ["sku.id"], name=op.f("fk_msl_sku_id_sku"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("channel", "sku_id", name=op.f("pk_msl")),
    )
    op.create_index(op.f("ix_msl_sku_id"), "msl", ["sku_id"], unique=False)
    op.create_table(
        "outlet_target",
        sa.Column("outlet_id", sa.Uuid(), nullable=False),
        sa.Column("sku_id", sa.Uuid(), nullable=False),
        sa.Column("period", sa.Date(), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=14, scale=3), nullable=True),
        sa.Column("value", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.CheckConstraint(
            "extract(day from period) = 1", name=op.f("ck_outlet_target_period_is_month_start")
        ),
        sa.CheckConstraint(
            "quantity IS NOT NULL OR value IS NOT NULL",
            name=op.f("ck_outlet_target_quantity_or_value"),
        ),
        sa.ForeignKeyConstraint(
            ["outlet_id"],
            ["outlet.id"],
            name=op.f("fk_outlet_target_outlet_id_outlet"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sku_id"], ["sku.id"], name=op.f("fk_outlet_target_sku_id_sku"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("outlet_id", "sku_id", "period", name=op.f("pk_outlet_target")),
    )
    op.create_index(op.f("ix_outlet_target_sku_id"), "outlet_target", ["sku_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_outlet_target_sku_id"), table_name="outlet_target")
    op.drop_table("outlet_target")
    op.drop_index(op.f("ix_msl_sku_id"), table_name="msl")
    op.drop_table("msl")
