"""What the analysis of a shelf photo found: detections, facings, share of shelf, quality.

One set of results per photo: a re-analysis replaces them in one transaction, so readers see
the old results until the new ones are committed, never a mix and never duplicates.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import BigInteger, Column, delete, text
from sqlalchemy.dialects.postgresql import JSONB, TIMESTAMP
from sqlmodel import Field, Session, SQLModel, col, select

from models.base import utcnow
from models.catalogue import Brand, Sku
from models.errors import NotFound
from models.visits import Photo, PhotoStatus


class PhotoAnalysis(SQLModel, table=True):
    __tablename__ = "photo_analysis"

    photo_id: uuid.UUID = Field(foreign_key="photo.id", primary_key=True, ondelete="CASCADE")
    analysed_at: datetime = Field(
        default_factory=utcnow,
        sa_type=TIMESTAMP(timezone=True),
        sa_column_kwargs={"server_default": text("now()")},
    )
    model_version: str = Field(max_length=200, index=True)
    width: int
    height: int
    quality_ok: bool
    quality: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))
    # 64-bit perceptual hash as a signed bigint; Hamming distance is bit_count(a # b).
    phash: int = Field(sa_column=Column(BigInteger, nullable=False, index=True))
    shelves: int
    gaps: int
    price_tags: int
    linear_px: float = Field(description="Summed width of all front-row facings, in pixels.")
    details: dict[str, Any] = Field(
        sa_column=Column(JSONB, nullable=False, server_default=text("'{}'::jsonb")),
        description="Shelf rows, gaps, displays and POSM as the analysis returned them.",
    )
    duration_ms: float


class PhotoDetection(SQLModel, table=True):
    __tablename__ = "photo_detection"

    photo_id: uuid.UUID = Field(
        foreign_key="photo_analysis.photo_id", primary_key=True, ondelete="CASCADE"
    )
    index: int = Field(primary_key=True)
    kind: str = Field(max_length=16)
    x1: float
    y1: float
    x2: float
    y2: float
    score: float
    sku_id: uuid.UUID | None = Field(default=None, foreign_key="sku.id", ondelete="SET NULL")
    sku_score: float | None = None
    brand_id: uuid.UUID | None = Field(default=None, foreign_key="brand.id", ondelete="SET NULL")


class PhotoFacing(SQLModel, table=True):
    """Front-row facings of one SKU on one photo: presence evidence for distribution."""

    __tablename__ = "photo_facing"

    photo_id: uuid.UUID = Field(
        foreign_key="photo_analysis.photo_id", primary_key=True, ondelete="CASCADE"
    )
    sku_id: uuid.UUID = Field(foreign_key="sku.id", primary_key=True, index=True)
    facings: int = Field(ge=0)


class PhotoBrandShare(SQLModel, table=True):
    """One brand's linear share of the shelf on one photo (unknown products: the remainder)."""

    __tablename__ = "photo_brand_share"

    photo_id: uuid.UUID = Field(
        foreign_key="photo_analysis.photo_id", primary_key=True, ondelete="CASCADE"
    )
    brand_id: uuid.UUID = Field(foreign_key="brand.id", primary_key=True, index=True)
    width_px: float
    share: float = Field(ge=0, le=1)


# Photos this close in perceptual hash (bits of 64) show the same shelf shot: a reuse.
REUSE_MAX_BITS = 6

FLAG_REUSE = text("""
WITH twins AS (
    SELECT v.id AS visit_id
    FROM photo_analysis AS mine
    JOIN photo AS p ON p.id = mine.photo_id
    JOIN photo_analysis AS other ON other.photo_id <> mine.photo_id
        AND bit_count((mine.phash # other.phash)::bit(64)) <= :bits
    JOIN photo AS q ON q.id = other.photo_id AND q.visit_id <> p.visit_id
    JOIN visit AS v ON v.id IN (p.visit_id, q.visit_id)
    WHERE mine.photo_id = :photo_id
)
UPDATE visit SET flags = array_append(flags, 'reused_photo'),
                 trust_score = round((trust_score * (1 - :weight))::numeric, 3)
WHERE id IN (SELECT visit_id FROM twins) AND NOT ('reused_photo' = ANY(flags))
""")


