"""Report rollups: daily shelf share per outlet and brand, refreshed incrementally

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 23:30:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "shelf_outlet_day",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("outlet_id", sa.Uuid(), nullable=False),
        sa.Column("photos", sa.Integer(), nullable=False),
        sa.Column("shelf_px", sa.Float(), nullable=False),
        sa.Column("shelf_px_sq", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["outlet_id"],
            ["outlet.id"],
            name=op.f("fk_shelf_outlet_day_outlet_id_outlet"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("day", "outlet_id", name=op.f("pk_shelf_outlet_day")),
    )
    op.create_table(
        "shelf_brand_day",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("outlet_id", sa.Uuid(), nullable=False),
        sa.Column("brand_id", sa.Uuid(), nullable=False),
        sa.Column("photos", sa.Integer(), nullable=False),
        sa.Column("facings", sa.Integer(), nullable=False),
        sa.Column("width_px", sa.Float(), nullable=False),
        sa.Column("width_px_sq", sa.Float(), nullable=False),
        sa.Column("width_x_shelf", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["brand_id"],
            ["brand.id"],
            name=op.f("fk_shelf_brand_day_brand_id_brand"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["outlet_id"],
            ["outlet.id"],
            name=op.f("fk_shelf_brand_day_outlet_id_outlet"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("day", "outlet_id", "brand_id", name=op.f("pk_shelf_brand_day")),
    )
    op.create_index(
        op.f("ix_shelf_brand_day_brand_id"), "shelf_brand_day", ["brand_id"], unique=False
    )
    op.create_table(
        "rollup_watermark",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("refreshed_at", postgresql.TIMESTAMP(timezone=True), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_rollup_watermark")),
    )
    op.create_index(
        "ix_photo_analysis_analysed_at", "photo_analysis", ["analysed_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_photo_analysis_analysed_at", table_name="photo_analysis")
    op.drop_table("rollup_watermark")
    op.drop_index(op.f("ix_shelf_brand_day_brand_id"), table_name="shelf_brand_day")
    op.drop_table("shelf_brand_day")
    op.drop_table("shelf_outlet_day")
