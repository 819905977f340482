"""The foreign renderer: a held-out look for evaluation, reproducible and correctly labelled."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from vision.detector.data import read_yolo
from vision.foreign import PRICE_TAG, PRODUCT, render_foreign, write_foreign
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
