"""Annotation readers (YOLO txt, SKU-110K CSV) and training crops; all torch-free."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from vision.detector.augment import Augment, random_crop, restyle
from vision.detector.data import Sample, parse_yolo_lines, read_annotations

YOLO_CASES = [
    ("empty", "", [], []),
    ("blank lines", "\n  \n", [], []),
    ("one box", "0 0.5 0.5 0.2 0.4\n", [[0.4, 0.3, 0.6, 0.7]], [0]),
    ("polygon", "2 0.1 0.2 0.3 0.2 0.3 0.6 0.1 0.6", [[0.1, 0.2, 0.3, 0.6]], [2]),
    ("clipped to the image", "1 0.05 0.5 0.2 0.2", [[0.0, 0.4, 0.15, 0.6]], [1]),
]


@pytest.mark.parametrize(
    ("text", "boxes", "classes"), [c[1:] for c in YOLO_CASES], ids=[c[0] for c in YOLO_CASES]
)
def test_parse_yolo_lines(text: str, boxes: list[list[float]], classes: list[int]) -> None:
    got_boxes, got_classes = parse_yolo_lines(text)
    np.testing.assert_allclose(got_boxes, np.array(boxes, np.float32).reshape(-1, 4), atol=1e-6)
    assert got_classes.tolist() == classes


@pytest.mark.parametrize("text", ["0 0.5 0.5 0.2", "0 0.1 0.1 0.2 0.2 0.3"])
def test_parse_yolo_lines_rejects_short_or_odd_lines(text: str) -> None:
    with pytest.raises(ValueError, match="line 1"):
        parse_yolo_lines(text)


def _image(path: Path, size: tuple[int, int] = (200, 100)) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, (200, 30, 30)).save(path)


def test_read_yolo_pairs_images_with_labels_ultralytics_style(tmp_path: Path) -> None:
    _image(tmp_path / "images" / "train" / "a.jpg")
    _image(tmp_path / "images" / "train" / "b.png")  # no label: a background image
    (tmp_path / "labels" / "train").mkdir(parents=True)
    (tmp_path / "labels" / "train" / "a.txt").write_text("3 0.5 0.5 0.5 0.5\n0 0.25 0.25 0.1 0.1\n")
    samples = read_annotations(tmp_path, "yolo")
    assert [(s.image.name, s.classes.tolist()) for s in samples] == [
        ("a.jpg", [3, 0]),
        ("b.png", []),
    ]


def test_read_sku110k_groups_rows_per_image(tmp_path: Path) -> None:
    _image(tmp_path / "images" / "test_0.jpg", (400, 200))
    _image(tmp_path / "images" / "test_1.jpg", (100, 100))
    (tmp_path / "annotations").mkdir()
    (tmp_path / "annotations" / "annotations_test.csv").write_text(
        "image_name,x1,y1,x2,y2,class,image_width,image_height\n"
        "test_0.jpg,40,20,200,100,object,400,200\n"
        "test_0.jpg,200,100,400,200,object,400,200\n"
        "test_1.jpg,0,0,50,25,object,100,100\n"
    )
    samples = read_annotations(tmp_path, "sku110k")
    assert [s.image for s in samples] == [
        tmp_path / "images" / "test_0.jpg",
        tmp_path / "images" / "test_1.jpg",
    ]
    np.testing.assert_allclose(samples[0].boxes, [[0.1, 0.1, 0.5, 0.5], [0.5, 0.5, 1.0, 1.0]])
    assert samples[1].classes.tolist() == [0]


def test_read_sku110k_without_header(tmp_path: Path) -> None:
    csv = tmp_path / "a.csv"
    csv.write_text("x.jpg,0,0,10,10,object,20,20\n")
    (sample,) = read_annotations(csv, "sku110k")
    np.testing.assert_allclose(sample.boxes, [[0, 0, 0.5, 0.5]])


def test_unknown_format_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown annotation format"):
        read_annotations(tmp_path, "coco")


def test_random_crop_is_deterministic_and_keeps_boxes_inside(tmp_path: Path) -> None:
    _image(tmp_path / "x.jpg", (1280, 960))
    sample = Sample(
        tmp_path / "x.jpg",
        np.array([[0.1, 0.1, 0.3, 0.3], [0.5, 0.5, 0.9, 0.9]], np.float32),
        np.array([0, 2], np.int64),
    )
    first = random_crop(sample, np.random.default_rng(3), size=256)
    again = random_crop(sample, np.random.default_rng(3), size=256)
    assert first.image.shape == (256, 256, 3)
    np.testing.assert_array_equal(first.image, again.image)
    assert ((first.boxes >= 0) & (first.boxes <= 256)).all()


def test_rolled_and_framed_crops_box_what_they_show(tmp_path: Path) -> None:
    """A rolled crop's box is the hull of the rolled pack; framing keeps a display whole."""
    pixels = np.zeros((960, 1280, 3), np.uint8)
    pixels[300:420, 700:900] = 255  # the display: x 700-900, y 300-420
    Image.fromarray(pixels).save(tmp_path / "x.png")
    sample = Sample(
        tmp_path / "x.png",
        np.array([[700 / 1280, 300 / 960, 900 / 1280, 420 / 960]], np.float32),
        np.array([2], np.int64),
    )
    framing = Augment.plain()
    framing = Augment(**{**framing.__dict__, "focus_p": 1.0, "roll_p": 1.0, "flip_p": 0.5})
    for seed in range(12):
        crop = random_crop(sample, np.random.default_rng(seed), size=256, augment=framing)
        assert crop.classes.tolist() == [2]
        ys, xs = np.nonzero(crop.image.max(2) > 128)
        shown = [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]
        np.testing.assert_allclose(crop.boxes[0], shown, atol=3)


def test_restyled_crops_change_the_look_not_the_shapes() -> None:
    """Another look moves no edge: each flat region stays flat and apart from the others."""
    pixels = np.full((96, 128, 3), 40, np.uint8)
    pixels[20:60, 30:70] = (200, 60, 30)
    pixels[50:90, 80:120] = (30, 90, 220)
    interiors = [
        (slice(24, 46), slice(34, 66)),
        (slice(64, 86), slice(84, 116)),
        (slice(2, 16), slice(2, 126)),
    ]
    recoloured = 0
    for seed in range(30):
        out = restyle(pixels, np.random.default_rng(seed))
        assert out.shape == pixels.shape
        assert out.dtype == np.uint8
        means = [out[r].reshape(-1, 3).mean(0) for r in interiors]
        assert all(out[r].reshape(-1, 3).std(0).max() < 6 for r in interiors)
        assert min(np.abs(a - b).max() for i, a in enumerate(means) for b in means[i + 1 :]) > 20
        recoloured += np.abs(means[0] - pixels[interiors[0]][0, 0]).max() > 20
    assert recoloured >= 8  # colours turned or swapped in about a third of the draws
