"""Offline batch sync: the phone's outbox applied in order, one result per operation.

Each operation runs in a savepoint of its own, so a bad one fails alone and the rest stand.
Every operation is idempotent, so replaying a whole batch changes nothing and answers the
same results: the phone drops from its outbox exactly what the server acknowledged.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, TypeAdapter, ValidationError
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from models import checkins, photos, visit_records
from models.checkins import CheckIn, CheckOut
from models.errors import Conflict, DomainError, Invalid
from models.photos import PresignRequest
from models.settings import Settings
from models.storage import PhotoStore
from models.users import User
from models.visit_records import AuditCreate, OrderCreate

MAX_OPERATIONS = 500


class CheckInOp(BaseModel):
    op: Literal["check_in"]
    body: CheckIn


class CheckOutOp(BaseModel):
    op: Literal["check_out"]
    visit_id: uuid.UUID
    body: CheckOut


class AuditOp(BaseModel):
    op: Literal["audit"]
    visit_id: uuid.UUID
    body: AuditCreate


class OrderOp(BaseModel):
    op: Literal["order"]
    visit_id: uuid.UUID
    body: OrderCreate


class PhotoOp(BaseModel):
    """A photo taken offline, announced by its metadata; the bytes are uploaded afterwards."""

    op: Literal["photo"]
    visit_id: uuid.UUID
    body: PresignRequest


AnyOp = CheckInOp | CheckOutOp | AuditOp | OrderOp | PhotoOp
Operation = Annotated[AnyOp, Field(discriminator="op")]
_operation: TypeAdapter[AnyOp] = TypeAdapter(Operation)


class SyncBatch(BaseModel):
    operations: list[dict[str, Any]] = Field(
        max_length=MAX_OPERATIONS,
        description="Ordered operations: check_in, check_out, audit, order, photo (metadata).",
    )


class OperationResult(BaseModel):
    index: int
    op: str | None
    status: int = Field(description="The HTTP status the operation alone would have answered.")
    body: dict[str, Any] = Field(description="Its response body, or an RFC 9457 problem.")


@dataclass(frozen=True)
class Context:
    session: Session
    settings: Settings
    store: PhotoStore
    user: User


def _apply(ctx: Context, op: AnyOp) -> tuple[int, BaseModel]:
    session, settings, user = ctx.session, ctx.settings, ctx.user
    if isinstance(op, CheckInOp):
        visit, created = checkins.check_in(session, settings, user, op.body)
        return (201 if created else 200), visit
    if isinstance(op, CheckOutOp):
        return 200, checkins.check_out(session, user, op.visit_id, op.body)[0]
    if isinstance(op, PhotoOp):
        upload, created = photos.announce_photo(
            session, ctx.store, user, op.visit_id, op.body, max_bytes=settings.max_upload_bytes
        )
        return (201 if created else 200), upload
    if isinstance(op, AuditOp):
        audit, created = visit_records.record_audit(session, settings, user, op.visit_id, op.body)
        return (201 if created else 200), audit
    order, created = visit_records.record_order(session, user, op.visit_id, op.body)
    return (201 if created else 200), order


def _one(ctx: Context, raw: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    try:
        op = _operation.validate_python(raw)
    except ValidationError as exc:
        errors = [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in exc.errors()]
        error: DomainError = Invalid("The operation is invalid.", errors=errors)
        return error.status, error.problem().model_dump(exclude_none=True)
    try:
        with ctx.session.begin_nested():
            status, result = _apply(ctx, op)
    except DomainError as exc:
        return exc.status, exc.problem().model_dump(exclude_none=True)
    except IntegrityError:
        error = Conflict("This would duplicate or break stored records.")
        return error.status, error.problem().model_dump(exclude_none=True)
    return status, result.model_dump(mode="json")


def apply_batch(
    session: Session, settings: Settings, store: PhotoStore, user: User, batch: SyncBatch
) -> list[OperationResult]:
    """Apply the operations in order; each answers alone, none stops the others."""
    ctx = Context(session, settings, store, user)
    results = []
    for index, raw in enumerate(batch.operations):
        status, body = _one(ctx, raw)
        op = raw.get("op") if isinstance(raw.get("op"), str) else None
        results.append(OperationResult(index=index, op=op, status=status, body=body))
    return results
