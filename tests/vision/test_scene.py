"""Shelf scenes: deterministic by seed, boxes inside and sane, KPIs consistent with boxes."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from vision.synth.catalogue import Catalogue, make_catalogue
from vision.synth.scene import Scene, render_shelf, shelf_kpis
from vision.types import CLASS_ID, CLASSES

SIZE = (480, 360)
_CASES = [("train", 1), ("train", 2), ("hard", 3), ("clean", 4), ("train", 5), ("hard", 6)]


@pytest.fixture(scope="module")
def scenes(catalogue: Catalogue) -> list[Scene]:
    return [render_shelf(catalogue, seed, style=style, size=SIZE) for style, seed in _CASES]


def test_shelf_kpis_of_no_boxes_are_empty() -> None:
    none = shelf_kpis(np.zeros((0, 4), np.float32), np.zeros(0, np.int64), (), ())
    assert none == ({}, {})


def test_shelf_kpis_count_facings_and_share_width() -> None:
    boxes = np.array(
        [[0, 0, 10, 5], [10, 0, 20, 5], [20, 0, 50, 5], [0, 9, 99, 9.5], [50, 0, 60, 5]], np.float32
    )
    classes = np.array([0, 0, 0, 1, 0], np.int64)
    skus, brands = ("a", "a", "b", None, None), ("A", "A", "B", None, None)
    assert shelf_kpis(boxes, classes, skus, brands) == ({"a": 2, "b": 1}, {"A": 1 / 3, "B": 0.5})


def test_same_seed_gives_identical_scene(catalogue: Catalogue, scenes: list[Scene]) -> None:
    again = render_shelf(catalogue, 1, style="train", size=SIZE)
    first = scenes[0]
    assert again.image.tobytes() == first.image.tobytes()
    np.testing.assert_array_equal(again.boxes, first.boxes)
    assert (again.skus, again.brands, again.facings) == (first.skus, first.brands, first.facings)


def test_different_seeds_give_different_scenes(scenes: list[Scene]) -> None:
    images = {s.image.tobytes() for s in scenes}
    assert len(images) == len(scenes)


def test_boxes_are_inside_the_image_and_not_degenerate(scenes: list[Scene]) -> None:
    for scene in scenes:
        assert scene.image.size == SIZE
        assert scene.boxes.dtype == np.float32
        x0, y0, x1, y1 = scene.boxes.T
        assert ((x0 >= 0) & (y0 >= 0) & (x1 <= SIZE[0]) & (y1 <= SIZE[1])).all()
        assert ((x1 - x0 >= 2) & (y1 - y0 >= 2)).all()


def test_scenes_have_products_and_price_tags(scenes: list[Scene]) -> None:
    counts = [Counter(CLASSES[c] for c in scene.classes) for scene in scenes]
    assert all(c["product"] >= 5 for c in counts), counts
    assert sum(c["price_tag"] for c in counts) >= 10, counts


def test_labels_agree_with_the_catalogue(catalogue: Catalogue, scenes: list[Scene]) -> None:
    by_id = {s.sku: s for s in catalogue.skus}
    brands = {b.name for b in catalogue.brands}
    for scene in scenes:
        assert len(scene.skus) == len(scene.brands) == len(scene.boxes) == len(scene.classes)
        for cls, sku, brand in zip(scene.classes, scene.skus, scene.brands, strict=True):
            assert cls in range(len(CLASSES))
            if sku is not None:
                assert cls == CLASS_ID["product"]
                assert by_id[sku].brand.name == brand
            if cls == CLASS_ID["price_tag"]:
                assert brand is None
            assert brand is None or brand in brands


def test_facings_and_share_match_the_product_boxes(scenes: list[Scene]) -> None:
    for scene in scenes:
        products = scene.classes == CLASS_ID["product"]
        counted = Counter(s for s, p in zip(scene.skus, products, strict=True) if p and s)
        assert scene.facings == dict(counted)
        widths = scene.boxes[products, 2] - scene.boxes[products, 0]
        for brand, share in scene.share.items():
            mine = [b == brand for b, p in zip(scene.brands, products, strict=True) if p]
            assert share == pytest.approx(widths[mine].sum() / widths.sum(), rel=1e-5)
        assert sum(scene.share.values()) <= 1 + 1e-6


def test_detections_carry_the_ground_truth(scenes: list[Scene]) -> None:
    dets = scenes[0].detections()
    assert len(dets) == len(scenes[0].boxes)
    assert dets.sku == scenes[0].skus
    assert (dets.score == 1).all()


def test_catalogue_without_brands_renders_unknown_products_only() -> None:
    scene = render_shelf(make_catalogue(0, n_brands=0), 9, size=SIZE)
    assert (scene.classes == CLASS_ID["product"]).any()
    assert set(scene.skus) == {None}
    assert (scene.facings, scene.share) == ({}, {})


def test_wobbler_rich_scenes_hold_more_posm(catalogue: Catalogue) -> None:
    posm = CLASS_ID["posm"]
    plain = [render_shelf(catalogue, seed, size=SIZE) for seed in range(20, 36)]
    rich = [render_shelf(catalogue, seed, size=SIZE, wobblers=6.0) for seed in range(20, 36)]
    found = [sum(int((s.classes == posm).sum()) for s in scenes) for scenes in (plain, rich)]
    assert found[1] >= 1.4 * max(found[0], 1)  # strips and posters are POSM too
    known = {sku.brand.name for sku in catalogue.skus}
    assert all(
        b in known
        for s in rich
        for b, c in zip(s.brands, s.classes, strict=True)
        if c == posm and b
    )


def test_portrait_photos_work(catalogue: Catalogue) -> None:
    scene = render_shelf(catalogue, 12, size=(360, 480))
    assert scene.image.size == (360, 480)
    assert (scene.boxes[:, 3] <= 480).all()


def test_unknown_style_is_rejected(catalogue: Catalogue) -> None:
    with pytest.raises(ValueError, match=r"style must be one of \['clean', 'hard', 'train'\]"):
        render_shelf(catalogue, 0, style="phone")
