"""Perfect-store score per visit

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 23:00:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "visit_score",
        sa.Column("visit_id", sa.Uuid(), nullable=False),
        sa.Column(
            "shelf",
            sa.Enum("none", "partial", "complete", name="shelf_status"),
            nullable=False,
        ),
        sa.Column("msl_skus", sa.Integer(), nullable=False),
        sa.Column("msl_present", sa.Integer(), nullable=False),
        sa.Column("facings_planned", sa.Integer(), nullable=False),
        sa.Column("facings_met", sa.Integer(), nullable=False),
        sa.Column("msl", sa.Float(), nullable=True),
        sa.Column("facings", sa.Float(), nullable=True),
        sa.Column("display", sa.Float(), nullable=True),
        sa.Column("price_tag", sa.Float(), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("weights", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "computed_at",
            postgresql.TIMESTAMP(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"],
            ["visit.id"],
            name=op.f("fk_visit_score_visit_id_visit"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("visit_id", name=op.f("pk_visit_score")),
    )


def downgrade() -> None:
    op.drop_table("visit_score")
    sa.Enum(name="shelf_status").drop(op.get_bind())
