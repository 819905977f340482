"""What every table shares: a naming convention, UUID keys, tz-aware timestamps."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import MetaData, func
from sqlalchemy.dialects.postgresql import TIMESTAMP
from sqlmodel import Field, SQLModel

# Stable constraint names let Alembic drop and rename what it created, on every database.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata: MetaData = SQLModel.metadata


def utcnow() -> datetime:
    return datetime.now(UTC)


class UUIDModel(SQLModel):
    """Client-generatable UUID primary key, so phones can create rows offline."""

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)


class TimestampedModel(UUIDModel):
    created_at: datetime = Field(
        default_factory=utcnow,
        sa_type=TIMESTAMP(timezone=True),
        sa_column_kwargs={"server_default": func.now()},
    )
