"""Which demo visits took a shelf photo, and what stood on that shelf.

A photo shows the outlet's own assortment: the active SKUs it sold last month (the
generator picks one or two of their categories and draws the facings). Each leaf territory
gets ``per_week`` photos a week over the last weeks; the territory of the planted share drop gets
``planted_per_week``, all of its beverage shelf, so its weekly share is measured well.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
from numpy.typing import NDArray

from models.demo.catalogue import Products
from models.demo.outlets import Outlets
from models.demo.planted import SHARE_DROP
from models.demo.sales import Sales
from models.demo.visits import ZONE, VisitRow

ROUGH = 0.3  # photos taken in a hurry (the generator's "train" style)


@dataclass(frozen=True)
class Shot:
    """One shelf photo to render: the visit (index), the SKUs on the shelf, the render seed,
    and the generator's style (``clean``: held straight and still; ``train``: tilted, blurred
    or glared now and then, so some photos are rejected as a real field force's are)."""

    visit: int
    skus: tuple[str, ...]
    seed: int
    style: str = "clean"


def carried(outlets: Outlets, products: Products, sales: Sales) -> NDArray[np.bool_]:
    """Outlets × SKUs: the active SKUs each outlet sold in the last month of sales."""
    last = sales.month == sales.month.max()
    matrix = np.zeros((len(outlets), len(products)), dtype=np.bool_)
    matrix[sales.outlet[last], sales.sku[last]] = True
    matrix &= products.delist == 12
    return matrix


def outlet_indices(outlets: Outlets, visits: Sequence[VisitRow]) -> list[int]:
    """The outlet (index) of each visit."""
    index = {outlet_id: i for i, outlet_id in enumerate(outlets.ids)}
    return [index[visit.outlet_id] for visit in visits]


def week_of(visit: VisitRow, today: date) -> int:
    """0 for the six days before ``today`` (the alerts' "this week" as of today), 1 for the
    seven before, and so on."""
    return (today - visit.started_at.astimezone(ZONE).date()).days // 7


def _codes(products: Products, mask: NDArray[np.bool_]) -> tuple[str, ...]:
    return tuple(products.catalogue.skus[i].sku for i in np.flatnonzero(mask))


def _planted_shelf(
    rng: np.random.Generator, products: Products, mine: NDArray[np.bool_], week: int
) -> tuple[str, ...]:
    """The planted territory's beverage shelf: before the drop, the outlet's two brands; after,
    one SKU of the losing brand and the rival's whole active range."""
    codes = np.array([s.brand.id for s in products.catalogue.skus])
    brand, rival = codes == SHARE_DROP.brand_code, codes == SHARE_DROP.rival_code
    active = products.delist == 12
    if week >= SHARE_DROP.weeks:
        return _codes(products, mine & (brand | rival))
    keep = max(1, round(SHARE_DROP.factor * int((mine & brand).sum())))
    kept = rng.choice(np.flatnonzero(mine & brand), keep, replace=False)
    shelf = rival & active
    shelf[kept] = True
    return _codes(products, shelf)


def _shot(rng: np.random.Generator, visit: int, skus: tuple[str, ...]) -> Shot:
    style = "train" if rng.random() < ROUGH else "clean"
    return Shot(visit=visit, skus=skus, seed=int(rng.integers(0, 2**31)), style=style)


def plan_shots(
    rng: np.random.Generator,
    outlets: Outlets,
    products: Products,
    shelf: NDArray[np.bool_],
    outlet_of: Sequence[int],
    visits: Sequence[VisitRow],
    today: date,
    *,
    per_week: int,
    photo_weeks: int,
    planted_per_week: int,
    planted_leaf: int,
) -> list[Shot]:
    """The photos of the visit history, in visit order: ``per_week`` a territory in its last
    ``photo_weeks`` weeks, ``planted_per_week`` in the planted territory all along."""
    codes = np.array([s.brand.id for s in products.catalogue.skus])
    both = (codes == SHARE_DROP.brand_code) | (codes == SHARE_DROP.rival_code)
    slots: dict[tuple[int, int], list[int]] = {}
    for v, visit in enumerate(visits):
        o = outlet_of[v]
        leaf = int(outlets.leaf[o])
        planted = leaf == planted_leaf
        # The planted shelves need both brands before the drop, and the losing one after it.
        lose = (shelf[o] & (codes == SHARE_DROP.brand_code)).any()
        if planted and not (lose and (shelf[o] & (codes == SHARE_DROP.rival_code)).any()):
            continue
        if shelf[o].any():
            slots.setdefault((leaf, week_of(visit, today)), []).append(v)
    shots = []
    losing = shelf & (codes == SHARE_DROP.brand_code)
    for (leaf, week), candidates in sorted(slots.items()):
        if leaf == planted_leaf:
            wanted = planted_per_week
        else:
            wanted = per_week if week < photo_weeks else 0
        order = rng.permutation(candidates)
        if leaf == planted_leaf:
            # The outlets where the losing brand had most room, every week alike: the fall is
            # then plain in the week-over-week comparison.
            room = losing[[outlet_of[v] for v in order]].sum(axis=1)
            order = order[np.argsort(-room, kind="stable")]
        for v in sorted(order[:wanted]):
            mine = shelf[outlet_of[v]]
            skus = (
                _planted_shelf(rng, products, mine & both, week)
                if leaf == planted_leaf
                else _codes(products, mine)
            )
            shots.append(_shot(rng, int(v), skus))
    return sorted(shots, key=lambda s: s.visit)


def plant_reuse(
    rng: np.random.Generator,
    products: Products,
    shelf: NDArray[np.bool_],
    outlet_of: Sequence[int],
    visits: Sequence[VisitRow],
    shots: list[Shot],
    rep_id: uuid.UUID,
) -> tuple[int, int] | None:
    """The planted reuse: the rep's two latest visits at two different outlets (indices).

    The earlier one gets a photo (added to ``shots`` if it had none); it is sent again on the
    later one.
    """
    mine = sorted(
        (
            v
            for v, visit in enumerate(visits)
            if visit.rep_id == rep_id and shelf[outlet_of[v]].any()
        ),
        key=lambda v: visits[v].started_at,
    )
    if not mine:
        return None
    later = mine[-1]
    earlier = next(
        (v for v in reversed(mine) if visits[v].outlet_id != visits[later].outlet_id), None
    )
    if earlier is None:
        return None
    if all(s.visit != earlier for s in shots):
        skus = _codes(products, shelf[outlet_of[earlier]])
        shots.append(_shot(rng, earlier, skus))
        shots.sort(key=lambda s: s.visit)
    return earlier, later
