"""Planning tables: the must-stock list of each channel, and targets split down to outlets."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from sqlalchemy import CheckConstraint, Numeric
from sqlalchemy import Enum as SAEnum
from sqlmodel import Field, SQLModel

from models.outlets import Channel


class MustStock(SQLModel, table=True):
    """An SKU every outlet of a channel should carry, with the facings planned for it."""

    __tablename__ = "msl"

    channel: Channel = Field(sa_type=SAEnum(Channel, name="outlet_channel"), primary_key=True)
    sku_id: uuid.UUID = Field(
        foreign_key="sku.id", primary_key=True, index=True, ondelete="CASCADE"
    )
    facings: int | None = Field(default=None, ge=1, description="Planned front-row facings.")


class OutletTarget(SQLModel, table=True):
    """An outlet's share of its territory's target for one SKU in one month."""

    __tablename__ = "outlet_target"
    __table_args__ = (
        CheckConstraint("extract(day from period) = 1", name="period_is_month_start"),
        CheckConstraint("quantity IS NOT NULL OR value IS NOT NULL", name="quantity_or_value"),
    )

    # The outlet leads the key, as in ``sale``: distributed by outlet on Citus.
    outlet_id: uuid.UUID = Field(foreign_key="outlet.id", primary_key=True, ondelete="CASCADE")
    sku_id: uuid.UUID = Field(
        foreign_key="sku.id", primary_key=True, index=True, ondelete="CASCADE"
    )
    period: date = Field(primary_key=True)
    quantity: Decimal | None = Field(default=None, sa_type=Numeric(14, 3))
    value: Decimal | None = Field(default=None, sa_type=Numeric(14, 2))
