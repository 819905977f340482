"""Quality flags on generated photos made blurred, dark, bright or small; pHash and Hamming."""

from __future__ import annotations

import io
from collections.abc import Callable

import numpy as np
import pytest
from PIL import Image, ImageEnhance, ImageFilter

from vision.quality import (
    BLUR_MAX,
    FLAGS,
    assess,
    hamming,
    phash,
    phash_hex,
    sharpness,
    work_copy,
)
from vision.synth.catalogue import Catalogue
from vision.synth.scene import render_shelf

Change = Callable[[Image.Image], Image.Image]


@pytest.fixture(scope="module")
def photo(catalogue: Catalogue) -> Image.Image:
    return render_shelf(catalogue, 21, style="clean", size=(1280, 960)).image


@pytest.fixture(scope="module")
def other(catalogue: Catalogue) -> Image.Image:
    return render_shelf(catalogue, 22, style="clean", size=(1280, 960)).image


def _jpeg(image: Image.Image, quality: int) -> Image.Image:
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=quality)
    return Image.open(io.BytesIO(buf.getvalue())).convert("RGB")


def _shake(image: Image.Image, px: int) -> Image.Image:
    a = np.asarray(image, np.float32)
    out = sum(np.roll(a, s, axis=1) for s in range(-px // 2, px // 2 + 1)) / (px + 1)
    return Image.fromarray(np.asarray(out, np.uint8))


@pytest.mark.parametrize(
    ("size", "fill"), [((1, 1), 0), ((3, 3), 128), ((640, 480), 128)], ids=["1x1", "3x3", "flat"]
)
def test_degenerate_images_are_flagged_not_crashed(size: tuple[int, int], fill: int) -> None:
    q = assess(Image.new("L", size, fill), products=0)
    assert q.sharpness == 0.0
    assert "blurred" in q.flags
    assert "no_shelf" in q.flags
    assert ("low_resolution" in q.flags) is (min(size) < 480)


@pytest.mark.parametrize(
    ("change", "flags"),
    [
        (lambda im: im, ()),
        (lambda im: _jpeg(im, 40), ()),
        (lambda im: im.filter(ImageFilter.GaussianBlur(3)), ("blurred",)),
        (lambda im: _shake(im, 12), ("blurred",)),
        (lambda im: ImageEnhance.Brightness(im).enhance(0.25), ("too_dark",)),
        (lambda im: ImageEnhance.Brightness(im).enhance(3.5), ("overexposed",)),
        (lambda im: im.resize((400, 300)), ("low_resolution",)),
    ],
    ids=["clean", "jpeg40", "blur3", "shake12", "dark", "bright", "small"],
)
def test_flags_on_a_clean_photo_made_worse(
    photo: Image.Image, change: Change, flags: tuple[str, ...]
) -> None:
    assert assess(change(photo), products=40).flags == flags


def test_no_shelf_when_too_few_products(photo: Image.Image) -> None:
    assert assess(photo, products=2).flags == ("no_shelf",)
    assert assess(photo).products is None


def test_resolution_is_judged_on_the_full_size(photo: Image.Image) -> None:
    small = photo.resize((320, 240))
    assert "low_resolution" not in assess(small, full_size=(4000, 3000)).flags


def test_sharpness_falls_with_blur(photo: Image.Image) -> None:
    grey = np.asarray(photo.convert("L"), np.float32)
    blurred = np.asarray(photo.convert("L").filter(ImageFilter.GaussianBlur(2)), np.float32)
    assert sharpness(grey) > 2 * BLUR_MAX > sharpness(blurred)


def test_flags_are_listed_in_a_fixed_order() -> None:
    q = assess(Image.new("RGB", (100, 100), (5, 5, 5)), products=0)
    assert q.flags == tuple(f for f in FLAGS if f in q.flags)
    assert q.flags == ("blurred", "too_dark", "low_resolution", "no_shelf")


@pytest.mark.parametrize(
    ("a", "b", "bits"),
    [
        (0, 0, 0),
        (0, 2**64 - 1, 64),
        ("00000000000000ff", 0, 8),
        ("ffffffffffffffff", "7fffffffffffffff", 1),
        (-1, 2**64 - 1, 0),  # a signed bigint from the database is the same hash
    ],
)
def test_hamming(a: int | str, b: int | str, bits: int) -> None:
    assert hamming(a, b) == bits


def test_phash_is_64_bits_shown_as_16_hex_digits(photo: Image.Image) -> None:
    h = phash(photo)
    assert 0 <= h < 2**64
    assert len(phash_hex(h)) == 16
    assert int(phash_hex(h), 16) == h


@pytest.mark.parametrize(
    "copy",
    [
        lambda im: _jpeg(im, 50),
        lambda im: im.resize((640, 480)),
        lambda im: _jpeg(im.resize((800, 600)), 70),
        lambda im: ImageEnhance.Brightness(im).enhance(1.1),
    ],
    ids=["jpeg50", "half", "resized-jpeg", "brighter"],
)
def test_phash_of_a_reused_photo_is_near(photo: Image.Image, copy: Change) -> None:
    assert hamming(phash(photo), phash(copy(photo))) <= 4


def test_the_work_copy_hashes_like_the_photo(photo: Image.Image) -> None:
    assert hamming(phash(photo), phash(work_copy(photo))) <= 2


def test_phash_of_another_scene_is_far(photo: Image.Image, other: Image.Image) -> None:
    assert hamming(phash(photo), phash(other)) >= 16
