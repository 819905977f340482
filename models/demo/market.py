"""Load the whole demo market in one transaction: generated in numpy, written set-based."""

from __future__ import annotations

import enum
import time
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol

import numpy as np
from sqlalchemy import func, text
from sqlmodel import Session, col, select

from models.demo import bulk
from models.demo.accounts import FIELD_FORCE, add_field_force
from models.demo.catalogue import Products, add_pack_images, insert_catalogue, make_products
from models.demo.geography import COUNTRY_CODE, Geography, insert_territories, make_geography
from models.demo.outlets import COLUMNS_ALL, Outlets, make_outlets, outlet_rows
from models.demo.photos import add_photos
from models.demo.planted import FAR_CHECKINS_REP, REUSED_PHOTO_REP, SHARE_DROP
from models.demo.records import insert_records, make_records
from models.demo.sales import Sales, make_sales, make_targets, month_starts, next_months
from models.demo.shelves import carried, outlet_indices, plan_shots, plant_reuse
from models.demo.visits import ZONE, Rep, make_visits
from models.perfect_store import score_visits
from models.planning import rollup
from models.planning.frame import add_months
from models.rollups import refresh_shelf_rollup
from models.settings import Settings
from models.storage import PhotoStore
from models.territories import Territory, assign_outlets
from vision.session import DEFAULT_DETECTOR

DEFAULT_SEED = 7
# One lock for every process that may load the demo at once (several API processes starting
# on one database): the second waits, then finds the market present.
LOCK_KEY = 0x66_73_64_65_6D_6F  # "fsdemo"
# Independent random streams, so changing one part leaves the others as they were.
STREAMS = {
    "geography": 1, "outlets": 2, "catalogue": 3, "sales": 4, "targets": 5, "visits": 6,
    "photos": 7, "records": 8,
}  # fmt: skip
STEPS = (
    "territories", "outlets", "catalogue", "pack images", "sales", "targets", "accounts",
    "must-stock lists", "visits", "shelf photos", "audits, orders", "statistics", "rollups",
)  # fmt: skip

# Each channel's must-stock list: its six best-selling SKUs of our brands over the last three
# months, with more facings planned where shelves are longer.
MUST_STOCK = text("""
INSERT INTO msl (channel, sku_id, facings)
SELECT channel, sku_id,
       CASE channel WHEN 'hypermarket' THEN 4 WHEN 'supermarket' THEN 3 ELSE 2 END
FROM (
    SELECT o.channel, s.sku_id,
           row_number() OVER (PARTITION BY o.channel ORDER BY sum(s.quantity) DESC, k.code) AS rank
    FROM sale AS s
    JOIN outlet AS o ON o.id = s.outlet_id
    JOIN sku AS k ON k.id = s.sku_id
    JOIN brand AS b ON b.id = k.brand_id AND b.own
    WHERE s.day >= :since
    GROUP BY o.channel, s.sku_id, k.code
) AS ranked
WHERE rank <= 6
""")


class Scale(enum.StrEnum):
    small = "small"
    medium = "medium"


@dataclass(frozen=True)
class MarketSize:
    outlets: int
    visit_weeks: int
    photos_per_week: int = 1  # shelf photos per leaf territory and week
    planted_photos_per_week: int = 6  # in the territory of the planted share drop
    photo_weeks: int = 2  # the last weeks with photos outside the planted territory


# Photos are most of the load's time (about 0.6 s each on two CPUs): the small market keeps
# to what the reports and alerts need, so the run command's first start stays short.
SIZES = {
    Scale.small: MarketSize(800, 4, photos_per_week=1, planted_photos_per_week=6, photo_weeks=2),
    Scale.medium: MarketSize(5000, 4, photos_per_week=3, planted_photos_per_week=10, photo_weeks=4),
}


class Progress(Protocol):
    """Told as each step of the load begins (one of ``STEPS``), and how far the photos are."""

    def step(self, name: str) -> None: ...

    def count(self, done: int, total: int) -> None: ...


