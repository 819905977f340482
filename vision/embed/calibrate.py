"""Choose the embedding recogniser's open-set thresholds on generated shelves.

Calibration uses its own catalogues (seeds `CALIBRATION_CATALOGUES`, never the training
ones nor the evaluation's seed 0) and scenes `scene_seed(CALIBRATION_SEED, i)`, disjoint
from the evaluation's `scene_seed(424242, i)`; every 4th brand by name is left out of the
index, as `evaluate-shelf` does, so its products are the unknowns to reject. The
thresholds (the open set's, and the shelf context's in the `blocks` rows, see
`vision.context`) are chosen to minimise facings error plus share error on `train`-style
scenes; the `hard` style is not used.

    python -m vision.embed.calibrate --catalogues 900:904 -n 15
"""

from __future__ import annotations

import argparse
import itertools
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from vision.context import extend_blocks, side_by_side
from vision.descriptor import crop_boxes
from vision.embed.crops import aspect_log
from vision.embed.match import EmbeddedViews, similarities
from vision.embed.runtime import DEFAULT_EMBEDDER, PackEmbedder
from vision.labgrid import distances
from vision.measure import default_holdout
from vision.recognise import CatalogueIndex
from vision.synth import make_catalogue, render_shelf, write_catalogue_dir
from vision.synth.dataset import scene_seed
from vision.types import CLASS_ID

CALIBRATION_SEED = 777_777
CALIBRATION_CATALOGUES = (900, 904)


@dataclass
class Photo:
    """Per product of one photo: truth and every score the decision rules read."""

    truth: NDArray[np.int64]  # entry in the held-out index, -1 unknown
    brands: NDArray[np.str_]  # brand per entry of the held-out index
    width: NDArray[np.float32]
    coarse: NDArray[np.float32]
    fine: NDArray[np.float32]
    accept: NDArray[np.float32]
    sim: NDArray[np.float32]
    aspect: NDArray[np.float32]
    views_aspect: NDArray[np.float32]
    pairs: NDArray[np.intp]  # side-by-side products (`vision.context.side_by_side`)


def _open(path: Path) -> Image.Image:
    with Image.open(path) as image:
        image.load()
        return image.copy()


def collect(embedder: PackEmbedder, seeds: range, n: int, style: str = "train") -> list[Photo]:
    photos = []
    for c in seeds:
        cat = make_catalogue(c, n_brands=12, skus_per_brand=6)
        with tempfile.TemporaryDirectory() as folder:
            write_catalogue_dir(cat, folder, images_per_sku=2)
            full = CatalogueIndex.from_dir(folder)
            images = [[_open(Path(folder) / name) for name in e.images] for e in full.entries]
        hidden = default_holdout(cat)
        index = full.without(hidden)
        keep = [i for i, e in enumerate(full.entries) if e.brand not in set(hidden)]
        views = EmbeddedViews.build(embedder, [images[i] for i in keep])
        sku_ix = {e.sku: i for i, e in enumerate(index.entries)}
        for i in range(n):
            scene = render_shelf(cat, scene_seed(CALIBRATION_SEED + c, i), style=style)
            p = np.flatnonzero(scene.classes == CLASS_ID["product"])
            boxes = scene.boxes[p]
            coarse, fine, accept = distances(crop_boxes(scene.image, boxes), index)
            photos.append(
                Photo(
                    truth=np.array([sku_ix.get(str(scene.skus[j]), -1) for j in p], np.int64),
                    brands=index.brands,
                    width=(boxes[:, 2] - boxes[:, 0]).astype(np.float32),
                    coarse=coarse,
                    fine=fine,
                    accept=accept,
                    sim=similarities(
                        embedder.boxes(scene.image, boxes),
                        aspect_log(boxes),
                        views,
                        aspect_weight=0.0,
                    ),
                    aspect=aspect_log(boxes),
                    views_aspect=views.aspect,
                    pairs=side_by_side(boxes),
                )
            )
    return photos


