"""Shelf photos taken during a visit: checked, stored once, then queued for analysis."""

from __future__ import annotations

import hashlib
import logging
import uuid
from datetime import date, datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, Field
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import Session, col, select

from models.checkins import own_visit
from models.errors import (
    Conflict,
    DomainError,
    Invalid,
    NotFound,
    NotSupported,
    PayloadTooLarge,
    Unavailable,
)
from models.images import EXTENSIONS, ImageInfo, NotAnImage, inspect_image
from models.outlets import Outlet
from models.scope import readable_visits
from models.storage import PhotoStore
from models.territories import subtree_ids
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
        select(Photo)
        .where(col(Photo.visit_id) == visit.id, col(Photo.sha256) == digest)
        # Two copies of the bytes for a reserved photo: the second waits and finds it filled.
        .with_for_update()
    ).first()
    if existing is not None:
        if existing.status != PhotoStatus.uploading:
            return public(existing), False
        return _fill(session, store, existing, data, info), True
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


def _fill(
    session: Session, store: PhotoStore, photo: Photo, data: bytes, info: ImageInfo
) -> PhotoPublic:
    """The bytes of a photo announced earlier (offline sync or presign) arrive as an upload."""
    key = f"photos/{photo.visit_id}/{photo.id}-{uuid.uuid4().hex[:12]}.{info.extension}"
    store.put(key, data, info.content_type)
    try:
        with session.begin_nested():
            photo.storage_key, photo.content_type = key, info.content_type
            photo.size_bytes, photo.width, photo.height = len(data), info.width, info.height
            photo.exif, photo.status = info.evidence, PhotoStatus.pending
            session.add(photo)
            session.flush()
    except Exception:
        _discard(store, key)
        raise
    return public(photo)


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


def readable_photo(session: Session, user: User, photo_id: uuid.UUID) -> Photo:
    """A photo the caller may look at: a rep's own, or one taken at an outlet in their scope."""
    statement = (
        select(Photo)
        .join(Visit, col(Visit.id) == col(Photo.visit_id))
        .where(col(Photo.id) == photo_id)
    )
    statement = readable_visits(statement, user)
    photo = session.exec(statement).first()
    if photo is None:
        raise NotFound(f"No photo {photo_id}.")
    return photo


def get_photo(session: Session, user: User, photo_id: uuid.UUID, *, lock: bool = False) -> Photo:
    """A photo of the caller's own visits, to change it (complete an upload)."""
    statement = (
        select(Photo)
        .join(Visit, col(Visit.id) == col(Photo.visit_id))
        .where(col(Photo.id) == photo_id, col(Visit.rep_id) == user.id)
    )
    photo = session.exec(statement.with_for_update(of=Photo) if lock else statement).first()
    if photo is None:
        raise NotFound(f"No photo {photo_id}.")
    return photo


class PresignRequest(PhotoMeta):
    size_bytes: int = Field(gt=0)
    sha256: str = Field(pattern="^[0-9a-f]{64}$", description="Hex SHA-256 of the bytes to send.")
    content_type: str = Field(description="image/jpeg, image/png, image/webp or image/heic.")


class PresignedUpload(BaseModel):
    photo: PhotoPublic
    upload_url: str | None = Field(
        description="PUT the bytes here; null when they already came or the store cannot sign."
    )
    upload_headers: dict[str, str]
    expires_in: int
    upload_path: str | None = Field(
        default=None,
        description="Or upload the bytes here as multipart; null when they already came.",
    )


PRESIGN_SECONDS = 900


class UploadMismatch(Invalid):
    type = "upload-mismatch"
    title = "Upload does not match"


def presign_photo(
    session: Session,
    store: PhotoStore,
    user: User,
    visit_id: uuid.UUID,
    body: PresignRequest,
    *,
    max_bytes: int,
) -> tuple[PresignedUpload, bool]:
    """Reserve a photo and sign a direct upload URL for it. Returns (upload, created)."""
    return _reserve(session, store, user, visit_id, body, max_bytes=max_bytes, presign=True)


def announce_photo(
    session: Session,
    store: PhotoStore,
    user: User,
    visit_id: uuid.UUID,
    body: PresignRequest,
    *,
    max_bytes: int,
) -> tuple[PresignedUpload, bool]:
    """Reserve a photo taken offline from its metadata; its bytes follow when the phone can.

    The bytes come either to the signed URL (S3 store) or as a normal upload to the visit;
    the upload with the announced SHA-256 fills the reserved photo. Returns (upload, created).
    """
    return _reserve(session, store, user, visit_id, body, max_bytes=max_bytes, presign=False)


