"""Audits, orders, sales, targets and must-stock lists for planning tests."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlmodel import Session

from models.catalogue import Sku
from models.outlets import Channel, Outlet
from models.planning.tables import MustStock
from models.sales import Sale, Target
from models.territories import Territory
from models.visits import Audit, AuditLine, Order, OrderLine, Visit


def create_audit(
    session: Session, visit: Visit, lines: Sequence[tuple[Sku, bool, int | None]]
) -> Audit:
    """An audit of the visit: lines of (SKU, present, facings)."""
    audit = Audit(id=uuid.uuid4(), visit_id=visit.id, digest="x")
    session.add(audit)
    session.flush()
    session.add_all(
        AuditLine(audit_id=audit.id, sku_id=sku.id, present=present, facings=facings)
        for sku, present, facings in lines
    )
    session.flush()
    return audit


def create_order(
    session: Session, visit: Visit, lines: Sequence[tuple[Sku, Decimal | int, Decimal | int]]
) -> Order:
    """An order taken on the visit: lines of (SKU, quantity, unit price)."""
    order = Order(id=uuid.uuid4(), visit_id=visit.id, digest="x")
    session.add(order)
    session.flush()
    session.add_all(
        OrderLine(order_id=order.id, sku_id=sku.id, quantity=Decimal(q), price=Decimal(p))
        for sku, q, p in lines
    )
    session.flush()
    return order


def create_sale(
    session: Session,
    outlet: Outlet,
    sku: Sku,
    day: date,
    quantity: Decimal | int,
    value: Decimal | int | None = None,
) -> Sale:
    """Imported sales of one SKU at one outlet on one day; value defaults to 2 per unit."""
    sale = Sale(
        outlet_id=outlet.id,
        sku_id=sku.id,
        day=day,
        quantity=Decimal(quantity),
        value=Decimal(2 * Decimal(quantity) if value is None else value),
    )
    session.add(sale)
    session.flush()
    return sale


def create_target(
    session: Session,
    territory: Territory,
    sku: Sku,
    period: date,
    quantity: Decimal | int | None = None,
    value: Decimal | int | None = None,
) -> Target:
    target = Target(
        territory_id=territory.id,
        sku_id=sku.id,
        period=period,
        quantity=None if quantity is None else Decimal(quantity),
        value=None if value is None else Decimal(value),
    )
    session.add(target)
    session.flush()
    return target


def add_to_msl(
    session: Session, channel: Channel, sku: Sku, facings: int | None = None
) -> MustStock:
    entry = MustStock(channel=channel, sku_id=sku.id, facings=facings)
    session.add(entry)
    session.flush()
    return entry


def noon(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
