"""How good recognition and the shelf KPIs are, measured on generated shelves.

By default ground-truth product boxes stand in for the detector, so these numbers isolate
recognition and the KPI arithmetic from detection. Given a detector, the whole analysis
runs on each photo (`vision.analyse.Analyser`: detection, recognition, KPIs) and the
facings and shares it reports are compared with the truth, so detection's misses and
false boxes count too; SKU figures are then taken over the true products the detector
found (one detected box per true box, IoU >= 0.5). Some catalogue brands are left out
of the index (`holdout`): their products, with the generator's own out-of-catalogue
products, are the true unknowns the recogniser must reject.
"""

from __future__ import annotations

import dataclasses
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from vision.analyse import Analyser, DetectFn
from vision.evaluate import box_iou, pair
from vision.foreign import (
    ForeignCatalogue,
    ForeignScene,
    foreign_catalogue,
    render_foreign,
    write_foreign_catalogue,
)
from vision.recognise import CatalogueIndex, recognise
from vision.shelf import ShelfKpis, shelf_kpis
from vision.synth import Catalogue, Scene, render_shelf, write_catalogue_dir
from vision.synth.dataset import scene_seed
from vision.types import CLASS_ID

if TYPE_CHECKING:
    from vision.embed.runtime import PackEmbedder

EVAL_SEED = 424_242
"""Dataset seed of the evaluation scenes: `scene_seed(EVAL_SEED, i)`, never used in training."""


@dataclass(frozen=True)
class Report:
    """Recognition and KPI errors over a set of generated photos.

    Attributes:
        photos: Photos measured.
        products: Product boxes in them.
        known: Products whose SKU is in the index (of all, found or not).
        detected: Share of the products the detector found (IoU >= 0.5; 1 with
            ground-truth boxes). The SKU figures below are over those found.
        closed_top1: Share of known products whose nearest SKU is right (no rejection);
            NaN end to end (the analysis keeps only the SKU it gives).
        top1: Share right among known products given an SKU (accepted).
        accepted: Share of known products given an SKU at all.
        brand_top1: Share of accepted known products given the right brand.
        unknown_precision: Of products called unknown, the share truly unknown.
        unknown_recall: Of truly unknown products, the share called unknown.
        facings_error: Sum over photos and SKUs of |found - true| facings over the true
            total, a fraction.
        share_error_pp: Mean |found - true| linear share per photo and brand, in
            percentage points.
        share_error_max_pp: Mean over photos of the worst brand's error, pp.
        ms_per_photo: Recognition and KPI time per photo (no rendering, no detection);
            end to end, the whole analysis's.
        end_to_end: Whether the detector found the boxes.
    """

    photos: int
    products: int
    known: int
    detected: float
    closed_top1: float
    top1: float
    accepted: float
    brand_top1: float
    unknown_precision: float
    unknown_recall: float
    facings_error: float
    share_error_pp: float
    share_error_max_pp: float
    ms_per_photo: float
    end_to_end: bool = False


def index_for(
    catalogue: Catalogue | ForeignCatalogue,
    images_per_sku: int = 2,
    *,
    embedder: PackEmbedder | None = None,
) -> CatalogueIndex:
    """The index of `catalogue`'s reference packs, through a catalogue directory; with
    the learned embeddings where an `embedder` is given. A foreign catalogue has one
    front per SKU."""
    with tempfile.TemporaryDirectory() as folder:
        if isinstance(catalogue, ForeignCatalogue):
            write_foreign_catalogue(catalogue, folder)
        else:
            write_catalogue_dir(catalogue, folder, images_per_sku=images_per_sku)
        return CatalogueIndex.from_dir(folder, embedder=embedder)


