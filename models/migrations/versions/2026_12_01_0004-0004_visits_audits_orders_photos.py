"""Visits, audits, orders and photos

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 20:33:06.250424+00:00
"""

from collections.abc import Sequence

import geoalchemy2
import sqlalchemy as sa
import sqlmodel
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_geospatial_table(
        "visit",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("rep_id", sa.Uuid(), nullable=False),
        sa.Column("outlet_id", sa.Uuid(), nullable=False),
        sa.Column("started_at", postgresql.TIMESTAMP(timezone=True), nullable=False),
        sa.Column(
            "received_at",
            postgresql.TIMESTAMP(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("device_time", postgresql.TIMESTAMP(timezone=True), nullable=True),
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
        sa.Column("accuracy_m", sa.Float(), nullable=True),
        sa.Column("mock_location", sa.Boolean(), nullable=False),
        sa.Column("distance_m", sa.Float(), nullable=False),
        sa.Column(
            "geofence",
            sa.Enum("inside", "uncertain", "outside", name="geofence_verdict"),
            nullable=False,
        ),
        sa.Column(
            "flags", postgresql.ARRAY(sa.Text()), server_default=sa.text("'{}'"), nullable=False
        ),
        sa.Column("trust_score", sa.Float(), nullable=False),
        sa.Column("checkin_digest", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("ended_at", postgresql.TIMESTAMP(timezone=True), nullable=True),
        sa.Column(
            "end_location",
            Geometry(
                geometry_type="POINT",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
            ),
            nullable=True,
        ),
        sa.Column("end_accuracy_m", sa.Float(), nullable=True),
        sa.Column("checkout_received_at", postgresql.TIMESTAMP(timezone=True), nullable=True),
        sa.Column("checkout_digest", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.CheckConstraint(
            "ended_at IS NULL OR ended_at >= started_at", name=op.f("ck_visit_ends_after_start")
        ),
        sa.ForeignKeyConstraint(
            ["outlet_id"],
            ["outlet.id"],
            name=op.f("fk_visit_outlet_id_outlet"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["rep_id"], ["app_user.id"], name=op.f("fk_visit_rep_id_app_user"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visit")),
    )
    op.create_index(
        "ix_visit_outlet_id_started_at", "visit", ["outlet_id", "started_at"], unique=False
    )
    op.create_index("ix_visit_rep_id_started_at", "visit", ["rep_id", "started_at"], unique=False)
    op.create_table(
        "audit",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("visit_id", sa.Uuid(), nullable=False),
        sa.Column(
            "received_at",
            postgresql.TIMESTAMP(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("digest", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["visit_id"], ["visit.id"], name=op.f("fk_audit_visit_id_visit"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit")),
    )
    op.create_index(op.f("ix_audit_visit_id"), "audit", ["visit_id"], unique=False)
    op.create_table(
        "photo",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("visit_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.Enum("shelf", "display", "other", name="photo_kind"), nullable=False),
        sa.Column(
            "status",
            sa.Enum("uploading", "pending", "analysed", "rejected", "failed", name="photo_status"),
            nullable=False,
        ),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("storage_key", sqlmodel.sql.sqltypes.AutoString(length=400), nullable=False),
        sa.Column("content_type", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("taken_at", postgresql.TIMESTAMP(timezone=True), nullable=True),
        sa.Column(
            "received_at",
            postgresql.TIMESTAMP(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "exif",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("status_reason", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.ForeignKeyConstraint(
            ["visit_id"], ["visit.id"], name=op.f("fk_photo_visit_id_visit"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_photo")),
        sa.UniqueConstraint("storage_key", name=op.f("uq_photo_storage_key")),
        sa.UniqueConstraint("visit_id", "sha256", name="uq_photo_visit_id_sha256"),
    )
    op.create_index(op.f("ix_photo_status"), "photo", ["status"], unique=False)
    op.create_index(op.f("ix_photo_visit_id"), "photo", ["visit_id"], unique=False)
    op.create_table(
        "sales_order",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("visit_id", sa.Uuid(), nullable=False),
        sa.Column(
            "received_at",
            postgresql.TIMESTAMP(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("digest", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["visit_id"],
            ["visit.id"],
            name=op.f("fk_sales_order_visit_id_visit"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sales_order")),
    )
    op.create_index(op.f("ix_sales_order_visit_id"), "sales_order", ["visit_id"], unique=False)
    op.create_table(
        "audit_display",
        sa.Column("audit_id", sa.Uuid(), nullable=False),
        sa.Column("brand_id", sa.Uuid(), nullable=False),
        sa.Column("displays", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["audit_id"],
            ["audit.id"],
            name=op.f("fk_audit_display_audit_id_audit"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["brand_id"], ["brand.id"], name=op.f("fk_audit_display_brand_id_brand")
        ),
        sa.PrimaryKeyConstraint("audit_id", "brand_id", name=op.f("pk_audit_display")),
    )
    op.create_table(
        "audit_line",
        sa.Column("audit_id", sa.Uuid(), nullable=False),
        sa.Column("sku_id", sa.Uuid(), nullable=False),
        sa.Column("present", sa.Boolean(), nullable=False),
        sa.Column("facings", sa.Integer(), nullable=True),
        sa.Column("shelf_price", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("stock", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["audit_id"],
            ["audit.id"],
            name=op.f("fk_audit_line_audit_id_audit"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["sku_id"], ["sku.id"], name=op.f("fk_audit_line_sku_id_sku")),
        sa.PrimaryKeyConstraint("audit_id", "sku_id", name=op.f("pk_audit_line")),
    )
    op.create_index(op.f("ix_audit_line_sku_id"), "audit_line", ["sku_id"], unique=False)
    op.create_table(
        "order_line",
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("sku_id", sa.Uuid(), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=14, scale=3), nullable=False),
        sa.Column("price", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_order_line_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["sales_order.id"],
            name=op.f("fk_order_line_order_id_sales_order"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["sku_id"], ["sku.id"], name=op.f("fk_order_line_sku_id_sku")),
        sa.PrimaryKeyConstraint("order_id", "sku_id", name=op.f("pk_order_line")),
    )
    op.create_index(op.f("ix_order_line_sku_id"), "order_line", ["sku_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_order_line_sku_id"), table_name="order_line")
    op.drop_table("order_line")
    op.drop_index(op.f("ix_audit_line_sku_id"), table_name="audit_line")
    op.drop_table("audit_line")
    op.drop_table("audit_display")
    op.drop_index(op.f("ix_sales_order_visit_id"), table_name="sales_order")
    op.drop_table("sales_order")
    op.drop_index(op.f("ix_photo_visit_id"), table_name="photo")
    op.drop_index(op.f("ix_photo_status"), table_name="photo")
    op.drop_table("photo")
    op.drop_index(op.f("ix_audit_visit_id"), table_name="audit")
    op.drop_table("audit")
    op.drop_index("ix_visit_rep_id_started_at", table_name="visit")
    op.drop_index("ix_visit_outlet_id_started_at", table_name="visit")
    op.drop_geospatial_table("visit")
    for enum_name in ("geofence_verdict", "photo_kind", "photo_status"):
        sa.Enum(name=enum_name).drop(op.get_bind())
