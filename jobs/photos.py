"""Photo analysis jobs: queued with the photo, run by any number of workers anywhere."""

from __future__ import annotations

import hashlib
import json
import logging
import time
import uuid
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import procrastinate
from procrastinate.types import JSONValue
from sqlalchemy import Engine
from sqlmodel import Session

from jobs.queue import defer
from models.analysis import annotated_key, flag_reuse, record_analysis
from models.catalogue import ReferenceImage, reference_images
from models.checkins import FLAG_WEIGHTS
from models.db import make_engine, unit_of_work
from models.images import EXTENSIONS
from models.perfect_store import score_visits
from models.settings import Settings
from models.storage import PhotoStore, make_store
from models.visits import Photo, PhotoStatus, VisitFlag
from vision.analyse import Analyser
from vision.annotate import annotate
from vision.catalogue import CatalogueEntry, write_catalogue_json
from vision.decode import BadImage
from vision.session import DEFAULT_DETECTOR

QUEUE = "photos"
ATTEMPTS = 3
log = logging.getLogger("fieldsales.jobs.photos")


def queue_analysis(app: procrastinate.App, session: Session, photo_id: uuid.UUID) -> int:
    """Queue a photo's analysis in the caller's transaction (it commits with the photo)."""
    return defer(app, session, "analyse_photo", queue=QUEUE, photo_id=str(photo_id))


def queue_rescore(app: procrastinate.App, session: Session, photo_ids: list[uuid.UUID]) -> None:
    """Queue many photos' analyses in one statement, in the caller's transaction."""
    if not photo_ids:
        return
    connection = session.connection().connection.driver_connection
    task = app.configure_task("fieldsales:analyse_photo", queue=QUEUE, connection=connection)
    arguments: list[dict[str, JSONValue]] = [{"photo_id": str(pid)} for pid in photo_ids]
    task.batch_defer(*arguments)


@dataclass
class Runtime:
    """What a worker process builds once: the engine, the store, the analyser per catalogue."""

    settings: Settings
    engine: Engine
    store: PhotoStore
    analysers: dict[str, Analyser] = field(default_factory=dict)

    def analyser(self, session: Session) -> Analyser:
        """The analyser for the catalogue as it is now; rebuilt only when the catalogue changes."""
        images = reference_images(session)
        key = hashlib.sha256(json.dumps([vars(i) for i in images]).encode()).hexdigest()[:16]
        if key not in self.analysers:
            folder = self.settings.data_dir.resolve() / "cache" / f"catalogue-{key}"
            write_catalogue(self.store, images, folder)
            detector = self.settings.detector or DEFAULT_DETECTOR
            self.analysers = {key: Analyser(folder, detector, threads=1)}
        return self.analysers[key]


@cache
def runtime() -> Runtime:
    settings = Settings()
    return Runtime(settings, make_engine(settings), make_store(settings))


def write_catalogue(store: PhotoStore, images: list[ReferenceImage], folder: Path) -> None:
    """A catalogue folder for the recogniser: the reference images and catalogue.json."""
    folder.mkdir(parents=True, exist_ok=True)
    files: dict[str, list[str]] = {}
    entries: dict[str, ReferenceImage] = {}
    for image in images:
        name = f"{image.sku}_{len(files.get(image.sku, []))}.{EXTENSIONS[image.content_type]}"
        (folder / name).write_bytes(store.get(image.storage_key))
        files.setdefault(image.sku, []).append(name)
        entries[image.sku] = image
    write_catalogue_json(
        [
            CatalogueEntry(
                sku=e.sku, brand=e.brand, name=e.name, own=e.own, images=tuple(files[sku])
            )
            for sku, e in entries.items()
        ],
        folder,
    )


def blueprint() -> procrastinate.Blueprint:
    """The photo tasks, on a blueprint of their own for each app (apps re-namespace tasks)."""
    tasks = procrastinate.Blueprint()
    tasks.task(
        name="analyse_photo",
        queue=QUEUE,
        # procrastinate counts retries, not runs: ATTEMPTS runs in all.
        retry=procrastinate.RetryStrategy(max_attempts=ATTEMPTS - 1, wait=5),
        pass_context=True,
    )(analyse_photo)
    return tasks


def analyse_photo(context: procrastinate.JobContext, photo_id: str) -> None:
    """Analyse one photo and replace its results; a photo gone meanwhile is not an error."""
    run = runtime()
    attempt = (context.job.attempts or 0) + 1 if context.job else 1
    try:
        analyse(run, uuid.UUID(photo_id))
    except Exception as exc:
        if attempt >= ATTEMPTS:
            settle(run, uuid.UUID(photo_id), PhotoStatus.failed, f"analysis failed: {exc}")
        raise


def analyse(run: Runtime, photo_id: uuid.UUID) -> None:
    with unit_of_work(run.engine) as session:
        photo = session.get(Photo, photo_id, with_for_update=True)
        if photo is None:
            log.info("photo %s is gone; nothing to analyse", photo_id)
            return
        analyser = run.analyser(session)
        data = run.store.get(photo.storage_key)
        started = time.perf_counter()
        try:
            shelf = analyser(data)
        except BadImage as exc:
            photo.status, photo.status_reason = PhotoStatus.failed, f"unreadable: {exc}"
            session.add(photo)
            return
        result: dict[str, Any] = shelf.to_json()
        record_analysis(session, photo, result, (time.perf_counter() - started) * 1000)
        # The evidence picture managers open is drawn once, here, and kept beside the photo.
        run.store.put(annotated_key(photo.id), annotate(data, shelf, max_side=1600), "image/jpeg")
        flag_reuse(session, photo.id, FLAG_WEIGHTS[VisitFlag.reused_photo])
        score_visits(session, run.settings, [photo.visit_id])


def settle(run: Runtime, photo_id: uuid.UUID, status: PhotoStatus, reason: str) -> None:
    """Mark a photo's final state in a transaction of its own (after a failed attempt)."""
    with unit_of_work(run.engine) as session:
        photo = session.get(Photo, photo_id)
        if photo is not None:
            photo.status, photo.status_reason = status, reason[:500]
            session.add(photo)
