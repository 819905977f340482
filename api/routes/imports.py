"""Bulk imports: a CSV or GeoJSON file, as a multipart upload or as the raw request body."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass
from tempfile import SpooledTemporaryFile
from typing import IO, Annotated, BinaryIO, cast

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException, MultiPartParser

from api.deps import CurrentUser, SessionDep, require
from api.problems import problem_responses
from models.errors import DomainError, Invalid
from models.imports import Format, ImportSummary, Kind, import_file
from models.users import Role, User

router = APIRouter(prefix="/v1", tags=["imports"])

MAX_UPLOAD_BYTES = 200 * 1024 * 1024
SPOOL_BYTES = 8 * 1024 * 1024  # bodies up to this stay in memory; larger ones go to disk
FORMATS = {
    "text/csv": Format.csv,
    "application/geo+json": Format.geojson,
    "application/json": Format.geojson,
}
# Planners maintain the outlet universe, sales and targets; the geography and the catalogue
# are the admins'.
IMPORTERS = {
    Kind.territories: (Role.admin,),
    Kind.skus: (Role.admin,),
    Kind.outlets: (Role.admin, Role.planner),
    Kind.sales: (Role.admin, Role.planner),
    Kind.targets: (Role.admin, Role.planner),
}
BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "properties": {"file": {"type": "string", "format": "binary"}},
                "required": ["file"],
            }
        },
        "text/csv": {"schema": {"type": "string"}},
        "application/geo+json": {"schema": {"type": "object"}},
    },
}


@dataclass(frozen=True)
class Upload:
    file: IO[bytes]
    format: Format | None


def importer(kind: Kind, user: CurrentUser) -> User:
    return require(*IMPORTERS[kind])(user)


async def _capped(request: Request) -> AsyncGenerator[bytes, None]:
    """The body, refused with a 413 once it grows past the limit (whatever it announced)."""
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_UPLOAD_BYTES:
            raise HTTPException(413, f"Files may be up to {MAX_UPLOAD_BYTES >> 20} MB.")
        yield chunk


async def upload(request: Request) -> AsyncIterator[Upload]:
    """The uploaded file, spooled to a temporary file (to disk past a few MB)."""
    media = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if int(request.headers.get("content-length") or 0) > MAX_UPLOAD_BYTES:
        raise HTTPException(413, f"Files may be up to {MAX_UPLOAD_BYTES >> 20} MB.")
    if media == "multipart/form-data":
        try:
            form = await MultiPartParser(
                request.headers, _capped(request), max_files=1, max_fields=10
            ).parse()
        except MultiPartException as exc:
            raise DomainError(f"The multipart body cannot be read: {exc.message}") from None
        part = form.get("file")
        try:
            if not isinstance(part, UploadFile):
                raise Invalid("Send the file in the multipart field 'file'.")
            yield Upload(part.file, FORMATS.get(part.content_type or ""))
        finally:
            await form.close()
        return
    if media not in FORMATS:
        raise HTTPException(
            415, "Send text/csv, application/geo+json, or a multipart form with a 'file' field."
        )
    body = UploadFile(cast(BinaryIO, SpooledTemporaryFile(max_size=SPOOL_BYTES)))
    try:
        async for chunk in _capped(request):
            await body.write(chunk)  # in a worker thread once spooled to disk
        await body.seek(0)
        yield Upload(body.file, FORMATS[media])
    finally:
        await body.close()


@router.post(
    "/imports/{kind}",
    response_model=ImportSummary,
    responses=problem_responses(400, 401, 403, 413, 415, 422),
    openapi_extra={"requestBody": BODY},
)
async def run_import(
    kind: Kind,
    user: Annotated[User, Depends(importer)],
    session: SessionDep,
    file: Annotated[Upload, Depends(upload)],
) -> ImportSummary:
    """Import a CSV or GeoJSON file: all rows or none, with each bad row's line and reason."""
    summary: ImportSummary = await run_in_threadpool(
        import_file, session, kind, file.file, fmt=file.format
    )
    return summary