class _Silent:
    def step(self, name: str) -> None:
        pass

    def count(self, done: int, total: int) -> None:
        pass


@dataclass(frozen=True)
class DemoSummary:
    """What a load did: ``loaded`` is False when the market was already there."""

    loaded: bool
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def random_stream(seed: int, stream: str) -> np.random.Generator:
    """The generator of one part of the market (a key of ``STREAMS``) for ``seed``."""
    return np.random.default_rng([seed, STREAMS[stream]])


def demo_present(session: Session) -> bool:
    """Whether the demo market (its country territory) is in the database."""
    found = session.exec(select(Territory.id).where(col(Territory.code) == COUNTRY_CODE)).first()
    return found is not None


def database_empty(session: Session) -> bool:
    """No territories and no outlets: nothing the demo could mix with."""
    empty = session.execute(
        text("SELECT NOT EXISTS (SELECT 1 FROM territory) AND NOT EXISTS (SELECT 1 FROM outlet)")
    ).scalar_one()
    return bool(empty)


def local_today() -> date:
    return datetime.now(ZONE).date()


def load_demo(
    session: Session,
    settings: Settings,
    store: PhotoStore,
    *,
    seed: int = DEFAULT_SEED,
    size: MarketSize = SIZES[Scale.small],
    today: date | None = None,
    progress: Progress | None = None,
) -> DemoSummary:
    """Load the demo market unless it is there already. Flushes, never commits.

    Everything is drawn from ``seed``: the same seed and day give the same market. Sales run
    over the twelve months before ``today``'s month (default: today in Lyon), targets cover
    its month and the next, visits the weeks before it.
    """
    started = time.monotonic()
    session.execute(select(func.pg_advisory_xact_lock(LOCK_KEY)))
    if demo_present(session):
        return DemoSummary(loaded=False)
    today = today or local_today()
    progress = progress or _Silent()
    counts = _load(session, settings, store, seed, size, today, progress)
    return DemoSummary(loaded=True, counts=counts, seconds=round(time.monotonic() - started, 1))


def _load(
    session: Session,
    settings: Settings,
    store: PhotoStore,
    seed: int,
    size: MarketSize,
    today: date,
    progress: Progress,
) -> dict[str, int]:
    progress.step("territories")
    geography = make_geography(random_stream(seed, "geography"))
    insert_territories(session, geography)
    progress.step("outlets")
    outlets = make_outlets(random_stream(seed, "outlets"), size.outlets)
    bulk.copy_rows(session, "outlet", COLUMNS_ALL, outlet_rows(outlets))
    assign_outlets(session, outlets.ids)
    progress.step("catalogue")
    products = make_products(random_stream(seed, "catalogue"), seed)
    insert_catalogue(session, products)
    progress.step("pack images")
    images = add_pack_images(session, store, products, max_bytes=settings.max_upload_bytes)
    progress.step("sales")
    months = month_starts(today)
    sales = make_sales(random_stream(seed, "sales"), outlets, products, months)
    _copy_sales(session, outlets, products, sales, months)
    progress.step("targets")
    targets = _load_targets(session, geography, outlets, products, sales, months, today, seed)
    progress.step("must-stock lists")
    session.execute(MUST_STOCK, {"since": add_months(today.replace(day=1), -3)})
    progress.step("accounts")
    users = add_field_force(session)
    reps = _reps(geography, users)
    progress.step("visits")
    visits = make_visits(random_stream(seed, "visits"), outlets, reps, today, size.visit_weeks)
    visit_count = bulk.insert_visits(session, settings, visits)
    progress.step("shelf photos")
    shelf = carried(outlets, products, sales)
    outlet_of = outlet_indices(outlets, visits)
    rng = random_stream(seed, "photos")
    shots = plan_shots(
        rng, outlets, products, shelf, outlet_of, visits, today,
        per_week=size.photos_per_week,
        photo_weeks=size.photo_weeks,
        planted_per_week=size.planted_photos_per_week,
        planted_leaf=geography.leaf_codes.index(SHARE_DROP.territory_code),
    )  # fmt: skip
    reuse = plant_reuse(rng, products, shelf, outlet_of, visits, shots, users[REUSED_PHOTO_REP])
    detector = settings.detector or DEFAULT_DETECTOR
    photos = add_photos(
        session, store, rng, products, visits, shots, reuse, detector, progress.count
    )
    progress.step("audits, orders")
    photographed = {s.visit for s in shots} | ({reuse[1]} if reuse else set())
    records = make_records(
        random_stream(seed, "records"), products, shelf, outlet_of, visits, photographed
    )
    recorded = insert_records(session, records)
    scored = [visits[v].id for v in sorted(photographed)] + [a[1] for a in records.audits]
    score_visits(session, settings, scored)  # type: ignore[arg-type]
    progress.step("statistics")
    _analyse(session)
    progress.step("rollups")
    refresh_shelf_rollup(session, settings.timezone)
    window = settings.presence_window_days
    rollup.refresh_planning_rollup(session, rollup.spans(settings.timezone, window, today))
    return {
        "territories": 1 + len(geography.regions) + len(geography.leaves),
        "outlets": len(outlets),
        "prospects": int((~outlets.served).sum()),
        "skus": len(products),
        "pack images": images,
        "sales rows": len(sales),
        "targets": targets,
        "accounts": len(FIELD_FORCE),
        "visits": visit_count,
        "shelf photos": photos,
        **recorded,
    }