@dataclass
class _Tally:
    products: int = 0
    known: int = 0
    truth: list[str | None] = field(default_factory=list)
    found: list[str | None] = field(default_factory=list)
    nearest: list[str | None] = field(default_factory=list)
    brand_truth: list[str | None] = field(default_factory=list)
    brand_found: list[str | None] = field(default_factory=list)
    facings_abs: int = 0
    facings_total: int = 0
    share_errors: list[float] = field(default_factory=list)
    share_worst: list[float] = field(default_factory=list)
    seconds: float = 0.0


Shelf = Scene | ForeignScene


def _truth(scene: Shelf, hidden: set[str]) -> tuple[list[str | None], list[str | None]]:
    """SKU and brand per box with the held-out brands made unknown."""
    sku = [s if b not in hidden else None for s, b in zip(scene.skus, scene.brands, strict=True)]
    brand = [b if b not in hidden else None for b in scene.brands]
    return sku, brand


def _score_photo(scene: Shelf, index: CatalogueIndex, hidden: set[str], tally: _Tally) -> None:
    sku, brand = _truth(scene, hidden)
    products = np.flatnonzero(scene.classes == CLASS_ID["product"])
    start = time.perf_counter()
    rec = recognise(scene.image, scene.boxes[products], index)
    found_sku: list[str | None] = [None] * len(scene.boxes)
    found_brand: list[str | None] = [None] * len(scene.boxes)
    for j, i in enumerate(products.tolist()):
        found_sku[i], found_brand[i] = rec.sku[j], rec.brand[j]
    kpis = shelf_kpis(scene.boxes, scene.classes, found_sku, found_brand)
    tally.seconds += time.perf_counter() - start
    skus = index.skus
    tally.products += len(products)
    tally.known += sum(sku[i] is not None for i in products.tolist())
    for j, i in enumerate(products.tolist()):
        tally.truth.append(sku[i])
        tally.found.append(rec.sku[j])
        tally.nearest.append(skus[int(rec.nearest[j])] if rec.nearest[j] >= 0 else None)
        tally.brand_truth.append(brand[i])
        tally.brand_found.append(rec.brand[j])
    _score_kpis(scene, sku, brand, kpis, tally)


def _score_analysis(scene: Shelf, analyser: Analyser, hidden: set[str], tally: _Tally) -> None:
    """The whole analysis of the photo against its truth: the found products paired with
    true ones (IoU >= 0.5, best score first) for the SKU figures, every box for the KPIs."""
    sku, brand = _truth(scene, hidden)
    products = np.flatnonzero(scene.classes == CLASS_ID["product"])
    start = time.perf_counter()
    result = analyser(scene.image)
    tally.seconds += time.perf_counter() - start
    found = result.detections
    mine = np.flatnonzero(found.class_id == CLASS_ID["product"])
    mine = mine[np.argsort(-found.score[mine], kind="stable")]
    paired = pair(box_iou(found.xyxy[mine], scene.boxes[products]), 0.5)
    found_sku = found.sku or (None,) * len(found)
    tally.products += len(products)
    tally.known += sum(sku[i] is not None for i in products.tolist())
    for d, j in zip(mine[paired >= 0].tolist(), paired[paired >= 0].tolist(), strict=True):
        i = int(products[j])
        tally.truth.append(sku[i])
        tally.found.append(found_sku[d])
        tally.nearest.append(None)
        tally.brand_truth.append(brand[i])
        tally.brand_found.append(result.brand[d])
    _score_kpis(scene, sku, brand, result.kpis, tally)


def _score_kpis(
    scene: Shelf,
    sku: list[str | None],
    brand: list[str | None],
    kpis: ShelfKpis,
    tally: _Tally,
) -> None:
    true = shelf_kpis(scene.boxes, scene.classes, sku, brand)
    names = set(true.facings) | set(kpis.facings)
    tally.facings_abs += sum(abs(kpis.facings.get(s, 0) - true.facings.get(s, 0)) for s in names)
    tally.facings_total += sum(true.facings.values())
    brands = set(true.brand_share) | set(kpis.brand_share)
    errors = [abs(kpis.brand_share.get(b, 0) - true.brand_share.get(b, 0)) * 100 for b in brands]
    tally.share_errors += errors
    tally.share_worst.append(max(errors, default=0.0))


