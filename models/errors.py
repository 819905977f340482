"""Domain errors: each carries its HTTP status and a stable problem type (RFC 9457)."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

PROBLEM_TYPE_PREFIX = "urn:fieldsales:problem:"


class Problem(BaseModel):
    """An RFC 9457 problem; extra members carry machine-readable details."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    request_id: str | None = None

    @classmethod
    def of(cls, kind: str, title: str, status: int, detail: str | None, **extra: Any) -> Problem:
        return cls(
            type=PROBLEM_TYPE_PREFIX + kind, title=title, status=status, detail=detail, **extra
        )


class DomainError(Exception):
    """Base of every error a user can cause; ``api.problems`` renders it as problem+json."""

    status: ClassVar[int] = 400
    type: ClassVar[str] = "bad-request"
    title: ClassVar[str] = "Bad request"

    def __init__(
        self, detail: str, *, headers: dict[str, str] | None = None, **extensions: Any
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.headers = headers
        self.extensions = extensions

    def problem(self, **extra: Any) -> Problem:
        return Problem.of(
            self.type, self.title, self.status, self.detail, **self.extensions, **extra
        )


class NotFound(DomainError):
    status = 404
    type = "not-found"
    title = "Not found"


class Conflict(DomainError):
    status = 409
    type = "conflict"
    title = "Conflict"


class NotSupported(DomainError):
    """What was asked needs a feature this deployment does not have (e.g. an S3 store)."""

    status = 409
    type = "not-supported"
    title = "Not supported here"


class Unauthorized(DomainError):
    status = 401
    type = "unauthorized"
    title = "Not authenticated"


class Forbidden(DomainError):
    """The caller's role may not do this at all (not about a particular object: those are 404)."""

    status = 403
    type = "forbidden"
    title = "Forbidden"


class Invalid(DomainError):
    status = 422
    type = "validation-error"
    title = "Invalid input"


class PayloadTooLarge(DomainError):
    status = 413
    type = "payload-too-large"
    title = "Payload too large"


class Unavailable(DomainError):
    status = 503
    type = "unavailable"
    title = "Service unavailable"
