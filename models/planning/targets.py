"""Targets per territory × SKU × month: set in bulk, and read as they roll up the hierarchy."""

from __future__ import annotations

import uuid
from decimal import Decimal

from pydantic import BaseModel, Field, model_validator
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import Session, col, select

from models.catalogue import Sku
from models.errors import Invalid
from models.planning.frame import Month, parse_month
from models.sales import Target
from models.territories import Territory

Quantity = Field(default=None, ge=0, max_digits=14, decimal_places=3)
Value = Field(default=None, ge=0, max_digits=14, decimal_places=2)


class TargetIn(BaseModel):
    territory_id: uuid.UUID
    sku_id: uuid.UUID
    period: Month = Field(description="The month, YYYY-MM.")
    quantity: Decimal | None = Quantity
    value: Decimal | None = Value

    @model_validator(mode="after")
    def _some_figure(self) -> TargetIn:
        if self.quantity is None and self.value is None:
            raise ValueError("give a quantity, a value or both")
        return self


class TargetsIn(BaseModel):
    targets: list[TargetIn] = Field(min_length=1, max_length=10_000)

    @model_validator(mode="after")
    def _unique(self) -> TargetsIn:
        keys = {(t.territory_id, t.sku_id, t.period) for t in self.targets}
        if len(keys) != len(self.targets):
            raise ValueError("each territory, SKU and period may appear once")
        return self


class TargetPublic(TargetIn):
    pass


def _require_known(session: Session, data: TargetsIn) -> None:
    territories = {t.territory_id for t in data.targets}
    skus = {t.sku_id for t in data.targets}
    known = set(session.exec(select(Territory.id).where(col(Territory.id).in_(territories))))
    known_skus = set(session.exec(select(Sku.id).where(col(Sku.id).in_(skus))))
    missing, missing_skus = territories - known, skus - known_skus
    if missing or missing_skus:
        unknown = [f"territory {t}" for t in sorted(map(str, missing))]
        unknown += [f"SKU {s}" for s in sorted(map(str, missing_skus))]
        raise Invalid(f"Unknown {', '.join(unknown)}.")


def set_targets(session: Session, data: TargetsIn) -> list[TargetPublic]:
    """Insert or replace the targets given, in one statement. Flushes, never commits."""
    _require_known(session, data)
    rows = [
        {
            "territory_id": t.territory_id,
            "sku_id": t.sku_id,
            "period": parse_month(t.period),
            "quantity": t.quantity,
            "value": t.value,
        }
        for t in data.targets
    ]
    statement = insert(Target).values(rows)
    statement = statement.on_conflict_do_update(
        index_elements=["territory_id", "sku_id", "period"],
        set_={"quantity": statement.excluded.quantity, "value": statement.excluded.value},
    )
    session.execute(statement)
    return [TargetPublic.model_validate(t.model_dump()) for t in data.targets]


# The target of each row territory (CTE ``row_territory``) for each SKU of ``shown_sku``: its own
# when set, otherwise the sum of the topmost targets below it. The descent stops under a
# territory holding a target, so a region with its own figure is never counted twice. The
# root's row is its own target, or else the sum of its children's (``bucket_target``).
#
# ``{only}`` narrows the territories whose targets are read (a condition on ``tr``, the tree);
# ``{rolled}`` adds ``bucket_target`` rows from elsewhere (the rollup).
EFFECTIVE = """
tgt AS (
    SELECT t.territory_id, t.sku_id, t.quantity, t.value, tr.bucket, tr.path
    FROM tree AS tr
    -- Looked up territory by territory (OFFSET 0 keeps the planner from flattening it into a
    -- join that reads every target of the month when a few territories are wanted).
    CROSS JOIN LATERAL (
        SELECT * FROM target AS t WHERE t.territory_id = tr.id AND t.period = :start OFFSET 0
    ) AS t
    JOIN shown_sku AS k ON k.id = t.sku_id
    WHERE :with_targets {only}
),
-- Targets set on a territory with children below the root: only these can stand above
-- another one in a child's subtree (usually few, as targets are mostly set on the leaves).
upper AS (
    SELECT t.territory_id, t.sku_id, a.depth
    FROM tgt AS t JOIN tree AS a ON a.id = t.territory_id
    WHERE a.depth >= 1 AND t.territory_id IN (SELECT c.parent_id FROM territory AS c)
),
-- For each target, the depth of its deepest such ancestor with a target of the same SKU: it
-- counts for its bucket only when there is none.
shadow AS (
    SELECT t.territory_id, t.sku_id, max(u.depth) AS depth
    FROM tgt AS t JOIN upper AS u ON u.sku_id = t.sku_id AND u.territory_id = ANY(t.path)
    GROUP BY t.territory_id, t.sku_id
),
bucket_target AS (
    SELECT t.bucket, t.sku_id, sum(t.quantity) AS quantity, sum(t.value) AS value
    FROM tgt AS t
    LEFT JOIN shadow AS x ON x.territory_id = t.territory_id AND x.sku_id = t.sku_id
    WHERE t.bucket <> :root AND (t.territory_id = t.bucket OR x.depth IS NULL)
    GROUP BY t.bucket, t.sku_id{rolled}
),
root_target AS (SELECT sku_id, quantity, value FROM tgt WHERE territory_id = :root),
row_target AS (
    SELECT b.bucket AS row_id, b.sku_id, b.quantity, b.value
    FROM bucket_target AS b JOIN row_territory AS r ON r.id = b.bucket
    UNION ALL
    SELECT CAST(:root AS uuid), sku_id, quantity, value FROM root_target
    UNION ALL
    SELECT CAST(:root AS uuid), b.sku_id, sum(b.quantity), sum(b.value)
    FROM bucket_target AS b
    WHERE b.sku_id NOT IN (SELECT sku_id FROM root_target)
    GROUP BY b.sku_id
)"""


def effective(only: str = "", rolled: str = "") -> str:
    """The ``EFFECTIVE`` CTEs, narrowed and completed (see there); needs ``tree``."""
    return EFFECTIVE.format(only=only, rolled=rolled)