def score(photos: list[Photo], entries: list[NDArray[np.int64]]) -> dict[str, float]:
    """evaluate-shelf's measures for a decision per photo (entry per product, -1 unknown)."""
    right = given_known = known = unk_right = called_unk = unknown = 0
    f_abs = f_tot = 0
    share: list[float] = []
    for ph, e in zip(photos, entries, strict=True):
        k = ph.truth >= 0
        g = e >= 0
        known += int(k.sum())
        given_known += int((k & g).sum())
        right += int((k & g & (e == ph.truth)).sum())
        called_unk += int((~g).sum())
        unk_right += int((~g & ~k).sum())
        unknown += int((~k).sum())
        m = len(ph.brands)
        tf = np.bincount(ph.truth[k], minlength=m)
        ff = np.bincount(e[g], minlength=m)
        f_abs += int(np.abs(tf - ff).sum())
        f_tot += int(tf.sum())
        total = ph.width.sum()
        names = sorted(set(ph.brands.tolist()))
        bix = {b: i for i, b in enumerate(names)}
        tb = np.zeros(len(names))
        fb = np.zeros(len(names))
        np.add.at(tb, [bix[b] for b in ph.brands[ph.truth[k]]], ph.width[k])
        np.add.at(fb, [bix[b] for b in ph.brands[e[g]]], ph.width[g])
        present = (tb > 0) | (fb > 0)
        share += (np.abs(tb - fb)[present] / total * 100).tolist()
    return {
        "top1": right / max(given_known, 1),
        "accepted": given_known / max(known, 1),
        "unk_p": unk_right / max(called_unk, 1),
        "unk_r": unk_right / max(unknown, 1),
        "facings": f_abs / max(f_tot, 1),
        "share": float(np.mean(share)) if share else 0.0,
    }


def _labgrid(ph: Photo) -> tuple[NDArray[np.int64], NDArray[np.bool_]]:
    """labgrid-2's nearest entry and whether it accepts it (as `labgrid.decide`)."""
    from vision.labgrid import BRAND_MARGIN, MAX_DISTANCE, tie_break

    n = len(ph.truth)
    if n == 0:
        return np.zeros(0, np.int64), np.zeros(0, bool)
    nearest, _ = tie_break(ph.coarse, ph.fine, ph.brands)
    rows = np.arange(n)
    other = np.where(ph.brands[None, :] != ph.brands[nearest][:, None], ph.coarse, np.inf).min(1)
    known = (ph.accept[rows, nearest] <= MAX_DISTANCE) & (
        other - ph.coarse[rows, nearest] >= BRAND_MARGIN
    )
    return nearest, known


def _sim(ph: Photo, aspect_weight: float) -> NDArray[np.float32]:
    if not aspect_weight:
        return ph.sim
    gap = np.abs(ph.aspect[:, None] - ph.views_aspect[None, :])
    out: NDArray[np.float32] = (ph.sim - np.float32(aspect_weight) * gap).astype(np.float32)
    return out


def _emb(
    sim: NDArray[np.float32], brands: NDArray[np.str_]
) -> tuple[NDArray[np.int64], NDArray[np.float32], NDArray[np.float32]]:
    n = len(sim)
    best = sim.argmax(1) if n else np.zeros(0, np.int64)
    top = sim[np.arange(n), best]
    other = np.where(brands[None, :] != brands[best][:, None], sim, -np.inf).max(1) if n else top
    return best, top, top - other


def rule_variant(ph: Photo, aw: float) -> NDArray[np.int64]:
    """labgrid-2 accepts or not and names the brand; the embedding picks the variant."""
    near, known = _labgrid(ph)
    sim = _sim(ph, aw)
    same = ph.brands[None, :] == ph.brands[near][:, None]
    pick = np.where(same, sim, -np.inf).argmax(1) if len(near) else near
    return np.where(known, pick, -1)


def rule_embed(ph: Photo, aw: float, tau: float, delta: float) -> NDArray[np.int64]:
    """The embedding alone: nearest SKU if similar enough and clear of other brands."""
    best, top, margin = _emb(_sim(ph, aw), ph.brands)
    return np.where((top >= tau) & (margin >= delta), best, -1)


