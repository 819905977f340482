"""Problems planted in the demo market for the alerts to find, and hooks for those not yet in it.

In the data now:

- ``FAR_CHECKINS_REP`` checks in far from the outlet (0.8-3 km away, good GPS accuracy) on
  about ``FAR_SHARE`` of their visits: the check-ins are stored ``outside`` the geofence with
  the ``far_from_outlet`` flag and a lower trust score, as ``models.checkins`` would store them.

Hooks for the photo pipeline, which is not built yet (the demo has no photos):

- ``SHARE_DROP``: when shelf photos are rendered for demo visits, the brand ``brand_code``
  should lose shelf share to ``rival_code`` in territory ``territory_code`` over the last
  ``weeks`` weeks of visit history: multiply its facings by ``factor`` and give the freed width
  to the rival. The share-of-shelf alert should then fire for that territory and brand.
- ``REUSED_PHOTO_REP``: ``reused_photo_visits`` names two visits of that rep at different
  outlets; the photo of the first should be uploaded again to the second (same bytes, or a
  re-encoded copy) so the reused-photo alert has something to find.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlmodel import Session, col, select

from models.users import User
from models.visits import Visit

FAR_CHECKINS_REP = "thomas.robin"
FAR_SHARE = 0.35
REUSED_PHOTO_REP = "lea.bernard"


@dataclass(frozen=True)
class ShareDrop:
    territory_code: str
    brand_code: str
    rival_code: str
    weeks: int
    factor: float


# b00 is the first of our brands (beverages) and b03 the rival beverage brand, for every seed.
SHARE_DROP = ShareDrop("FR-LYO-EST-01", "b00", "b03", weeks=3, factor=0.5)


def reused_photo_visits(session: Session) -> tuple[uuid.UUID, uuid.UUID] | None:
    """The rep's two latest completed visits at two different outlets, oldest first."""
    rows = session.exec(
        select(Visit.id, Visit.outlet_id)
        .join(User, col(User.id) == Visit.rep_id)
        .where(col(User.username) == REUSED_PHOTO_REP, col(Visit.ended_at).is_not(None))
        .order_by(col(Visit.started_at).desc())
        .limit(20)
    ).all()
    if not rows:
        return None
    latest, outlet = rows[0]
    earlier = next((visit for visit, other in rows[1:] if other != outlet), None)
    return None if earlier is None else (earlier, latest)
