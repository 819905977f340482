"""Shelf KPIs: rows under tilt, facings, linear share with unknowns, gaps, displays and POSM."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from vision.rows import find_shelves, straighten
from vision.shelf import ShelfKpis, find_gaps, shelf_kpis
from vision.synth.catalogue import Catalogue
from vision.synth.scene import render_shelf
from vision.types import CLASS_ID

P, TAG, DISPLAY, POSM = (CLASS_ID[c] for c in ("product", "price_tag", "display", "posm"))


def grid(
    rows: int,
    per_row: int,
    *,
    w: float = 40,
    h: float = 80,
    gap: float = 4,
    pitch: float = 140,
    skip: tuple[tuple[int, int], ...] = (),
    tilt_deg: float = 0.0,
    origin: tuple[float, float] = (50, 100),
) -> np.ndarray:
    """Product boxes standing on `rows` shelves, rotated by `tilt_deg` about the origin."""
    boxes = []
    t = math.radians(tilt_deg)
    for r in range(rows):
        for i in range(per_row):
            if (r, i) in skip:
                continue
            x0, y1 = origin[0] + i * (w + gap), origin[1] + r * pitch + h
            cx, cy = x0 + w / 2, y1 - h / 2
            rx = origin[0] + (cx - origin[0]) * math.cos(t) - (cy - origin[1]) * math.sin(t)
            ry = origin[1] + (cx - origin[0]) * math.sin(t) + (cy - origin[1]) * math.cos(t)
            hw = (w * math.cos(t) + h * abs(math.sin(t))) / 2
            hh = (h * math.cos(t) + w * abs(math.sin(t))) / 2
            boxes.append([rx - hw, ry - hh, rx + hw, ry + hh])
    return np.array(boxes, np.float32).reshape(-1, 4)


def kpis_of(
    boxes: np.ndarray, sku: list[str | None] | None = None, brand: list[str | None] | None = None
) -> ShelfKpis:
    n = len(boxes)
    return shelf_kpis(boxes, np.full(n, P, np.int64), sku or [None] * n, brand or [None] * n)


def test_no_detections_give_empty_kpis() -> None:
    k = shelf_kpis(np.zeros((0, 4), np.float32), np.zeros(0, np.int64), [], [])
    assert (k.shelves, k.facings, k.brand_share, k.gaps, k.linear_px) == ((), {}, {}, (), 0.0)
    assert (k.price_tags, k.displays, k.posm, k.shelf_of.shape) == (0, (), (), (0,))


def test_lengths_must_agree() -> None:
    with pytest.raises(ValueError, match="one entry per box, got lengths 1, 1, 0, 1"):
        shelf_kpis(np.zeros((1, 4), np.float32), np.zeros(1, np.int64), [], [None])


@pytest.mark.parametrize(
    ("boxes", "rows"),
    [
        (grid(1, 1), 1),
        (grid(1, 2), 1),
        (grid(3, 10), 3),
        (grid(5, 12, tilt_deg=8), 5),
        (grid(5, 12, tilt_deg=-12), 5),
        (grid(4, 20, w=25, h=50, pitch=75, tilt_deg=10), 4),
    ],
    ids=["one", "two", "3x10", "tilt8", "tilt-12", "dense-tilt10"],
)
def test_rows_are_found_under_roll(boxes: np.ndarray, rows: int) -> None:
    shelves, row_of = find_shelves(boxes)
    assert len(shelves) == rows
    assert sorted(i for s in shelves for i in s.products) == list(range(len(boxes)))
    assert [len(s.products) for s in shelves] == [len(boxes) // rows] * rows
    assert (np.diff(row_of) >= 0).all()  # the grid lists boxes row by row, top first


def test_rows_follow_perspective_where_the_tilt_grows_with_height() -> None:
    boxes = grid(6, 14)
    centre = 50 + 14 * 44 / 2
    cy = float(np.median(boxes[:, 3]))
    shift = (boxes[:, 3] - cy) * 0.0006 * ((boxes[:, 0] + boxes[:, 2]) / 2 - centre)  # yaw
    boxes[:, [1, 3]] += shift[:, None]
    shelves, _ = find_shelves(boxes)
    assert [len(s.products) for s in shelves] == [14] * 6


def test_straighten_recovers_the_roll() -> None:
    _, (_, _, tilt, _) = straighten(grid(4, 15, tilt_deg=7))
    assert tilt == pytest.approx(math.tan(math.radians(7)), abs=0.01)


@pytest.mark.parametrize(
    ("skip", "expected"),
    [
        ((), []),
        (((0, 5),), [(0, 1)]),
        (((0, 5), (0, 6), (0, 7)), [(0, 3)]),
        (((1, 0), (1, 1)), [(1, 2)]),  # at the row's start, against the rows around it
        (((0, 3), (2, 9)), [(0, 1), (2, 1)]),
    ],
)
def test_gaps_are_empty_stretches_of_at_least_a_facing(
    skip: tuple[tuple[int, int], ...], expected: list[tuple[int, int]]
) -> None:
    k = kpis_of(grid(3, 10, skip=skip))
    assert [(g.shelf, g.facings) for g in k.gaps] == expected


def test_narrow_spaces_and_overlaps_are_not_gaps() -> None:
    boxes = grid(1, 8, gap=30)  # 30 px between 40 px packs: loose, not empty
    boxes = np.vstack([boxes, boxes[2] + [15, 0, 15, 0]])  # one overlapping its neighbour
    assert kpis_of(boxes).gaps == ()
    shelves, _ = find_shelves(boxes)
    assert find_gaps(shelves, boxes) == []


@pytest.mark.parametrize(
    ("widths", "brands", "share"),
    [
        ([40], ["A"], {"A": 1.0}),
        ([40, 40], ["A", None], {"A": 0.5}),  # unknowns count in the denominator
        ([30, 10, 60], ["A", "B", "A"], {"A": 0.9, "B": 0.1}),
        ([20, 20], [None, None], {}),
    ],
)
def test_share_is_brand_width_over_all_product_width(
    widths: list[float], brands: list[str | None], share: dict[str, float]
) -> None:
    x = np.cumsum([0, *widths])
    boxes = np.array([[a, 0, b, 80] for a, b in itertools.pairwise(x)], np.float32)
    k = kpis_of(boxes, brand=brands)
    assert k.brand_share == pytest.approx(share)
    assert k.linear_px == pytest.approx(sum(widths))


def test_facings_count_recognised_products_per_sku() -> None:
    k = kpis_of(grid(1, 5), sku=["a", "a", None, "b", "a"])
    assert k.facings == {"a": 3, "b": 1}


def test_tags_displays_and_posm_take_the_brand_of_their_products() -> None:
    boxes = np.array(
        [
            [0, 0, 40, 80], [44, 0, 84, 80], [88, 0, 128, 80],  # products on a shelf
            [0, 82, 84, 92],  # a shelf strip under the first two
            [0, 85, 20, 95],  # a price tag
            [300, 0, 500, 300],  # a floor stand...
            [310, 100, 350, 180], [360, 100, 400, 180],  # ...holding two products
            [600, 0, 700, 100],  # a poster with no product on it
        ],
        np.float32,
    )  # fmt: skip
    classes = np.array([P, P, P, POSM, TAG, DISPLAY, P, P, POSM], np.int64)
    brand = ["A", "A", "B", None, None, None, "C", "C", None]
    sku = ["a1", "a1", "b1", None, None, None, "c1", "c2", None]
    k = shelf_kpis(boxes, classes, sku, brand)
    assert k.price_tags == 1
    assert [(f.index, f.brand, f.brands) for f in k.displays] == [(5, "C", {"C": 2})]
    assert [(f.index, f.brand) for f in k.posm] == [(3, "A"), (8, None)]
    assert [s.display for s in k.shelves] == [-1, 5]
    assert k.shelf_of.tolist() == [0, 0, 0, -1, -1, -1, 1, 1, -1]


def test_no_gap_is_reported_behind_a_display() -> None:
    boxes = grid(2, 10, skip=((1, 4), (1, 5), (1, 6)))
    stand = [[50 + 4 * 44 - 5, 150, 50 + 7 * 44 + 5, 400]]
    k = shelf_kpis(
        np.vstack([boxes, stand]).astype(np.float32),
        np.array([P] * len(boxes) + [DISPLAY], np.int64),
        [None] * (len(boxes) + 1),
        [None] * (len(boxes) + 1),
    )
    assert k.gaps == ()


@pytest.mark.parametrize(("style", "seed"), [("clean", 3), ("train", 4), ("hard", 5)])
def test_kpis_of_true_labels_match_the_generator(
    catalogue: Catalogue, style: str, seed: int
) -> None:
    scene = render_shelf(catalogue, seed, style=style, size=(640, 480))
    k = shelf_kpis(scene.boxes, scene.classes, scene.skus, scene.brands)
    assert k.facings == scene.facings
    assert k.brand_share == pytest.approx(scene.share)
    products = int((scene.classes == P).sum())
    assert sum(len(s.products) for s in k.shelves) == products
