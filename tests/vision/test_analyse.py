"""analyse(): bad inputs, EXIF orientation, draft decoding, the JSON form, the ONNX path."""

from __future__ import annotations

import io
import json
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from vision.analyse import Analyser, ShelfAnalysis, analyse, class_map
from vision.decode import MAX_PIXELS, ImageTooLarge, NotAnImage, TruncatedImage, decode
from vision.recognise import CatalogueIndex
from vision.session import DEFAULT_DETECTOR
from vision.synth.catalogue import Catalogue
from vision.synth.scene import Scene, render_shelf
from vision.types import CLASS_ID, Detections

DUMMY = Path(__file__).parent / "data" / "yolov8_dummy.onnx"
KEYS = {
    "width", "height", "detections", "facings", "brand_share", "unknown_share", "linear_px",
    "shelves", "gaps", "price_tags", "displays", "posm", "quality", "phash", "model",
}  # fmt: skip


def _encode(image: Image.Image, fmt: str = "JPEG", **params: object) -> bytes:
    buf = io.BytesIO()
    image.save(buf, fmt, **params)
    return buf.getvalue()


def _png_header(width: int, height: int) -> bytes:
    """A PNG that only declares its size: enough for a decompression bomb's header."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\0" * 16)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


class FixedBoxes:
    """A detector returning given boxes (in the pixels of the image it is handed)."""

    def __init__(self, xyxy: list[list[float]], classes: list[int] | None = None) -> None:
        self.xyxy = np.array(xyxy, np.float32).reshape(-1, 4)
        self.classes = np.array(classes or [0] * len(self.xyxy), np.int64)
        self.seen: list[tuple[int, int]] = []

    def __call__(self, image: Image.Image) -> Detections:
        self.seen.append(image.size)
        return Detections(self.xyxy, self.classes, np.full(len(self.xyxy), 0.9, np.float32))


class GroundTruth:
    """The generator's boxes of `scene` as a detector, scaled to the image it is handed."""

    def __init__(self, scene: Scene) -> None:
        self.scene = scene

    def __call__(self, image: Image.Image) -> Detections:
        k = image.width / self.scene.image.width
        d = self.scene.detections()
        return Detections((d.xyxy * k).astype(np.float32), d.class_id, d.score)


@pytest.fixture(scope="module")
def scene(catalogue: Catalogue) -> Scene:
    return render_shelf(catalogue, 31, style="train", size=(1280, 960))


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (b"", NotAnImage),
        (b"definitely not a photo", NotAnImage),
        (b"\xff\xd8\xff\xe0" + b"\0" * 40, NotAnImage),
        (_png_header(30_000, 30_000), ImageTooLarge),  # Pillow's own bomb limit
        (_png_header(10_000, 9_000), ImageTooLarge),  # past ours, before Pillow's
    ],
    ids=["empty", "text", "jpeg-magic-only", "bomb", "too-many-pixels"],
)
@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_garbage_is_refused_with_a_clear_error(
    index: CatalogueIndex, data: bytes, error: type[Exception]
) -> None:
    detector = FixedBoxes([])
    with pytest.raises(error):
        Analyser(index, detector)(data)
    assert detector.seen == []


