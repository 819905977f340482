"""One renderer for every error: RFC 9457 ``application/problem+json`` with a stable type."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from http import HTTPStatus
from typing import Any

from asgi_correlation_id import correlation_id
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from psycopg import DataError as DriverDataError
from psycopg import IntegrityError as DriverIntegrityError
from psycopg import OperationalError as DriverOperationalError
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException

from models.errors import DomainError, Problem

MEDIA_TYPE = "application/problem+json"
log = logging.getLogger("fieldsales.api")

# Starlette raises these for routing and protocol errors; each gets a stable type of its own.
HTTP_TYPES = {
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    406: "not-acceptable",
    413: "payload-too-large",
    415: "unsupported-media-type",
}


def problem_response(
    request: Request,
    *,
    status: int,
    kind: str,
    title: str,
    detail: str | None = None,
    headers: Mapping[str, str] | None = None,
    **extensions: Any,
) -> JSONResponse:
    body = Problem.of(
        kind,
        title,
        status,
        detail,
        instance=request.url.path,
        request_id=correlation_id.get(),
        **extensions,
    )
    return JSONResponse(
        body.model_dump(exclude_none=True), status, headers=headers, media_type=MEDIA_TYPE
    )


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` entry a route declares for the problems it can answer."""
    return {
        status: {
            "model": Problem,
            "description": HTTPStatus(status).phrase,
            "content": {MEDIA_TYPE: {}},
        }
        for status in statuses
    }


async def _domain_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    return problem_response(
        request,
        status=exc.status,
        kind=exc.type,
        title=exc.title,
        detail=exc.detail,
        headers=exc.headers,
        **exc.extensions,
    )


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    # Only the location, message and kind: pydantic's ``ctx`` may hold unserialisable objects.
    errors = [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in exc.errors()]
    if any(error["type"] == "json_invalid" for error in errors):
        return problem_response(
            request,
            status=400,
            kind="malformed-json",
            title="Malformed JSON",
            detail="The request body is not valid JSON.",
            errors=errors,
        )
    return problem_response(
        request,
        status=422,
        kind="validation-error",
        title="Invalid input",
        detail=f"{len(errors)} field(s) failed validation.",
        errors=errors,
    )


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 400 and "json" in request.headers.get("content-type", ""):
        # FastAPI's answer to a JSON body that is not even text (bytes that are not UTF-8).
        return problem_response(
            request,
            status=400,
            kind="malformed-json",
            title="Malformed JSON",
            detail="The request body is not valid JSON (UTF-8 text).",
        )
    phrase = HTTPStatus(exc.status_code).phrase
    detail = exc.detail if isinstance(exc.detail, str) and exc.detail != phrase else None
    return problem_response(
        request,
        status=exc.status_code,
        kind=HTTP_TYPES.get(exc.status_code, f"http-{exc.status_code}"),
        title=phrase,
        detail=detail,
        headers=exc.headers,
    )


# Constraint violations that reach the boundary (races the domain checks cannot see).
INTEGRITY = {
    "23505": (409, "conflict", "Conflict", "This would duplicate an existing record."),
    "23503": (422, "validation-error", "Invalid input", "This refers to a record that is missing."),
    "23514": (422, "validation-error", "Invalid input", "A value is outside what is allowed."),
}


def _driver_error(exc: Exception) -> Exception:
    # SQLAlchemy wraps psycopg's errors; the routes on the async pool meet them bare.
    orig = getattr(exc, "orig", None)
    return orig if isinstance(orig, Exception) else exc


async def _integrity_error(request: Request, exc: Exception) -> JSONResponse:
    code = getattr(_driver_error(exc), "sqlstate", None)
    if code not in INTEGRITY:
        return await _unexpected_error(request, exc)
    status, kind, title, detail = INTEGRITY[code]
    constraint = getattr(getattr(_driver_error(exc), "diag", None), "constraint_name", None)
    return problem_response(
        request, status=status, kind=kind, title=title, detail=detail, constraint=constraint
    )


# Values the database cannot hold as sent: a text with a NUL character (refused by the driver,
# no SQLSTATE), too long, a number or date out of its range, bytes not in the encoding. Other
# data exceptions (a division by zero) are faults of ours.
UNSTORABLE = {None, "22001", "22003", "22007", "22008", "22021", "22P05"}


async def _data_error(request: Request, exc: Exception) -> JSONResponse:
    if getattr(_driver_error(exc), "sqlstate", None) not in UNSTORABLE:
        return await _unexpected_error(request, exc)
    return problem_response(
        request,
        status=422,
        kind="validation-error",
        title="Invalid input",
        detail="A value cannot be stored as sent (e.g. text with a NUL character).",
    )


async def _database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    """The database went away (restart, network) or had no connection free: retry shortly."""
    log.warning("database unavailable: %s", str(exc).splitlines()[0])
    return problem_response(
        request,
        status=503,
        kind="unavailable",
        title="Service unavailable",
        detail="The database is unavailable for a moment; try again shortly.",
        headers={"Retry-After": "5"},
    )


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error", exc_info=exc)
    return problem_response(
        request,
        status=500,
        kind="internal-error",
        title="Internal server error",
        detail="Something went wrong on our side; quote the request id when reporting it.",
    )


def _document(app: FastAPI) -> Callable[[], dict[str, Any]]:
    """The app's OpenAPI builder: every error as problem+json, 400 on each body, 503 on all."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        # FastAPI rebuilds its document when routes change; each pass below is idempotent.
        spec = build()
        for path in spec["paths"].values():
            for operation in path.values():
                _document_operation(operation)
        schemas = spec.get("components", {}).get("schemas", {})
        for unused in ("HTTPValidationError", "ValidationError"):
            schemas.pop(unused, None)
        return spec

    return openapi


def _document_operation(operation: dict[str, Any]) -> None:
    responses = operation["responses"]
    if "requestBody" in operation:
        responses.setdefault("400", {"description": "Bad Request"})
    # Any operation may meet a busy or restarting database: retry after Retry-After.
    responses.setdefault("503", {"description": "Service Unavailable"})
    for status, response in responses.items():
        if status.isdigit() and int(status) >= 400:
            response["content"] = {MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}


def install(app: FastAPI) -> None:
    app.openapi = _document(app)  # type: ignore[method-assign]
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    for integrity in (IntegrityError, DriverIntegrityError):
        app.add_exception_handler(integrity, _integrity_error)
    for data in (DataError, DriverDataError):
        app.add_exception_handler(data, _data_error)
    # The driver's covers psycopg_pool's PoolTimeout (an async pool with no connection free).
    for unavailable in (OperationalError, PoolTimeout, DriverOperationalError):
        app.add_exception_handler(unavailable, _database_unavailable)
    app.add_exception_handler(Exception, _unexpected_error)
