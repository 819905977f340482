"""Must-stock lists: the SKUs every outlet of a channel should carry, with planned facings."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, Field, model_validator
from sqlmodel import Session, col, delete, select

from models.catalogue import Sku
from models.errors import Invalid
from models.outlets import Channel
from models.planning.tables import MustStock


class MustStockSku(BaseModel):
    sku_id: uuid.UUID
    facings: int | None = Field(default=None, ge=1, le=1000, description="Planned facings.")


class MustStockList(BaseModel):
    channel: Channel
    skus: list[MustStockSku] = Field(max_length=5000)

    @model_validator(mode="after")
    def _unique(self) -> MustStockList:
        if len({s.sku_id for s in self.skus}) != len(self.skus):
            raise ValueError("each SKU may appear once")
        return self


def get_list(session: Session, channel: Channel) -> MustStockList:
    rows = session.exec(
        select(MustStock)
        .join(Sku, col(Sku.id) == MustStock.sku_id)
        .where(col(MustStock.channel) == channel)
        .order_by(col(Sku.code))
    )
    skus = [MustStockSku(sku_id=row.sku_id, facings=row.facings) for row in rows]
    return MustStockList(channel=channel, skus=skus)


def replace_list(session: Session, data: MustStockList) -> MustStockList:
    """Make the channel's list exactly the one given. Flushes, never commits."""
    ids = {s.sku_id for s in data.skus}
    known = set(session.exec(select(Sku.id).where(col(Sku.id).in_(ids))))
    unknown = ids - known
    if unknown:
        raise Invalid(f"Unknown SKU: {', '.join(sorted(map(str, unknown)))}.")
    session.execute(delete(MustStock).where(col(MustStock.channel) == data.channel))
    session.add_all(
        MustStock(channel=data.channel, sku_id=s.sku_id, facings=s.facings) for s in data.skus
    )
    session.flush()
    return get_list(session, data.channel)
