"""Compliance by outlet or territory: must-stock presence, facings, displays, price tags, score.

Figures pool the stored perfect-store scores (models/perfect_store.py) of the visits in the
period: MSL presence is Σ SKUs seen / Σ must-stock SKUs checked, facings met likewise over the
SKUs with planned facings; displays and price tags are the share of visits that had one; the
score is the mean visit score. Each figure says how many visits it rests on. Groups come worst
score first, a page at a time (keyset on score and group id).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import text
from sqlmodel import Session

from models.outlets import Channel
from models.pagination import Page, decode_cursor, encode_cursor
from models.planning.sources import TREE
from models.scope import scoped_territories, territory_ids
from models.territories import get_territory
from models.users import User


class ComplianceGroupBy(StrEnum):
    outlet = "outlet"
    territory = "territory"


# Asked about a territory: each outlet under it falls in the child it lies under (the
# territory itself when it has none). Otherwise: every territory in scope is its own group.
TREES = {
    True: TREE,
    False: """
tree (id, bucket) AS (
    SELECT t.id, t.id FROM territory AS t
    WHERE CAST(:scope_ids AS uuid[]) IS NULL OR t.id = ANY(:scope_ids)
)""",
}

# Fixed SQL for each grouping, chosen from this table, never from the request's text.
GROUPS = {
    ComplianceGroupBy.outlet: ("s.outlet_id", "outlet"),
    ComplianceGroupBy.territory: ("s.bucket", "territory"),
}

SQL = """
WITH RECURSIVE {tree},
scored AS (
    SELECT o.id AS outlet_id, tr.bucket, vs.*
    FROM visit_score AS vs
    JOIN visit AS v ON v.id = vs.visit_id
    JOIN outlet AS o ON o.id = v.outlet_id
    JOIN tree AS tr ON tr.id = o.territory_id
    WHERE vs.score IS NOT NULL AND v.started_at >= :start AND v.started_at < :stop
      AND (CAST(:channel AS outlet_channel) IS NULL
           OR o.channel = CAST(:channel AS outlet_channel))
),
grouped AS (
    SELECT {key} AS id, count(*) AS visits, count(DISTINCT s.outlet_id) AS outlets,
           CAST(sum(s.msl_present) AS float8) / nullif(sum(s.msl_skus), 0) AS msl_presence,
           count(s.msl) AS msl_visits,
           CAST(sum(s.facings_met) AS float8) / nullif(sum(s.facings_planned), 0)
               AS facings_met,
           count(s.facings) AS facings_visits,
           avg(s.display) AS displays, count(s.display) AS display_visits,
           avg(s.price_tag) AS price_tags, count(s.price_tag) AS price_tag_visits,
           avg(s.score) AS score
    FROM scored AS s
    GROUP BY {key}
)
SELECT g.*, x.code, x.name
FROM grouped AS g JOIN {labels} AS x ON x.id = g.id
WHERE CAST(:after_score AS float8) IS NULL
   OR (g.score, CAST(g.id AS text)) > (CAST(:after_score AS float8), CAST(:after_id AS text))
ORDER BY g.score, CAST(g.id AS text)
LIMIT :limit
"""


class ComplianceRow(BaseModel):
    id: uuid.UUID = Field(description="The outlet or territory.")
    code: str
    name: str
    score: float = Field(description="Mean perfect-store score of the visits, 0 to 1.")
    visits: int = Field(description="Scored visits behind the score.")
    outlets: int
    msl_presence: float | None = Field(description="Must-stock SKUs seen / SKUs checked.")
    msl_visits: int
    facings_met: float | None = Field(description="Planned facings met / SKUs with a plan.")
    facings_visits: int
    displays: float | None = Field(description="Share of visits with a display of ours.")
    display_visits: int
    price_tags: float | None = Field(description="Share of visits with a price tag seen.")
    price_tag_visits: int


@dataclass(frozen=True)
class ComplianceQuery:
    start: date
    stop: date  # exclusive
    group_by: ComplianceGroupBy = ComplianceGroupBy.territory
    territory_id: uuid.UUID | None = None
    channel: Channel | None = None
    limit: int = 100
    cursor: str | None = None


CURSOR_FIELDS = ("score", "id")


def compliance(session: Session, user: User, query: ComplianceQuery) -> Page[ComplianceRow]:
    """A page of groups, worst score first; a territory outside the caller's scope is a 404."""
    if query.territory_id is not None:
        get_territory(session, scoped_territories(user), query.territory_id)
    scope = territory_ids(user)
    after = decode_cursor(query.cursor, CURSOR_FIELDS) if query.cursor else None
    key, labels = GROUPS[query.group_by]
    statement = text(SQL.format(tree=TREES[query.territory_id is not None], key=key, labels=labels))
    params: dict[str, Any] = {
        "root": query.territory_id,
        "scope_ids": None if scope is None else list(session.scalars(scope)),
        "start": query.start,
        "stop": query.stop,
        "channel": query.channel.value if query.channel else None,
        "after_score": after["score"] if after else None,
        "after_id": after["id"] if after else None,
        "limit": query.limit + 1,
    }
    found = list(session.execute(statement, params).mappings())
    page = [_row(r) for r in found[: query.limit]]
    if len(found) <= query.limit:
        return Page(items=page)
    # The cursor keeps the unrounded score: the next page starts exactly after this row.
    last = found[query.limit - 1]
    return Page(
        items=page, next_cursor=encode_cursor({"score": last["score"], "id": str(last["id"])})
    )


def _row(row: Any) -> ComplianceRow:
    values = dict(row)
    for name in ("score", "msl_presence", "facings_met", "displays", "price_tags"):
        if values[name] is not None:
            values[name] = round(float(values[name]), 4)
    return ComplianceRow(**values)
