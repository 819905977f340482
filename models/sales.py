"""Sales facts and per-SKU targets: what the planning engine decomposes."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from sqlalchemy import CheckConstraint, Numeric
from sqlmodel import Field, SQLModel


class Sale(SQLModel, table=True):
    """Sales of one SKU at one outlet on one day; re-imports replace the row (natural key)."""

    __tablename__ = "sale"
    __table_args__ = (CheckConstraint("quantity >= 0", name="quantity_not_negative"),)

    # The outlet leads the key: fact tables are distributed by outlet when one server is not
    # enough, and most planning queries group by outlet first.
    outlet_id: uuid.UUID = Field(foreign_key="outlet.id", primary_key=True, ondelete="CASCADE")
    sku_id: uuid.UUID = Field(
        foreign_key="sku.id", primary_key=True, index=True, ondelete="CASCADE"
    )
    day: date = Field(primary_key=True, index=True)
    quantity: Decimal = Field(sa_type=Numeric(14, 3))
    value: Decimal = Field(sa_type=Numeric(14, 2))


class Target(SQLModel, table=True):
    """A territory's target for one SKU in one month (``period`` is the month's first day)."""

    __tablename__ = "target"
    __table_args__ = (
        CheckConstraint("extract(day from period) = 1", name="period_is_month_start"),
        CheckConstraint("quantity IS NOT NULL OR value IS NOT NULL", name="quantity_or_value"),
    )

    territory_id: uuid.UUID = Field(
        foreign_key="territory.id", primary_key=True, ondelete="CASCADE"
    )
    sku_id: uuid.UUID = Field(
        foreign_key="sku.id", primary_key=True, index=True, ondelete="CASCADE"
    )
    period: date = Field(primary_key=True)
    quantity: Decimal | None = Field(default=None, sa_type=Numeric(14, 3))
    value: Decimal | None = Field(default=None, sa_type=Numeric(14, 2))