def _ratio(num: float, den: float) -> float:
    return float(num / den) if den else float("nan")


def _report(tally: _Tally, photos: int, *, end_to_end: bool = False) -> Report:
    truth = np.array(tally.truth, object)
    found = np.array(tally.found, object)
    known = np.array([t is not None for t in tally.truth], np.bool_)
    given = np.array([f is not None for f in tally.found], np.bool_)
    right = known & given & (truth == found)
    brand_right = np.array(
        [t == f for t, f in zip(tally.brand_truth, tally.brand_found, strict=True)], np.bool_
    )
    nearest_right = known & (truth == np.array(tally.nearest, object))
    return Report(
        photos=photos,
        products=tally.products,
        known=tally.known,
        detected=_ratio(len(truth), tally.products),
        closed_top1=float("nan") if end_to_end else _ratio(nearest_right.sum(), known.sum()),
        top1=_ratio(right.sum(), (known & given).sum()),
        accepted=_ratio((known & given).sum(), known.sum()),
        brand_top1=_ratio((known & given & brand_right).sum(), (known & given).sum()),
        unknown_precision=_ratio((~given & ~known).sum(), (~given).sum()),
        unknown_recall=_ratio((~given & ~known).sum(), (~known).sum()),
        facings_error=_ratio(tally.facings_abs, tally.facings_total),
        share_error_pp=float(np.mean(tally.share_errors)) if tally.share_errors else 0.0,
        share_error_max_pp=float(np.mean(tally.share_worst)) if tally.share_worst else 0.0,
        ms_per_photo=_ratio(tally.seconds * 1000, photos),
        end_to_end=end_to_end,
    )


def measure(
    catalogue: Catalogue | ForeignCatalogue,
    index: CatalogueIndex,
    *,
    n: int = 40,
    style: str = "train",
    holdout: Sequence[str] = (),
    seed: int = EVAL_SEED,
    size: tuple[int, int] = (1280, 960),
    detector: str | Path | DetectFn | None = None,
    threads: int = 1,
) -> Report:
    """Render `n` scenes of `catalogue` and score recognition and KPIs on them.

    Args:
        catalogue: The generator's catalogue the scenes are drawn from; a foreign one
            (`vision.foreign`) draws them with the foreign renderer, `style` and `size`
            unused (its photos come in several sizes).
        index: The index of the same catalogue (`holdout` brands are removed here).
        n: Scenes to render.
        style: Generator style: "train", "hard" or "clean".
        holdout: Brand names left out of the index: their products are unknowns.
        seed: Dataset seed of the scenes.
        size: Photo (width, height).
        detector: An ONNX detector (or a function as `Analyser` takes): the whole
            analysis runs on each photo (see above); None: the true product boxes.
        threads: onnxruntime threads of that detector.
    """
    hidden = set(holdout)
    used = index.without(list(hidden)) if hidden else index
    analyser = None if detector is None else Analyser(used, detector, threads=threads)
    tally = _Tally()
    for i in range(n):
        scene: Shelf
        if isinstance(catalogue, ForeignCatalogue):
            scene = render_foreign(scene_seed(seed, i), catalogue=catalogue)
        else:
            scene = render_shelf(catalogue, scene_seed(seed, i), style=style, size=size)
        if analyser is None:
            _score_photo(scene, used, hidden, tally)
        else:
            _score_analysis(scene, analyser, hidden, tally)
    return _report(tally, n, end_to_end=analyser is not None)


SHELF_STYLES = ("train", "hard", "clean", "foreign")
"""The styles `measure_styles` renders: the generator's, and the foreign renderer's."""


