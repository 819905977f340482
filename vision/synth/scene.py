"""Shelf scenes: a layout drawn flat on a canvas, photographed through a random camera.

Ground truth is carried through the camera: each box's corners are mapped by the
homography, the axis-aligned hull is clipped to the image, and boxes mostly cropped
away or hidden behind foreground objects are dropped.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from vision.synth import vocab
from vision.synth.canvas import Canvas
from vision.synth.catalogue import Catalogue, make_catalogue
from vision.synth.clutter import add_clutter
from vision.synth.effects import photograph
from vision.synth.geometry import project_clip, sample_view, warp
from vision.synth.layouts import cooler, endcap, gondola
from vision.synth.shelves import Ctx, Pick
from vision.synth.styles import get_style
from vision.types import CLASS_ID, Detections

MIN_VISIBLE = np.array([0.45, 0.5, 0.25, 0.3], np.float32)
"""Per class (product, price_tag, display, posm): boxes with less of their area left after
crop and occlusion are dropped. Big displays and posters stay recognisable from less."""
CANVAS_MARGIN = 1.15
"""The canvas is this much larger than the photo, room for the camera to move."""
_COOLER_CATEGORIES = ("beverages", "dairy")
Layout = Callable[[Ctx, list[str]], None]


@dataclass(frozen=True)
class Scene:
    """A rendered shelf photo and its ground truth.

    Attributes:
        image: The RGB photo.
        boxes: Boxes xyxy in image px, float32 of shape (N, 4).
        classes: Class id per box (index into `vision.types.CLASSES`), int64 of shape (N,).
        skus: SKU id per box; None for non-products and products outside the catalogue.
        brands: Brand name per box for products, displays and POSM of catalogue brands.
        facings: Front-row facings per SKU: count of product boxes with that SKU.
        share: Linear share per brand: summed width of its product boxes over the summed
            width of all product boxes, catalogue or not.
        seed: The seed rendered.
        style: The style rendered.
    """

    image: Image.Image
    boxes: NDArray[np.float32]
    classes: NDArray[np.int64]
    skus: tuple[str | None, ...]
    brands: tuple[str | None, ...]
    facings: dict[str, int]
    share: dict[str, float]
    seed: int
    style: str

    def detections(self) -> Detections:
        """The ground truth as `Detections` with score 1."""
        return Detections(self.boxes, self.classes, np.ones(len(self.boxes), np.float32), self.skus)


def shelf_kpis(
    boxes: NDArray[np.float32],
    classes: NDArray[np.int64],
    skus: tuple[str | None, ...],
    brands: tuple[str | None, ...],
) -> tuple[dict[str, int], dict[str, float]]:
    """Facings per SKU and linear share per brand from product boxes.

    Args:
        boxes: Boxes xyxy, shape (N, 4).
        classes: Class ids, shape (N,).
        skus: SKU per box (None if unknown).
        brands: Brand per box (None if unknown).

    Returns:
        Facings per SKU id, and each brand's share of the summed product box width.
    """
    products = np.flatnonzero(classes == CLASS_ID["product"])
    facings = Counter(skus[i] for i in products if skus[i] is not None)
    widths = boxes[products, 2] - boxes[products, 0]
    total = float(widths.sum())
    share: dict[str, float] = {}
    for i, width in zip(products, widths, strict=True):
        brand = brands[i]
        if brand is not None and total > 0:
            share[brand] = share.get(brand, 0.0) + float(width) / total
    return {k: v for k, v in facings.items() if k is not None}, share


@lru_cache(maxsize=8)
def distractors(k: int) -> Catalogue:
    """Pool `k` of products outside any user catalogue, in all categories (cached)."""
    return make_catalogue(
        10_007 + k,
        n_brands=28,
        skus_per_brand=4,
        categories=vocab.CATEGORIES,
        n_own=0,
        id_prefix="x",
    )


def _pools(rng: np.random.Generator, catalogue: Catalogue) -> dict[str, list[Pick]]:
    """Per category: the catalogue's SKUs plus a random share of unknown products."""
    extra = distractors(int(rng.integers(0, 8)))
    unknown = rng.uniform(0.0, 0.6)
    pools: dict[str, list[Pick]] = {}
    for category in vocab.CATEGORIES:
        known = [Pick(s, True) for s in catalogue.by_category(category)]
        others = [Pick(s, False) for s in extra.by_category(category)]
        n = min(len(others), max(round(len(known) * unknown / (1 - unknown)), 0 if known else 8))
        pools[category] = known + [others[i] for i in rng.choice(len(others), n, replace=False)]
    return pools