def flag_reuse(session: Session, photo_id: uuid.UUID, weight: float) -> int:
    """Flag this photo's visit and every other visit that sent the same shot; returns how many.

    The comparison scans the hashes (bit_count of XOR): fine for months of photos; past that,
    a BK-tree or prefix buckets on the hash would keep it sub-linear.
    """
    result = session.execute(
        FLAG_REUSE, {"photo_id": photo_id, "bits": REUSE_MAX_BITS, "weight": weight}
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def annotated_key(photo_id: uuid.UUID) -> str:
    """Where the photo with its analysis drawn on it is kept in the photo store."""
    return f"annotated/{photo_id}.jpg"


class DetectionPublic(BaseModel):
    box: tuple[float, float, float, float] = Field(description="x1, y1, x2, y2 in photo px.")
    kind: str
    score: float
    sku_id: uuid.UUID | None
    sku: str | None = Field(description="The SKU's name; null when not recognised.")
    sku_score: float | None
    brand: str | None


class AnalysisPublic(BaseModel):
    photo_id: uuid.UUID
    analysed_at: datetime
    model_version: str
    width: int
    height: int
    quality_ok: bool
    quality: dict[str, Any]
    facings: dict[str, int] = Field(description="Front-row facings by SKU name.")
    brand_share: dict[str, float] = Field(description="Linear share of shelf by brand name.")
    shelves: int
    gaps: int
    price_tags: int
    details: dict[str, Any]
    detections: list[DetectionPublic]


def analysis_public(session: Session, photo_id: uuid.UUID) -> AnalysisPublic:
    """Everything the analysis of a photo produced, SKUs and brands by name."""
    analysis = session.get(PhotoAnalysis, photo_id)
    if analysis is None:
        raise NotFound(f"Photo {photo_id} has no analysis yet.")
    rows = session.execute(
        select(PhotoDetection, Sku.name, Brand.name)
        .outerjoin(Sku, col(Sku.id) == col(PhotoDetection.sku_id))
        .outerjoin(Brand, col(Brand.id) == col(PhotoDetection.brand_id))
        .where(col(PhotoDetection.photo_id) == photo_id)
        .order_by(col(PhotoDetection.index))
    ).all()
    facings = session.execute(
        select(Sku.name, PhotoFacing.facings)
        .join(Sku, col(Sku.id) == col(PhotoFacing.sku_id))
        .where(col(PhotoFacing.photo_id) == photo_id)
    ).all()
    shares = session.execute(
        select(Brand.name, PhotoBrandShare.share)
        .join(Brand, col(Brand.id) == col(PhotoBrandShare.brand_id))
        .where(col(PhotoBrandShare.photo_id) == photo_id)
    ).all()
    return AnalysisPublic(
        **analysis.model_dump(exclude={"phash", "linear_px", "duration_ms"}),
        facings=dict(facings),
        brand_share=dict(shares),
        detections=[
            DetectionPublic(
                box=(d.x1, d.y1, d.x2, d.y2),
                kind=d.kind,
                score=d.score,
                sku_id=d.sku_id,
                sku=sku,
                sku_score=d.sku_score,
                brand=brand,
            )
            for d, sku, brand in rows
        ],
    )


def _ids_by_code(
    session: Session, table: type[Sku] | type[Brand], codes: set[str]
) -> dict[str, uuid.UUID]:
    if not codes:
        return {}
    rows = session.exec(select(table.code, table.id).where(col(table.code).in_(codes)))
    return dict(rows.all())


def _signed(phash: str | int) -> int:
    """A 64-bit hash (hex or int) as the signed bigint PostgreSQL stores."""
    value = int(phash, 16) if isinstance(phash, str) else phash
    return value - (1 << 64) if value >= 1 << 63 else value


def record_analysis(
    session: Session, photo: Photo, result: dict[str, Any], duration_ms: float
) -> PhotoAnalysis:
    """Replace the photo's results with ``result`` (the analysis JSON) and settle its status.

    SKUs and brands are matched by their codes; products of SKUs the catalogue no longer knows
    are kept as detections without an SKU. Flushes, never commits.
    """
    detections = result.get("detections", [])
    skus = _ids_by_code(
        session,
        Sku,
        {d["sku"] for d in detections if d.get("sku")} | set(result.get("facings", {})),
    )
    brands = _ids_by_code(
        session,
        Brand,
        {d["brand"] for d in detections if d.get("brand")} | set(result.get("brand_share", {})),
    )
    session.execute(delete(PhotoAnalysis).where(col(PhotoAnalysis.photo_id) == photo.id))
    quality = result.get("quality", {})
    analysis = PhotoAnalysis(
        photo_id=photo.id,
        model_version=_version(result.get("model", {})),
        width=int(result["width"]),
        height=int(result["height"]),
        quality_ok=not quality.get("flags"),
        quality=quality,
        phash=_signed(result["phash"]),
        shelves=len(result.get("shelves", [])),
        gaps=len(result.get("gaps", [])),
        price_tags=int(result.get("price_tags", 0)),
        linear_px=float(result.get("linear_px", 0.0)),
        details={k: result.get(k) for k in ("shelves", "gaps", "displays", "posm")},
        duration_ms=round(duration_ms, 1),
    )
    session.add(analysis)
    session.flush()
    session.add_all(
        PhotoDetection(
            photo_id=photo.id,
            index=i,
            kind=d["class"],
            x1=d["box"][0],
            y1=d["box"][1],
            x2=d["box"][2],
            y2=d["box"][3],
            score=d["score"],
            sku_id=skus.get(d.get("sku") or ""),
            sku_score=d.get("sku_score"),
            brand_id=brands.get(d.get("brand") or ""),
        )
        for i, d in enumerate(detections)
    )
    session.add_all(
        PhotoFacing(photo_id=photo.id, sku_id=skus[code], facings=int(n))
        for code, n in result.get("facings", {}).items()
        if code in skus
    )
    session.add_all(
        PhotoBrandShare(
            photo_id=photo.id,
            brand_id=brands[code],
            share=float(share),
            width_px=float(share) * analysis.linear_px,
        )
        for code, share in result.get("brand_share", {}).items()
        if code in brands
    )
    photo.status = PhotoStatus.analysed if analysis.quality_ok else PhotoStatus.rejected
    photo.status_reason = None if analysis.quality_ok else ", ".join(quality.get("flags", []))
    session.add(photo)
    session.flush()
    return analysis


def _version(model: dict[str, Any]) -> str:
    return " ".join(f"{k}={v}" for k, v in sorted(model.items()))[:200] or "unknown"
