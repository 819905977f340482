"""The demo's shelf photos: rendered by vision.synth, analysed by the shipped model, stored.

Rendering and analysis run in a pool of worker processes (one per CPU, one ONNX thread
each, as queue workers run). The results are written exactly as the analysis job writes
them (``models.analysis.record_analysis``, the annotated picture beside the photo, then
``flag_reuse``), in the load's transaction, so the demo's photos are analysed when the
market is committed.
"""

from __future__ import annotations

import hashlib
import io
import multiprocessing
import os
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image
from sqlmodel import Session

from models.analysis import annotated_key, flag_reuse, record_analysis
from models.checkins import FLAG_WEIGHTS
from models.demo.catalogue import Products, demo_catalogue, pack_png
from models.demo.shelves import Shot
from models.demo.visits import VisitRow
from models.storage import PhotoStore
from models.visits import Photo, PhotoKind, VisitFlag
from vision.analyse import Analyser
from vision.annotate import annotate
from vision.catalogue import CatalogueEntry, write_catalogue_json
from vision.synth import render_shelf
from vision.synth.catalogue import Catalogue

SIZE = (1024, 768)
JPEG_QUALITY = 88
REENCODED_QUALITY = 74  # the reused photo's second copy: the same picture, other bytes


@dataclass(frozen=True)
class Job:
    """Render ``shot`` from the demo catalogue of ``seed`` (re-encoded: another file of the
    same picture, as a photo sent again from a gallery), then analyse it."""

    seed: int
    shot: Shot
    reencoded: bool = False


@dataclass(frozen=True)
class Result:
    jpeg: bytes
    analysis: dict[str, Any]
    annotated: bytes
    duration_ms: float


def write_catalogue_dir(products: Products, folder: Path) -> None:
    """The recogniser's folder for the active SKUs, as a queue worker writes it from the store.

    SKU and brand codes, the same reference images: analyses match back to the database, and
    the catalogue's fingerprint is the one the worker computes.
    """
    entries = []
    for i, sku in enumerate(products.catalogue.skus):
        if products.delist[i] != 12:
            continue
        (folder / f"{sku.sku}_0.png").write_bytes(pack_png(products.catalogue, i))
        entries.append(
            CatalogueEntry(
                sku=sku.sku,
                brand=sku.brand.id,
                name=sku.name,
                own=sku.brand.own,
                images=(f"{sku.sku}_0.png",),
            )
        )
    write_catalogue_json(entries, folder)


_analyser: Analyser | None = None


def _start_worker(folder: str, detector: str) -> None:
    global _analyser
    _analyser = Analyser(folder, detector, threads=1)


@cache
def _catalogue(seed: int) -> Catalogue:
    return demo_catalogue(seed)


def jpeg_bytes(image: Image.Image, quality: int = JPEG_QUALITY) -> bytes:
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def render(seed: int, shot: Shot) -> bytes:
    """The shelf photo of ``shot``: only its SKUs (and unknown products) on the shelf."""
    catalogue = _catalogue(seed)
    wanted = set(shot.skus)
    shelf = Catalogue(
        seed=catalogue.seed,
        brands=catalogue.brands,
        skus=tuple(s for s in catalogue.skus if s.sku in wanted),
    )
    return jpeg_bytes(render_shelf(shelf, shot.seed, style=shot.style, size=SIZE).image)


def _run(job: Job) -> Result:
    assert _analyser is not None, "the worker was started without its analyser"
    data = render(job.seed, job.shot)
    if job.reencoded:
        data = jpeg_bytes(Image.open(io.BytesIO(data)), REENCODED_QUALITY)
    started = time.perf_counter()
    shelf = _analyser(data)
    duration = (time.perf_counter() - started) * 1000
    return Result(data, shelf.to_json(), annotate(data, shelf, max_side=1600), duration)


def analyse_all(
    products: Products, jobs: Sequence[Job], detector: Path, *, workers: int | None = None
) -> Iterator[Result]:
    """Render and analyse ``jobs`` in worker processes; results come in the jobs' order."""
    with tempfile.TemporaryDirectory(prefix="fieldsales-demo-") as folder:
        write_catalogue_dir(products, Path(folder))
        count = workers or max(1, min(len(os.sched_getaffinity(0)), 8))
        with ProcessPoolExecutor(
            count,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_worker,
            initargs=(folder, str(detector)),
        ) as pool:
            yield from pool.map(_run, jobs)


def store_photo(
    session: Session,
    store: PhotoStore,
    rng: np.random.Generator,
    visit: VisitRow,
    result: Result,
) -> uuid.UUID:
    """The photo of a visit with its analysis, as the upload and the analysis job store them."""
    photo_id = uuid.UUID(bytes=rng.bytes(16), version=4)
    key = f"photos/{visit.id}/{photo_id}.jpg"
    store.put(key, result.jpeg, "image/jpeg")
    minutes = (visit.ended_at - visit.started_at).total_seconds() / 60
    taken = visit.started_at + timedelta(minutes=float(rng.uniform(1, max(minutes - 1, 1.5))))
    photo = Photo(
        id=photo_id,
        visit_id=visit.id,
        kind=PhotoKind.shelf,
        sha256=hashlib.sha256(result.jpeg).hexdigest(),
        storage_key=key,
        content_type="image/jpeg",
        size_bytes=len(result.jpeg),
        width=int(result.analysis["width"]),
        height=int(result.analysis["height"]),
        taken_at=taken,
        received_at=visit.received_at + (taken - visit.started_at),
    )
    session.add(photo)
    session.flush()
    record_analysis(session, photo, result.analysis, result.duration_ms)
    store.put(annotated_key(photo_id), result.annotated, "image/jpeg")
    return photo_id


def add_photos(
    session: Session,
    store: PhotoStore,
    rng: np.random.Generator,
    products: Products,
    visits: Sequence[VisitRow],
    shots: Sequence[Shot],
    reuse: tuple[int, int] | None,
    detector: Path,
    tick: Callable[[int, int], None],
) -> int:
    """Render, analyse and store the shots' photos and the planted reuse; returns how many."""
    jobs = [Job(products.catalogue.seed, shot) for shot in shots]
    targets = [visits[shot.visit] for shot in shots]
    if reuse is not None:
        first, second = reuse
        shot = next(s for s in shots if s.visit == first)
        jobs.append(Job(products.catalogue.seed, shot, reencoded=True))
        targets.append(visits[second])
    ids: list[uuid.UUID] = []
    tick(0, len(jobs))
    for visit, result in zip(targets, analyse_all(products, jobs, detector), strict=True):
        ids.append(store_photo(session, store, rng, visit, result))
        tick(len(ids), len(jobs))
    weight = FLAG_WEIGHTS[VisitFlag.reused_photo]
    for photo_id in ids:
        flag_reuse(session, photo_id, weight)
    return len(ids)
