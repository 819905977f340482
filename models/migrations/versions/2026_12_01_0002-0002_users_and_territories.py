"""Users, their roles and territories

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 20:14:03.936267+00:00
"""

from collections.abc import Sequence

import geoalchemy2
import sqlalchemy as sa
import sqlmodel
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "app_user",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            postgresql.TIMESTAMP(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("username", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column(
            "role", sa.Enum("rep", "manager", "planner", "admin", name="user_role"), nullable=False
        ),
        sa.Column("full_name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("password_hash", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_app_user")),
        sa.UniqueConstraint("username", name=op.f("uq_app_user_username")),
    )
    op.create_geospatial_table(
        "territory",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            postgresql.TIMESTAMP(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("level", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("parent_id", sa.Uuid(), nullable=True),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="MULTIPOLYGON",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
            ),
            nullable=True,
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["territory.id"],
            name=op.f("fk_territory_parent_id_territory"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_territory")),
        sa.UniqueConstraint("code", name=op.f("uq_territory_code")),
    )
    op.create_geospatial_index(
        "idx_territory_geom",
        "territory",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_index(op.f("ix_territory_parent_id"), "territory", ["parent_id"], unique=False)
    op.create_table(
        "user_territory",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("territory_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["territory_id"],
            ["territory.id"],
            name=op.f("fk_user_territory_territory_id_territory"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["app_user.id"],
            name=op.f("fk_user_territory_user_id_app_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "territory_id", name=op.f("pk_user_territory")),
    )
    op.create_index(
        op.f("ix_user_territory_territory_id"), "user_territory", ["territory_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_user_territory_territory_id"), table_name="user_territory")
    op.drop_table("user_territory")
    op.drop_index(op.f("ix_territory_parent_id"), table_name="territory")
    op.drop_geospatial_index(
        "idx_territory_geom", table_name="territory", postgresql_using="gist", column_name="geom"
    )
    op.drop_geospatial_table("territory")
    op.drop_table("app_user")
    sa.Enum(name="user_role").drop(op.get_bind())
