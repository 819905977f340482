"""Problems planted in the demo market for the alerts to find.

- ``FAR_CHECKINS_REP`` checks in far from the outlet (0.8-3 km away, good GPS accuracy) on
  about ``FAR_SHARE`` of their visits: the check-ins are stored ``outside`` the geofence with
  the ``far_from_outlet`` flag and a lower trust score, as ``models.checkins`` would store them.
- ``SHARE_DROP``: in territory ``territory_code``, the shelf photos of the last ``weeks``
  weeks show the brand ``brand_code`` cut down to ``factor`` of the SKUs the outlet carries
  (one at least) and the rival ``rival_code``'s whole range filling the freed space; before,
  the outlet's own assortment of both brands. The share-of-shelf alert fires for that
  territory and brand, and the weekly shelf-share report shows the fall.
- ``REUSED_PHOTO_REP`` sends the shelf photo of one visit again (re-encoded, so another file
  of the same picture) on a later visit at another outlet: both visits are flagged
  ``reused_photo`` and the reused-photo alert names the rep (``models.demo.shelves.reuse_target``
  picks the two visits).
"""

from __future__ import annotations

from dataclasses import dataclass

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
# The alert compares the last week with the one before, so the fall comes in the last week.
SHARE_DROP = ShareDrop("FR-LYO-EST-01", "b00", "b03", weeks=1, factor=0.2)
