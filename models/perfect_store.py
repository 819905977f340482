"""Perfect-store score of a visit: weighted compliance with the outlet channel's plan.

Four components, each a ratio from 0 to 1 over the visit's evidence (its audits and its
analysed photos; a rejected or pending photo is no evidence):

- ``msl``: share of the channel's must-stock SKUs seen (an audit line marked present, or
  facings on a photo; a photo never counts as an absence);
- ``facings``: share of the must-stock SKUs with planned facings whose most facings counted
  (audit or any one photo) reach the plan;
- ``display``: 1 when a display of one of our brands was seen (audit or photo), else 0;
- ``price_tag``: 1 when a price tag was seen on a photo or a shelf price recorded, else 0.

A component without a denominator (no must-stock list, no planned facings, no evidence at
all) is left out, and the score is Σ wᵢ·rᵢ / Σ wᵢ over the components present, so a missing
list neither rewards nor punishes the visit. Scores are recomputed, for a set of visits in one
statement, whenever an audit is recorded or a photo's analysis finishes.
"""

from __future__ import annotations

import enum
import json
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import Column, text
from sqlalchemy import Enum as SAEnum
from sqlalchemy.dialects.postgresql import JSONB, TIMESTAMP
from sqlmodel import Field as SQLField
from sqlmodel import Session, SQLModel, col, select

from models.base import utcnow
from models.settings import PerfectStoreComponent, Settings


class ShelfStatus(enum.StrEnum):
    none = "none"  # no photo
    partial = "partial"  # some photos still wait for their analysis
    complete = "complete"  # every photo analysed, rejected or failed


class VisitScore(SQLModel, table=True):
    """A visit's perfect-store score, its components and the evidence counts behind them."""

    __tablename__ = "visit_score"

    visit_id: uuid.UUID = SQLField(foreign_key="visit.id", primary_key=True, ondelete="CASCADE")
    shelf: ShelfStatus = SQLField(sa_type=SAEnum(ShelfStatus, name="shelf_status"))
    msl_skus: int = SQLField(description="Must-stock SKUs of the outlet's channel checked.")
    msl_present: int
    facings_planned: int = SQLField(description="Must-stock SKUs with planned facings.")
    facings_met: int
    msl: float | None = None
    facings: float | None = None
    display: float | None = None
    price_tag: float | None = None
    score: float | None = None
    weights: dict[str, float] = SQLField(sa_column=Column(JSONB, nullable=False))
    computed_at: datetime = SQLField(
        default_factory=utcnow,
        sa_type=TIMESTAMP(timezone=True),
        sa_column_kwargs={"server_default": text("now()")},
    )


COMPONENTS: tuple[PerfectStoreComponent, ...] = ("msl", "facings", "display", "price_tag")

# The shelf result of the photos ``p`` of one visit (uploads not yet confirmed do not count).
SHELF_STATUS = """CASE WHEN count(p.id) = 0 THEN 'none'
            WHEN bool_or(p.status = 'pending') THEN 'partial' ELSE 'complete' END"""

# Serialises the scoring of a visit: a second scorer waits for the first to commit, and its
# next statement then sees the evidence the first one added (READ COMMITTED snapshots).
# NO KEY UPDATE leaves inserts of photos and audits (KEY SHARE on the visit) unblocked.
LOCK = text("SELECT id FROM visit WHERE id = ANY(:visit_ids) ORDER BY id FOR NO KEY UPDATE")

