"""Shelf evidence for compliance tests: photos analysed from hand-built results, full audits."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from decimal import Decimal

from sqlmodel import Session

from models.analysis import record_analysis
from models.catalogue import Brand, Sku
from models.visits import Audit, AuditDisplay, AuditLine, Photo, PhotoKind, PhotoStatus, Visit


def create_photo(session: Session, *, visit: Visit) -> Photo:
    """A shelf photo of the visit, stored and waiting for its analysis."""
    photo = Photo(
        id=uuid.uuid4(),
        visit_id=visit.id,
        kind=PhotoKind.shelf,
        status=PhotoStatus.pending,
        sha256=uuid.uuid4().hex * 2,
        storage_key=f"photos/{visit.id}/{uuid.uuid4()}.jpg",
        content_type="image/jpeg",
        size_bytes=1000,
    )
    session.add(photo)
    session.flush()
    return photo


def analyse(
    session: Session,
    photo: Photo,
    *,
    facings: Sequence[tuple[Sku, int]] = (),
    price_tags: int = 0,
    displays: Sequence[Brand | None] = (),
    quality_ok: bool = True,
) -> Photo:
    """Store an analysis result, shaped as the analyser's JSON, through the job's own code."""
    result = {
        "width": 1280,
        "height": 960,
        "detections": [],
        "facings": {sku.code: n for sku, n in facings},
        "brand_share": {},
        "linear_px": 1000.0,
        "shelves": [],
        "gaps": [],
        "price_tags": price_tags,
        "displays": [{"detection": 0, "brand": b.code if b else None} for b in displays],
        "posm": [],
        "quality": {"flags": [] if quality_ok else ["blurred"]},
        "phash": uuid.uuid4().int >> 64,
        "model": {"detector": "test"},
    }
    record_analysis(session, photo, result, duration_ms=1.0)
    return photo


def create_shelf_audit(
    session: Session,
    *,
    visit: Visit,
    lines: Sequence[tuple[Sku, bool, int | None, Decimal | None]] = (),
    displays: Sequence[tuple[Brand, int]] = (),
) -> Audit:
    """An audit of the visit: lines of (SKU, present, facings, shelf price); displays by brand."""
    audit = Audit(id=uuid.uuid4(), visit_id=visit.id, digest="x")
    session.add(audit)
    session.flush()
    session.add_all(
        AuditLine(audit_id=audit.id, sku_id=sku.id, present=present, facings=n, shelf_price=price)
        for sku, present, n, price in lines
    )
    session.add_all(
        AuditDisplay(audit_id=audit.id, brand_id=brand.id, displays=n) for brand, n in displays
    )
    session.flush()
    return audit
