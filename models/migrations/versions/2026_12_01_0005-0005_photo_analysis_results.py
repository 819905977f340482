"""Photo analysis results; one image per SKU and content

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 21:04:32.210528+00:00
"""

from collections.abc import Sequence

import geoalchemy2
import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "photo_analysis",
        sa.Column("photo_id", sa.Uuid(), nullable=False),
        sa.Column(
            "analysed_at",
            postgresql.TIMESTAMP(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("model_version", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("quality_ok", sa.Boolean(), nullable=False),
        sa.Column("quality", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("phash", sa.BigInteger(), nullable=False),
        sa.Column("shelves", sa.Integer(), nullable=False),
        sa.Column("gaps", sa.Integer(), nullable=False),
        sa.Column("price_tags", sa.Integer(), nullable=False),
        sa.Column("linear_px", sa.Float(), nullable=False),
        sa.Column(
            "details",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("duration_ms", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["photo_id"],
            ["photo.id"],
            name=op.f("fk_photo_analysis_photo_id_photo"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("photo_id", name=op.f("pk_photo_analysis")),
    )
    op.create_index(
        op.f("ix_photo_analysis_model_version"), "photo_analysis", ["model_version"], unique=False
    )
    op.create_index(op.f("ix_photo_analysis_phash"), "photo_analysis", ["phash"], unique=False)
    op.create_table(
        "photo_brand_share",
        sa.Column("photo_id", sa.Uuid(), nullable=False),
        sa.Column("brand_id", sa.Uuid(), nullable=False),
        sa.Column("width_px", sa.Float(), nullable=False),
        sa.Column("share", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["brand_id"], ["brand.id"], name=op.f("fk_photo_brand_share_brand_id_brand")
        ),
        sa.ForeignKeyConstraint(
            ["photo_id"],
            ["photo_analysis.photo_id"],
            name=op.f("fk_photo_brand_share_photo_id_photo_analysis"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("photo_id", "brand_id", name=op.f("pk_photo_brand_share")),
    )
    op.create_index(
        op.f("ix_photo_brand_share_brand_id"), "photo_brand_share", ["brand_id"], unique=False
    )
    op.create_table(
        "photo_detection",
        sa.Column("photo_id", sa.Uuid(), nullable=False),
        sa.Column("index", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("x1", sa.Float(), nullable=False),
        sa.Column("y1", sa.Float(), nullable=False),
        sa.Column("x2", sa.Float(), nullable=False),
        sa.Column("y2", sa.Float(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("sku_id", sa.Uuid(), nullable=True),
        sa.Column("sku_score", sa.Float(), nullable=True),
        sa.Column("brand_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["brand_id"],
            ["brand.id"],
            name=op.f("fk_photo_detection_brand_id_brand"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["photo_id"],
            ["photo_analysis.photo_id"],
            name=op.f("fk_photo_detection_photo_id_photo_analysis"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sku_id"], ["sku.id"], name=op.f("fk_photo_detection_sku_id_sku"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("photo_id", "index", name=op.f("pk_photo_detection")),
    )
    op.create_table(
        "photo_facing",
        sa.Column("photo_id", sa.Uuid(), nullable=False),
        sa.Column("sku_id", sa.Uuid(), nullable=False),
        sa.Column("facings", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["photo_id"],
            ["photo_analysis.photo_id"],
            name=op.f("fk_photo_facing_photo_id_photo_analysis"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["sku_id"], ["sku.id"], name=op.f("fk_photo_facing_sku_id_sku")),
        sa.PrimaryKeyConstraint("photo_id", "sku_id", name=op.f("pk_photo_facing")),
    )
    op.create_index(op.f("ix_photo_facing_sku_id"), "photo_facing", ["sku_id"], unique=False)
    op.create_unique_constraint("uq_sku_image_sku_id_sha256", "sku_image", ["sku_id", "sha256"])


def downgrade() -> None:
    op.drop_constraint("uq_sku_image_sku_id_sha256", "sku_image", type_="unique")
    op.drop_index(op.f("ix_photo_facing_sku_id"), table_name="photo_facing")
    op.drop_table("photo_facing")
    op.drop_table("photo_detection")
    op.drop_index(op.f("ix_photo_brand_share_brand_id"), table_name="photo_brand_share")
    op.drop_table("photo_brand_share")
    op.drop_index(op.f("ix_photo_analysis_phash"), table_name="photo_analysis")
    op.drop_index(op.f("ix_photo_analysis_model_version"), table_name="photo_analysis")
    op.drop_table("photo_analysis")
