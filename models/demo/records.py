"""Audits and orders of the demo visits, written set-based with COPY.

Reps audit our SKUs the outlet carries on the visits with a shelf photo and on some
others: present most of the time, with facings, shelf price and stock, and our displays now
and then. Some visits end with an order of a few of our SKUs at trade price.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta

import numpy as np
from numpy.typing import NDArray
from sqlmodel import Session

from models.demo import bulk
from models.demo.catalogue import Products
from models.demo.visits import VisitRow

AUDITED = 0.2  # visits without a photo that still get an audit
ORDERED = 0.3  # visits that end with an order
ABSENT = 0.07  # audited SKUs not on the shelf that day
DISPLAY = 0.15  # our brands with a display, per audit
TRADE_PRICE = 0.72  # of the shelf price


@dataclass
class Records:
    audits: list[tuple[object, ...]] = field(default_factory=list)
    lines: list[tuple[object, ...]] = field(default_factory=list)
    displays: list[tuple[object, ...]] = field(default_factory=list)
    orders: list[tuple[object, ...]] = field(default_factory=list)
    order_lines: list[tuple[object, ...]] = field(default_factory=list)


def _id(rng: np.random.Generator) -> uuid.UUID:
    return uuid.UUID(bytes=rng.bytes(16), version=4)


def _digest(record_id: uuid.UUID) -> str:
    return hashlib.sha256(str(record_id).encode()).hexdigest()


def _audit(
    rng: np.random.Generator,
    records: Records,
    products: Products,
    visit: VisitRow,
    ours: NDArray[np.intp],
) -> None:
    audit_id = _id(rng)
    at = visit.started_at + (visit.ended_at - visit.started_at) * 0.8
    records.audits.append((audit_id, visit.id, at + timedelta(seconds=20), _digest(audit_id)))
    present = rng.random(len(ours)) >= ABSENT
    facings = rng.integers(1, 7, len(ours))
    prices = products.rrp[ours] * rng.uniform(0.95, 1.12, len(ours))
    stock = rng.integers(0, 60, len(ours))
    for s, here, n, price, held in zip(ours, present, facings, prices, stock, strict=True):
        records.lines.append(
            (
                audit_id,
                products.sku_ids[s],
                bool(here),
                int(n) if here else 0,
                f"{price:.2f}" if here else None,
                int(held) if here else 0,
            )
        )
    for b in np.unique(products.brand[ours]):
        if rng.random() < DISPLAY:
            records.displays.append((audit_id, products.brand_ids[b], int(rng.integers(1, 3))))


def _order(
    rng: np.random.Generator,
    records: Records,
    products: Products,
    visit: VisitRow,
    ours: NDArray[np.intp],
) -> None:
    order_id = _id(rng)
    records.orders.append((order_id, visit.id, visit.checkout_received_at, _digest(order_id)))
    for s in rng.choice(ours, min(len(ours), int(rng.integers(1, 6))), replace=False):
        quantity = int(rng.choice([6, 12, 12, 24, 24, 48]))
        records.order_lines.append(
            (order_id, products.sku_ids[s], quantity, f"{products.rrp[s] * TRADE_PRICE:.2f}")
        )


def make_records(
    rng: np.random.Generator,
    products: Products,
    shelf: NDArray[np.bool_],
    outlet_of: Sequence[int],
    visits: Sequence[VisitRow],
    photographed: set[int],
) -> Records:
    """Audits (every photographed visit, ``AUDITED`` of the rest) and orders (``ORDERED``)."""
    records = Records()
    for v, visit in enumerate(visits):
        ours = np.flatnonzero(shelf[outlet_of[v]] & products.own)
        if len(ours) == 0:
            continue
        if v in photographed or rng.random() < AUDITED:
            _audit(rng, records, products, visit, ours)
        if rng.random() < ORDERED:
            _order(rng, records, products, visit, ours)
    return records


def insert_records(session: Session, records: Records) -> dict[str, int]:
    """COPY the audits and orders with their lines; returns the counts."""
    header = ("id", "visit_id", "received_at", "digest")
    audits = bulk.copy_rows(session, "audit", header, records.audits)
    bulk.copy_rows(
        session,
        "audit_line",
        ("audit_id", "sku_id", "present", "facings", "shelf_price", "stock"),
        records.lines,
    )
    bulk.copy_rows(session, "audit_display", ("audit_id", "brand_id", "displays"), records.displays)
    orders = bulk.copy_rows(session, "sales_order", header, records.orders)
    bulk.copy_rows(
        session, "order_line", ("order_id", "sku_id", "quantity", "price"), records.order_lines
    )
    return {"audits": audits, "orders": orders}
