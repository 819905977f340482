"""Shelf KPIs from boxes: shelf rows, facings, linear share of shelf, gaps, tags, displays.

Rows come from `vision.rows`; here they are found per display (a floor stand's tiers
apart from the shelves behind it), and the KPIs of DESIGN.md are counted on them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from vision.rows import Shelf, find_shelves
from vision.types import CLASS_ID

_HELD = 0.75
"""Share of a product's box inside a display for the product to be on that display."""
GAP_FACINGS = 1.0
"""An empty shelf segment is a gap when wider than this many typical facings of its row."""


@dataclass(frozen=True)
class Gap:
    """An empty stretch of a shelf, likely out of stock.

    Attributes:
        shelf: Index of its shelf.
        box: (x0, y0, x1, y1) px: the empty stretch, one typical product tall.
        facings: Typical facings that would fit in it (at least 1).
    """

    shelf: int
    box: tuple[float, float, float, float]
    facings: int


@dataclass(frozen=True)
class Fixture:
    """A display or a POSM item and the brand shown on or in it.

    Attributes:
        index: Index of its detection.
        brand: The majority brand of recognised products in or on it, else None.
        brands: Recognised products per brand found in or on it.
    """

    index: int
    brand: str | None
    brands: dict[str, int]


@dataclass(frozen=True)
class ShelfKpis:
    """What the shelf photo shows, by the definitions of DESIGN.md.

    Attributes:
        shelves: Shelf rows, top to bottom.
        shelf_of: Shelf index per detection, -1 for non-products; int64 (N,).
        facings: Products per recognised SKU.
        brand_share: Per recognised brand: its products' summed width over the summed
            width of all products, unknown ones included.
        linear_px: Summed width of all products, px.
        gaps: Empty shelf stretches wider than a typical facing.
        price_tags: Number of price tags.
        displays: Secondary displays and their brands.
        posm: Point-of-sale material and its brands.
    """

    shelves: tuple[Shelf, ...]
    shelf_of: NDArray[np.int64]
    facings: dict[str, int]
    brand_share: dict[str, float]
    linear_px: float
    gaps: tuple[Gap, ...]
    price_tags: int
    displays: tuple[Fixture, ...]
    posm: tuple[Fixture, ...]


def find_gaps(shelves: Sequence[Shelf], xyxy: NDArray[np.floating]) -> list[Gap]:
    """Empty stretches wider than `GAP_FACINGS` typical facings, inside a row or at its
    ends where the rows just above and below reach farther.

    Args:
        shelves: Rows from `find_shelves`.
        xyxy: The boxes the rows index, (M, 4).
    """
    boxes = np.asarray(xyxy, np.float64)
    gaps: list[Gap] = []
    for s, shelf in enumerate(shelves):
        near = [shelves[j] for j in (s - 1, s + 1) if 0 <= j < len(shelves)]
        for lo, hi in _empty_spans(shelf, boxes, near):
            if hi - lo > GAP_FACINGS * shelf.facing_px:
                bottom = shelf.y_at((lo + hi) / 2)
                height = float(
                    np.median(boxes[list(shelf.products), 3] - boxes[list(shelf.products), 1])
                )
                n = max(round((hi - lo) / shelf.facing_px), 1)
                gaps.append(Gap(s, (lo, bottom - height, hi, bottom), n))
    return gaps


def _empty_spans(
    shelf: Shelf, boxes: NDArray[np.float64], near: Sequence[Shelf]
) -> list[tuple[float, float]]:
    members = list(shelf.products)
    x0, x1 = boxes[members, 0], boxes[members, 2]
    reach = np.maximum.accumulate(x1)  # right end so far: overlapping boxes leave no gap
    spans = [(float(reach[i]), float(x0[i + 1])) for i in range(len(members) - 1)]
    if near:
        spans.append((min(n.x0 for n in near), shelf.x0))
        spans.append((shelf.x1, max(n.x1 for n in near)))
    return [(lo, hi) for lo, hi in spans if hi > lo]


def _fixtures(
    boxes: NDArray[np.float64],
    targets: NDArray[np.int64],
    products: NDArray[np.int64],
    brands: Sequence[str | None],
    reach_up: float,
) -> list[Fixture]:
    """Brands of the recognised products whose centre lies in each target box, the box
    stretched up by `reach_up` px (POSM sits on the shelf edge under its products)."""
    out = []
    px = (boxes[products, 0] + boxes[products, 2]) / 2
    py = (boxes[products, 1] + boxes[products, 3]) / 2
    for t in targets.tolist():
        x0, y0, x1, y1 = boxes[t]
        top = y0 - reach_up
        inside = (px >= x0) & (px <= x1) & (py >= top) & (py <= y1)
        counts = Counter(brands[int(i)] for i in products[inside])
        named = {b: n for b, n in counts.items() if b is not None}
        brand = max(sorted(named), key=lambda b: named[b]) if named else None
        out.append(Fixture(int(t), brand, named))
    return out