def test_a_truncated_jpeg_is_refused(scene: Scene, index: CatalogueIndex) -> None:
    whole = _encode(scene.image, quality=90)
    with pytest.raises(TruncatedImage, match="truncated"):
        Analyser(index, FixedBoxes([]))(whole[: len(whole) // 2])


def test_a_one_pixel_photo_is_flagged_not_analysed(index: CatalogueIndex) -> None:
    detector = FixedBoxes([[0, 0, 1, 1]])
    result = Analyser(index, detector)(_encode(Image.new("RGB", (1, 1)), "PNG"))
    assert (result.width, result.height, len(result.detections)) == (1, 1, 0)
    assert {"low_resolution", "no_shelf", "blurred"} <= set(result.quality.flags)
    assert detector.seen == []


def test_a_50_megapixel_jpeg_is_draft_decoded() -> None:
    big = _encode(Image.new("RGB", (8192, 6144), (90, 120, 150)), quality=50)
    photo = decode(big)
    assert photo.size == (8192, 6144)
    assert 1280 <= min(photo.image.size) < 6144
    assert 8192 * 6144 < MAX_PIXELS


@pytest.mark.parametrize(
    ("orientation", "size"), [(1, (400, 300)), (3, (400, 300)), (6, (300, 400)), (8, (300, 400))]
)
def test_exif_orientation_is_applied_before_detection(
    index: CatalogueIndex, orientation: int, size: tuple[int, int]
) -> None:
    image = Image.new("RGB", (400, 300), (40, 40, 40))
    exif = Image.Exif()
    exif[0x0112] = orientation
    detector = FixedBoxes([[10, 20, 50, 120]])
    result = Analyser(index, detector)(_encode(image, exif=exif))
    assert detector.seen == [size]
    assert (result.width, result.height) == size
    assert result.to_json()["detections"][0]["box"] == [10.0, 20.0, 50.0, 120.0]


def test_boxes_come_back_in_the_full_photo_pixels(index: CatalogueIndex) -> None:
    detector = FixedBoxes([[100, 100, 200, 300]])
    result = Analyser(index, detector)(_encode(Image.new("RGB", (4000, 3000)), quality=70))
    assert detector.seen == [(2000, 1500)]  # JPEG draft: half size still covers 1280
    assert result.detections.xyxy.tolist() == [[200, 200, 400, 600]]


class Shrinking(GroundTruth):
    """`GroundTruth` that, like `vision.detect.Detector`, shrinks photos to 1280 px first."""

    def __init__(self, scene: Scene) -> None:
        super().__init__(scene)
        self.seen: list[tuple[int, int]] = []

    def shrunk(self, image: Image.Image) -> Image.Image:
        return image.resize((1280, 960))

    def __call__(self, image: Image.Image) -> Detections:
        self.seen.append(image.size)
        return super().__call__(image)


def test_a_shrinking_detector_sees_its_copy_and_boxes_come_back_in_the_photo(
    scene: Scene, index: CatalogueIndex
) -> None:
    detector = Shrinking(scene)
    big = _encode(scene.image.resize((4000, 3000)), quality=92)
    result = Analyser(index, detector)(big)
    assert detector.seen == [(1280, 960)]
    truth = scene.detections().xyxy * (4000 / 1280)
    np.testing.assert_allclose(result.detections.xyxy, truth, atol=0.01)
    assert result.quality.products == int((scene.classes == CLASS_ID["product"]).sum())


def test_analysis_of_a_generated_shelf(scene: Scene, index: CatalogueIndex) -> None:
    result = Analyser(index, GroundTruth(scene))(_encode(scene.image, quality=92))
    out = json.loads(json.dumps(result.to_json()))
    assert set(out) == KEYS
    products = [d for d in out["detections"] if d["class"] == "product"]
    assert len(products) == int((scene.classes == CLASS_ID["product"]).sum())
    assert all(d["sku"] is not None and d["shelf"] is not None for d in products)
    assert all(d["sku"] is None for d in out["detections"] if d["class"] != "product")
    assert sum(out["facings"].values()) == sum(d["sku"] != "unknown" for d in products)
    assert sum(out["brand_share"].values()) + out["unknown_share"] == pytest.approx(1, abs=1e-3)
    assert out["price_tags"] == int((scene.classes == CLASS_ID["price_tag"]).sum())
    assert len(out["phash"]) == 16
    assert set(out["model"]) == {"detector", "recogniser", "catalogue"}
    assert out["quality"]["products"] == len(products)
    assert set(result.timings_ms) == {
        "decode",
        "detect",
        "recognise",
        "measure",
        "quality",
        "total",
    }


def test_an_analyser_is_reused_across_photos(scene: Scene, index: CatalogueIndex) -> None:
    analyser = Analyser(index, GroundTruth(scene))
    first, second = analyser(scene.image), analyser(scene.image)
    assert first.to_json() == second.to_json()
    assert isinstance(first, ShelfAnalysis)


@pytest.mark.parametrize(
    ("names", "mapped"),
    [
        (("product", "price_tag", "display", "posm"), [0, 1, 2, 3]),
        (("posm", "product"), [3, 0]),
        (("object",), [0]),
        (("a", "b"), [-1, -1]),
    ],
)
def test_detector_classes_are_mapped_by_name(names: tuple[str, ...], mapped: list[int]) -> None:
    assert class_map(names).tolist() == mapped


def test_the_onnx_path_and_the_cached_convenience_function(
    scene: Scene, catalogue_dir: Path
) -> None:
    data = _encode(scene.image, quality=85)
    first = analyse(data, catalogue_dir, detector=DUMMY)
    again = analyse(data, catalogue_dir, detector=DUMMY)
    assert first.model == again.model
    assert first.model["detector"].startswith("yolov8_dummy.onnx@")
    assert len(first.detections) == 0  # its classes "a" and "b" are none of ours


@pytest.mark.skipif(not DEFAULT_DETECTOR.is_file(), reason=f"no detector at {DEFAULT_DETECTOR}")
def test_end_to_end_with_the_shipped_detector(scene: Scene, catalogue_dir: Path) -> None:
    result = analyse(_encode(scene.image, quality=85), catalogue_dir)
    out = result.to_json()
    found = sum(d["class"] == "product" for d in out["detections"])
    truth = int((scene.classes == CLASS_ID["product"]).sum())
    assert found >= 0.7 * truth
    assert out["shelves"]
    assert out["model"]["detector"].startswith("detector.onnx@")
