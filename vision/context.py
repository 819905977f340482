"""Shelf context for recognition: the facings of one SKU stand side by side.

Shelves are stocked in blocks: the facings of an SKU stand next to each other on one shelf.
A crop the open-set rule rejected (glare, a turned pack, a torn label) is given its
neighbour's SKU when the neighbour was recognised as that SKU, the crop is still fairly
similar to it (`BLOCK_MIN_SIMILARITY`, calibrated like the open-set threshold, see
`vision.embed.calibrate`) and nearly as similar to it as to any SKU (`BLOCK_MARGIN`). A
crop unlike its neighbours, an unknown competitor standing next to a known block, stays
unknown; the decision spreads along a block, one neighbour at a time, never across a gap
wider than a fraction of a pack.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

BLOCK_MIN_SIMILARITY = 0.4
"""Cosine similarity to a recognised neighbour's SKU at and above which a rejected crop
takes that SKU."""
BLOCK_MARGIN = 0.05
"""How much less similar to the neighbour's SKU than to its nearest SKU a crop may be."""
MAX_GAP = 0.35
"""Horizontal gap between side-by-side boxes, as a fraction of the narrower one's width."""
MIN_OVERLAP = 0.6
"""Vertical overlap of side-by-side boxes, as a fraction of the shorter one's height."""
MIN_HEIGHT_RATIO = 0.7
"""Shorter over taller height of side-by-side boxes: a facing of the same pack."""


def side_by_side(xyxy: NDArray[np.floating]) -> NDArray[np.intp]:
    """Pairs (i, j), i < j, of boxes (N, 4) standing next to each other on one shelf: level,
    of like height, and at most `MAX_GAP` of a width apart; int (P, 2)."""
    b = np.asarray(xyxy, np.float64).reshape(-1, 4)
    w = np.maximum(b[:, 2] - b[:, 0], 1e-6)
    h = np.maximum(b[:, 3] - b[:, 1], 1e-6)
    overlap = np.minimum(b[:, None, 3], b[None, :, 3]) - np.maximum(b[:, None, 1], b[None, :, 1])
    shorter = np.minimum(h[:, None], h[None, :])
    gap = np.maximum(b[:, None, 0], b[None, :, 0]) - np.minimum(b[:, None, 2], b[None, :, 2])
    narrower = np.minimum(w[:, None], w[None, :])
    centre = (b[:, 0] + b[:, 2]) / 2
    apart = np.abs(centre[:, None] - centre[None, :]) >= narrower / 2  # not one box twice
    near = (
        (overlap >= MIN_OVERLAP * shorter)
        & (shorter >= MIN_HEIGHT_RATIO * np.maximum(h[:, None], h[None, :]))
        & (gap <= MAX_GAP * narrower)
        & apart
    )
    i, j = np.nonzero(np.triu(near, 1))
    return np.stack([i, j], 1).astype(np.intp)


def extend_blocks(
    sim: NDArray[np.float32],
    entry: NDArray[np.int64],
    pairs: NDArray[np.intp],
    *,
    floor: float = BLOCK_MIN_SIMILARITY,
    margin: float = BLOCK_MARGIN,
) -> NDArray[np.int64]:
    """The entries per crop with rejected crops (-1) given a side-by-side neighbour's entry.

    Args:
        sim: Cosine similarity of each crop to each entry (N, E).
        entry: Accepted entry per crop, -1 unknown (N,).
        pairs: Side-by-side crops (`side_by_side`).
        floor: Least similarity to the neighbour's entry.
        margin: How much less similar than the crop's nearest entry the neighbour's may be.
    """
    out = entry.copy()
    if len(pairs) == 0 or sim.size == 0:
        return out
    top = sim.max(1)
    src = np.concatenate([pairs[:, 0], pairs[:, 1]])
    dst = np.concatenate([pairs[:, 1], pairs[:, 0]])
    while True:  # one neighbour further each pass; at most N passes
        given = out[src]
        take = (given >= 0) & (out[dst] < 0)
        s = np.where(take, sim[dst, np.maximum(given, 0)], -np.inf)
        take &= (s >= floor) & (s >= top[dst] - margin)
        if not take.any():
            return out
        order = np.flatnonzero(take)[np.argsort(-s[take], kind="stable")]
        _, first = np.unique(dst[order], return_index=True)  # the most similar neighbour's
        best = order[first]
        out[dst[best]] = given[best]