def _container(
    boxes: NDArray[np.float64], products: NDArray[np.int64], displays: NDArray[np.int64]
) -> NDArray[np.int64]:
    """The smallest display holding each product (detection index), -1 for none.

    A display holds a product when three quarters of the product's box lie inside it:
    products on the shelf behind a floor stand peek out beside it.
    """
    out = np.full(len(products), -1, np.int64)
    if len(displays) == 0 or len(products) == 0:
        return out
    p, d = boxes[products][:, None], boxes[displays][None]
    w = np.clip(np.minimum(p[..., 2], d[..., 2]) - np.maximum(p[..., 0], d[..., 0]), 0, None)
    h = np.clip(np.minimum(p[..., 3], d[..., 3]) - np.maximum(p[..., 1], d[..., 1]), 0, None)
    own = np.maximum((p[..., 2] - p[..., 0]) * (p[..., 3] - p[..., 1]), 1e-9)
    area = np.where(w * h >= _HELD * own, (d[..., 2] - d[..., 0]) * (d[..., 3] - d[..., 1]), np.inf)
    best = area.argmin(1)
    held = np.isfinite(area[np.arange(len(products)), best])
    out[held] = displays[best[held]]
    return out


def _hidden_by(box: tuple[float, float, float, float], covers: NDArray[np.float64]) -> bool:
    """Whether a quarter or more of `box` lies under `covers` (K, 4), overlaps summed."""
    if len(covers) == 0:
        return False
    w = np.clip(np.minimum(box[2], covers[:, 2]) - np.maximum(box[0], covers[:, 0]), 0, None)
    h = np.clip(np.minimum(box[3], covers[:, 3]) - np.maximum(box[1], covers[:, 1]), 0, None)
    area = max((box[2] - box[0]) * (box[3] - box[1]), 1e-9)
    return float((w * h).sum()) >= 0.25 * area


def shelf_rows(
    boxes: NDArray[np.float64], products: NDArray[np.int64], displays: NDArray[np.int64]
) -> tuple[list[Shelf], list[Gap]]:
    """Rows and gaps, found separately for the products of each display and for the rest.

    A floor stand in front of a gondola has its own tiers: kept apart, they neither
    merge with the shelves behind nor leave "gaps" where they hide them.
    """
    holder = _container(boxes, products, displays)
    shelves: list[Shelf] = []
    gaps: list[Gap] = []
    for group in np.unique(holder).tolist():
        members = products[holder == group]
        rows, _ = find_shelves(boxes[members])
        local = [
            Shelf(
                tuple(int(members[i]) for i in r.products),
                r.y0,
                r.slope,
                r.x0,
                r.x1,
                r.facing_px,
                int(group),
            )
            for r in rows
        ]
        found = find_gaps(local, boxes)
        if group < 0:
            found = [g for g in found if not _hidden_by(g.box, boxes[displays])]
        gaps += [Gap(g.shelf + len(shelves), g.box, g.facings) for g in found]
        shelves += local
    mid = float(np.median((boxes[products, 0] + boxes[products, 2]) / 2)) if len(products) else 0.0
    order = sorted(range(len(shelves)), key=lambda i: (shelves[i].y_at(mid), shelves[i].x0))
    rank = {old: new for new, old in enumerate(order)}
    gaps = sorted(
        (Gap(rank[g.shelf], g.box, g.facings) for g in gaps), key=lambda g: (g.shelf, g.box[0])
    )
    return [shelves[i] for i in order], gaps


def shelf_kpis(
    xyxy: NDArray[np.floating],
    class_id: NDArray[np.integer],
    sku: Sequence[str | None],
    brand: Sequence[str | None],
) -> ShelfKpis:
    """All shelf KPIs of one photo.

    Args:
        xyxy: Detection boxes (N, 4), px.
        class_id: Class per box (index into `vision.types.CLASSES`), (N,).
        sku: Recognised SKU per box, None for unknown products and non-products.
        brand: Brand per box, None where unknown.
    """
    boxes = np.asarray(xyxy, np.float64).reshape(-1, 4)
    classes = np.asarray(class_id, np.int64)
    if not len(boxes) == len(classes) == len(sku) == len(brand):
        raise ValueError(
            f"xyxy, class_id, sku and brand must have one entry per box, got lengths "
            f"{len(boxes)}, {len(classes)}, {len(sku)}, {len(brand)}"
        )
    products = np.flatnonzero(classes == CLASS_ID["product"])
    displays = np.flatnonzero(classes == CLASS_ID["display"])
    shelves, gaps = shelf_rows(boxes, products, displays)
    shelf_of = np.full(len(boxes), -1, np.int64)
    for i, shelf in enumerate(shelves):
        shelf_of[list(shelf.products)] = i
    widths = boxes[products, 2] - boxes[products, 0]
    total = float(widths.sum())
    posm = np.flatnonzero(classes == CLASS_ID["posm"])
    heights = boxes[products, 3] - boxes[products, 1]
    product_height = float(np.median(heights)) if len(products) else 0.0
    share: dict[str, float] = {}
    for i, w in zip(products.tolist(), widths.tolist(), strict=True):
        b = brand[i]
        if b is not None and total > 0:
            share[b] = share.get(b, 0.0) + w / total
    facings = Counter(s for s in (sku[i] for i in products.tolist()) if s is not None)
    return ShelfKpis(
        shelves=tuple(shelves),
        shelf_of=shelf_of,
        facings=dict(sorted(facings.items())),
        brand_share=dict(sorted(share.items())),
        linear_px=total,
        gaps=tuple(gaps),
        price_tags=int((classes == CLASS_ID["price_tag"]).sum()),
        displays=tuple(_fixtures(boxes, displays, products, brand, 0.0)),
        posm=tuple(_fixtures(boxes, posm, products, brand, product_height)),
    )
