"""Write rendered scenes to disk: JPEG images, YOLO labels and a JSON manifest.

Layout of a dataset folder::

    images/000000.jpg   the photos
    labels/000000.txt   YOLO: one "class cx cy w h" line per box, normalised to [0, 1]
    manifest.json       classes, style, size, seeds, and per image the SKU and brand of
                        each label line (in order), facings per SKU and share per brand
"""

from __future__ import annotations

import json
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from rich.progress import track

from vision.synth.catalogue import Catalogue
from vision.synth.scene import render_shelf
from vision.types import CLASSES

MANIFEST = "manifest.json"


def scene_seed(seed: int, index: int) -> int:
    """The render seed of image `index` in a dataset of `seed`; datasets don't overlap."""
    return int(np.random.SeedSequence([seed, index]).generate_state(1, np.uint32)[0])


def yolo_lines(
    boxes: NDArray[np.float32], classes: NDArray[np.int64], size: tuple[int, int]
) -> list[str]:
    """YOLO label lines "class cx cy w h" (normalised) for boxes xyxy (N, 4) in px."""
    if len(boxes) == 0:
        return []
    w, h = size
    cx, cy = (boxes[:, 0] + boxes[:, 2]) / 2 / w, (boxes[:, 1] + boxes[:, 3]) / 2 / h
    bw, bh = (boxes[:, 2] - boxes[:, 0]) / w, (boxes[:, 3] - boxes[:, 1]) / h
    return [
        f"{c} {x:.6f} {y:.6f} {a:.6f} {b:.6f}"
        for c, x, y, a, b in zip(classes.tolist(), cx, cy, bw, bh, strict=True)
    ]


def _write_one(
    catalogue: Catalogue,
    out: Path,
    style: str,
    size: tuple[int, int],
    quality: int,
    wobblers: float,
    item: tuple[int, int],
) -> dict[str, Any]:
    index, seed = item
    scene = render_shelf(catalogue, seed, style=style, size=size, wobblers=wobblers)
    name = f"{index:06d}"
    scene.image.save(out / "images" / f"{name}.jpg", quality=quality)
    lines = yolo_lines(scene.boxes, scene.classes, size)
    (out / "labels" / f"{name}.txt").write_text("".join(f"{ln}\n" for ln in lines))
    return {
        "image": f"images/{name}.jpg",
        "label": f"labels/{name}.txt",
        "seed": seed,
        "skus": list(scene.skus),
        "brands": list(scene.brands),
        "facings": scene.facings,
        "share": scene.share,
    }


def write_dataset(
    catalogue: Catalogue,
    out: str | Path,
    n: int,
    *,
    seed: int = 0,
    style: str = "train",
    size: tuple[int, int] = (1280, 960),
    quality: int = 90,
    workers: int = 1,
    progress: bool = True,
    wobblers: float = 1.0,
) -> Path:
    """Render `n` scenes into `out` (see the module docstring for the layout).

    Args:
        catalogue: The catalogue scenes draw their products from.
        out: Folder to write; created if missing, files of the same names overwritten.
        n: Number of images.
        seed: Dataset seed; image i is rendered from `scene_seed(seed, i)`.
        style: Render style ("train", "hard", "clean").
        size: Image (width, height) px.
        quality: JPEG quality of the written images.
        workers: Processes to render in; 1 renders in this process.
        progress: Show a progress bar.
        wobblers: Multiplies the odds of a wobbler on a shelf edge (`render_shelf`).

    Returns:
        The path of the written manifest.
    """
    folder = Path(out)
    (folder / "images").mkdir(parents=True, exist_ok=True)
    (folder / "labels").mkdir(parents=True, exist_ok=True)
    items = [(i, scene_seed(seed, i)) for i in range(n)]
    job = partial(_write_one, catalogue, folder, style, size, quality, wobblers)
    label = f"rendering {n} {style} scenes"
    if workers <= 1:
        records = list(track(map(job, items), total=n, description=label, disable=not progress))
    else:
        with ProcessPoolExecutor(workers) as pool:
            done = pool.map(job, items, chunksize=8)
            records = list(track(done, total=n, description=label, disable=not progress))
    manifest = {
        "classes": list(CLASSES),
        "style": style,
        "size": list(size),
        "seed": seed,
        "catalogue_seed": catalogue.seed,
        "wobblers": wobblers,
        "images": records,
    }
    target = folder / MANIFEST
    target.write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    return target
