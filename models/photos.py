"""Shelf photos taken during a visit: checked, stored once, then queued for analysis."""

from __future__ import annotations

import hashlib
import logging
import uuid
from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, Field
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import Session, col, select

from models.checkins import own_visit
from models.errors import Conflict, NotFound, Unavailable
from models.images import inspect_image
from models.storage import PhotoStore
from models.users import User
from models.visits import Photo, PhotoKind, PhotoStatus, Visit

log = logging.getLogger(__name__)


class PhotoMeta(BaseModel):
    id: uuid.UUID | None = Field(default=None, description="Generated on the phone, optional.")
    kind: PhotoKind = PhotoKind.shelf
    taken_at: AwareDatetime | None = None


class PhotoPublic(BaseModel):
    id: uuid.UUID
    visit_id: uuid.UUID
    kind: PhotoKind
    status: PhotoStatus
    status_reason: str | None
    content_type: str
    size_bytes: int
    width: int | None
    height: int | None
    sha256: str
    taken_at: datetime | None
    received_at: datetime
    exif: dict[str, Any] = Field(description="Capture time and GPS position the camera recorded.")


def _accepts_photos(visit: Visit, meta: PhotoMeta) -> None:
    """A closed visit still takes photos taken during it: uploads often lag behind."""
    if visit.ended_at is None:
        return
    if meta.taken_at is None or meta.taken_at > visit.ended_at:
        raise Conflict("This visit is checked out; only photos taken during it can be added.")


def add_photo(
    session: Session,
    store: PhotoStore,
    user: User,
    visit_id: uuid.UUID,
    data: bytes,
    meta: PhotoMeta,
    *,
    max_bytes: int,
) -> tuple[PhotoPublic, bool]:
    """Keep a photo of the visit once: the same bytes again answer the photo already kept.

    The bytes are stored before the row is written; if the row cannot be written, the stored
    object is removed, so a refused or failed upload leaves nothing behind.

    Returns:
        The photo, and whether it is new (a new one must be queued for analysis).
    """
    visit = own_visit(session, user, visit_id)
    info = inspect_image(data, max_bytes=max_bytes)
    digest = hashlib.sha256(data).hexdigest()
    existing = session.exec(
        select(Photo).where(col(Photo.visit_id) == visit.id, col(Photo.sha256) == digest)
    ).first()
    if existing is not None:
        return public(existing), False
    _accepts_photos(visit, meta)
    photo_id = meta.id or uuid.uuid4()
    # A key of its own per upload attempt: a racing copy that loses never deletes the winner's.
    key = f"photos/{visit.id}/{photo_id}-{uuid.uuid4().hex[:12]}.{info.extension}"
    store.put(key, data, info.content_type)
    values = {
        "id": photo_id,
        "visit_id": visit.id,
        "kind": meta.kind,
        "sha256": digest,
        "storage_key": key,
        "content_type": info.content_type,
        "size_bytes": len(data),
        "width": info.width,
        "height": info.height,
        "taken_at": meta.taken_at,
        "exif": info.evidence,
    }
    try:
        with session.begin_nested():
            # Racing copies of one upload: the unique (visit, sha256) index keeps one row.
            statement = insert(Photo).values(**values).on_conflict_do_nothing()
            photo = session.scalars(statement.returning(Photo)).first()
    except Exception:
        _discard(store, key)
        raise
    if photo is None:
        _discard(store, key)
        return _settled(session, visit.id, digest, photo_id), False
    return public(photo), True


def _settled(
    session: Session, visit_id: uuid.UUID, digest: str, photo_id: uuid.UUID
) -> PhotoPublic:
    """After a lost race: the same content's row, or a conflict when the id means other bytes."""
    same = session.exec(
        select(Photo).where(col(Photo.visit_id) == visit_id, col(Photo.sha256) == digest)
    ).first()
    if same is None:
        raise Conflict(f"Photo id {photo_id} was already used for other content.")
    return public(same)


def _discard(store: PhotoStore, key: str) -> None:
    try:
        store.delete(key)
    except Unavailable:
        log.exception("could not delete the orphaned stored photo %s", key)


def public(photo: Photo) -> PhotoPublic:
    return PhotoPublic.model_validate(photo, from_attributes=True)


def get_photo(session: Session, user: User, photo_id: uuid.UUID) -> Photo:
    """A photo of the caller's own visits (managers and planners: see the reports)."""
    photo = session.exec(
        select(Photo)
        .join(Visit, col(Visit.id) == col(Photo.visit_id))
        .where(col(Photo.id) == photo_id, col(Visit.rep_id) == user.id)
    ).first()
    if photo is None:
        raise NotFound(f"No photo {photo_id}.")
    return photo