def rule_blocks(
    ph: Photo, tau: float, floor: float, margin: float, delta: float = 0.0
) -> NDArray[np.int64]:
    """The embedding at `tau` and brand margin `delta`, then rejected crops given a
    recognised neighbour's SKU (`vision.context.extend_blocks`)."""
    alone = rule_embed(ph, 0.0, tau, delta)
    return extend_blocks(ph.sim, alone, ph.pairs, floor=floor, margin=margin)


def rule_union(ph: Photo, aw: float, tau: float, delta: float, veto: float) -> NDArray[np.int64]:
    """Accepted where labgrid-2 accepts (unless the embedding finds it unlike, < `veto`)
    or the embedding is sure (`tau`, `delta`); the variant by embedding within the brand."""
    near, known = _labgrid(ph)
    sim = _sim(ph, aw)
    best, top, margin = _emb(sim, ph.brands)
    sure = (top >= tau) & (margin >= delta)
    brand = np.where(
        known, ph.brands[near] if len(near) else near, ph.brands[best] if len(best) else best
    )
    same = ph.brands[None, :] == brand[:, None]
    pick = np.where(same, sim, -np.inf).argmax(1) if len(near) else near
    ok = (known & (sim[np.arange(len(near)), pick] >= veto)) | sure
    return np.where(ok, pick, -1)


def search(photos: list[Photo]) -> list[tuple[float, str, dict[str, float]]]:
    """Every rule and threshold tried, best first by facings error + 5 x share error."""
    rows = [("labgrid-2", score(photos, [np.where(k, e, -1) for e, k in map(_labgrid, photos)]))]
    for aw in (0.0, 0.1, 0.2):
        rows.append((f"variant aw={aw}", score(photos, [rule_variant(p, aw) for p in photos])))
        taus = np.round(np.arange(0.45, 0.801, 0.025), 3).tolist()
        for tau, delta in itertools.product(taus, (0.0, 0.05, 0.1, 0.15, 0.2)):
            name = f"embed aw={aw} tau={tau} delta={delta}"
            rows.append((name, score(photos, [rule_embed(p, aw, tau, delta) for p in photos])))
        for tau, delta, veto in itertools.product((0.7, 0.8, 1.1), (0.1,), (-1.0, 0.4, 0.5)):
            name = f"union aw={aw} tau={tau} delta={delta} veto={veto}"
            rows.append(
                (name, score(photos, [rule_union(p, aw, tau, delta, veto) for p in photos]))
            )
    for tau, floor, margin in itertools.product(
        (0.55, 0.575, 0.6, 0.625, 0.65),
        np.round(np.arange(0.3, 0.576, 0.025), 3).tolist(),
        (0.0, 0.05, 0.1),
    ):
        name = f"blocks tau={tau} floor={floor} margin={margin}"
        rows.append((name, score(photos, [rule_blocks(p, tau, floor, margin) for p in photos])))
    for delta in np.round(np.arange(0.05, 0.351, 0.05), 2).tolist():  # the shipped blocks
        name = f"blocks tau=0.575 floor=0.4 margin=0.05 delta={delta}"
        rule = [rule_blocks(p, 0.575, 0.4, 0.05, delta) for p in photos]
        rows.append((name, score(photos, rule)))
    ranked = ((r["facings"] + r["share"] / 100 * 5, name, r) for name, r in rows)
    return sorted(ranked, key=lambda t: t[0])


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", type=Path, default=DEFAULT_EMBEDDER)
    p.add_argument(
        "--catalogues", default=f"{CALIBRATION_CATALOGUES[0]}:{CALIBRATION_CATALOGUES[1]}"
    )
    p.add_argument("-n", type=int, default=15, help="scenes per catalogue")
    p.add_argument("--style", default="train")
    p.add_argument("--top", type=int, default=25)
    args = p.parse_args(argv)
    a, b = (int(v) for v in args.catalogues.split(":"))
    photos = collect(PackEmbedder(args.model), range(a, b), args.n, args.style)
    ranked = search(photos)
    fmt = "{:.3f}".format
    for obj, name, r in ranked[: args.top] + [t for t in ranked if t[1] == "labgrid-2"]:
        print(fmt(obj), name, {k: fmt(v) for k, v in r.items()})  # noqa: T201


if __name__ == "__main__":
    main()
