"""Reference embeddings of a catalogue, and cosine similarities of crops to its SKUs.

Every reference image is enrolled through the views the colour descriptor uses
(`vision.descriptor.reference_views`: the front, rolled, cropped and padded), so a new
SKU is recognised as soon as its images are in the catalogue: nothing is retrained.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from vision.descriptor import reference_views

if TYPE_CHECKING:
    from vision.embed.runtime import PackEmbedder

ASPECT_WEIGHT = 0.0
"""Similarity taken off per unit of |log aspect| between a box and an SKU's front (the
one cue the fixed-size input drops); 0 where the calibration found no gain."""


@dataclass(frozen=True, eq=False)  # holds arrays and a session: compared by identity
class EmbeddedViews:
    """Embeddings of a catalogue's reference views, grouped by entry.

    Attributes:
        vectors: Unit embeddings of the views, float32 (V, D).
        owner: Entry of each view, int64 (V,), non-decreasing.
        aspect: log(height / width) of each entry's first image, float32 (E,); 0 where
            the entry has no image.
        embedder: The model that made them, used again for the crops.
    """

    vectors: NDArray[np.float32]
    owner: NDArray[np.int64]
    aspect: NDArray[np.float32]
    embedder: PackEmbedder

    def __post_init__(self) -> None:
        if self.vectors.ndim != 2 or self.owner.shape != (len(self.vectors),):
            raise ValueError(
                f"vectors (V, D) and owner (V,) must agree, got {self.vectors.shape} "
                f"and {self.owner.shape}"
            )
        if len(self.owner) and np.any(np.diff(self.owner) < 0):
            raise ValueError("owner must be non-decreasing")

    @classmethod
    def build(
        cls, embedder: PackEmbedder, images: Sequence[Sequence[Image.Image]]
    ) -> EmbeddedViews:
        """Embed every view of every reference image, `images[i]` being entry i's (pack by
        pack: a catalogue's views held at once cost over 100 MB)."""
        chunks: list[NDArray[np.float32]] = []
        owner: list[int] = []
        aspect = np.zeros(len(images), np.float32)
        for i, packs in enumerate(images):
            for pack in packs:
                v = reference_views(pack)
                chunks.append(embedder.images(v))
                owner += [i] * len(v)
            if packs:
                aspect[i] = np.log(packs[0].height / packs[0].width)
        vectors = np.concatenate(chunks) if chunks else np.zeros((0, 1), np.float32)
        return cls(vectors, np.asarray(owner, np.int64), aspect, embedder)

    def subset(self, keep: Sequence[int]) -> EmbeddedViews:
        """The views of entries `keep` only, renumbered in that order (sorted)."""
        remap = np.full(len(self.aspect), -1, np.int64)
        remap[list(keep)] = np.arange(len(keep))
        rows = remap[self.owner] >= 0
        return EmbeddedViews(
            self.vectors[rows], remap[self.owner[rows]], self.aspect[list(keep)], self.embedder
        )


def similarities(
    vectors: NDArray[np.float32],
    aspect: NDArray[np.float32],
    views: EmbeddedViews,
    *,
    aspect_weight: float = ASPECT_WEIGHT,
) -> NDArray[np.float32]:
    """Cosine similarity (N, E) of crop embeddings (N, D) to each entry's nearest view,
    less `aspect_weight` times the difference of log aspect of the boxes (N,) and
    entries; -inf for entries without views."""
    n, e = len(vectors), len(views.aspect)
    out = np.full((n, e), -np.inf, np.float32)
    if n == 0 or len(views.owner) == 0:
        return out
    sim = vectors @ views.vectors.T
    starts = np.flatnonzero(np.r_[True, np.diff(views.owner) != 0])
    out[:, views.owner[starts]] = np.maximum.reduceat(sim, starts, axis=1)
    if aspect_weight:
        out -= np.float32(aspect_weight) * np.abs(aspect[:, None] - views.aspect[None, :])
    return out
