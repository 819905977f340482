"""The demo market: a living field-sales market around Lyon, loaded on first start.

``seed_demo(session)`` adds the four demo accounts (admin, planner, manager, rep) alone;
``load_demo(session, settings, store, seed=..., size=...)`` loads the whole market, accounts
included, unless it is there already:

- geography (``geography.py``): France > 3 regions > 20 territories tiling the Métropole de
  Lyon (Voronoi cells of real districts and suburbs clipped to its outline);
- outlets (``outlets.py``): clustered like real retail, channels, classes, ~15 % prospects;
- catalogue (``catalogue.py``): vision.synth's procedural brands and SKUs, EANs, pack images;
- sales and targets (``sales.py``): twelve months by outlet × SKU, targets for two months;
- accounts (``accounts.py``) and a few weeks of visits (``visits.py``);
- shelf photos of some visits (``shelves.py``: which, and what stood on the shelf), rendered
  and analysed by the real model (``photos.py``); audits and orders (``records.py``);
- planted problems for the alerts (``planted.py``).

Photos are rendered and analysed in spawned worker processes: a script that calls
``load_demo`` must do so under ``if __name__ == "__main__":``.
"""

from models.demo.accounts import DEMO_USERS, FIELD_FORCE, DemoUser, FieldUser, seed_demo
from models.demo.market import (
    DEFAULT_SEED,
    SIZES,
    STEPS,
    DemoSummary,
    MarketSize,
    Progress,
    Scale,
    database_empty,
    demo_present,
    load_demo,
)

__all__ = [
    "DEFAULT_SEED",
    "DEMO_USERS",
    "FIELD_FORCE",
    "SIZES",
    "STEPS",
    "DemoSummary",
    "DemoUser",
    "FieldUser",
    "MarketSize",
    "Progress",
    "Scale",
    "database_empty",
    "demo_present",
    "load_demo",
    "seed_demo",
]
