"""annotate(): a JPEG of the photo's size (or scaled down) with the analysis drawn on it."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from vision.analyse import Analyser, ShelfAnalysis
from vision.annotate import UNKNOWN_COLOUR, annotate, brand_colour, draw_analysis, sku_label
from vision.recognise import CatalogueIndex
from vision.synth.catalogue import Catalogue
from vision.synth.scene import render_shelf
from vision.types import Detections


class _Truth:
    def __init__(self, detections: Detections) -> None:
        self.detections = detections

    def __call__(self, image: Image.Image) -> Detections:
        return self.detections


@pytest.fixture(scope="module")
def photo_and_analysis(catalogue: Catalogue, index: CatalogueIndex) -> tuple[bytes, ShelfAnalysis]:
    scene = render_shelf(catalogue, 41, style="train", size=(960, 720))
    buf = io.BytesIO()
    scene.image.save(buf, "JPEG", quality=90)
    data = buf.getvalue()
    return data, Analyser(index, _Truth(scene.detections()))(data)


def test_brand_colours_are_stable_and_grey_for_unknown() -> None:
    assert brand_colour("Acme") == brand_colour("Acme")
    assert brand_colour("Acme") != brand_colour("Zenith")
    assert brand_colour(None) == UNKNOWN_COLOUR


@pytest.mark.parametrize(("max_side", "size"), [(None, (960, 720)), (480, (480, 360))])
def test_annotate_returns_a_jpeg_of_the_photo_size(
    photo_and_analysis: tuple[bytes, ShelfAnalysis],
    max_side: int | None,
    size: tuple[int, int],
) -> None:
    data, analysis = photo_and_analysis
    out = annotate(data, analysis, max_side=max_side)
    assert out[:2] == b"\xff\xd8"
    image = Image.open(io.BytesIO(out))
    assert (image.format, image.size) == ("JPEG", size)


def test_drawing_changes_the_photo_where_the_boxes_are(
    photo_and_analysis: tuple[bytes, ShelfAnalysis],
) -> None:
    data, analysis = photo_and_analysis
    photo = Image.open(io.BytesIO(data)).convert("RGB")
    drawn = np.asarray(draw_analysis(photo, analysis), np.int16)
    changed = np.abs(drawn - np.asarray(photo, np.int16)).sum(-1) > 0
    x0, y0, x1, y1 = (int(v) for v in analysis.detections.xyxy[0])
    assert changed[y0 : y1 + 1, x0 : x1 + 1].any()
    assert changed[:20, :100].all()  # the legend's corner


def test_an_empty_analysis_still_draws_the_legend(index: CatalogueIndex) -> None:
    image = Image.new("RGB", (200, 100), (255, 255, 255))
    analysis = Analyser(index, _Truth(Detections.empty()))(image)
    out = Image.open(io.BytesIO(annotate(image, analysis)))
    assert out.size == (200, 100)


@pytest.mark.parametrize(
    ("sku", "score", "label"), [("A-1", 0.42, "A-1"), ("A-1", 0.0, "~A-1"), (None, 0.0, "?")]
)
def test_a_pack_named_by_its_block_is_labelled_apart(
    sku: str | None, score: float, label: str
) -> None:
    assert sku_label(sku, score) == label
