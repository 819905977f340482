"""From a shelf photo's bytes to a `ShelfAnalysis`: detect, recognise, measure, judge.

Build an `Analyser` once per process (it holds the detector's ONNX session and the
catalogue index) and call it per photo; `analyse()` does the same through a small
per-process cache of analysers. The JSON form is documented in `vision/README.md`
("Analysis").
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from vision.decode import Decoded, decode
from vision.quality import Quality, assess_grey, phash, phash_hex, work_copy
from vision.recognise import DEFAULT_RECOGNISER, CatalogueIndex, embedder_for, recognise
from vision.session import DEFAULT_DETECTOR
from vision.shelf import ShelfKpis, shelf_kpis
from vision.types import CLASS_ID, CLASSES, Detections, Recognition

DetectFn = Callable[[Image.Image], Detections]
"""A detector: an RGB image (already oriented) to boxes in that image's pixels. One that
also has a `shrunk(image) -> image` method (`vision.detect.Detector`) is handed the photo
as its input will hold it, resampled once for detection and recognition alike."""
UNKNOWN = "unknown"
"""The `sku` of a product the catalogue does not hold, in the JSON form."""
MIN_DETECT_SIDE = 32
"""Photos with a shorter side than this are not worth detecting in (flagged instead)."""
MIN_CROP_SIDE = 1280
"""Products are cut from the detector's copy of the photo where its longer side is at
least this (the scale recognition was measured at), else from the decoded photo."""


@dataclass(frozen=True)
class ShelfAnalysis:
    """Everything the analysis of one photo found.

    Attributes:
        width: Photo width after EXIF orientation, px.
        height: Photo height after EXIF orientation, px.
        detections: Boxes in the photo's pixels, with the recognised SKU per box (None
            for unknown products and non-products).
        sku_score: Similarity of each product to its nearest SKU in [0, 1], 0 at and under
            the open-set threshold (so 0 for a pack named only by its block); NaN for
            non-products; float32 (N,).
        brand: Brand per box where known.
        kpis: Shelves, facings, share, gaps, tags, displays, POSM.
        quality: Quality flags and measures.
        phash: 64-bit perceptual hash of the photo.
        model: Versions of what produced this: detector, recogniser, catalogue.
        timings_ms: Milliseconds per stage (decode, detect, recognise, measure, total).
    """

    width: int
    height: int
    detections: Detections
    sku_score: NDArray[np.float32]
    brand: tuple[str | None, ...]
    kpis: ShelfKpis
    quality: Quality
    phash: int
    model: dict[str, str]
    timings_ms: dict[str, float]

    def to_json(self) -> dict[str, Any]:
        """The JSON-ready form (plain dicts, lists, str, int, float, None)."""
        k = self.kpis
        return {
            "width": self.width,
            "height": self.height,
            "detections": self._detections_json(),
            "facings": dict(k.facings),
            "brand_share": {b: round(v, 5) for b, v in k.brand_share.items()},
            "unknown_share": round(max(1.0 - sum(k.brand_share.values()), 0.0), 5)
            if k.linear_px > 0
            else 0.0,
            "linear_px": round(k.linear_px, 1),
            "shelves": [
                {
                    "index": i,
                    "products": list(s.products),
                    "y_left": round(s.y_at(0.0), 1),
                    "y_right": round(s.y_at(float(self.width)), 1),
                    "x0": round(s.x0, 1),
                    "x1": round(s.x1, 1),
                    "facing_px": round(s.facing_px, 1),
                    "display": s.display if s.display >= 0 else None,
                }
                for i, s in enumerate(k.shelves)
            ],
            "gaps": [{"shelf": g.shelf, "box": _box(g.box), "facings": g.facings} for g in k.gaps],
            "price_tags": k.price_tags,
            "displays": [_fixture_json(f, self.detections) for f in k.displays],
            "posm": [_fixture_json(f, self.detections) for f in k.posm],
            "quality": {
                "flags": list(self.quality.flags),
                "sharpness": self.quality.sharpness,
                "brightness": self.quality.brightness,
                "clipped": self.quality.clipped,
                "products": self.quality.products,
            },
            "phash": phash_hex(self.phash),
            "model": dict(self.model),
        }

    def _detections_json(self) -> list[dict[str, Any]]:
        d, sku = self.detections, self.detections.sku or (None,) * len(self.detections)
        out = []
        for i in range(len(d)):
            product = int(d.class_id[i]) == CLASS_ID["product"]
            out.append(
                {
                    "box": _box(d.xyxy[i]),
                    "class": CLASSES[int(d.class_id[i])],
                    "score": round(float(d.score[i]), 4),
                    "sku": (sku[i] or UNKNOWN) if product else None,
                    "sku_score": round(float(self.sku_score[i]), 4) if product else None,
                    "brand": self.brand[i],
                    "shelf": int(self.kpis.shelf_of[i]) if self.kpis.shelf_of[i] >= 0 else None,
                }
            )
        return out


def _box(xyxy: Any) -> list[float]:
    return [round(float(v), 1) for v in xyxy]


def _fixture_json(fixture: Any, detections: Detections) -> dict[str, Any]:
    return {
        "detection": fixture.index,
        "box": _box(detections.xyxy[fixture.index]),
        "brand": fixture.brand,
        "brands": dict(fixture.brands),
    }


def file_version(path: str | Path) -> str:
    """`<file name>@<first 12 hex digits of its SHA-256>`."""
    digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]
    return f"{Path(path).name}@{digest}"


def catalogue_version(index: CatalogueIndex) -> str:
    """A fingerprint of what the index recognises: SKUs, brands and reference descriptors
    (or embeddings)."""
    h = hashlib.sha256()
    for e in index.entries:
        h.update(f"{e.sku}\t{e.brand}\n".encode())
    h.update(np.ascontiguousarray(index.features).tobytes())
    if index.embedded is not None:
        h.update(np.ascontiguousarray(index.embedded.vectors).tobytes())
    return h.hexdigest()[:12]


def class_map(names: tuple[str, ...]) -> NDArray[np.int64]:
    """Our class id for each class of a detector, by name; -1 for classes we do not use.

    A one-class detector (an SKU-110K "object" model) finds products.
    """
    if len(names) == 1 and names[0] not in CLASS_ID:
        return np.array([CLASS_ID["product"]], np.int64)
    return np.array([CLASS_ID.get(name, -1) for name in names], np.int64)


class _OnnxDetector:
    """An ONNX `Detector` with its classes mapped to ours, as a `DetectFn`."""

    def __init__(self, path: str | Path, threads: int) -> None:
        from vision.detect import Detector  # onnxruntime session: only when actually used

        self.detector = Detector(path, threads=threads)
        self.mapping = class_map(self.detector.classes)
        self.shrunk = self.detector.shrunk

    def __call__(self, image: Image.Image) -> Detections:
        found = self.detector(image)
        ours = self.mapping[np.clip(found.class_id, 0, len(self.mapping) - 1)]
        keep = (found.class_id < len(self.mapping)) & (ours >= 0)
        return Detections(found.xyxy[keep], ours[keep], found.score[keep])


class Analyser:
    """The detector and the catalogue index, loaded once; call it once per photo.

    Args:
        catalogue: A catalogue directory, or an index built from one.
        detector: An ONNX detector file, or a function from image to `Detections`.
        threads: onnxruntime intra-op threads for an ONNX detector (and the embedder).
        detector_version: Overrides the version recorded for a function detector.
        recogniser: "labgrid" or "embed" for a catalogue directory (default
            `DEFAULT_RECOGNISER`); an index given as such keeps its own.

    Raises:
        FileNotFoundError: The ONNX detector file is missing.
    """

    def __init__(
        self,
        catalogue: str | Path | CatalogueIndex,
        detector: str | Path | DetectFn = DEFAULT_DETECTOR,
        *,
        threads: int = 2,
        detector_version: str | None = None,
        recogniser: str | None = None,
    ) -> None:
        self.index = (
            catalogue
            if isinstance(catalogue, CatalogueIndex)
            else CatalogueIndex.from_dir(
                catalogue,
                embedder=embedder_for(recogniser or DEFAULT_RECOGNISER, threads=threads),
            )
        )
        if isinstance(detector, str | Path):
            self.detect: DetectFn = _OnnxDetector(detector, threads)
            version = detector_version or file_version(detector)
        else:
            self.detect = detector
            version = detector_version or str(
                getattr(detector, "__name__", type(detector).__name__)
            )
        self.model = {
            "detector": version,
            "recogniser": self.index.version,
            "catalogue": catalogue_version(self.index),
        }
        self.shrink: Callable[[Image.Image], Image.Image] | None = getattr(
            self.detect, "shrunk", None
        )

    def __call__(self, data: bytes | str | Path | Image.Image) -> ShelfAnalysis:
        """Analyse one photo.

        Raises:
            vision.decode.BadImage: Not an image, truncated, or too many pixels.
        """
        clock = _Clock()
        photo = decode(data)
        clock.lap("decode")
        seen, found = self._detect(photo)
        clock.lap("detect")
        products = np.flatnonzero(found.class_id == CLASS_ID["product"])
        source = seen if max(seen.size) >= MIN_CROP_SIDE else photo.image
        rec = recognise(source, found.xyxy[products] * _scale(source, seen), self.index)
        clock.lap("recognise")
        dets, score, brand, kpis = _measure(photo, seen, found, products, rec)
        clock.lap("measure")
        grey = work_copy(photo.image)
        quality = assess_grey(np.asarray(grey, np.float32), photo.size, products=len(products))
        hashed = phash(grey)
        clock.lap("quality")
        return ShelfAnalysis(
            width=photo.size[0],
            height=photo.size[1],
            detections=dets,
            sku_score=score,
            brand=brand,
            kpis=kpis,
            quality=quality,
            phash=hashed,
            model=dict(self.model),
            timings_ms=clock.laps(),
        )

    def _detect(self, photo: Decoded) -> tuple[Image.Image, Detections]:
        """The image the detector saw, and its boxes in that image's pixels."""
        if min(photo.image.size) < MIN_DETECT_SIDE:
            return photo.image, Detections.empty()
        seen = self.shrink(photo.image) if self.shrink else photo.image
        return seen, self.detect(seen)


