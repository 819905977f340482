"""Visits and analysed shelf photos for tests, written directly (no HTTP, no model run)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from geoalchemy2 import WKTElement
from sqlmodel import Session

from models.analysis import PhotoAnalysis, PhotoBrandShare, PhotoFacing
from models.catalogue import Brand, Sku
from models.outlets import Outlet
from models.users import User
from models.visits import Geofence, Photo, PhotoKind, PhotoStatus, Visit


def create_visit(
    session: Session,
    *,
    rep: User,
    outlet: Outlet,
    at: datetime,
    ended_at: datetime | None = None,
    flags: list[str] | None = None,
    distance_m: float = 10.0,
) -> Visit:
    visit = Visit(
        id=uuid.uuid4(),
        rep_id=rep.id,
        outlet_id=outlet.id,
        started_at=at,
        ended_at=ended_at,
        location=WKTElement("POINT(2.05 48.05)", srid=4326),
        distance_m=distance_m,
        geofence=Geofence.inside if distance_m <= 150 else Geofence.outside,
        flags=flags or [],
        trust_score=1.0,
        checkin_digest="test",
    )
    session.add(visit)
    session.flush()
    return visit


def create_analysed_photo(
    session: Session,
    *,
    visit: Visit,
    widths: Sequence[tuple[Brand, float]],
    linear_px: float,
    facings: Sequence[tuple[Sku, int]] = (),
    phash: int = 0,
    quality_ok: bool = True,
) -> Photo:
    """A shelf photo whose analysis found these brand widths out of ``linear_px`` of shelf."""
    photo = Photo(
        id=uuid.uuid4(),
        visit_id=visit.id,
        kind=PhotoKind.shelf,
        status=PhotoStatus.analysed if quality_ok else PhotoStatus.rejected,
        sha256=uuid.uuid4().hex * 2,
        storage_key=f"photos/{visit.id}/{uuid.uuid4()}.jpg",
        content_type="image/jpeg",
        size_bytes=1000,
    )
    session.add(photo)
    session.flush()
    session.add(
        PhotoAnalysis(
            photo_id=photo.id,
            model_version="test",
            width=1280,
            height=960,
            quality_ok=quality_ok,
            quality={"flags": [] if quality_ok else ["blurred"]},
            phash=phash,
            shelves=4,
            gaps=0,
            price_tags=0,
            linear_px=linear_px,
            details={},
            duration_ms=1.0,
        )
    )
    session.flush()
    session.add_all(
        PhotoBrandShare(photo_id=photo.id, brand_id=b.id, width_px=w, share=w / linear_px)
        for b, w in widths
    )
    session.add_all(PhotoFacing(photo_id=photo.id, sku_id=s.id, facings=n) for s, n in facings)
    session.flush()
    return photo
