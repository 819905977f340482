"""Shelf photos: upload during a visit, then status and analysis."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Response, UploadFile

from api.deps import CurrentUser, JobsDep, SessionDep, SettingsDep, StoreDep
from api.problems import problem_responses
from jobs.photos import queue_analysis
from models import photos
from models.analysis import AnalysisPublic, analysis_public, annotated_key
from models.errors import PayloadTooLarge
from models.photos import PhotoMeta, PhotoPublic, PresignedUpload, PresignRequest
from models.visits import PhotoKind

router = APIRouter(prefix="/v1", tags=["photos"])
REPLAY: dict[int | str, dict[str, Any]] = {
    200: {"description": "The same bytes again: the photo already kept, in its current state."}
}


def _read(file: UploadFile, limit: int) -> bytes:
    """The upload's bytes, refusing it as soon as it passes the limit."""
    data = file.file.read(limit + 1)
    if len(data) > limit:
        raise PayloadTooLarge(f"The upload is larger than {limit} bytes.", max_bytes=limit)
    return data


@router.post(
    "/visits/{visit_id}/photos",
    status_code=202,
    response_model=PhotoPublic,
    responses={**problem_responses(401, 404, 409, 413, 415, 422, 503), **REPLAY},
)
def upload_photo(
    visit_id: uuid.UUID,
    file: UploadFile,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    store: StoreDep,
    jobs: JobsDep,
    response: Response,
    id: Annotated[uuid.UUID | None, Form()] = None,
    kind: Annotated[PhotoKind, Form()] = PhotoKind.shelf,
    taken_at: Annotated[datetime | None, Form()] = None,
) -> PhotoPublic:
    """Upload a shelf photo (JPEG, PNG, WebP, HEIC); it is queued for analysis at once."""
    # A plain def: FastAPI runs it in a worker thread, so decoding never blocks the loop.
    data = _read(file, settings.max_upload_bytes)
    meta = PhotoMeta(id=id, kind=kind, taken_at=taken_at)
    photo, created = photos.add_photo(
        session, store, user, visit_id, data, meta, max_bytes=settings.max_upload_bytes
    )
    if created:
        queue_analysis(jobs, session, photo.id)
    else:
        response.status_code = 200
    return photo


@router.get("/photos/{photo_id}", response_model=PhotoPublic, responses=problem_responses(401, 404))
def get_photo(photo_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> PhotoPublic:
    """A photo's status (pending, analysed, rejected, failed) and what the camera recorded."""
    return photos.public(photos.readable_photo(session, user, photo_id))


@router.get(
    "/photos/{photo_id}/analysis",
    response_model=AnalysisPublic,
    responses=problem_responses(401, 404),
)
def get_analysis(photo_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> AnalysisPublic:
    """What the analysis found: detections, facings per SKU, share per brand, quality."""
    photo = photos.readable_photo(session, user, photo_id)
    return analysis_public(session, photo.id)


@router.get(
    "/photos/{photo_id}/annotated.jpg",
    response_class=Response,
    responses={
        **problem_responses(401, 404),
        200: {"content": {"image/jpeg": {}}, "description": "The photo with boxes drawn."},
    },
)
def get_annotated(
    photo_id: uuid.UUID, user: CurrentUser, session: SessionDep, store: StoreDep
) -> Response:
    """The photo with its boxes, SKU labels and share of shelf drawn (made once, kept)."""
    photo = photos.readable_photo(session, user, photo_id)
    data = store.get(annotated_key(photo.id))
    return Response(
        data, media_type="image/jpeg", headers={"Cache-Control": "private, max-age=3600"}
    )


@router.post(
    "/visits/{visit_id}/photos:presign",
    status_code=201,
    response_model=PresignedUpload,
    responses={**problem_responses(401, 404, 409, 413, 415, 422, 503), **REPLAY},
)
def presign_photo(
    visit_id: uuid.UUID,
    body: PresignRequest,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    store: StoreDep,
    response: Response,
) -> PresignedUpload:
    """Reserve a photo and get a URL to PUT its bytes to directly (S3 photo store only)."""
    upload, created = photos.presign_photo(
        session, store, user, visit_id, body, max_bytes=settings.max_upload_bytes
    )
    if not created:
        response.status_code = 200
    return upload


@router.post(
    "/photos/{photo_id}/complete",
    response_model=PhotoPublic,
    responses=problem_responses(401, 404, 409, 415, 422, 503),
)
def complete_upload(
    photo_id: uuid.UUID,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    store: StoreDep,
    jobs: JobsDep,
) -> PhotoPublic:
    """Confirm a direct upload: size and SHA-256 are checked, then the photo is queued."""
    photo, queued = photos.complete_upload(
        session, store, user, photo_id, max_bytes=settings.max_upload_bytes
    )
    if queued:
        queue_analysis(jobs, session, photo.id)
    return photo
