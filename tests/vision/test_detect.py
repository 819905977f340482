"""The ONNX detector runtime: NMS, YOLOv8-layout decoding, letterbox geometry, shipped model."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray
from PIL import Image

from vision.detect import Detector, fit, nms, original_size
from vision.evaluate import box_iou, main, match
from vision.session import DEFAULT_DETECTOR
from vision.synth.catalogue import Catalogue
from vision.synth.scene import render_shelf
from vision.types import CLASS_ID

DUMMY = Path(__file__).parent / "data" / "yolov8_dummy.onnx"
# The dummy's two surviving boxes in its 640x640 input: class "a", and class "b" on top.
DUMMY_BOX = np.array([270.0, 295.0, 370.0, 345.0], np.float32)

# Product recall at IoU 0.5 and score 0.25 measured with the shipped model (the v3-v4 soup)
# on these scenes (catalogue of conftest, not the training one): 1280x960 1.00, 640x480
# (167 small products, upscaled 2x to the input) 0.98 (0.73 with v1), 4000x3000 1.00,
# 720x1280 portrait 1.00. The bars leave room for a retrained model to differ a little.
MIN_PRODUCT_RECALL = 0.9
MIN_PRODUCT_RECALL_640 = 0.85
# The same with products taken from an overview pass at 0.75 of the input: 4000x3000
# 1.00, 720x1280 portrait 1.00.
MIN_PRODUCT_RECALL_OVERVIEW = 0.9


def _boxes(*rows: tuple[float, float, float, float]) -> NDArray[np.float32]:
    return np.array(rows, np.float32).reshape(-1, 4)


NMS_CASES = [
    ("empty", _boxes(), [], [], []),
    ("one box", _boxes((0, 0, 10, 10)), [0.5], [0], [0]),
    (
        "overlap, same class: best kept",
        _boxes((0, 0, 10, 10), (1, 0, 11, 10)),
        [0.6, 0.9],
        [0, 0],
        [1],
    ),
    (
        "overlap, other class: both kept",
        _boxes((0, 0, 10, 10), (1, 0, 11, 10)),
        [0.6, 0.9],
        [0, 1],
        [1, 0],
    ),
    (
        "touching, disjoint: both kept",
        _boxes((0, 0, 10, 10), (10, 0, 20, 10)),
        [0.9, 0.8],
        [0, 0],
        [0, 1],
    ),
    (
        "overlap at the threshold is kept",
        _boxes((0, 0, 10, 10), (0, 0, 10, 6)),
        [0.9, 0.8],
        [0, 0],
        [0, 1],
    ),
    (
        "chain: a suppressed box suppresses nothing",
        _boxes((0, 0, 10, 10), (2, 0, 12, 10), (4, 0, 14, 10)),
        [0.9, 0.8, 0.7],
        [0, 0, 0],
        [0, 2],
    ),
]


@pytest.mark.parametrize(
    ("boxes", "scores", "classes", "expected"),
    [c[1:] for c in NMS_CASES],
    ids=[c[0] for c in NMS_CASES],
)
def test_nms(
    boxes: NDArray[np.float32], scores: list[float], classes: list[int], expected: list[int]
) -> None:
    kept = nms(boxes, np.array(scores, np.float32), np.array(classes, np.int64), iou=0.6)
    assert kept.tolist() == expected


def _reference_nms(
    boxes: NDArray[np.float32], scores: NDArray[np.float32], classes: NDArray[np.int64], iou: float
) -> list[int]:
    kept: list[int] = []
    for i in np.argsort(-scores, kind="stable"):
        same = [k for k in kept if classes[k] == classes[i]]
        if not same or box_iou(boxes[i : i + 1], boxes[same]).max() <= iou:
            kept.append(int(i))
    return kept


@pytest.mark.parametrize(("seed", "chunk"), [(0, 1 << 20), (1, 1 << 20), (2, 500), (3, 1)])
def test_nms_matches_one_box_at_a_time_greedy(seed: int, chunk: int) -> None:
    rng = np.random.default_rng(seed)
    corner = rng.uniform(0, 300, (1500, 2))
    boxes = np.concatenate([corner, corner + rng.uniform(5, 60, (1500, 2))], 1)
    boxes = boxes.astype(np.float32)
    scores = np.round(rng.random(1500), 2).astype(np.float32)  # ties: first index first
    classes = rng.integers(0, 3, 1500)
    kept = nms(boxes, scores, classes, iou=0.5, chunk=chunk)
    assert kept.tolist() == _reference_nms(boxes, scores, classes, 0.5)


def test_nms_keeps_thousands_of_disjoint_boxes() -> None:
    grid = np.stack(np.meshgrid(np.arange(60), np.arange(50)), -1).reshape(-1, 2) * 12.0
    boxes = np.concatenate([grid, grid + 10], 1).astype(np.float32)
    scores = np.linspace(1, 0.5, len(boxes)).astype(np.float32)
    kept = nms(boxes, scores, np.zeros(len(boxes), np.int64))
    assert len(kept) == 3000


def test_fit_gives_back_a_photo_that_already_fits() -> None:
    image = Image.new("RGB", (1280, 720))
    assert fit(image, (1280, 960)) is image
    assert fit(Image.new("RGB", (2000, 1500)), (1280, 960)).size == (1280, 960)


@pytest.fixture(scope="module")
def dummy() -> Detector:
    return Detector(DUMMY, threads=1)


def _jpeg(image: Image.Image, exif: Image.Exif | None = None) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90, exif=exif or Image.Exif())
    return out.getvalue()


def test_dummy_yolov8_model_reads_its_metadata(dummy: Detector) -> None:
    assert (dummy.classes, dummy.model.input_hw) == (("a", "b"), (640, 640))


def test_dummy_yolov8_output_decodes_with_class_aware_nms(dummy: Detector) -> None:
    found = dummy(Image.new("RGB", (640, 640)), conf=0.25)
    assert found.class_id.tolist() == [0, 1]
    np.testing.assert_allclose(found.score, [0.9, 0.7], rtol=1e-6)
    np.testing.assert_allclose(found.xyxy, np.stack([DUMMY_BOX, DUMMY_BOX]), atol=1e-3)


@pytest.mark.parametrize(
    "size", [(640, 480), (1280, 960), (4000, 3000), (960, 1280), (1080, 1920), (300, 1000)]
)
def test_boxes_come_back_in_original_pixels(dummy: Detector, size: tuple[int, int]) -> None:
    w, h = size
    fit = min(640 / w, 640 / h)
    new_w, new_h = round(w * fit), round(h * fit)
    pad = np.array([(640 - new_w) // 2, (640 - new_h) // 2] * 2, np.float32)
    expected = np.clip((DUMMY_BOX - pad) / (new_w / w), 0, [w, h, w, h])
    found = dummy(_jpeg(Image.new("RGB", size, (90, 120, 150))))
    np.testing.assert_allclose(found.xyxy[0], expected, atol=0.5)


def test_exif_rotated_photo_uses_the_turned_size(dummy: Detector) -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # stored 800x600, shown turned: 600x800
    data = _jpeg(Image.new("RGB", (800, 600)), exif)
    found = dummy(data)
    assert original_size(data) == (600, 800)
    # 600x800 fits 640x640 at 0.8 as 480x640, 80 px of padding left and right.
    np.testing.assert_allclose(found.xyxy[0], [237.5, 368.75, 362.5, 431.25], atol=0.5)


@pytest.fixture(scope="module")
def detector() -> Detector:
    return Detector(threads=2)


def _product_recall(
    found_xyxy: NDArray[np.float32],
    found_class: NDArray[np.int64],
    gt: NDArray[np.float32],
    gt_class: NDArray[np.int64],
) -> float:
    product = CLASS_ID["product"]
    truth = gt[gt_class == product]
    hits = match(box_iou(truth, found_xyxy[found_class == product]), 0.5)
    return float(hits.mean())


@pytest.mark.parametrize(
    ("seed", "scale", "min_recall"),
    [
        (5, 1.0, MIN_PRODUCT_RECALL),
        (6, 0.5, MIN_PRODUCT_RECALL_640),
        (7, 3.125, MIN_PRODUCT_RECALL),
    ],
    ids=["1280x960", "640x480", "4000x3000"],
)
def test_shipped_model_finds_products(
    detector: Detector, catalogue: Catalogue, seed: int, scale: float, min_recall: float
) -> None:
    scene = render_shelf(catalogue, seed, style="train")
    size = (round(1280 * scale), round(960 * scale))
    image = scene.image.resize(size, Image.Resampling.BILINEAR)
    found = detector(_jpeg(image))
    recall = _product_recall(
        found.xyxy, found.class_id, scene.boxes * np.float32(scale), scene.classes
    )
    assert recall >= min_recall


def test_shipped_model_finds_products_in_a_portrait_photo(
    detector: Detector, catalogue: Catalogue
) -> None:
    scene = render_shelf(catalogue, 8, style="train", size=(720, 1280))
    found = detector(_jpeg(scene.image))
    assert found.xyxy[:, 2].max() <= 720
    assert _product_recall(found.xyxy, found.class_id, scene.boxes, scene.classes) >= (
        MIN_PRODUCT_RECALL
    )


def test_blank_photo_has_no_detections(detector: Detector) -> None:
    assert len(detector(_jpeg(Image.new("RGB", (1280, 960), (128, 128, 128))))) == 0


@pytest.mark.parametrize(
    ("size", "seed"), [((4000, 3000), 7), ((720, 1280), 8)], ids=["4000x3000", "portrait"]
)
def test_overview_pass_boxes_come_back_in_photo_pixels(
    catalogue: Catalogue, size: tuple[int, int], seed: int
) -> None:
    """Classes taken from the smaller second pass land where they are in the photo."""
    base = (1280, 960) if size[0] > size[1] else (720, 1280)
    scene = render_shelf(catalogue, seed, style="train", size=base)
    image = scene.image.resize(size, Image.Resampling.BILINEAR)
    scale = np.float32(size[0] / base[0])
    wide = Detector(threads=2, overview={"scale": 0.75, "classes": ["product"]})
    found = wide(_jpeg(image))
    assert found.xyxy[:, 2].max() <= size[0]
    assert found.xyxy[:, 3].max() <= size[1]
    recall = _product_recall(found.xyxy, found.class_id, scene.boxes * scale, scene.classes)
    assert recall >= MIN_PRODUCT_RECALL_OVERVIEW, recall


def test_bare_inference_runs_every_pass() -> None:
    photo = _jpeg(Image.new("RGB", (2000, 1500), (90, 90, 90)))
    one = Detector(threads=1, overview={})
    assert [b.shape for b in one.batches(photo)] == [(1, 3, 960, 1280)]
    wide = Detector(threads=1, overview={"scale": 0.4, "classes": ["display", "posm"]})
    assert [b.shape for b in wide.batches(photo)] == [(1, 3, 960, 1280), (1, 3, 384, 512)]


def test_an_input_size_off_the_stride_is_rounded_to_it(catalogue: Catalogue) -> None:
    """1600x1200 asked: the network needs sides divisible by 32, so 1600x1216 runs."""
    scene = render_shelf(catalogue, 5, style="train")
    detector = Detector(threads=2, input_size=(1600, 1200))

    found = detector(_jpeg(scene.image))

    assert detector.input_sizes((1280, 960))[0] == (1600, 1216)
    recall = _product_recall(found.xyxy, found.class_id, scene.boxes, scene.classes)
    assert recall >= MIN_PRODUCT_RECALL


def test_evaluate_prints_ap_and_the_whole_analysis_and_stores_both(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = tmp_path / "detector.onnx"
    shutil.copyfile(DEFAULT_DETECTOR, model)
    shutil.copyfile(DEFAULT_DETECTOR.with_suffix(".json"), model.with_suffix(".json"))
    args = ["--model", str(model), "--style", "clean", "-n", "1", "--root", str(tmp_path)]
    main([*args, "--shelf", "1", "--threads", "1", "--write-json"])
    printed = capsys.readouterr().out
    assert "| product |" in printed
    assert "| facings count error |" in printed
    stored = json.loads(model.with_suffix(".json").read_text())["evaluation"]
    assert stored["clean"]["classes"]["product"]["ap50"] > 0.9
    shelf = stored["shelf"]["clean"]
    assert shelf["end_to_end"]
    assert shelf["detected"] > 0.9
    assert shelf["closed_top1"] is None  # not defined end to end, not NaN in the JSON
    assert 0 <= shelf["facings_error"] < 0.2
