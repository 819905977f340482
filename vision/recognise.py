"""SKU recognition of product boxes against a catalogue's reference pack images, open-set.

Build a `CatalogueIndex` once per process from a catalogue directory (see
`vision.catalogue`), then call `recognise` per photo. Two recognisers:

- `embed-1+blocks` (index built with an embedder, `embedder_for("embed")`): every
  product crop is embedded by the learned model (`vision.embed`) and compared by cosine
  with every reference view; the nearest SKU is given where it is similar enough and
  clearly more like it than like any other brand, or where a recognised neighbour in
  its block is that SKU (`decide_embedded`, `vision.context`).
- `labgrid-2` (index built without one): the colour descriptor (`vision.labgrid`).

Otherwise a crop is `None`, unknown, never forced onto the nearest SKU. SKUs enrolled in
the directory are recognised without retraining: the embedder is trained once, on
generated catalogues, and only embeds the references when the index is built.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from vision.catalogue import CatalogueEntry, read_catalogue_dir
from vision.context import extend_blocks, side_by_side
from vision.descriptor import (
    DIM,
    FINE_DIM,
    crop_boxes,
    describe_images,
    faded_view,
    reference_views,
)
from vision.embed.crops import aspect_log
from vision.embed.match import EmbeddedViews, similarities
from vision.labgrid import BRAND_MARGIN, MAX_DISTANCE, decide, distances
from vision.types import Recognition

if TYPE_CHECKING:
    from vision.embed.runtime import PackEmbedder

RECOGNISER_VERSION = "labgrid-2"
"""Changes whenever the descriptor or the decision rule changes."""
EMBED_RECOGNISER_VERSION = "embed-1+blocks"
"""The same where the index holds the shipped embeddings (`CatalogueIndex.embedded`): the
`embed-1` model, its open set (`EMBED_MIN_SIMILARITY`, `EMBED_BRAND_MARGIN`), and crops
rejected alone given their recognised neighbour's SKU (`vision.context`)."""
RECOGNISERS = ("labgrid", "embed")
"""`labgrid`: the colour descriptor; `embed`: the learned embedding (`vision.embed`)."""
DEFAULT_RECOGNISER = "embed"
"""What an `Analyser` and `evaluate-shelf` use unless told (see `vision/README.md`)."""
EMBED_MIN_SIMILARITY = 0.575
"""Cosine similarity to the nearest SKU below which a crop is unknown (embedding)."""
EMBED_BRAND_MARGIN = 0.2
"""How much more similar the nearest SKU must be than any SKU of another brand."""


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: it holds arrays
class CatalogueIndex:
    """Descriptors (or embeddings) of every reference view of a catalogue, grouped by SKU.

    Attributes:
        entries: The catalogue's SKUs; only those with images can be recognised.
        features: Reference view descriptors, float32 of shape (R, DIM); none (R = 0)
            in an index that holds embeddings.
        fine: Fine descriptors of the same views, float32 of shape (R, FINE_DIM).
        owner: Index into `entries` of each view, int64 of shape (R,), non-decreasing.
        ranking: Views that only rank an SKU against its brand's other variants and are
            not used to accept a crop (the faded front), bool of shape (R,); None: none.
        embedded: The learned embeddings of the same reference images
            (`vision.embed`); where present `recognise` decides by them alone
            (`decide_embedded`).
    """

    entries: tuple[CatalogueEntry, ...]
    features: NDArray[np.float32]
    fine: NDArray[np.float32]
    owner: NDArray[np.int64]
    ranking: NDArray[np.bool_] | None = None
    embedded: EmbeddedViews | None = None

    def __post_init__(self) -> None:
        if self.features.ndim != 2 or self.features.shape[1] != DIM:
            raise ValueError(f"features must have shape (R, {DIM}), got {self.features.shape}")
        if self.fine.shape != (len(self.features), FINE_DIM):
            raise ValueError(
                f"fine must have shape ({len(self.features)}, {FINE_DIM}), got {self.fine.shape}"
            )
        if self.owner.shape != (len(self.features),):
            raise ValueError(
                f"owner must have shape ({len(self.features)},), got {self.owner.shape}"
            )
        if len(self.owner) and (
            np.any(np.diff(self.owner) < 0)
            or self.owner[0] < 0
            or self.owner[-1] >= len(self.entries)
        ):
            raise ValueError("owner must be non-decreasing indices into entries")
        if self.ranking is not None and self.ranking.shape != self.owner.shape:
            raise ValueError(
                f"ranking must have shape ({len(self.owner)},), got {self.ranking.shape}"
            )
        if self.embedded is not None and len(self.embedded.aspect) != len(self.entries):
            raise ValueError(
                f"embedded must cover the {len(self.entries)} entries, "
                f"got {len(self.embedded.aspect)}"
            )

    @classmethod
    def from_images(
        cls,
        entries: Sequence[CatalogueEntry],
        images: Sequence[Sequence[Image.Image]],
        *,
        embedder: PackEmbedder | None = None,
    ) -> CatalogueIndex:
        """Index reference images given per entry (`images[i]` belong to `entries[i]`):
        embedded where an `embedder` is given (the embedding then decides alone, so no
        colour descriptor is computed: half the build time), else described."""
        if len(entries) != len(images):
            raise ValueError(f"{len(entries)} entries but {len(images)} image lists")
        if embedder is not None:
            return cls(
                tuple(entries),
                np.zeros((0, DIM), np.float32),
                np.zeros((0, FINE_DIM), np.float32),
                np.zeros(0, np.int64),
                None,
                EmbeddedViews.build(embedder, images),
            )
        coarse: list[NDArray[np.float32]] = [np.zeros((0, DIM), np.float32)]
        fine: list[NDArray[np.float32]] = [np.zeros((0, FINE_DIM), np.float32)]
        owner: list[int] = []
        ranking: list[bool] = []
        for i, packs in enumerate(images):
            views, faded = [], []
            for pack in packs:
                genuine = reference_views(pack)
                views += genuine
                faded.append(faded_view(genuine[0]))
            c, f = describe_images(views + faded)
            coarse.append(c)
            fine.append(f)
            owner += [i] * (len(views) + len(faded))
            ranking += [False] * len(views) + [True] * len(faded)
        return cls(
            tuple(entries),
            np.concatenate(coarse),
            np.concatenate(fine),
            np.asarray(owner, np.int64),
            np.asarray(ranking, np.bool_),
        )

    @classmethod
    def from_dir(cls, path: str | Path, *, embedder: PackEmbedder | None = None) -> CatalogueIndex:
        """Read a catalogue directory and index its reference images (see `from_images`).

        Raises:
            ValueError: The catalogue file is malformed (see `read_catalogue_dir`).
            OSError: A listed image is missing or unreadable.
        """
        folder = Path(path)
        entries = read_catalogue_dir(folder)
        images = [[_load(folder / name) for name in e.images] for e in entries]
        return cls.from_images(entries, images, embedder=embedder)

    @property
    def version(self) -> str:
        """The recogniser this index drives: `RECOGNISER_VERSION`, or the embedder's model
        with the shelf context (`EMBED_RECOGNISER_VERSION` for the shipped one)."""
        if self.embedded is None:
            return RECOGNISER_VERSION
        return f"{self.embedded.embedder.version}+blocks"

    def without(self, brands: Sequence[str]) -> CatalogueIndex:
        """This index without the SKUs of `brands` (views renumbered)."""
        hidden = set(brands)
        keep = [i for i, e in enumerate(self.entries) if e.brand not in hidden]
        rows = np.isin(self.owner, keep)
        remap = np.full(len(self.entries), -1, np.int64)
        remap[keep] = np.arange(len(keep))
        return CatalogueIndex(
            tuple(self.entries[i] for i in keep),
            self.features[rows],
            self.fine[rows],
            remap[self.owner[rows]],
            None if self.ranking is None else self.ranking[rows],
            None if self.embedded is None else self.embedded.subset(keep),
        )

    @cached_property
    def brands(self) -> NDArray[np.str_]:
        """Brand per entry (E,)."""
        return np.array([e.brand for e in self.entries], np.str_)

    @cached_property
    def views(self) -> NDArray[np.intp]:
        """Start and stop of each entry's views in `features` and `fine` (E, 2)."""
        ids = np.arange(len(self.entries))
        first = np.searchsorted(self.owner, ids, "left")
        return np.stack([first, np.searchsorted(self.owner, ids, "right")], 1)

    @cached_property
    def norms(self) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
        """Squared norms of the coarse and fine view descriptors, (R,) each."""
        return (
            np.einsum("rd,rd->r", self.features, self.features),
            np.einsum("rd,rd->r", self.fine, self.fine),
        )

    @property
    def skus(self) -> tuple[str, ...]:
        """SKU id per entry."""
        return tuple(e.sku for e in self.entries)

    def brand_of(self, sku: str | None) -> str | None:
        """The brand of `sku`, None if unknown."""
        return next((e.brand for e in self.entries if e.sku == sku), None)


