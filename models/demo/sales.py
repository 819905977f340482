"""A year of monthly sales per outlet × SKU carried, and targets per territory × SKU.

Sales follow the design's identity: an outlet sells an SKU only where it carries it
(distribution), at a rate set by its channel, class and size, the SKU's strength, the
category's season and a little noise. Our brands reach fewer outlets than they could (numeric
distribution well below 100 %, weaker in some territories), so the planner has gaps to close.
New SKUs ramp up from their launch month; the delisted SKU stops selling.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
from numpy.typing import NDArray

from models.demo.catalogue import CATEGORIES, Products
from models.demo.geography import PLACES
from models.demo.outlets import Outlets

MONTHS = 12
# By channel (hypermarket, supermarket, convenience, traditional trade, horeca, other).
VOLUME = np.array([140.0, 55.0, 16.0, 10.0, 12.0, 7.0])  # units per SKU per month, class B
REACH = np.array([0.90, 0.62, 0.28, 0.20, 0.17, 0.14])  # chance of carrying a core SKU
PRICE = np.array([0.90, 0.94, 1.00, 1.00, 1.08, 1.00])  # sell-in price over the list price
# By class (A, B, C).
CLASS_VOLUME = np.array([1.8, 1.0, 0.55])
CLASS_REACH = np.array([1.25, 1.0, 0.75])
# How well each category (columns, CATEGORIES order) fits each channel (rows).
FIT = np.array(
    [
        [1.0, 1.0, 1.0, 1.0],
        [1.0, 1.0, 1.0, 1.0],
        [1.2, 1.1, 0.9, 1.0],
        [1.1, 1.0, 1.0, 0.9],
        [1.7, 0.6, 0.25, 0.4],
        [1.3, 1.2, 0.2, 1.3],
    ]
)
OWN_REACH = 0.8  # our brands are carried where they could be this much less often
LIST_PRICE = 0.7  # the list (sell-in) price as a share of the shelf price
RAMP = (0.5, 0.75, 0.9)  # a new SKU's rate of sale in its first months, relative to later


def season(category: str, month: NDArray[np.intp]) -> NDArray[np.float64]:
    """Sales multiplier of a category by calendar month (1-12), about 1 on average."""
    summer = np.cos(2 * np.pi * (month - 7) / 12)  # 1 in July, -1 in January
    if category == "beverages":
        value = 1 + 0.35 * summer
    elif category == "snacks":
        value = 1 + 0.12 * summer + 0.15 * (month == 12)
    elif category == "dairy":
        value = 1 - 0.08 * summer
    else:  # confectionery: Christmas, Easter and Valentine's day; slow in the heat
        value = 1 - 0.12 * summer + 0.5 * (month == 12) + 0.25 * (month == 4) + 0.1 * (month == 2)
    return np.asarray(value, dtype=np.float64)


def month_starts(today: date) -> list[date]:
    """The first days of the twelve months before ``today``'s month, oldest first."""
    index = today.year * 12 + today.month - 1
    return [date((i - 12) // 12, (i - 12) % 12 + 1, 1) for i in range(index, index + MONTHS)]


def next_months(today: date, n: int = 2) -> list[date]:
    """The first day of ``today``'s month and of the ``n - 1`` months after it."""
    index = today.year * 12 + today.month - 1
    return [date((index + i) // 12, (index + i) % 12 + 1, 1) for i in range(n)]


@dataclass(frozen=True)
class Sales:
    """One row per outlet × SKU × month sold: indices into the outlets, SKUs and months."""

    outlet: NDArray[np.intp]
    sku: NDArray[np.intp]
    month: NDArray[np.intp]
    quantity: NDArray[np.int64]
    cents: NDArray[np.int64]

    def __len__(self) -> int:
        return len(self.outlet)


def _seasons(products: Products, months: list[date]) -> NDArray[np.float64]:
    """Season multipliers, SKUs × months."""
    calendar = np.array([m.month for m in months], dtype=np.intp)
    by_category = np.array([season(c, calendar) for c in CATEGORIES])
    return np.asarray(by_category[products.category])


def _availability(products: Products) -> NDArray[np.float64]:
    """How far each SKU is available each month (SKUs × months): 0 before launch, ramps up."""
    months = np.arange(MONTHS)[None, :]
    since = months - products.launch[:, None]
    ramp = np.ones(since.shape)
    for step, level in enumerate(RAMP):
        ramp[since == step] = level
    launched = (since >= 0) & (products.launch[:, None] > 0)
    ramp = np.where(launched, ramp, 1.0)
    return np.where((since >= 0) & (months < products.delist[:, None]), ramp, 0.0)


def _carry_chance(
    rng: np.random.Generator, outlets: Outlets, products: Products
) -> NDArray[np.float64]:
    """Outlets × SKUs: how likely each outlet is to carry each SKU."""
    core = (0.55 + 0.6 * 0.8**products.rank) * rng.lognormal(0, 0.1, len(products))
    own = products.brand_own
    brand = np.where(own, OWN_REACH, rng.uniform(0.7, 1.05, len(own)))
    # Some territories are weaker for some of our brands: the planner's gaps differ by place.
    by_leaf = np.where(own[None, :], rng.lognormal(0, 0.25, (len(PLACES), len(own))), 1.0)
    chance = (
        (REACH[outlets.channel] * CLASS_REACH[outlets.klass])[:, None]
        * FIT[outlets.channel][:, products.category]
        * (core * brand[products.brand])[None, :]
        * by_leaf[outlets.leaf][:, products.brand]
    )
    return np.asarray(np.clip(chance, 0, 0.97))


def _rates(rng: np.random.Generator, outlets: Outlets, products: Products) -> NDArray[np.float64]:
    """Outlets × SKUs: units a month where carried, before season, trend and noise."""
    n_brands = len(products.brand_ids)
    strength = rng.uniform(0.7, 1.2, n_brands)
    sku = (0.6 + 0.8 * 0.8**products.rank) * rng.lognormal(0, 0.3, len(products))
    sku *= strength[products.brand]
    outlet = (
        VOLUME[outlets.channel] * CLASS_VOLUME[outlets.klass] * rng.lognormal(0, 0.3, len(outlets))
    )
    return np.asarray(outlet[:, None] * sku[None, :] * FIT[outlets.channel][:, products.category])


def make_sales(
    rng: np.random.Generator, outlets: Outlets, products: Products, months: list[date]
) -> Sales:
    """The year's sales rows, ordered by outlet id, SKU id and month (the table's key order)."""
    chance = _carry_chance(rng, outlets, products)
    draw = rng.random(chance.shape)
    rates = _rates(rng, outlets, products)
    trend = 1 + np.where(products.own, 0.005, rng.normal(0, 0.005, len(products)))
    growth = trend[:, None] ** np.arange(MONTHS)[None, :]
    available = _availability(products)
    # A launched SKU reaches more outlets month after month: the same draw, a rising bar.
    reach = np.minimum(available / RAMP[-1], 1.0)
    open_months = (np.arange(MONTHS)[None, :] < outlets.closes[:, None]) & outlets.served[:, None]
    carried = (draw[:, :, None] < chance[:, :, None] * reach[None, :, :]) & open_months[:, None, :]
    o, s, m = np.nonzero(carried)
    expected = rates[o, s] * (_seasons(products, months) * growth * available)[s, m]
    quantity = rng.poisson(expected * rng.gamma(6.0, 1 / 6.0, len(o))).astype(np.int64)
    price = products.rrp * LIST_PRICE
    cents = np.rint(quantity * price[s] * PRICE[outlets.channel[o]] * 100).astype(np.int64)
    sold = quantity > 0
    # In key order, COPY appends to the primary key's index instead of splitting pages all
    # over it: about twice as fast for the medium market's half a million rows.
    order = np.lexsort((m[sold], _ranks(products.sku_ids)[s[sold]], _ranks(outlets.ids)[o[sold]]))
    return Sales(
        outlet=o[sold][order],
        sku=s[sold][order],
        month=m[sold][order],
        quantity=quantity[sold][order],
        cents=cents[sold][order],
    )


def _ranks(ids: Sequence[object]) -> NDArray[np.intp]:
    """Each id's position in sorted order (UUIDs sort as PostgreSQL's uuid type does)."""
    ranks = np.empty(len(ids), dtype=np.intp)
    ranks[sorted(range(len(ids)), key=lambda i: str(ids[i]))] = np.arange(len(ids))
    return ranks


@dataclass(frozen=True)
class Targets:
    """One row per leaf territory × own SKU × target month."""

    leaf: NDArray[np.intp]
    sku: NDArray[np.intp]
    period: NDArray[np.intp]  # index into the target months
    quantity: NDArray[np.int64]
    cents: NDArray[np.int64]

    def __len__(self) -> int:
        return len(self.leaf)


RUN_RATE_MONTHS = 3


def make_targets(
    rng: np.random.Generator,
    outlets: Outlets,
    products: Products,
    sales: Sales,
    months: list[date],
    periods: list[date],
) -> Targets:
    """Targets for our listed SKUs: the last quarter's run-rate, moved to the target month's
    season, times a growth factor per territory, rounded to tens of units and of euros."""
    leaves, n_skus = len(PLACES), len(products)
    recent = sales.month >= MONTHS - RUN_RATE_MONTHS
    leaf = outlets.leaf[sales.outlet[recent]]
    cells = leaf * n_skus + sales.sku[recent]
    quantity = np.bincount(cells, sales.quantity[recent], leaves * n_skus).reshape(leaves, -1)
    cents = np.bincount(cells, sales.cents[recent], leaves * n_skus).reshape(leaves, -1)
    seasons = _seasons(products, months)[:, -RUN_RATE_MONTHS:].mean(axis=1)
    ahead = _seasons(products, periods)
    growth = rng.uniform(1.04, 1.12, leaves)
    rows = []
    for period in range(len(periods)):
        shift = ahead[:, period] / seasons
        monthly = quantity / RUN_RATE_MONTHS * shift[None, :] * growth[:, None]
        units = np.rint(monthly / 10) * 10
        price = np.divide(cents, quantity, out=np.zeros_like(cents), where=quantity > 0)
        value = np.rint(units * price / 1000) * 1000  # cents, rounded to ten euros
        wanted = (units > 0) & (products.own & (products.delist == MONTHS))[None, :]
        t, s = np.nonzero(wanted)
        rows.append((t, s, np.full(len(t), period), units[t, s], value[t, s]))
    leaf, sku, at, units, value = (np.concatenate(parts) for parts in zip(*rows, strict=True))
    return Targets(
        leaf=leaf.astype(np.intp),
        sku=sku.astype(np.intp),
        period=at.astype(np.intp),
        quantity=units.astype(np.int64),
        cents=value.astype(np.int64),
    )
