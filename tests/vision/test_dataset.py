"""Dataset writer: JPEG + YOLO labels + manifest, lines in manifest order."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image

from vision.synth.catalogue import Catalogue
from vision.synth.dataset import scene_seed, write_dataset, yolo_lines
from vision.types import CLASSES


def test_yolo_lines_of_no_boxes_is_empty() -> None:
    assert yolo_lines(np.zeros((0, 4), np.float32), np.zeros(0, np.int64), (10, 10)) == []


def test_yolo_lines_are_normalised_centre_and_size() -> None:
    boxes = np.array([[0, 0, 10, 20], [5, 10, 15, 20]], np.float32)
    lines = yolo_lines(boxes, np.array([0, 3]), (20, 40))
    assert lines == [
        "0 0.250000 0.250000 0.500000 0.500000",
        "3 0.500000 0.375000 0.500000 0.250000",
    ]


def test_datasets_of_different_seeds_do_not_share_scenes() -> None:
    first = {scene_seed(0, i) for i in range(100)}
    assert len(first) == 100
    assert not first & {scene_seed(1, i) for i in range(100)}


def test_write_dataset_layout(catalogue: Catalogue, tmp_path: Path) -> None:
    manifest_path = write_dataset(catalogue, tmp_path, 2, seed=3, size=(320, 240), progress=False)
    manifest = json.loads(manifest_path.read_text())
    assert manifest["classes"] == list(CLASSES)
    assert (manifest["style"], manifest["size"], len(manifest["images"])) == (
        "train",
        [320, 240],
        2,
    )
    for record in manifest["images"]:
        with Image.open(tmp_path / record["image"]) as img:
            assert img.size == (320, 240)
        lines = (tmp_path / record["label"]).read_text().splitlines()
        assert len(lines) == len(record["skus"]) == len(record["brands"])
        values = np.array([line.split() for line in lines], float).reshape(-1, 5)
        assert set(values[:, 0]) <= set(range(len(CLASSES)))
        assert ((values[:, 1:] >= 0) & (values[:, 1:] <= 1)).all()
        assert sum(record["facings"].values()) == sum(s is not None for s in record["skus"])
