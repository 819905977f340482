"""The loaded market: geography, outlets, catalogue, sales, targets and visits in the database."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlmodel import Session
from typer.testing import CliRunner

from api.cli import app as cli
from models.demo import FIELD_FORCE, load_demo
from models.demo.catalogue import demo_catalogue, make_products
from models.demo.market import random_stream
from models.demo.outlets import make_outlets
from models.demo.planted import FAR_CHECKINS_REP, FAR_SHARE
from models.demo.sales import make_sales, month_starts, next_months
from tests.demo.conftest import SEED, TEST_SIZE, TODAY, Market


def _number(session: Session, sql: str) -> float:
    return float(session.execute(text(sql)).scalar_one())


def test_territories_are_valid_tile_the_metropolis_and_never_overlap(
    market_session: Session,
) -> None:
    levels = dict(
        market_session.execute(text("SELECT level, count(*) FROM territory GROUP BY level")).all()
    )
    invalid = _number(market_session, "SELECT count(*) FROM territory WHERE NOT ST_IsValid(geom)")
    overlap = _number(
        market_session,
        """SELECT coalesce(max(ST_Area(ST_Intersection(a.geom, b.geom))), 0)
           FROM territory AS a JOIN territory AS b
             ON a.parent_id = b.parent_id AND a.id < b.id AND ST_Intersects(a.geom, b.geom)""",
    )
    uncovered = _number(
        market_session,
        """SELECT ST_Area(ST_SymDifference(
               (SELECT ST_Union(geom) FROM territory WHERE level = 'territory'),
               (SELECT geom FROM territory WHERE level = 'country')))""",
    )
    area_km2 = _number(
        market_session, "SELECT ST_Area(geom::geography) / 1e6 FROM territory WHERE code = 'FR'"
    )

    assert levels == {"country": 1, "region": 3, "territory": 20}
    assert invalid == 0
    assert overlap < 1e-12
    assert uncovered < 1e-9
    assert 450 < area_km2 < 750  # the Métropole de Lyon is about 534 km²


def test_every_outlet_lies_in_the_leaf_it_is_assigned_to(market_session: Session) -> None:
    outlets = _number(market_session, "SELECT count(*) FROM outlet")
    misplaced = _number(
        market_session,
        """SELECT count(*) FROM outlet AS o
           LEFT JOIN territory AS t ON t.id = o.territory_id
           WHERE t.id IS NULL OR t.level <> 'territory' OR NOT ST_Covers(t.geom, o.location)""",
    )
    outside = _number(
        market_session,
        """SELECT count(*) FROM outlet AS o, territory AS c
           WHERE c.code = 'FR' AND NOT ST_Covers(c.geom, o.location)""",
    )
    empty_leaves = _number(
        market_session,
        """SELECT count(*) FROM territory AS t WHERE t.level = 'territory'
           AND NOT EXISTS (SELECT 1 FROM outlet AS o WHERE o.territory_id = t.id)""",
    )

    assert outlets == TEST_SIZE.outlets
    assert (misplaced, outside, empty_leaves) == (0, 0, 0)


def test_database_holds_exactly_the_generated_market(market_session: Session) -> None:
    outlets = make_outlets(random_stream(SEED, "outlets"), TEST_SIZE.outlets)
    products = make_products(random_stream(SEED, "catalogue"), SEED)
    sales = make_sales(random_stream(SEED, "sales"), outlets, products, month_starts(TODAY))
    stored = market_session.execute(
        text("SELECT code, ST_X(location), ST_Y(location), id FROM outlet ORDER BY code")
    ).all()
    totals = market_session.execute(
        text("SELECT count(*), sum(quantity), sum(value) FROM sale")
    ).one()
    expected = sorted(zip(outlets.codes, outlets.lon, outlets.lat, outlets.ids, strict=True))

    assert [(c, round(x, 6), round(y, 6), i) for c, x, y, i in stored] == expected
    assert totals[0] == len(sales)
    assert totals[1] == int(sales.quantity.sum())
    assert totals[2] * 100 == int(sales.cents.sum())


def test_sales_roll_up_the_hierarchy_and_respect_the_assortment(market_session: Session) -> None:
    by_level = dict(
        market_session.execute(
            text(
                """WITH RECURSIVE up AS (
                       SELECT t.id AS leaf, t.id AS node FROM territory AS t
                       WHERE t.level = 'territory'
                       UNION ALL
                       SELECT up.leaf, p.parent_id FROM up JOIN territory AS p ON p.id = up.node
                       WHERE p.parent_id IS NOT NULL)
                   SELECT t.level, sum(s.quantity)
                   FROM sale AS s JOIN outlet AS o ON o.id = s.outlet_id
                   JOIN up ON up.leaf = o.territory_id JOIN territory AS t ON t.id = up.node
                   GROUP BY t.level"""
            )
        ).all()
    )
    prospects_selling = _number(
        market_session,
        """SELECT count(*) FROM sale JOIN outlet ON outlet.id = sale.outlet_id
           WHERE outlet.status = 'prospect'""",
    )
    months = market_session.execute(
        text("SELECT min(day), max(day), count(DISTINCT day) FROM sale")
    ).one()
    delisted_late = _number(
        market_session,
        """SELECT count(*) FROM sale JOIN sku ON sku.id = sale.sku_id
           WHERE NOT sku.active AND sale.day >= '2026-03-01'""",
    )
    own_nd = _number(
        market_session,
        """SELECT count(DISTINCT s.outlet_id)::float
                  / (SELECT count(*) FROM outlet WHERE status <> 'prospect')
           FROM sale AS s JOIN sku ON sku.id = s.sku_id JOIN brand ON brand.id = sku.brand_id
           WHERE brand.own AND s.day = '2026-05-01'""",
    )

    assert by_level["territory"] == by_level["region"] == by_level["country"]
    assert prospects_selling == 0
    assert (months[0], months[1], months[2]) == (*month_starts(TODAY)[::11], 12)
    assert delisted_late == 0
    assert 0.3 < own_nd < 0.95  # our brands are missing from some outlets


def test_catalogue_matches_vision_synth_with_one_stored_image_per_sku(market: Market) -> None:
    catalogue = demo_catalogue(SEED)
    with Session(market.engine) as session:
        skus = session.execute(
            text(
                """SELECT sku.code, sku.name, brand.code, brand.name, brand.own,
                          count(i.id), min(i.storage_key)
                   FROM sku JOIN brand ON brand.id = sku.brand_id
                   LEFT JOIN sku_image AS i ON i.sku_id = sku.id
                   GROUP BY sku.code, sku.name, brand.code, brand.name, brand.own
                   ORDER BY sku.code"""
            )
        ).all()

    assert [row[:5] for row in skus] == [
        (s.sku, s.name, s.brand.id, s.brand.name, s.brand.own) for s in catalogue.skus
    ]
    assert all(row[5] == 1 and market.store.exists(row[6]) for row in skus)


def test_targets_cover_this_month_and_next_for_our_listed_skus(market_session: Session) -> None:
    rows = market_session.execute(
        text(
            """SELECT t.period, count(*), bool_and(b.own AND k.active),
                      bool_and(t.quantity > 0 AND t.quantity % 10 = 0),
                      count(DISTINCT t.territory_id)
               FROM target AS t JOIN sku AS k ON k.id = t.sku_id
               JOIN brand AS b ON b.id = k.brand_id GROUP BY t.period ORDER BY t.period"""
        )
    ).all()

    assert [row[0] for row in rows] == next_months(TODAY)
    assert all(row[2] and row[3] and row[4] == 20 for row in rows)


def test_reps_visit_their_own_outlets_and_one_checks_in_far_away(
    market_session: Session,
) -> None:
    rows = market_session.execute(
        text(
            """SELECT u.username, count(*),
                      avg((v.geofence = 'outside')::int),
                      bool_and(v.outlet_id IN (
                          SELECT o.id FROM outlet AS o JOIN user_territory AS ut
                            ON ut.territory_id = o.territory_id WHERE ut.user_id = u.id)),
                      bool_and(v.ended_at > v.started_at AND v.started_at < :today
                               AND extract(hour FROM v.started_at AT TIME ZONE 'Europe/Paris')
                                   BETWEEN 8 AND 18)
               FROM visit AS v JOIN app_user AS u ON u.id = v.rep_id GROUP BY u.username"""
        ),
        {"today": TODAY},
    ).all()
    outside = {username: float(share) for username, _, share, _, _ in rows}
    last_week = market_session.execute(
        text(
            """SELECT count(*) FROM visit AS v JOIN app_user AS u ON u.id = v.rep_id
               WHERE u.username = :rep AND v.geofence = 'outside'
                 AND v.started_at >= CAST(:today AS date) - 7"""
        ),
        {"rep": FAR_CHECKINS_REP, "today": TODAY},
    ).scalar_one()
    unflagged = _number(
        market_session,
        """SELECT count(*) FROM visit WHERE geofence = 'outside'
           AND NOT ('far_from_outlet' = ANY(flags) AND trust_score <= 0.5)""",
    )

    assert {r[0] for r in rows} == {u.username for u in FIELD_FORCE if u.role.value == "rep"}
    assert all(own and timed for _, _, _, own, timed in rows)
    assert outside.pop(FAR_CHECKINS_REP) == pytest.approx(FAR_SHARE, abs=0.2)
    assert max(outside.values()) < 0.1
    assert unflagged == 0
    assert last_week >= 3  # enough for a weekly far-check-in alert


def test_a_second_load_is_skipped_and_changes_nothing(
    market: Market, market_session: Session
) -> None:
    before = _number(market_session, "SELECT count(*) FROM sale")

    summary = load_demo(market_session, market.settings, market.store, seed=SEED + 1)

    assert market.summary.loaded
    assert market.summary.counts["outlets"] == TEST_SIZE.outlets
    assert not summary.loaded
    assert _number(market_session, "SELECT count(*) FROM sale") == before


def test_seed_demo_command_says_the_market_is_there(
    market: Market, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", market.url)
    monkeypatch.setenv("FIELDSALES_DATA_DIR", str(market.settings.data_dir))

    result = CliRunner().invoke(cli, ["seed", "demo", "--seed", "3"])

    assert result.exit_code == 0, result.output
    assert "already loaded: skipped" in result.output
    assert "thomas.robin" in result.output


def test_each_channel_has_a_must_stock_list_of_our_best_sellers(market_session: Session) -> None:
    lists = market_session.execute(
        text(
            """SELECT m.channel::text, count(*), bool_and(b.own), min(m.facings), max(m.facings)
               FROM msl AS m JOIN sku AS k ON k.id = m.sku_id JOIN brand AS b ON b.id = k.brand_id
               GROUP BY m.channel"""
        )
    ).all()
    gaps = _number(
        market_session,
        """SELECT count(*) FROM visit_score WHERE msl_skus > 0 AND msl_present < msl_skus""",
    )

    assert {row[0] for row in lists} >= {"hypermarket", "supermarket", "convenience"}
    for channel, skus, own, fewest, most in lists:
        assert (skus, own) == (6, True), channel
        planned = {"hypermarket": 4, "supermarket": 3}.get(channel, 2)
        assert (fewest, most) == (planned, planned), channel
    # The scored visits check the lists, and some outlets miss part of theirs.
    assert gaps > 0


def test_the_rollups_are_ready_when_the_load_ends(market_session: Session) -> None:
    months = set(market_session.scalars(text("SELECT month FROM planning_snapshot")))
    dirty = _number(market_session, "SELECT count(*) FROM planning_dirty")
    shelf_days = _number(market_session, "SELECT count(*) FROM shelf_outlet_day")

    assert months == {TODAY.replace(day=1), TODAY.replace(month=TODAY.month - 1, day=1)}
    assert dirty == 0
    assert shelf_days > 0
