"""Perfect-store score of a visit from its audits and analysed photos, against the channel's MSL."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from pydantic import ValidationError
from sqlmodel import Session, func, select

from models.catalogue import Brand, Sku
from models.outlets import Channel
from models.perfect_store import VisitScore, score_public, score_visits
from models.settings import Settings
from models.users import Role
from models.visits import Visit
from tests.factories.catalogue import create_brand, create_sku
from tests.factories.compliance import analyse, create_photo, create_shelf_audit
from tests.factories.geo import create_outlet, create_territory
from tests.factories.planning import add_to_msl
from tests.factories.users import create_user
from tests.factories.visits import create_visit

DEFAULT = {"msl": 0.4, "facings": 0.3, "display": 0.15, "price_tag": 0.15}
AT = datetime(2026, 11, 20, 10, tzinfo=UTC)


@dataclass
class Shop:
    """A convenience store whose channel must stock a (3 facings), b (2 facings) and c."""

    session: Session
    visit: Visit
    ours: Brand
    theirs: Brand
    a: Sku
    b: Sku
    c: Sku
    d: Sku  # a competitor's SKU, not on the list


@pytest.fixture
def shop(session: Session) -> Shop:
    create_territory(session)
    rep = create_user(session, role=Role.rep)
    ours, theirs = create_brand(session, own=True), create_brand(session)
    a, b, c = (create_sku(session, brand=ours) for _ in range(3))
    d = create_sku(session, brand=theirs)
    for sku, facings in ((a, 3), (b, 2), (c, None)):
        add_to_msl(session, Channel.convenience, sku, facings)
    add_to_msl(session, Channel.supermarket, d, 1)
    visit = create_visit(session, rep=rep, outlet=create_outlet(session), at=AT)
    return Shop(session, visit, ours, theirs, a, b, c, d)


def expected_score(parts: dict[str, float | None], weights: dict[str, float]) -> float | None:
    """Σ w·r / Σ w over the components that apply."""
    applied = {name: ratio for name, ratio in parts.items() if ratio is not None}
    total = sum(weights.get(name, 0.0) for name in applied)
    if not applied or total == 0:
        return None
    return sum(weights.get(name, 0.0) * ratio for name, ratio in applied.items()) / total


def audit_only(s: Shop) -> None:
    create_shelf_audit(
        s.session,
        visit=s.visit,
        lines=[(s.a, True, 3, Decimal("1.99")), (s.b, True, 1, None), (s.d, True, 9, None)],
    )


def photo_only(s: Shop) -> None:
    photo = create_photo(s.session, visit=s.visit)
    analyse(s.session, photo, facings=[(s.a, 4), (s.c, 1)], displays=[s.ours])


def photo_overrules_an_absence(s: Shop) -> None:
    create_shelf_audit(s.session, visit=s.visit, lines=[(s.a, False, 0, None)])
    analyse(s.session, create_photo(s.session, visit=s.visit), facings=[(s.a, 3)])


def rejected_photo_only(s: Shop) -> None:
    photo = create_photo(s.session, visit=s.visit)
    analyse(s.session, photo, facings=[(s.a, 4)], price_tags=2, displays=[s.ours], quality_ok=False)


def displays_of_others(s: Shop) -> None:
    create_shelf_audit(s.session, visit=s.visit, displays=[(s.theirs, 2), (s.ours, 0)])
    photo = create_photo(s.session, visit=s.visit)
    analyse(s.session, photo, price_tags=1, displays=[s.theirs, None])


def two_photos_of_one_bay(s: Shop) -> None:
    analyse(s.session, create_photo(s.session, visit=s.visit), facings=[(s.a, 2)])
    analyse(s.session, create_photo(s.session, visit=s.visit), facings=[(s.a, 2), (s.b, 2)])


def audit_and_photo_counts(s: Shop) -> None:
    create_shelf_audit(s.session, visit=s.visit, lines=[(s.a, True, 1, None)])
    analyse(s.session, create_photo(s.session, visit=s.visit), facings=[(s.a, 3)])


Case = tuple[Callable[[Shop], None], dict[str, float | None]]
CASES: dict[str, Case] = {
    "no evidence": (lambda s: None, dict.fromkeys(DEFAULT)),
    "audit only": (audit_only, {"msl": 2 / 3, "facings": 1 / 2, "display": 0, "price_tag": 1}),
    "photo only": (photo_only, {"msl": 2 / 3, "facings": 1 / 2, "display": 1, "price_tag": 0}),
    "a photo overrules an absence": (
        photo_overrules_an_absence,
        {"msl": 1 / 3, "facings": 1 / 2, "display": 0, "price_tag": 0},
    ),
    "a rejected photo is no evidence": (rejected_photo_only, dict.fromkeys(DEFAULT)),
    "displays of other brands do not count": (
        displays_of_others,
        {"msl": 0, "facings": 0, "display": 0, "price_tag": 1},
    ),
    "photos: the most facings, not their sum": (
        two_photos_of_one_bay,
        {"msl": 2 / 3, "facings": 1 / 2, "display": 0, "price_tag": 0},
    ),
    "audit and photo: the most facings of either": (
        audit_and_photo_counts,
        {"msl": 1 / 3, "facings": 1 / 2, "display": 0, "price_tag": 0},
    ),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_score_from_hand_built_evidence(shop: Shop, settings: Settings, case: Case) -> None:
    build, parts = case
    build(shop)

    assert score_visits(shop.session, settings, [shop.visit.id]) == 1
    found = score_public(shop.session, shop.visit.id)

    assert found is not None
    assert {name: getattr(found, name) for name in parts} == pytest.approx(parts, abs=1e-4)
    assert found.score == pytest.approx(expected_score(parts, DEFAULT), abs=1e-4)


def test_a_channel_without_a_list_is_scored_on_display_and_price(
    session: Session, shop: Shop, settings: Settings
) -> None:
    outlet = create_outlet(session, lon=2.06, channel=Channel.horeca)
    visit = create_visit(session, rep=create_user(session), outlet=outlet, at=AT)
    create_shelf_audit(session, visit=visit, displays=[(shop.ours, 1)])

    score_visits(session, settings, [visit.id])
    found = score_public(session, visit.id)

    assert found is not None
    assert (found.msl, found.facings, found.display, found.price_tag) == (None, None, 1, 0)
    assert found.score == pytest.approx(0.15 / (0.15 + 0.15))


@pytest.mark.parametrize(
    ("weights", "expected"),
    [
        ({"msl": 1}, 2 / 3),
        ({"display": 1, "price_tag": 3}, 3 / 4),
        ({"msl": 1, "facings": 1, "display": 1, "price_tag": 1}, (2 / 3 + 1 / 2 + 0 + 1) / 4),
    ],
)
def test_weights_come_from_the_environment(
    shop: Shop, monkeypatch: pytest.MonkeyPatch, weights: dict[str, float], expected: float
) -> None:
    monkeypatch.setenv("FIELDSALES_PERFECT_STORE_WEIGHTS", str(weights).replace("'", '"'))
    audit_only(shop)

    score_visits(shop.session, Settings(), [shop.visit.id])
    found = score_public(shop.session, shop.visit.id)

    assert found is not None
    assert found.score == pytest.approx(expected, abs=1e-4)
    assert found.weights == weights


@pytest.mark.parametrize(
    "weights", [{}, {"msl": 0}, {"msl": -1, "display": 2}, {"shelf": 1}], ids=str
)
def test_unusable_weights_are_refused(weights: dict[str, float]) -> None:
    with pytest.raises(ValidationError, match="perfect_store_weights"):
        Settings(perfect_store_weights=weights)


def test_shelf_is_partial_until_every_photo_is_settled(shop: Shop, settings: Settings) -> None:
    session = shop.session
    first, second = create_photo(session, visit=shop.visit), create_photo(session, visit=shop.visit)
    analyse(session, first, facings=[(shop.a, 3), (shop.b, 2), (shop.c, 1)])
    score_visits(session, settings, [shop.visit.id])
    partial = score_public(session, shop.visit.id)

    analyse(session, second, quality_ok=False)
    score_visits(session, settings, [shop.visit.id])
    complete = score_public(session, shop.visit.id)

    assert partial is not None
    assert complete is not None
    assert (partial.shelf, complete.shelf) == ("partial", "complete")
    assert partial.score == complete.score == pytest.approx(0.4 + 0.3)


def test_rescoring_many_visits_replaces_their_rows(shop: Shop, settings: Settings) -> None:
    session = shop.session
    other = create_visit(
        session, rep=create_user(session), outlet=create_outlet(session, lon=2.07), at=AT
    )
    photo_only(shop)

    assert score_visits(session, settings, [shop.visit.id, other.id, shop.visit.id]) == 2
    create_shelf_audit(session, visit=other, lines=[(shop.a, True, 5, None)])
    assert score_visits(session, settings, [shop.visit.id, other.id]) == 2
    rows = session.exec(select(func.count()).select_from(VisitScore)).one()
    rescored = score_public(session, other.id)

    assert rows == 2
    assert rescored is not None
    assert rescored.shelf == "none"
    assert (rescored.msl, rescored.facings) == pytest.approx((1 / 3, 0.5), abs=1e-4)