def _layout(rng: np.random.Generator, catalogue: Catalogue) -> tuple[Layout, list[str]]:
    own = list(catalogue.categories)
    if not own or rng.random() < 0.08:
        return gondola, [vocab.CATEGORIES[int(rng.integers(0, len(vocab.CATEGORIES)))]]
    drinks = [c for c in own if c in _COOLER_CATEGORIES]
    roll = rng.random()
    if drinks and roll < 0.2:
        return cooler, [drinks[int(rng.integers(0, len(drinks)))]]
    cats = [own[i] for i in rng.permutation(len(own))[: int(rng.integers(1, 3))]]
    return (endcap if roll < 0.35 else gondola), cats


def _draw(
    catalogue: Catalogue,
    rng: np.random.Generator,
    canvas_size: tuple[int, int],
    clutter_p: float,
    wobblers: float,
) -> Canvas:
    canvas = Canvas(canvas_size)
    ctx = Ctx(
        canvas=canvas,
        rng=rng,
        pools=_pools(rng, catalogue),
        oos_p=rng.uniform(0.0, 0.1),
        gap_cm=rng.uniform(0.0, 0.9),
        tray_p=rng.uniform(0.0, 0.5) if rng.random() < 0.3 else 0.0,
        wobblers=wobblers,
    )
    layout, categories = _layout(rng, catalogue)
    layout(ctx, categories)
    if rng.random() < clutter_p:
        add_clutter(canvas, rng)
    return canvas


def render_shelf(
    catalogue: Catalogue,
    seed: int,
    *,
    style: str = "train",
    size: tuple[int, int] = (1280, 960),
    wobblers: float = 1.0,
) -> Scene:
    """Render one shelf photo with ground truth, deterministically from `seed`.

    Args:
        catalogue: The user's catalogue; products outside it are added as unknowns.
        seed: Random seed; equal arguments give byte-identical scenes.
        style: "train", "hard" (held out for evaluation) or "clean" (no camera effects).
        size: Output (width, height) px.
        wobblers: Multiplies the odds of a wobbler on a shelf edge, for training sets rich
            in them; at 1 (the default) a seed gives the scene it always gave.
    """
    st = get_style(style)
    rng = np.random.default_rng(seed)
    canvas_size = (math.ceil(size[0] * CANVAS_MARGIN), math.ceil(size[1] * CANVAS_MARGIN))
    canvas = _draw(catalogue, rng, canvas_size, st.occluder_p, wobblers)
    view = sample_view(rng, canvas_size, size, st)
    boxes, inside = project_clip(canvas.boxes(), view, size)
    w, h = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    need = MIN_VISIBLE[np.array([i.class_id for i in canvas.items], np.int64)]
    keep = np.flatnonzero((inside * canvas.visibility() >= need) & (w >= 2) & (h >= 2))
    image = photograph(warp(canvas.image, view, size), rng, st)
    items = [canvas.items[i] for i in keep]
    classes = np.array([i.class_id for i in items], np.int64)
    skus, brands = tuple(i.sku for i in items), tuple(i.brand for i in items)
    facings, share = shelf_kpis(boxes[keep], classes, skus, brands)
    return Scene(
        image=image,
        boxes=boxes[keep],
        classes=classes,
        skus=skus,
        brands=brands,
        facings=facings,
        share=share,
        seed=seed,
        style=style,
    )
