"""`labgrid-2`: SKU recognition by the hand-made colour descriptor (`vision.descriptor`).

Every crop is described and compared with every reference view of a `CatalogueIndex` built
without an embedder, in one matrix product; an SKU is given only when close enough to it on
a fine grid (`max_distance`) and clearly closer to it than to any other brand
(`brand_margin`), else the crop is unknown. `vision.recognise.recognise` calls it for such
an index; the learned embedding (`embed-1`) replaced it as the default.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from vision.descriptor import describe
from vision.types import Recognition

if TYPE_CHECKING:
    from vision.recognise import CatalogueIndex

MAX_DISTANCE = 62.0
"""Mean squared fine-grid distance per dimension above which a crop is unknown."""
BRAND_MARGIN = 4.0
"""How much closer (same units) the best SKU must be than the best SKU of another brand."""
TIE_MARGIN = 8.0
"""SKUs of the nearest one's brand this close to it are re-ranked with the fine grid."""
FINE_WEIGHT = 1.0
"""Weight of the fine-grid distance when re-ranking."""
SKU_MARGIN = 0.0
"""Variants of one brand closer than this (coarse plus fine) leave the SKU unknown. Off by
default: on generated shelves the nearest variant is right more often than not, so
guessing costs fewer facings than abstaining (measured in `vision/README.md`)."""


def _sq_distances(
    features: NDArray[np.float32],
    features_sq: NDArray[np.float32],
    refs: NDArray[np.float32],
    refs_sq: NDArray[np.float32],
) -> NDArray[np.float32]:
    """Mean squared distances (N, R) of descriptors (N, D) to views (R, D), given the
    squared norms of both."""
    d2 = features_sq[:, None] - 2.0 * (features @ refs.T) + refs_sq[None]
    mean = np.maximum(d2, 0.0) / np.float32(features.shape[1])
    return mean.astype(np.float32, copy=False)  # float32 already: no copy


def sku_distances(
    features: NDArray[np.float32],
    refs: NDArray[np.float32],
    owner: NDArray[np.int64],
    n_entries: int,
    *,
    refs_sq: NDArray[np.float32] | None = None,
) -> NDArray[np.float32]:
    """Mean squared distance of each descriptor to the nearest view of each entry.

    Args:
        features: Crop descriptors (N, D).
        refs: Reference view descriptors (R, D).
        owner: Entry of each view (R,), non-decreasing.
        n_entries: Number of entries E.
        refs_sq: Squared norms of `refs` (R,), where already known.

    Returns:
        float32 of shape (N, E); +inf for entries without reference views.
    """
    n = len(features)
    out = np.full((n, n_entries), np.inf, np.float32)
    if n == 0 or len(refs) == 0:
        return out
    if refs_sq is None:
        refs_sq = np.einsum("rd,rd->r", refs, refs)
    d2 = _sq_distances(features, np.einsum("nd,nd->n", features, features), refs, refs_sq)
    starts = np.flatnonzero(np.r_[True, np.diff(owner) != 0])
    out[:, owner[starts]] = np.minimum.reduceat(d2, starts, axis=1)
    return out


def _close(coarse: NDArray[np.float32], brands: NDArray[np.str_]) -> NDArray[np.bool_]:
    """(N, E): the SKUs of each crop's nearest brand within `TIE_MARGIN` of its nearest
    SKU on the coarse grid; the candidates `tie_break` chooses from."""
    nearest = coarse.argmin(1)
    best = coarse[np.arange(len(coarse)), nearest]
    same_brand = brands[None, :] == brands[nearest][:, None]
    close: NDArray[np.bool_] = same_brand & (coarse <= best[:, None] + TIE_MARGIN)
    return close


def tie_break(
    coarse: NDArray[np.float32], fine: NDArray[np.float32], brands: NDArray[np.str_]
) -> tuple[NDArray[np.int64], NDArray[np.float32]]:
    """The entry chosen per crop, and how much better it is than the runner-up variant.

    Among the SKUs of the nearest SKU's brand that are within `TIE_MARGIN` of it on the
    coarse grid, the nearest by coarse plus fine distance wins. Variants of one brand
    differ in a band's colour or a word; the coarse grid tells the brand reliably, the
    fine grid sees the small differences.

    Returns:
        Chosen entry (N,), and the combined distance of the second-best candidate minus
        the chosen one's (N,), +inf where the brand has no other candidate.
    """
    combined = np.where(_close(coarse, brands), coarse + FINE_WEIGHT * fine, np.inf)
    if combined.shape[1] < 2:
        return combined.argmin(1), np.full(len(coarse), np.inf, np.float32)
    two = np.partition(combined, 1, axis=1)[:, :2]
    with np.errstate(invalid="ignore"):
        lead = np.where(np.isfinite(two[:, 1]), two[:, 1] - two[:, 0], np.inf)
    return combined.argmin(1), lead.astype(np.float32)