def _reps(geography: Geography, users: dict[str, uuid.UUID]) -> list[Rep]:
    """The reps of the leaf territories, with the one planted to check in far away."""
    return [
        Rep(
            id=users[user.username],
            leaf=geography.leaf_codes.index(user.territory),
            far=user.username == FAR_CHECKINS_REP,
        )
        for user in FIELD_FORCE
        if user.territory in geography.leaf_codes
    ]


def _analyse(session: Session) -> None:
    # Fresh tables have no statistics until autovacuum comes by; the first reports would be
    # planned as if the tables were empty.
    session.execute(
        text(
            "ANALYZE territory, outlet, sale, target, visit, photo, photo_analysis,"
            " photo_brand_share, photo_facing, audit, audit_line, sales_order, order_line"
        )
    )


def _copy_sales(
    session: Session, outlets: Outlets, products: Products, sales: Sales, months: list[date]
) -> None:
    bulk.copy_text(
        session,
        "sale",
        ("outlet_id", "sku_id", "day", "quantity", "value"),
        bulk.sales_text(
            [str(i) for i in outlets.ids],
            [str(i) for i in products.sku_ids],
            months,
            (
                sales.outlet.tolist(),
                sales.sku.tolist(),
                sales.month.tolist(),
                sales.quantity.tolist(),
                sales.cents.tolist(),
            ),
        ),
    )


def _load_targets(
    session: Session,
    geography: Geography,
    outlets: Outlets,
    products: Products,
    sales: Sales,
    months: list[date],
    today: date,
    seed: int,
) -> int:
    periods = next_months(today)
    rng = random_stream(seed, "targets")
    targets = make_targets(rng, outlets, products, sales, months, periods)
    rows = (
        (
            geography.leaves[t],
            products.sku_ids[s],
            periods[p],
            q,
            f"{c // 100}.{c % 100:02d}",
        )
        for t, s, p, q, c in zip(
            targets.leaf.tolist(),
            targets.sku.tolist(),
            targets.period.tolist(),
            targets.quantity.tolist(),
            targets.cents.tolist(),
            strict=True,
        )
    )
    return bulk.copy_rows(
        session, "target", ("territory_id", "sku_id", "period", "quantity", "value"), rows
    )
