"""Procedural catalogue and the catalogue directory format the recogniser reads."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from vision.catalogue import CATALOGUE_FILE, CatalogueEntry, read_catalogue_dir
from vision.synth.catalogue import Catalogue, make_catalogue, write_catalogue_dir
from vision.synth.packs import SHAPES, pack_image, render_pack
from vision.synth.vocab import CATEGORIES


def test_no_brands_gives_an_empty_catalogue() -> None:
    empty = make_catalogue(5, n_brands=0)
    assert (empty.brands, empty.skus, empty.entries()) == ((), (), [])


def test_same_seed_same_catalogue_other_seed_other() -> None:
    assert make_catalogue(3) == make_catalogue(3)
    assert make_catalogue(3) != make_catalogue(4)


@pytest.mark.parametrize(("n_brands", "per_brand", "n_own"), [(1, 1, 1), (6, 4, 1), (12, 6, 3)])
def test_catalogue_sizes_ids_and_own_brands(n_brands: int, per_brand: int, n_own: int) -> None:
    cat = make_catalogue(1, n_brands=n_brands, skus_per_brand=per_brand)
    assert len(cat.brands) == n_brands
    assert len(cat.skus) == n_brands * per_brand
    assert len({s.sku for s in cat.skus}) == len(cat.skus)
    assert len({b.name for b in cat.brands}) == n_brands
    assert sum(b.own for b in cat.brands) == n_own


def test_variants_of_a_brand_share_its_design_and_differ_by_flavour_or_size(
    catalogue: Catalogue,
) -> None:
    for brand in catalogue.brands:
        skus = [s for s in catalogue.skus if s.brand == brand]
        assert {s.category for s in skus} == {brand.category}
        assert len({(s.flavour, s.size_label) for s in skus}) == len(skus)


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_pack_of_each_shape_has_its_proportions_and_a_transparent_outside(shape: str) -> None:
    sku = next(s for s in make_catalogue(2, n_brands=28, skus_per_brand=4).skus if s.shape == shape)
    pack = render_pack(sku, 120)
    assert (pack.mode, pack.height) == ("RGBA", 120)
    assert pack.width == pytest.approx(120 * sku.width_cm / sku.height_cm, abs=1.5)
    alpha = np.asarray(pack.getchannel("A"))
    assert alpha.max() == 255
    assert pack_image(sku).tobytes() == pack_image(sku).tobytes()


def test_catalogue_dir_round_trip(catalogue: Catalogue, tmp_path: Path) -> None:
    target = write_catalogue_dir(catalogue, tmp_path, images_per_sku=2, height=64)
    entries = read_catalogue_dir(tmp_path)
    assert target == tmp_path / CATALOGUE_FILE
    assert [(e.sku, e.brand, e.name, e.own) for e in entries] == [
        (e.sku, e.brand, e.name, e.own) for e in catalogue.entries()
    ]
    for entry in entries:
        assert entry.images == (f"{entry.sku}_0.png", f"{entry.sku}_1.png")
        with Image.open(tmp_path / entry.images[0]) as img:
            assert (img.mode, img.height) == ("RGBA", 64)


def test_images_are_found_by_name_when_not_listed(tmp_path: Path) -> None:
    rows = [{"sku": "a-1", "brand": "A", "name": "A one", "category": "snacks"}]
    (tmp_path / CATALOGUE_FILE).write_text(json.dumps(rows))
    for name in ("a-1_1.png", "a-1_0.png", "a-1_x.png", "a-10_0.png"):
        Image.new("RGB", (4, 4)).save(tmp_path / name)
    assert read_catalogue_dir(tmp_path) == [
        CatalogueEntry("a-1", "A", "A one", "snacks", images=("a-1_0.png", "a-1_1.png"))
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ({"sku": "a"}, "must hold a JSON list"),
        ([{"sku": "a", "brand": "A"}], r"needs string fields \('sku', 'brand', 'name'\)"),
        ([{"sku": "a/b", "brand": "A", "name": "n"}], "sku must be a non-empty file-name"),
        ([{"sku": "a", "brand": "A", "name": "n"}] * 2, "must be unique"),
    ],
)
def test_bad_catalogue_files_are_rejected(content: Any, message: str, tmp_path: Path) -> None:
    (tmp_path / CATALOGUE_FILE).write_text(json.dumps(content))
    with pytest.raises(ValueError, match=message):
        read_catalogue_dir(tmp_path)


@pytest.mark.parametrize("long_side", [24, 64, 256])
def test_every_design_renders_at_any_size(long_side: int) -> None:
    for seed in (21, 22):
        cat = make_catalogue(seed, n_brands=28, skus_per_brand=4, categories=CATEGORIES)
        for sku in cat.skus:
            pack = pack_image(sku, long_side)
            assert max(pack.size) == long_side
