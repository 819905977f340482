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
# territory holding a target, so a region with its own figure is never counted twice.
EFFECTIVE = """
tgt AS (
    SELECT t.territory_id, t.sku_id, t.quantity, t.value
    FROM target AS t
    JOIN tree ON tree.id = t.territory_id
    JOIN shown_sku AS k ON k.id = t.sku_id
    WHERE t.period = :start AND :with_targets
),
reach (row_id, sku_id, id) AS (
    SELECT r.id, s.sku_id, c.id
    FROM row_territory AS r
    CROSS JOIN (SELECT DISTINCT sku_id FROM tgt) AS s
    JOIN territory AS c ON c.parent_id = r.id
    WHERE NOT EXISTS (SELECT 1 FROM tgt WHERE tgt.territory_id = r.id AND tgt.sku_id = s.sku_id)
    UNION ALL
    SELECT re.row_id, re.sku_id, c.id
    FROM reach AS re JOIN territory AS c ON c.parent_id = re.id
    WHERE NOT EXISTS (SELECT 1 FROM tgt WHERE tgt.territory_id = re.id AND tgt.sku_id = re.sku_id)
),
row_target AS (
    SELECT r.id AS row_id, t.sku_id, t.quantity, t.value
    FROM row_territory AS r JOIN tgt AS t ON t.territory_id = r.id
    UNION ALL
    SELECT re.row_id, re.sku_id, sum(t.quantity), sum(t.value)
    FROM reach AS re JOIN tgt AS t ON t.territory_id = re.id AND t.sku_id = re.sku_id
    GROUP BY re.row_id, re.sku_id
)"""
