"""Shelf context: a facing rejected alone takes the SKU of the recognised block it stands in."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from vision.context import BLOCK_MIN_SIMILARITY, extend_blocks, side_by_side
from vision.embed.crops import aspect_log
from vision.embed.match import similarities
from vision.recognise import CatalogueIndex, decide_embedded, embedder_for, recognise
from vision.synth import render_shelf
from vision.synth.catalogue import Catalogue
from vision.types import CLASS_ID


def test_packs_level_and_close_on_one_shelf_are_side_by_side() -> None:
    boxes = np.array(
        [
            [0, 0, 40, 100],  # 0
            [44, 0, 84, 100],  # 1: 4 px right of 0
            [88, 3, 128, 103],  # 2: 4 px right of 1, a little lower
            [0, 120, 40, 220],  # 3: the shelf below 0
            [200, 0, 240, 100],  # 4: across a gap of three packs
            [131, 80, 141, 100],  # 5: right of 2, a quarter of its height
            [1, 0, 41, 100],  # 6: box 0 again
        ],
        np.float32,
    )
    assert side_by_side(boxes).tolist() == [[0, 1], [1, 2], [1, 6]]


def test_no_boxes_have_no_neighbours() -> None:
    assert side_by_side(np.zeros((0, 4), np.float32)).shape == (0, 2)


def test_a_rejected_facing_takes_the_sku_of_the_block_it_stands_in() -> None:
    # Five facings in a row; only the first was recognised (entry 0) on its own.
    sim = np.array(
        [[0.90, 0.10], [0.50, 0.10], [0.45, 0.20], [BLOCK_MIN_SIMILARITY - 0.01, 0.1], [0.5, 0.1]],
        np.float32,
    )
    entry = np.array([0, -1, -1, -1, -1])
    pairs = np.array([[0, 1], [1, 2], [2, 3], [3, 4]])
    # 1 and 2 join the block one after the other; 3 is too unlike it, and 4 stands beyond 3.
    assert extend_blocks(sim, entry, pairs).tolist() == [0, 0, 0, -1, -1]


def test_an_unknown_pack_beside_a_block_stays_unknown() -> None:
    # Crop 1 is nearer another SKU than its neighbour's; crop 2 has no recognised neighbour.
    sim = np.array([[0.9, 0.1, 0.1], [0.45, 0.55, 0.1], [0.1, 0.1, 0.5]], np.float32)
    pairs = np.array([[0, 1]])
    assert extend_blocks(sim, np.array([0, -1, -1]), pairs).tolist() == [0, -1, -1]


def test_a_facing_between_two_blocks_takes_the_one_it_is_more_like() -> None:
    sim = np.array([[0.9, 0.1], [0.5, 0.52], [0.1, 0.9]], np.float32)
    pairs = np.array([[0, 1], [1, 2]])
    assert extend_blocks(sim, np.array([0, -1, 1]), pairs).tolist() == [0, 1, 1]


@pytest.fixture(scope="module")
def embed_index(catalogue_dir: Path) -> CatalogueIndex:
    return CatalogueIndex.from_dir(catalogue_dir, embedder=embedder_for("embed"))


def test_on_hard_shelves_blocks_only_add_skus_that_their_neighbours_have(
    catalogue: Catalogue, embed_index: CatalogueIndex
) -> None:
    views = embed_index.embedded
    assert views is not None
    added = right = 0
    for seed in range(8):
        scene = render_shelf(catalogue, 100 + seed, style="hard", size=(960, 720))
        boxes = scene.boxes[scene.classes == CLASS_ID["product"]]
        truth = np.array(scene.skus, object)[scene.classes == CLASS_ID["product"]]
        sim = similarities(views.embedder.boxes(scene.image, boxes), aspect_log(boxes), views)
        alone = decide_embedded(sim, embed_index)
        pairs = side_by_side(boxes)
        blocks = recognise(scene.image, boxes, embed_index)
        for i, (before, after) in enumerate(zip(alone.sku, blocks.sku, strict=True)):
            if before is not None:
                assert after == before  # a recognised crop keeps its SKU
            elif after is not None:
                mates = pairs[(pairs == i).any(1)].ravel()
                assert after in {blocks.sku[j] for j in mates if j != i}
                assert blocks.score[i] == 0.0  # named by its neighbours, not by its looks
                added += 1
                right += after == truth[i]
    assert added > 0
    assert right >= 0.7 * added
