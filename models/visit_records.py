"""What a rep records during a visit: shelf audits and orders, each written exactly once."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import TypeVar

from pydantic import BaseModel, Field, model_validator
from sqlmodel import Session, col, select

from models.catalogue import Brand, Sku
from models.checkins import own_visit
from models.errors import Conflict, Invalid
from models.idempotency import fingerprint, insert_once
from models.perfect_store import score_visits
from models.settings import Settings
from models.users import User
from models.visits import Audit, AuditDisplay, AuditLine, Order, OrderLine


class AuditSku(BaseModel):
    sku_id: uuid.UUID
    present: bool
    facings: int | None = Field(default=None, ge=0, le=1000)
    shelf_price: Decimal | None = Field(default=None, ge=0, max_digits=12, decimal_places=2)
    stock: int | None = Field(default=None, ge=0, le=1_000_000)


class AuditBrandDisplays(BaseModel):
    brand_id: uuid.UUID
    displays: int = Field(ge=0, le=1000)


class AuditCreate(BaseModel):
    id: uuid.UUID = Field(description="Generated on the phone; a retry sends the same id.")
    skus: list[AuditSku] = Field(default=[], max_length=2000)
    displays: list[AuditBrandDisplays] = Field(default=[], max_length=500)

    @model_validator(mode="after")
    def _unique(self) -> AuditCreate:
        if len({line.sku_id for line in self.skus}) != len(self.skus):
            raise ValueError("each SKU may appear once per audit")
        if len({d.brand_id for d in self.displays}) != len(self.displays):
            raise ValueError("each brand may appear once per audit")
        return self


class AuditPublic(AuditCreate):
    visit_id: uuid.UUID
    received_at: datetime


class OrderLineIn(BaseModel):
    sku_id: uuid.UUID
    quantity: Decimal = Field(gt=0, max_digits=14, decimal_places=3)
    price: Decimal = Field(ge=0, max_digits=12, decimal_places=2)


class OrderCreate(BaseModel):
    id: uuid.UUID = Field(description="Generated on the phone; a retry sends the same id.")
    lines: list[OrderLineIn] = Field(min_length=1, max_length=2000)

    @model_validator(mode="after")
    def _unique(self) -> OrderCreate:
        if len({line.sku_id for line in self.lines}) != len(self.lines):
            raise ValueError("each SKU may appear once per order")
        return self


class OrderPublic(OrderCreate):
    visit_id: uuid.UUID
    received_at: datetime
    total: Decimal


def _require_known(session: Session, model: type[Sku] | type[Brand], ids: set[uuid.UUID]) -> None:
    known = set(session.exec(select(model.id).where(col(model.id).in_(ids))))
    if unknown := ids - known:
        label = "SKU" if model is Sku else "brand"
        raise Invalid(f"Unknown {label}: {', '.join(sorted(map(str, unknown)))}.")


Record = TypeVar("Record", Audit, Order)


def _record_once(
    session: Session, user: User, visit_id: uuid.UUID, table: type[Record], body: BaseModel
) -> tuple[Record, bool]:
    """The record's header, written once on the caller's visit; new ones need an open visit.

    Returns:
        The stored header, and whether it is new (its lines are then to be added).
    """
    visit = own_visit(session, user, visit_id)
    record_id = getattr(body, "id")  # noqa: B009  (every record body carries the phone's id)
    record, created = insert_once(
        session, table, {"id": record_id, "visit_id": visit.id, "digest": fingerprint(body)}
    )
    if not created and record.visit_id != visit.id:
        raise Conflict(f"{record_id} was already used for a different request; use a new id.")
    if created and visit.ended_at is not None:
        raise Conflict("This visit is checked out; it can no longer change.")
    return record, created


def record_audit(
    session: Session, settings: Settings, user: User, visit_id: uuid.UUID, body: AuditCreate
) -> tuple[AuditPublic, bool]:
    """Store an audit once and rescore its visit; a replay answers the stored audit.

    Returns:
        The audit, and whether it is new.
    """
    audit, created = _record_once(session, user, visit_id, Audit, body)
    if created:
        _require_known(session, Sku, {line.sku_id for line in body.skus})
        _require_known(session, Brand, {d.brand_id for d in body.displays})
        session.add_all(AuditLine(audit_id=audit.id, **line.model_dump()) for line in body.skus)
        session.add_all(AuditDisplay(audit_id=audit.id, **d.model_dump()) for d in body.displays)
        session.flush()
        score_visits(session, settings, [audit.visit_id])
    return audit_public(session, audit), created


def audit_public(session: Session, audit: Audit) -> AuditPublic:
    lines = session.exec(select(AuditLine).where(AuditLine.audit_id == audit.id)).all()
    displays = session.exec(select(AuditDisplay).where(AuditDisplay.audit_id == audit.id)).all()
    return AuditPublic(
        id=audit.id,
        visit_id=audit.visit_id,
        received_at=audit.received_at,
        skus=[AuditSku.model_validate(line, from_attributes=True) for line in lines],
        displays=[AuditBrandDisplays.model_validate(d, from_attributes=True) for d in displays],
    )


def record_order(
    session: Session, user: User, visit_id: uuid.UUID, body: OrderCreate
) -> tuple[OrderPublic, bool]:
    """Store an order once; a replay answers the stored order. Returns (order, created)."""
    order, created = _record_once(session, user, visit_id, Order, body)
    if created:
        _require_known(session, Sku, {line.sku_id for line in body.lines})
        session.add_all(OrderLine(order_id=order.id, **line.model_dump()) for line in body.lines)
        session.flush()
    return order_public(session, order), created


def order_public(session: Session, order: Order) -> OrderPublic:
    lines = session.exec(select(OrderLine).where(OrderLine.order_id == order.id)).all()
    return OrderPublic(
        id=order.id,
        visit_id=order.visit_id,
        received_at=order.received_at,
        lines=[OrderLineIn.model_validate(line, from_attributes=True) for line in lines],
        total=sum((line.quantity * line.price for line in lines), Decimal(0)).quantize(
            Decimal("0.01")
        ),
    )
