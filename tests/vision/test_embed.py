"""The learned pack embedder: the shipped ONNX file, enrolment, recognition, open set."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageFilter

from vision.analyse import Analyser
from vision.embed.crops import crop_boxes
from vision.embed.match import EmbeddedViews
from vision.embed.runtime import DEFAULT_EMBEDDER, PackEmbedder
from vision.recognise import (
    EMBED_RECOGNISER_VERSION,
    CatalogueIndex,
    embedder_for,
    recognise,
)
from vision.synth.catalogue import Catalogue
from vision.types import CLASS_ID, Detections


def _load(path: Path) -> Image.Image:
    with Image.open(path) as image:
        image.load()
        return image.copy()


@pytest.fixture(scope="module")
def embedder() -> PackEmbedder:
    return PackEmbedder()


@pytest.fixture(scope="module")
def embed_index(catalogue_dir: Path, embedder: PackEmbedder) -> CatalogueIndex:
    return CatalogueIndex.from_dir(catalogue_dir, embedder=embedder)


def _shelf_copy(pack: Image.Image, width: int, blur: float) -> tuple[Image.Image, list[float]]:
    """`pack` shrunk to `width` px, blurred, on a grey photo; and its box there."""
    h = round(pack.height * width / pack.width)
    small = pack.resize((width, h), Image.Resampling.BILINEAR, reducing_gap=2.0)
    photo = Image.new("RGB", (width + 40, h + 40), (110, 110, 110))
    photo.paste(small.convert("RGB"), (20, 20), small.getchannel("A"))
    return photo.filter(ImageFilter.GaussianBlur(blur)), [20.0, 20.0, 20.0 + width, 20.0 + h]


def test_the_shipped_model_loads_and_its_sidecar_matches_its_input(
    embedder: PackEmbedder,
) -> None:
    sidecar = json.loads(DEFAULT_EMBEDDER.with_suffix(".json").read_text())
    assert (sidecar["input"]["width"], sidecar["input"]["height"]) == (
        embedder.width,
        embedder.height,
    )
    assert DEFAULT_EMBEDDER.stat().st_size < 3 * 2**20
    vectors = embedder(np.zeros((0, embedder.height, embedder.width, 3), np.uint8))
    assert vectors.shape == (0, sidecar["output"]["dim"])


def test_embeddings_are_unit_vectors_the_same_in_any_batch(embedder: PackEmbedder) -> None:
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, (300, embedder.height, embedder.width, 3), dtype=np.uint8)
    together = embedder(pixels)
    np.testing.assert_allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-4)
    np.testing.assert_allclose(embedder(pixels[290:]), together[290:], atol=1e-4)


def test_crops_of_the_wrong_size_are_refused(embedder: PackEmbedder) -> None:
    with pytest.raises(ValueError, match="pixels must have shape"):
        embedder(np.zeros((1, 32, 32, 3), np.uint8))


def test_a_box_leaving_the_photo_is_cut_with_grey_outside() -> None:
    photo = Image.new("RGB", (40, 40), (255, 0, 0))
    crop = crop_boxes(photo, np.array([[20, 0, 60, 40]], np.float32), (32, 64))[0]
    assert tuple(crop[32, 4]) == (255, 0, 0)
    assert tuple(crop[32, 28]) == (128, 128, 128)


@pytest.mark.parametrize(("width", "blur"), [(60, 0.0), (40, 1.0), (30, 1.5)])
def test_a_pack_is_recognised_from_a_shrunk_blurred_copy_of_its_reference(
    embed_index: CatalogueIndex, catalogue_dir: Path, width: int, blur: float
) -> None:
    right = 0
    for entry in embed_index.entries:
        photo, box = _shelf_copy(_load(catalogue_dir / entry.images[0]), width, blur)
        rec = recognise(photo, np.array([box], np.float32), embed_index)
        right += rec.sku == (entry.sku,)
    assert right >= 0.9 * len(embed_index.entries)


def test_a_brand_the_index_never_saw_comes_back_unknown(
    embed_index: CatalogueIndex, catalogue_dir: Path
) -> None:
    unknown = 0
    brands = sorted({e.brand for e in embed_index.entries})
    for brand in brands:
        smaller = embed_index.without([brand])
        for entry in (e for e in embed_index.entries if e.brand == brand):
            photo, box = _shelf_copy(_load(catalogue_dir / entry.images[1]), 40, 0.8)
            unknown += recognise(photo, np.array([box], np.float32), smaller).sku == (None,)
    assert unknown >= 0.8 * len(embed_index.entries)


def test_a_new_sku_is_enrolled_without_retraining(
    embed_index: CatalogueIndex, catalogue_dir: Path, embedder: PackEmbedder
) -> None:
    new = embed_index.entries[-1]
    old = embed_index.without([new.brand])
    images = [[_load(catalogue_dir / n) for n in e.images] for e in old.entries]
    photo, box = _shelf_copy(_load(catalogue_dir / new.images[0]), 40, 0.8)
    before = recognise(photo, np.array([box], np.float32), old)
    enrolled = CatalogueIndex.from_images(
        [*old.entries, new],
        [*images, [_load(catalogue_dir / n) for n in new.images]],
        embedder=embedder,
    )
    after = recognise(photo, np.array([box], np.float32), enrolled)
    assert (before.sku, after.sku) == ((None,), (new.sku,))


def test_leaving_brands_out_keeps_the_embeddings_aligned(embed_index: CatalogueIndex) -> None:
    brand = embed_index.entries[0].brand
    smaller = embed_index.without([brand])
    assert smaller.embedded is not None
    assert embed_index.embedded is not None
    assert len(smaller.embedded.aspect) == len(smaller.entries)
    assert smaller.embedded.owner.max() == len(smaller.entries) - 1
    kept = [i for i, e in enumerate(embed_index.entries) if e.brand != brand]
    assert len(smaller.embedded.vectors) == np.isin(embed_index.embedded.owner, kept).sum()


@pytest.mark.parametrize(
    ("vectors", "owner", "aspect", "error"),
    [
        (np.zeros((3, 8)), np.zeros(2), np.zeros(1), "must agree"),
        (np.zeros((2, 8)), np.array([1, 0]), np.zeros(2), "non-decreasing"),
    ],
)
def test_malformed_embedded_views_are_refused(
    embedder: PackEmbedder,
    vectors: np.ndarray,
    owner: np.ndarray,
    aspect: np.ndarray,
    error: str,
) -> None:
    with pytest.raises(ValueError, match=error):
        EmbeddedViews(
            vectors.astype(np.float32), owner.astype(np.int64), aspect.astype(np.float32), embedder
        )


def test_no_boxes_give_an_empty_recognition(embed_index: CatalogueIndex) -> None:
    rec = recognise(Image.new("RGB", (64, 64)), np.zeros((0, 4), np.float32), embed_index)
    assert (len(rec), rec.sku) == (0, ())


def test_an_unknown_recogniser_is_refused() -> None:
    with pytest.raises(ValueError, match="recogniser must be one of"):
        embedder_for("sift")


def test_an_analyser_with_the_embedder_reports_it(
    catalogue: Catalogue, catalogue_dir: Path
) -> None:
    from vision.synth import render_shelf

    scene = render_shelf(catalogue, 5, style="clean", size=(960, 720))

    def boxes(image: Image.Image) -> Detections:
        return scene.detections()

    result = Analyser(catalogue_dir, boxes, threads=1, recogniser="embed")(scene.image)
    assert result.model["recogniser"] == EMBED_RECOGNISER_VERSION
    products = scene.classes == CLASS_ID["product"]
    found = [s for s, p in zip(result.detections.sku or (), products, strict=True) if p]
    truth = [s for s, p in zip(scene.skus, products, strict=True) if p]
    pairs = [(f, t) for f, t in zip(found, truth, strict=True) if f is not None and t is not None]
    assert len(pairs) > 10
    assert sum(f == t for f, t in pairs) >= 0.8 * len(pairs)


def test_an_embedded_index_skips_the_descriptor_yet_its_version_follows_the_packs(
    embed_index: CatalogueIndex, catalogue_dir: Path, embedder: PackEmbedder
) -> None:
    from vision.analyse import catalogue_version

    assert len(embed_index.features) == 0  # the embedding decides alone
    entries = list(embed_index.entries)
    images = [[_load(catalogue_dir / n) for n in e.images] for e in entries]
    same = CatalogueIndex.from_images(entries, images, embedder=embedder)
    images[0] = [images[0][0].transpose(Image.Transpose.FLIP_TOP_BOTTOM), *images[0][1:]]
    repacked = CatalogueIndex.from_images(entries, images, embedder=embedder)
    assert catalogue_version(same) == catalogue_version(embed_index)
    assert catalogue_version(repacked) != catalogue_version(embed_index)
