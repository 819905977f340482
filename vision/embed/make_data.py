"""Write the embedder's training set: product crops from generated shelves, and packs.

One shard per catalogue seed (`<out>/c<seed>.npz`), skipped when it exists, so an
interrupted run resumes. Per shard: `pixels` (N, STORE_H, STORE_W, 3) uint8 crops with
the `vision.embed.crops.MARGIN` margin, `sku` and `brand` (N,) int64 identities unique
across catalogues (seed * 100 + index), `kind` (N,) int8 (0 reference image, 1 `train`
scene, 2 `clean` scene) and `aspect` (N,) float32 log(height / width) of the box.

Catalogue seed 0 (the evaluation catalogue) is refused; scene seeds are
`scene_seed(SCENE_SEED_BASE + catalogue seed, i)`, disjoint from the evaluation's
`scene_seed(424242, i)`.

    python -m vision.embed.make_data .data/embed/train --catalogues 1000:1120 --scenes 24
"""

from __future__ import annotations

import argparse
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from vision.embed.crops import MARGIN, STORE_H, STORE_W, aspect_log, crop_boxes, image_crops
from vision.synth import make_catalogue, render_shelf
from vision.synth.catalogue import Catalogue
from vision.synth.dataset import scene_seed
from vision.synth.packs import reference_view
from vision.types import CLASS_ID

SCENE_SEED_BASE = 5_000_000
REFERENCES = 3
"""Reference images per SKU: the clean front and two varied views, as a catalogue has."""
CLEAN_EVERY = 5
"""Every this-th scene is rendered in the `clean` style, the rest in `train`."""
_STORE = (STORE_W, STORE_H)


def catalogue_for(seed: int) -> Catalogue:
    """The training catalogue of `seed`: 8-16 brands of 6 SKUs."""
    if seed == 0:
        raise ValueError("catalogue seed 0 is the evaluation catalogue")
    n_brands = int(np.random.default_rng([seed, 1]).integers(8, 17))
    return make_catalogue(seed, n_brands=n_brands, skus_per_brand=6)


def _reference_rows(cat: Catalogue) -> tuple[NDArray[np.uint8], list[int], list[int], list[float]]:
    images, skus, brands, aspects = [], [], [], []
    brand_ix = {b.id: i for i, b in enumerate(cat.brands)}
    for j, sku in enumerate(cat.skus):
        for n in range(REFERENCES):
            rng = np.random.default_rng([cat.seed, sku.seed, n, 7])
            im = reference_view(sku, 256, rng, clean=n == 0)
            images.append(im)
            skus.append(j)
            brands.append(brand_ix[sku.brand.id])
            aspects.append(float(np.log(im.height / im.width)))
    return image_crops(images, _STORE, MARGIN), skus, brands, aspects


def shard(seed: int, scenes: int) -> dict[str, NDArray[np.generic]]:
    """The training rows of catalogue `seed`: its reference packs and `scenes` shelves."""
    cat = catalogue_for(seed)
    sku_ix = {s.sku: j for j, s in enumerate(cat.skus)}
    brand_ix = {b.name: i for i, b in enumerate(cat.brands)}
    pixels, skus, brands, aspects = _reference_rows(cat)
    parts, kinds = [pixels], [0] * len(skus)
    aspect = list(aspects)
    for i in range(scenes):
        style = "clean" if i % CLEAN_EVERY == CLEAN_EVERY - 1 else "train"
        scene = render_shelf(cat, scene_seed(SCENE_SEED_BASE + seed, i), style=style)
        keep = [
            k
            for k, (c, s) in enumerate(zip(scene.classes.tolist(), scene.skus, strict=True))
            if c == CLASS_ID["product"] and s is not None
        ]
        boxes = scene.boxes[keep]
        parts.append(crop_boxes(scene.image, boxes, _STORE, MARGIN))
        skus += [sku_ix[str(scene.skus[k])] for k in keep]
        brands += [brand_ix[str(scene.brands[k])] for k in keep]
        kinds += [1 if style == "train" else 2] * len(keep)
        aspect += aspect_log(boxes).tolist()
    return {
        "pixels": np.concatenate(parts),
        "sku": np.asarray(skus, np.int64) + seed * 100,
        "brand": np.asarray(brands, np.int64) + seed * 100,
        "kind": np.asarray(kinds, np.int8),
        "aspect": np.asarray(aspect, np.float32),
    }


def _write(out: Path, scenes: int, seed: int) -> int:
    target = out / f"c{seed}.npz"
    if target.exists():
        return 0
    rows = shard(seed, scenes)
    tmp = out / f".c{seed}.tmp.npz"
    np.savez(tmp, **rows)  # type: ignore[arg-type]  # numpy's stub types the first kwarg
    tmp.rename(target)
    return len(rows["sku"])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--catalogues", default="1000:1120", help="seed range start:stop")
    parser.add_argument("--scenes", type=int, default=24, help="scenes per catalogue")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    start, stop = (int(v) for v in args.catalogues.split(":"))
    args.out.mkdir(parents=True, exist_ok=True)
    job = partial(_write, args.out, args.scenes)
    seeds = list(range(start, stop))
    with ProcessPoolExecutor(args.workers) as pool:
        for seed, n in zip(seeds, pool.map(job, seeds), strict=True):
            print(f"catalogue {seed}: {n} crops", flush=True)  # noqa: T201


if __name__ == "__main__":
    main()