def fine_distances(
    features: NDArray[np.float32], coarse: NDArray[np.float32], index: CatalogueIndex
) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """Fine-grid SKU distances (N, E) of fine descriptors (N, FINE_DIM), computed only
    where `tie_break` reads them (`_close`: a few variants per crop), +inf elsewhere.

    One small matrix product per candidate SKU, over the crops that have it: a few
    times fewer products than all of the nearest brand's views, and each below the
    size at which OpenBLAS wakes its threads.

    Returns:
        The distances to the nearest of all views (ranking), and to the nearest of the
        views that may accept a crop (`CatalogueIndex.ranking` left out).
    """
    fine = np.full_like(coarse, np.inf)
    accept = np.full_like(coarse, np.inf)
    skus, crops = np.nonzero(_close(coarse, index.brands).T)  # grouped by SKU
    heads, starts = np.unique(skus, return_index=True)
    stops = np.r_[starts[1:], len(skus)][: len(starts)]
    features_sq = np.einsum("nd,nd->n", features, features)
    refs_sq = index.norms[1]
    ranking = index.ranking
    for sku, a, b in zip(heads.tolist(), starts.tolist(), stops.tolist(), strict=True):
        rows = crops[a:b]
        v0, v1 = index.views[sku]
        d2 = _sq_distances(features[rows], features_sq[rows], index.fine[v0:v1], refs_sq[v0:v1])
        fine[rows, sku] = d2.min(1)
        if ranking is None:
            accept[rows, sku] = fine[rows, sku]
        elif not ranking[v0:v1].all():
            accept[rows, sku] = d2[:, ~ranking[v0:v1]].min(1)
    return fine, accept


def distances(
    pixels: NDArray[np.uint8], index: CatalogueIndex
) -> tuple[NDArray[np.float32], NDArray[np.float32], NDArray[np.float32]]:
    """Coarse, fine and accepting-fine SKU distances (N, E) of crops (N, CROP, CROP, 3).

    Fine distances are computed only where `tie_break` looks at them (`fine_distances`)
    and are +inf elsewhere.
    """
    coarse_f, fine_f = describe(pixels)
    e = len(index.entries)
    coarse = sku_distances(coarse_f, index.features, index.owner, e, refs_sq=index.norms[0])
    if len(coarse) == 0 or not np.isfinite(coarse).any():
        return coarse, np.full_like(coarse, np.inf), np.full_like(coarse, np.inf)
    return coarse, *fine_distances(fine_f, coarse, index)


def decide(
    coarse: NDArray[np.float32],
    fine: NDArray[np.float32],
    index: CatalogueIndex,
    *,
    accept: NDArray[np.float32] | None = None,
    max_distance: float = MAX_DISTANCE,
    brand_margin: float = BRAND_MARGIN,
    sku_margin: float = SKU_MARGIN,
) -> Recognition:
    """Open-set decision from coarse and fine SKU distances (N, E): an SKU, or unknown.

    The SKU is chosen by `tie_break`. A crop is unknown where that SKU is farther than
    `max_distance` on the fine grid (which tells a look-alike of another make from the
    real pack better than the coarse one), or where an SKU of another brand is within
    `brand_margin` of it on the coarse grid; that fine distance is read from `accept`
    where given (the views that may accept a crop, see `CatalogueIndex.ranking`). Where
    another variant of the same brand is within `sku_margin` (a tray hides the flavour
    band, blur hides the text), the brand is kept and the SKU is unknown: a facing left
    uncounted rather than counted twice wrong.
    """
    n = len(coarse)
    if n == 0 or coarse.shape[1] == 0 or not np.isfinite(coarse).any():
        return Recognition.unknown(n)
    brands = index.brands
    nearest, lead = tie_break(coarse, fine, brands)
    rows = np.arange(n)
    best = (fine if accept is None else accept)[rows, nearest]
    other_brand = np.where(brands[None, :] != brands[nearest][:, None], coarse, np.inf).min(1)
    known = (best <= max_distance) & (other_brand - coarse[rows, nearest] >= brand_margin)
    entry = np.where(known & (lead >= sku_margin), nearest, -1).astype(np.int64)
    score = np.clip(1.0 - best / max_distance, 0.0, 1.0).astype(np.float32)
    skus = tuple(index.entries[i].sku if i >= 0 else None for i in entry.tolist())
    brand = tuple(
        str(brands[i]) if ok else None
        for i, ok in zip(nearest.tolist(), known.tolist(), strict=True)
    )
    return Recognition(entry, nearest.astype(np.int64), best.astype(np.float32), score, skus, brand)
