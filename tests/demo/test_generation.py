"""The generators alone (no database): deterministic, and shaped like a real market."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
from numpy.typing import NDArray

from models.catalogue import gtin_check_digit
from models.demo.catalogue import BRAND_CATEGORIES, CATEGORIES, Products, make_products
from models.demo.geography import PLACES, inside_hull, leaf_codes
from models.demo.market import SIZES, Scale, random_stream
from models.demo.outlets import CHANNELS, Outlets, make_outlets
from models.demo.sales import (
    Sales,
    make_sales,
    make_targets,
    month_starts,
    next_months,
    season,
)
from models.outlets import Channel
from vision.synth import make_catalogue

TODAY = date(2026, 6, 17)


def _market(seed: int, n: int = 800) -> tuple[Outlets, Products, Sales]:
    outlets = make_outlets(random_stream(seed, "outlets"), n)
    products = make_products(random_stream(seed, "catalogue"), seed)
    sales = make_sales(random_stream(seed, "sales"), outlets, products, month_starts(TODAY))
    return outlets, products, sales


def test_same_seed_same_market_other_seed_other_market() -> None:
    (a, _, sales_a), (b, _, sales_b), (c, _, sales_c) = _market(3), _market(3), _market(4)

    assert a.codes == b.codes
    assert a.ids == b.ids
    assert np.array_equal(a.lon, b.lon)
    assert np.array_equal(a.lat, b.lat)
    assert a.names == b.names
    assert (sales_a.quantity.sum(), sales_a.cents.sum()) == (
        sales_b.quantity.sum(),
        sales_b.cents.sum(),
    )
    assert a.codes != c.codes
    assert not np.array_equal(a.lon, c.lon)
    assert sales_a.quantity.sum() != sales_c.quantity.sum()


def test_medium_channels_classes_and_prospects_look_like_a_real_market() -> None:
    outlets = make_outlets(random_stream(7, "outlets"), SIZES[Scale.medium].outlets)
    share = np.bincount(outlets.channel, minlength=len(CHANNELS)) / len(outlets)
    a_share = [np.mean(outlets.klass[outlets.channel == c] == 0) for c in range(len(CHANNELS))]

    bands = {
        Channel.hypermarket: (0.003, 0.02),
        Channel.supermarket: (0.06, 0.14),
        Channel.convenience: (0.25, 0.40),
        Channel.traditional_trade: (0.25, 0.40),
        Channel.horeca: (0.14, 0.28),
        Channel.other: (0.03, 0.09),
    }
    for channel, (low, high) in bands.items():
        assert low <= share[CHANNELS.index(channel)] <= high, channel
    assert 0.12 <= np.mean(~outlets.served) <= 0.18
    assert a_share[0] > 0.6 > a_share[1] > a_share[2]  # hypermarkets A, the small shops rarely
    assert len(set(outlets.codes)) == len(outlets)


def test_outlets_cluster_in_the_centre_and_stay_inside_the_metropolis() -> None:
    outlets = make_outlets(random_stream(7, "outlets"), 2000)
    per_leaf = np.bincount(outlets.leaf, minlength=len(PLACES))

    assert inside_hull(outlets.lon, outlets.lat).all()
    assert per_leaf.min() > 0
    # Lyon Presqu'île (5 km²) is far denser than Givors and its valley (50 km²).
    assert per_leaf[0] > 3 * per_leaf[-1]
    assert all(" " in address and address[:1].isdigit() for address in outlets.addresses)


def test_catalogue_is_vision_synths_with_valid_eans() -> None:
    products = make_products(random_stream(5, "catalogue"), 5)
    synth = make_catalogue(5, 8, 8, categories=BRAND_CATEGORIES, n_own=3)

    assert products.catalogue.entries() == synth.entries()
    assert 56 <= len(products) <= 64
    assert products.catalogue.categories == CATEGORIES
    assert products.brand_own.tolist() == [True] * 3 + [False] * 5
    assert len(set(products.eans)) == len(products)
    assert all(len(e) == 13 and gtin_check_digit(e[:-1]) == int(e[-1]) for e in products.eans)
    assert (products.launch > 0).sum() == 2
    assert (products.delist < 12).sum() == 1


def test_sales_follow_distribution_seasons_launches_and_delisting() -> None:
    outlets, products, sales = _market(9, 1500)
    months = month_starts(TODAY)
    carried = np.zeros((len(outlets), len(products)), dtype=np.bool_)
    carried[sales.outlet, sales.sku] = True
    own = products.own
    beverages = products.category[sales.sku] == CATEGORIES.index("beverages")
    by_month = np.bincount(sales.month[beverages], sales.quantity[beverages], 12)

    assert months[0] == date(2025, 6, 1)
    assert months[-1] == date(2026, 5, 1)
    assert not np.isin(sales.outlet, np.nonzero(~outlets.served)[0]).any()
    assert 0.05 < carried[outlets.served][:, own].mean() < 0.5  # gaps for the planner
    assert by_month[months.index(date(2025, 7, 1))] > 1.3 * by_month[months.index(date(2026, 1, 1))]
    for sku in np.nonzero(products.launch)[0]:
        assert sales.month[sales.sku == sku].min() == products.launch[sku]
    for sku in np.nonzero(products.delist < 12)[0]:
        assert sales.month[sales.sku == sku].max() == products.delist[sku] - 1
    assert (sales.quantity > 0).all()


def test_targets_are_rounded_run_rates_with_growth_for_our_listed_skus() -> None:
    outlets, products, sales = _market(9, 1500)
    months, periods = month_starts(TODAY), next_months(TODAY)
    targets = make_targets(random_stream(9, "targets"), outlets, products, sales, months, periods)
    recent = sales.month >= 9
    leaf_sku = outlets.leaf[sales.outlet[recent]] * len(products) + sales.sku[recent]
    run_rate = np.bincount(leaf_sku, sales.quantity[recent], len(PLACES) * len(products)) / 3
    cells = targets.leaf * len(products) + targets.sku
    calendar = np.array([p.month for p in periods])[targets.period]
    recent_season = np.array(
        [season(CATEGORIES[c], np.array([3, 4, 5])).mean() for c in products.category]
    )
    moved = np.array(
        [
            season(CATEGORIES[products.category[s]], np.array([m]))[0] / recent_season[s]
            for s, m in zip(targets.sku, calendar, strict=True)
        ]
    )
    ratio = targets.quantity / (run_rate[cells] * moved)

    assert periods == [date(2026, 6, 1), date(2026, 7, 1)]
    assert products.own[targets.sku].all()
    assert (products.delist[targets.sku] == 12).all()
    assert (targets.quantity % 10 == 0).all()
    assert (targets.cents % 1000 == 0).all()
    assert set(targets.period.tolist()) == {0, 1}
    assert np.median(ratio) == pytest.approx(1.08, abs=0.04)


def test_big_formats_and_a_class_outlets_sell_more_of_each_sku() -> None:
    outlets, _, sales = _market(9, 3000)
    channel, klass = outlets.channel[sales.outlet], outlets.klass[sales.outlet]

    def rate(rows: NDArray[np.bool_]) -> float:
        return float(sales.quantity[rows].mean())

    hyper, convenience = CHANNELS.index(Channel.hypermarket), CHANNELS.index(Channel.convenience)
    assert rate(channel == hyper) > 3 * rate(channel == convenience)
    assert rate((channel == convenience) & (klass == 0)) > 2 * rate(
        (channel == convenience) & (klass == 2)
    )


@pytest.mark.parametrize(
    ("today", "first", "last"),
    [
        (date(2026, 1, 5), date(2025, 1, 1), date(2025, 12, 1)),
        (date(2026, 12, 31), date(2025, 12, 1), date(2026, 11, 1)),
    ],
)
def test_twelve_months_end_last_month(today: date, first: date, last: date) -> None:
    months = month_starts(today)

    assert (len(months), months[0], months[-1]) == (12, first, last)
    assert next_months(today)[0] == today.replace(day=1)


def test_leaf_codes_number_places_within_their_region() -> None:
    codes = leaf_codes()

    assert len(codes) == len(set(codes)) == len(PLACES)
    assert codes[0] == "FR-LYO-CEN-01"
    assert all(code.startswith(place.region) for code, place in zip(codes, PLACES, strict=True))