def measure_styles(
    styles: Sequence[str],
    *,
    n: int,
    catalogue_seed: int = 0,
    brands: int = 12,
    holdout_every: int = 4,
    embedder: PackEmbedder | None = None,
    detector: str | Path | DetectFn | None = None,
    threads: int = 1,
) -> tuple[list[Report], str]:
    """`measure` on `n` photos of each style, and a title naming the index and the brands
    held out. "foreign" draws the foreign renderer's own catalogue with as many brands;
    the generator's styles share catalogue `catalogue_seed`.

    Raises:
        ValueError: A style not in `SHELF_STYLES`.
    """
    from vision.synth import make_catalogue

    made: dict[bool, tuple[Catalogue | ForeignCatalogue, CatalogueIndex, list[str]]] = {}
    reports = []
    for style in styles:
        if style not in SHELF_STYLES:
            raise ValueError(f"style must be one of {SHELF_STYLES}, got {style!r}")
        foreign = style == "foreign"
        if foreign not in made:
            catalogue: Catalogue | ForeignCatalogue = (
                foreign_catalogue(catalogue_seed, brands=brands)
                if foreign
                else make_catalogue(catalogue_seed, n_brands=brands, skus_per_brand=6)
            )
            held = default_holdout(catalogue, holdout_every) if holdout_every else []
            made[foreign] = catalogue, index_for(catalogue, embedder=embedder), held
        catalogue, index, held = made[foreign]
        reports.append(
            measure(
                catalogue, index, n=n, style=style, holdout=held, detector=detector, threads=threads
            )
        )
    kinds = "; ".join(
        f"{'foreign' if k else 'generated'}: {', '.join(h) or 'none'}"
        for k, (_, _, h) in made.items()
    )
    version = next(iter(made.values()))[1].version if made else "-"
    return reports, f"{version}; held-out brands (unknown), {kinds}"


def default_holdout(catalogue: Catalogue | ForeignCatalogue, every: int = 4) -> list[str]:
    """Every `every`-th brand by name: the brands `measure` treats as unknown by default."""
    return sorted(b.name for b in catalogue.brands)[::every]


def markdown(styles: Sequence[str], reports: Sequence[Report]) -> str:
    """The reports as one markdown table, a column per style."""
    lines = ["| measure | " + " | ".join(styles) + " |", "|---" * (len(styles) + 1) + "|"]
    rows = [as_rows(r) for r in reports]
    for i, (name, _) in enumerate(rows[0] if rows else []):
        lines.append(f"| {name} | " + " | ".join(r[i][1] for r in rows) + " |")
    return "\n".join(lines)


def as_json(report: Report) -> dict[str, float | int | bool | None]:
    """The report as JSON-ready values (None where a figure is not defined)."""
    return {
        k: None if isinstance(v, float) and np.isnan(v) else v
        for k, v in dataclasses.asdict(report).items()
    }


def as_rows(report: Report) -> list[tuple[str, str]]:
    """The report as (measure, value) rows for printing."""

    def pct(value: float) -> str:
        return "-" if np.isnan(value) else f"{value:.1%}"

    return [
        ("photos / products / known", f"{report.photos} / {report.products} / {report.known}"),
        ("products detected (IoU >= 0.5)", pct(report.detected)),
        ("SKU top-1, nearest (no rejection)", pct(report.closed_top1)),
        ("SKU top-1 among recognised", pct(report.top1)),
        ("known products recognised", pct(report.accepted)),
        ("brand right among recognised", pct(report.brand_top1)),
        (
            "unknown precision / recall",
            f"{pct(report.unknown_precision)} / {pct(report.unknown_recall)}",
        ),
        ("facings count error", pct(report.facings_error)),
        ("share error, mean per brand (pp)", f"{report.share_error_pp:.2f}"),
        ("share error, worst brand per photo (pp)", f"{report.share_error_max_pp:.2f}"),
        (
            "whole analysis per photo (ms)"
            if report.end_to_end
            else "recognise + KPIs per photo (ms)",
            f"{report.ms_per_photo:.0f}",
        ),
    ]