def _reserve(
    session: Session,
    store: PhotoStore,
    user: User,
    visit_id: uuid.UUID,
    body: PresignRequest,
    *,
    max_bytes: int,
    presign: bool,
) -> tuple[PresignedUpload, bool]:
    visit = own_visit(session, user, visit_id)
    if body.size_bytes > max_bytes:
        raise PayloadTooLarge(f"The upload is larger than {max_bytes} bytes.", max_bytes=max_bytes)
    if body.content_type not in EXTENSIONS:
        raise NotAnImage(f"{body.content_type} is not a JPEG, PNG, WebP or HEIC image type.")
    photo = session.exec(
        select(Photo).where(col(Photo.visit_id) == visit.id, col(Photo.sha256) == body.sha256)
    ).first()
    created = photo is None
    if photo is None:
        _accepts_photos(visit, body)
        photo_id = body.id or uuid.uuid4()
        photo = Photo(
            id=photo_id,
            visit_id=visit.id,
            kind=body.kind,
            status=PhotoStatus.uploading,
            sha256=body.sha256,
            storage_key=f"photos/{visit.id}/{photo_id}.{EXTENSIONS[body.content_type]}",
            content_type=body.content_type,
            size_bytes=body.size_bytes,
            taken_at=body.taken_at,
        )
    url = None
    if photo.status == PhotoStatus.uploading:
        try:
            url = store.presign_put(photo.storage_key, photo.content_type, PRESIGN_SECONDS)
        except NotSupported:
            if presign:
                raise
    if created:
        session.add(photo)
        session.flush()
    headers = {"Content-Type": photo.content_type} if url else {}
    return PresignedUpload(
        photo=public(photo),
        upload_url=url,
        upload_headers=headers,
        expires_in=PRESIGN_SECONDS,
        upload_path=f"/v1/visits/{visit.id}/photos"
        if photo.status == PhotoStatus.uploading
        else None,
    ), created


def complete_upload(
    session: Session, store: PhotoStore, user: User, photo_id: uuid.UUID, *, max_bytes: int
) -> tuple[PhotoPublic, bool]:
    """Check the directly uploaded bytes against what was announced; then the photo is pending.

    Returns:
        The photo, and whether it just became pending (and must be queued for analysis).
    """
    photo = get_photo(session, user, photo_id, lock=True)
    if photo.status != PhotoStatus.uploading:
        return public(photo), False
    try:
        data = store.get(photo.storage_key)
    except NotFound:
        raise Conflict(
            "The photo's bytes have not arrived yet: PUT them to the upload URL."
        ) from None
    digest = hashlib.sha256(data).hexdigest()
    if (len(data), digest) != (photo.size_bytes, photo.sha256):
        _discard(store, photo.storage_key)
        raise UploadMismatch(
            "The uploaded bytes are not the ones announced (size or SHA-256 differ); "
            "presign again and upload the photo anew.",
            size_bytes=len(data),
            sha256=digest,
        )
    try:
        info = inspect_image(data, max_bytes=max_bytes)
    except DomainError:
        _discard(store, photo.storage_key)
        raise
    photo.width, photo.height, photo.exif = info.width, info.height, info.evidence
    photo.content_type = info.content_type
    photo.status = PhotoStatus.pending
    session.add(photo)
    session.flush()
    return public(photo), True


def photos_to_rescore(
    session: Session, *, since: date | None, territory_id: uuid.UUID | None
) -> list[uuid.UUID]:
    """Photos whose bytes are in (not still uploading), optionally by visit day and territory."""
    statement = (
        select(Photo.id)
        .join(Visit, col(Visit.id) == col(Photo.visit_id))
        .where(col(Photo.status) != PhotoStatus.uploading)
        .order_by(col(Visit.started_at))
    )
    if since is not None:
        statement = statement.where(col(Visit.started_at) >= since)
    if territory_id is not None:
        outlets = select(Outlet.id).where(
            col(Outlet.territory_id).in_(subtree_ids(session, territory_id))
        )
        statement = statement.where(col(Visit.outlet_id).in_(outlets))
    return list(session.exec(statement))
