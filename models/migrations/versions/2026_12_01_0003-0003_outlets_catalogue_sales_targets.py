"""Outlets, catalogue, sales and targets

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 20:22:33.860342+00:00
"""

from collections.abc import Sequence

import geoalchemy2
import sqlalchemy as sa
import sqlmodel
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "brand",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            postgresql.TIMESTAMP(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("own", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_brand")),
        sa.UniqueConstraint("code", name=op.f("uq_brand_code")),
    )
    op.create_table(
        "category",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            postgresql.TIMESTAMP(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_category")),
        sa.UniqueConstraint("code", name=op.f("uq_category_code")),
    )
    op.create_geospatial_table(
        "outlet",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            postgresql.TIMESTAMP(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("address", sqlmodel.sql.sqltypes.AutoString(length=400), nullable=False),
        sa.Column(
            "channel",
            sa.Enum(
                "hypermarket",
                "supermarket",
                "convenience",
                "traditional_trade",
                "horeca",
                "other",
                name="outlet_channel",
            ),
            nullable=False,
        ),
        sa.Column("outlet_class", sa.Enum("A", "B", "C", name="outlet_class"), nullable=False),
        sa.Column(
            "status", sa.Enum("active", "prospect", "closed", name="outlet_status"), nullable=False
        ),
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
        sa.Column("territory_id", sa.Uuid(), nullable=True),
        sa.Column(
            "attributes",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            postgresql.TIMESTAMP(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["territory_id"],
            ["territory.id"],
            name=op.f("fk_outlet_territory_id_territory"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outlet")),
        sa.UniqueConstraint("code", name=op.f("uq_outlet_code")),
    )
    op.create_geospatial_index(
        "idx_outlet_location",
        "outlet",
        ["location"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_index(
        "ix_outlet_location_geography",
        "outlet",
        [sa.literal_column("(location::geography)")],
        unique=False,
        postgresql_using="gist",
    )
    op.create_index(op.f("ix_outlet_status"), "outlet", ["status"], unique=False)
    op.create_index(op.f("ix_outlet_territory_id"), "outlet", ["territory_id"], unique=False)
    op.create_table(
        "sku",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            postgresql.TIMESTAMP(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("brand_id", sa.Uuid(), nullable=False),
        sa.Column("category_id", sa.Uuid(), nullable=False),
        sa.Column("pack_size", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("ean", sqlmodel.sql.sqltypes.AutoString(length=14), nullable=True),
        sa.Column("rrp", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["brand_id"], ["brand.id"], name=op.f("fk_sku_brand_id_brand"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["category.id"],
            name=op.f("fk_sku_category_id_category"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sku")),
        sa.UniqueConstraint("code", name=op.f("uq_sku_code")),
        sa.UniqueConstraint("ean", name=op.f("uq_sku_ean")),
    )
    op.create_index(op.f("ix_sku_brand_id"), "sku", ["brand_id"], unique=False)
    op.create_index(op.f("ix_sku_category_id"), "sku", ["category_id"], unique=False)
    op.create_table(
        "sale",
        sa.Column("outlet_id", sa.Uuid(), nullable=False),
        sa.Column("sku_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=14, scale=3), nullable=False),
        sa.Column("value", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.CheckConstraint("quantity >= 0", name=op.f("ck_sale_quantity_not_negative")),
        sa.ForeignKeyConstraint(
            ["outlet_id"], ["outlet.id"], name=op.f("fk_sale_outlet_id_outlet"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["sku_id"], ["sku.id"], name=op.f("fk_sale_sku_id_sku"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("outlet_id", "sku_id", "day", name=op.f("pk_sale")),
    )
    op.create_index(op.f("ix_sale_day"), "sale", ["day"], unique=False)
    op.create_index(op.f("ix_sale_sku_id"), "sale", ["sku_id"], unique=False)
    op.create_table(
        "sku_image",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            postgresql.TIMESTAMP(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("sku_id", sa.Uuid(), nullable=False),
        sa.Column("storage_key", sqlmodel.sql.sqltypes.AutoString(length=400), nullable=False),
        sa.Column("content_type", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["sku_id"], ["sku.id"], name=op.f("fk_sku_image_sku_id_sku"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sku_image")),
        sa.UniqueConstraint("storage_key", name=op.f("uq_sku_image_storage_key")),
    )
    op.create_index(op.f("ix_sku_image_sku_id"), "sku_image", ["sku_id"], unique=False)
    op.create_table(
        "target",
        sa.Column("territory_id", sa.Uuid(), nullable=False),
        sa.Column("sku_id", sa.Uuid(), nullable=False),
        sa.Column("period", sa.Date(), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=14, scale=3), nullable=True),
        sa.Column("value", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.CheckConstraint(
            "extract(day from period) = 1", name=op.f("ck_target_period_is_month_start")
        ),
        sa.CheckConstraint(
            "quantity IS NOT NULL OR value IS NOT NULL", name=op.f("ck_target_quantity_or_value")
        ),
        sa.ForeignKeyConstraint(
            ["sku_id"], ["sku.id"], name=op.f("fk_target_sku_id_sku"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["territory_id"],
            ["territory.id"],
            name=op.f("fk_target_territory_id_territory"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("territory_id", "sku_id", "period", name=op.f("pk_target")),
    )
    op.create_index(op.f("ix_target_sku_id"), "target", ["sku_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_target_sku_id"), table_name="target")
    op.drop_table("target")
    op.drop_index(op.f("ix_sku_image_sku_id"), table_name="sku_image")
    op.drop_table("sku_image")
    op.drop_index(op.f("ix_sale_sku_id"), table_name="sale")
    op.drop_index(op.f("ix_sale_day"), table_name="sale")
    op.drop_table("sale")
    op.drop_index(op.f("ix_sku_category_id"), table_name="sku")
    op.drop_index(op.f("ix_sku_brand_id"), table_name="sku")
    op.drop_table("sku")
    op.drop_index(op.f("ix_outlet_territory_id"), table_name="outlet")
    op.drop_index(op.f("ix_outlet_status"), table_name="outlet")
    op.drop_index("ix_outlet_location_geography", table_name="outlet", postgresql_using="gist")
    op.drop_geospatial_index(
        "idx_outlet_location", table_name="outlet", postgresql_using="gist", column_name="location"
    )
    op.drop_geospatial_table("outlet")
    op.drop_table("category")
    op.drop_table("brand")
    for enum_name in ("outlet_channel", "outlet_class", "outlet_status"):
        sa.Enum(name=enum_name).drop(op.get_bind())