def embedder_for(
    recogniser: str, *, threads: int = 1, path: str | Path | None = None
) -> PackEmbedder | None:
    """The embedder where `recogniser` is "embed" (the shipped one, or the ONNX file at
    `path` with its sidecar), None for "labgrid".

    Raises:
        ValueError: `recogniser` is not one of `RECOGNISERS`.
    """
    if recogniser not in RECOGNISERS:
        raise ValueError(f"recogniser must be one of {RECOGNISERS}, got {recogniser!r}")
    if recogniser == "labgrid":
        return None
    from vision.embed.runtime import DEFAULT_EMBEDDER, PackEmbedder  # onnxruntime: if asked

    return PackEmbedder(path or DEFAULT_EMBEDDER, threads=threads)


def _load(path: Path) -> Image.Image:
    with Image.open(path) as image:
        image.load()
        return image.copy()


def decide_embedded(
    sim: NDArray[np.float32],
    index: CatalogueIndex,
    *,
    min_similarity: float = EMBED_MIN_SIMILARITY,
    brand_margin: float = EMBED_BRAND_MARGIN,
    neighbours: NDArray[np.intp] | None = None,
) -> Recognition:
    """Open-set decision from the embedding's cosine similarities (N, E): an SKU, or unknown.

    The nearest SKU is given where it is at least `min_similarity` similar and beats
    every SKU of another brand by `brand_margin`; then, where the crops standing side by
    side are given (`neighbours`, see `vision.context.side_by_side`), a rejected crop
    takes a recognised neighbour's SKU if still similar enough to it
    (`vision.context.extend_blocks`).
    `distance` is 1 - cosine; `score` is the similarity rescaled so that `min_similarity`
    and below give 0 (so 0 for a crop recognised by its neighbours only).
    """
    n = len(sim)
    if n == 0 or sim.shape[1] == 0 or not np.isfinite(sim).any():
        return Recognition.unknown(n)
    brands = index.brands
    best = sim.argmax(1)
    top = sim[np.arange(n), best]
    other = np.where(brands[None, :] != brands[best][:, None], sim, -np.inf).max(1)
    known = (top >= min_similarity) & (top - other >= brand_margin)
    entry = np.where(known, best, -1).astype(np.int64)
    if neighbours is not None:
        entry = extend_blocks(sim, entry, neighbours)
    score = np.clip((top - min_similarity) / (1.0 - min_similarity), 0.0, 1.0)
    return Recognition(
        entry,
        best.astype(np.int64),
        (1.0 - top).astype(np.float32),
        score.astype(np.float32),
        tuple(index.entries[i].sku if i >= 0 else None for i in entry.tolist()),
        tuple(str(brands[i]) if i >= 0 else None for i in entry.tolist()),
    )


def recognise(
    image: Image.Image,
    xyxy: NDArray[np.floating],
    index: CatalogueIndex,
    *,
    max_distance: float = MAX_DISTANCE,
    brand_margin: float = BRAND_MARGIN,
) -> Recognition:
    """Recognise the SKU of each product box in `image`: by the learned embedding where
    the index holds one (`decide_embedded`), else by the colour descriptor (`decide`).

    Args:
        image: The RGB photo (or a reduced decode of it: boxes in its pixels).
        xyxy: Product boxes (N, 4).
        index: The catalogue index, built once.
        max_distance: See `decide` (colour descriptor only).
        brand_margin: See `decide` (colour descriptor only).
    """
    views = index.embedded
    if views is not None:
        sim = similarities(views.embedder.boxes(image, xyxy), aspect_log(xyxy), views)
        return decide_embedded(sim, index, neighbours=side_by_side(xyxy))
    coarse, fine, accept = distances(crop_boxes(image, xyxy), index)
    return decide(
        coarse, fine, index, accept=accept, max_distance=max_distance, brand_margin=brand_margin
    )