SCORE = text(f"""
WITH target AS (
    SELECT v.id AS visit_id, o.channel
    FROM visit AS v JOIN outlet AS o ON o.id = v.outlet_id
    WHERE v.id = ANY(:visit_ids)
),
shelf AS (
    SELECT t.visit_id, {SHELF_STATUS} AS status
    FROM target AS t
    LEFT JOIN photo AS p ON p.visit_id = t.visit_id AND p.status <> 'uploading'
    GROUP BY t.visit_id
),
analysed AS (
    SELECT p.visit_id, a.photo_id, a.price_tags, a.details
    FROM photo AS p JOIN photo_analysis AS a ON a.photo_id = p.id
    WHERE p.visit_id = ANY(:visit_ids) AND p.status = 'analysed'
),
audited AS (
    SELECT a.visit_id, a.id AS audit_id FROM audit AS a WHERE a.visit_id = ANY(:visit_ids)
),
evidence AS (
    SELECT visit_id FROM audited UNION SELECT visit_id FROM analysed
),
sku_seen AS (
    -- Per visit and SKU: seen by the rep or on a photo, and the most facings one source counted
    -- (the most of several photos, not their sum: two shots of one bay overlap).
    SELECT visit_id, sku_id, bool_or(present) AS present, max(facings) AS facings
    FROM (
        SELECT au.visit_id, l.sku_id, l.present, l.facings
        FROM audited AS au JOIN audit_line AS l ON l.audit_id = au.audit_id
        UNION ALL
        SELECT an.visit_id, f.sku_id, f.facings > 0, f.facings
        FROM analysed AS an JOIN photo_facing AS f ON f.photo_id = an.photo_id
    ) AS seen
    GROUP BY visit_id, sku_id
),
msl_check AS (
    SELECT t.visit_id, count(*) AS msl_skus,
           count(*) FILTER (WHERE s.present) AS msl_present,
           count(m.facings) AS facings_planned,
           count(*) FILTER (WHERE s.facings >= m.facings) AS facings_met
    FROM target AS t
    JOIN evidence AS e ON e.visit_id = t.visit_id
    JOIN msl AS m ON m.channel = t.channel
    JOIN sku AS k ON k.id = m.sku_id AND k.active
    LEFT JOIN sku_seen AS s ON s.visit_id = t.visit_id AND s.sku_id = m.sku_id
    GROUP BY t.visit_id
),
display_seen AS (
    SELECT au.visit_id
    FROM audited AS au
    JOIN audit_display AS d ON d.audit_id = au.audit_id AND d.displays > 0
    JOIN brand AS b ON b.id = d.brand_id AND b.own
    UNION
    -- A display on a photo carries the brand of most products on it, by code.
    SELECT an.visit_id
    FROM analysed AS an
    CROSS JOIN LATERAL jsonb_array_elements(
        CASE WHEN jsonb_typeof(an.details -> 'displays') = 'array'
             THEN an.details -> 'displays' ELSE '[]'::jsonb END) AS d(fixture)
    JOIN brand AS b ON b.code = d.fixture ->> 'brand' AND b.own
),
price_seen AS (
    SELECT visit_id FROM analysed WHERE price_tags > 0
    UNION
    SELECT au.visit_id
    FROM audited AS au JOIN audit_line AS l ON l.audit_id = au.audit_id
    WHERE l.shelf_price IS NOT NULL
),
ratios AS (
    SELECT t.visit_id, sh.status,
           coalesce(m.msl_skus, 0) AS msl_skus, coalesce(m.msl_present, 0) AS msl_present,
           coalesce(m.facings_planned, 0) AS facings_planned,
           coalesce(m.facings_met, 0) AS facings_met,
           CAST(m.msl_present AS float8) / nullif(m.msl_skus, 0) AS msl,
           CAST(m.facings_met AS float8) / nullif(m.facings_planned, 0) AS facings,
           CASE WHEN e.visit_id IS NOT NULL
                THEN CASE WHEN ds.visit_id IS NULL THEN 0.0 ELSE 1.0 END END AS display,
           CASE WHEN e.visit_id IS NOT NULL
                THEN CASE WHEN ps.visit_id IS NULL THEN 0.0 ELSE 1.0 END END AS price_tag
    FROM target AS t
    JOIN shelf AS sh ON sh.visit_id = t.visit_id
    LEFT JOIN evidence AS e ON e.visit_id = t.visit_id
    LEFT JOIN msl_check AS m ON m.visit_id = t.visit_id
    LEFT JOIN display_seen AS ds ON ds.visit_id = t.visit_id
    LEFT JOIN price_seen AS ps ON ps.visit_id = t.visit_id
)
INSERT INTO visit_score (visit_id, shelf, msl_skus, msl_present, facings_planned, facings_met,
                         msl, facings, display, price_tag, score, weights, computed_at)
SELECT r.visit_id, CAST(r.status AS shelf_status), r.msl_skus, r.msl_present,
       r.facings_planned, r.facings_met, r.msl, r.facings, r.display, r.price_tag,
       w.score, CAST(:weights AS jsonb), now()
FROM ratios AS r
CROSS JOIN LATERAL (
    -- Weighted mean over the components that apply; NULL when none does.
    SELECT sum(c.weight * c.ratio) / nullif(sum(c.weight), 0) AS score
    FROM (VALUES (CAST(:w_msl AS float8), r.msl), (CAST(:w_facings AS float8), r.facings),
                 (CAST(:w_display AS float8), r.display),
                 (CAST(:w_price_tag AS float8), r.price_tag)) AS c (weight, ratio)
    WHERE c.ratio IS NOT NULL
) AS w
ON CONFLICT (visit_id) DO UPDATE SET
    shelf = EXCLUDED.shelf, msl_skus = EXCLUDED.msl_skus, msl_present = EXCLUDED.msl_present,
    facings_planned = EXCLUDED.facings_planned, facings_met = EXCLUDED.facings_met,
    msl = EXCLUDED.msl, facings = EXCLUDED.facings, display = EXCLUDED.display,
    price_tag = EXCLUDED.price_tag, score = EXCLUDED.score, weights = EXCLUDED.weights,
    computed_at = EXCLUDED.computed_at
""")


def score_visits(session: Session, settings: Settings, visit_ids: Sequence[uuid.UUID]) -> int:
    """Recompute and store the score of these visits in one statement; returns how many.

    Flushes, never commits: the score commits with the evidence that changed it.
    """
    ids = list(dict.fromkeys(visit_ids))
    if not ids:
        return 0
    weights = settings.perfect_store_weights
    session.flush()
    session.execute(LOCK, {"visit_ids": ids})
    result = session.execute(
        SCORE,
        {
            "visit_ids": ids,
            "weights": json.dumps(weights),
            **{f"w_{name}": weights.get(name, 0.0) for name in COMPONENTS},
        },
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


class ScorePublic(BaseModel):
    score: float | None = Field(description="Weighted compliance, 0 to 1; null without evidence.")
    msl: float | None = Field(description="Share of the must-stock SKUs seen.")
    facings: float | None = Field(description="Share of planned facings met.")
    display: float | None = Field(description="1 when a display of our brands was seen.")
    price_tag: float | None = Field(description="1 when a price tag was seen or a price noted.")
    msl_skus: int
    msl_present: int
    facings_planned: int
    facings_met: int
    weights: dict[str, float]
    shelf: ShelfStatus = Field(description="The visit's shelf result when the score was made.")
    computed_at: datetime


def score_public(session: Session, visit_id: uuid.UUID) -> ScorePublic | None:
    # Scores are written by SQL of their own: read the row, never a stale cached object.
    statement = select(VisitScore).where(col(VisitScore.visit_id) == visit_id)
    row = session.exec(statement.execution_options(populate_existing=True)).first()
    return None if row is None else _public(row)


def _public(row: VisitScore) -> ScorePublic:
    values: dict[str, Any] = row.model_dump(exclude={"visit_id"})
    for name in (*COMPONENTS, "score"):
        if values[name] is not None:
            values[name] = round(values[name], 4)
    return ScorePublic(**values)