def _measure(
    photo: Decoded,
    seen: Image.Image,
    found: Detections,
    products: NDArray[np.intp],
    rec: Recognition,
) -> tuple[Detections, NDArray[np.float32], tuple[str | None, ...], ShelfKpis]:
    """From boxes in the pixels of `seen` and their products' recognition: detections in
    the full photo's pixels with SKUs, SKU score and brand per box, and the shelf KPIs."""
    n = len(found)
    sku: list[str | None] = [None] * n
    brand: list[str | None] = [None] * n
    score = np.full(n, np.nan, np.float32)
    for j, i in enumerate(products.tolist()):
        sku[i], brand[i], score[i] = rec.sku[j], rec.brand[j], rec.score[j]
    limit = np.array(photo.size * 2, np.float32)
    full = np.clip(found.xyxy * _scale(photo.size, seen), 0, limit).astype(np.float32)
    kpis = shelf_kpis(full, found.class_id, sku, brand)
    return Detections(full, found.class_id, found.score, tuple(sku)), score, tuple(brand), kpis


def _scale(to: Image.Image | tuple[int, int], image: Image.Image) -> NDArray[np.float32]:
    """Multiplier of xyxy boxes in `image`'s pixels to pixels of `to` (an image or a size)."""
    w, h = to.size if isinstance(to, Image.Image) else to
    sx, sy = w / image.width, h / image.height
    return np.array([sx, sy, sx, sy], np.float32)


class _Clock:
    def __init__(self) -> None:
        self.start = self.last = time.perf_counter()
        self.times: dict[str, float] = {}

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.times[name] = round((now - self.last) * 1000, 2)
        self.last = now

    def laps(self) -> dict[str, float]:
        return {**self.times, "total": round((self.last - self.start) * 1000, 2)}


@lru_cache(maxsize=4)
def _cached(catalogue: str | CatalogueIndex, detector: str) -> Analyser:
    return Analyser(catalogue, detector)


def analyse(
    data: bytes | str | Path | Image.Image,
    catalogue: str | Path | CatalogueIndex,
    *,
    detector: str | Path = DEFAULT_DETECTOR,
) -> ShelfAnalysis:
    """Analyse one photo, reusing the analyser of earlier calls with the same arguments.

    Raises:
        vision.decode.BadImage: Not an image, truncated, or too many pixels.
        FileNotFoundError: The detector or the catalogue is missing.
    """
    key = catalogue if isinstance(catalogue, CatalogueIndex) else str(Path(catalogue).resolve())
    return _cached(key, str(detector))(data)
