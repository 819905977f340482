"""The foreign renderer: a held-out look for evaluation, reproducible and correctly labelled."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from vision.catalogue import read_catalogue_dir
from vision.detector.data import read_yolo
from vision.foreign import (
    PRICE_TAG,
    PRODUCT,
    foreign_catalogue,
    render_foreign,
    write_foreign,
    write_foreign_catalogue,
)
from vision.measure import index_for
from vision.recognise import embedder_for, recognise
from vision.synth.dataset import scene_seed


def test_a_seed_gives_the_same_photo_and_another_seed_a_different_one() -> None:
    a, again, other = render_foreign(7), render_foreign(7), render_foreign(8)

    assert np.array_equal(np.asarray(a.image), np.asarray(again.image))
    assert np.array_equal(a.boxes, again.boxes)
    assert not np.array_equal(np.asarray(a.image), np.asarray(other.image))


def test_boxes_lie_in_the_photo_and_are_products_or_price_tags() -> None:
    for seed in range(4):
        scene = render_foreign(seed)
        w, h = scene.image.size

        assert set(scene.classes.tolist()) <= {PRODUCT, PRICE_TAG}
        assert (scene.classes == PRODUCT).sum() >= 10
        assert (scene.boxes[:, :2] >= 0).all()
        assert (scene.boxes[:, 2] <= w).all()
        assert (scene.boxes[:, 3] <= h).all()
        assert (scene.boxes[:, 2:] > scene.boxes[:, :2]).all()


def test_the_written_folder_reads_back_as_the_rendered_boxes(tmp_path: Path) -> None:
    folder = write_foreign(tmp_path / "foreign", 2, seed=5)

    samples = read_yolo(folder)
    scene = render_foreign(scene_seed(5, 0))
    w, h = scene.image.size

    assert len(samples) == 2
    np.testing.assert_allclose(samples[0].boxes * [w, h, w, h], scene.boxes, atol=0.01)
    assert samples[0].classes.tolist() == scene.classes.tolist()


def test_a_dense_photo_is_twelve_megapixels_of_over_a_hundred_products() -> None:
    scene = render_foreign(11, dense=True)

    assert scene.image.width * scene.image.height == 12_000_000
    assert (scene.classes == PRODUCT).sum() > 100


def test_a_foreign_brand_has_variants_that_share_its_look_but_not_its_flavour() -> None:
    catalogue = foreign_catalogue(3, brands=4, variants=3)

    assert len(catalogue.skus) == 12
    assert len({s.sku for s in catalogue.skus}) == 12
    for brand in catalogue.brands:
        variants = [s for s in catalogue.skus if s.brand == brand.name]
        assert len(variants) == 3
        assert (
            len({(s.design.shape, s.design.body, s.design.name, s.aspect) for s in variants}) == 1
        )
        assert len({s.design.flavour for s in variants}) == 3


def test_with_a_catalogue_most_packs_are_its_skus_and_labelled_so() -> None:
    catalogue = foreign_catalogue(3)
    brand_of = {s.sku: s.brand for s in catalogue.skus}
    scene = render_foreign(21, catalogue=catalogue)
    products = scene.classes == PRODUCT
    labelled = [s for s, p in zip(scene.skus, products, strict=True) if p and s is not None]

    assert len(scene.skus) == len(scene.brands) == len(scene.boxes)
    assert all(s is None for s, p in zip(scene.skus, products, strict=True) if not p)
    assert all(brand_of[s] == b for s, b in zip(scene.skus, scene.brands, strict=True) if s)
    assert 0.5 * products.sum() <= len(labelled) < products.sum()  # strangers' packs too
    assert all(s is None for s in render_foreign(21).skus)


def test_the_foreign_catalogue_directory_reads_back_with_cut_out_fronts(tmp_path: Path) -> None:
    catalogue = foreign_catalogue(3, brands=5, variants=2)
    write_foreign_catalogue(catalogue, tmp_path)
    entries = read_catalogue_dir(tmp_path)

    assert [e.sku for e in entries] == [s.sku for s in catalogue.skus]
    for entry, sku in zip(entries, catalogue.skus, strict=True):
        with Image.open(tmp_path / entry.images[0]) as front:
            alpha = np.asarray(front.getchannel("A"))
        assert alpha[alpha.shape[0] // 2, alpha.shape[1] // 2] == 255  # the pack
        if sku.design.shape in ("bottle", "jar"):
            assert alpha[1, 0] == 0  # beside the neck or the lid: nothing


def test_foreign_packs_are_recognised_against_their_own_catalogue() -> None:
    catalogue = foreign_catalogue(5, brands=6, variants=4)
    index = index_for(catalogue, embedder=embedder_for("embed"))
    right = given = 0
    for seed in (1, 2):
        scene = render_foreign(seed, catalogue=catalogue)
        products = np.flatnonzero(scene.classes == PRODUCT)
        rec = recognise(scene.image.convert("RGB"), scene.boxes[products], index)
        for found, i in zip(rec.sku, products.tolist(), strict=True):
            if found is not None and scene.skus[i] is not None:
                given += 1
                right += found == scene.skus[i]
    assert given >= 40
    assert right >= 0.85 * given
