"""Structured JSON logs tied to a request id, one access line per request, Prometheus metrics."""

from __future__ import annotations

import logging
import logging.config
import time
from typing import Any

from asgi_correlation_id import CorrelationIdMiddleware
from fastapi import FastAPI
from fastapi.responses import PlainTextResponse
from prometheus_client import CollectorRegistry
from prometheus_fastapi_instrumentator import Instrumentator
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from models.settings import Settings

REQUEST_ID_HEADER = "X-Request-ID"
access_log = logging.getLogger("fieldsales.access")


def logging_config(settings: Settings) -> dict[str, Any]:
    """A dictConfig for our loggers and uvicorn's, JSON (or text) with the request id."""
    json_format = "%(asctime)s %(levelname)s %(name)s %(message)s %(correlation_id)s"
    formatter: dict[str, Any] = (
        {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": json_format,
            "rename_fields": {"correlation_id": "request_id", "levelname": "level"},
        }
        if settings.log_format == "json"
        else {"format": "%(asctime)s %(levelname)-7s [%(correlation_id)s] %(name)s: %(message)s"}
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "request_id": {"()": "asgi_correlation_id.CorrelationIdFilter", "default_value": "-"}
        },
        "formatters": {"default": formatter},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "default",
                "filters": ["request_id"],
            }
        },
        "root": {"handlers": ["stderr"], "level": settings.log_level},
        "loggers": {
            "uvicorn": {"handlers": ["stderr"], "level": settings.log_level, "propagate": False},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
            # Alembic announces its context on every revision lookup (each /readyz).
            "alembic.runtime.migration": {"level": "WARNING"},
        },
    }


def configure_logging(settings: Settings) -> None:
    logging.config.dictConfig(logging_config(settings))


class AccessLog:
    """One structured line per request, as a plain ASGI middleware (no body buffering)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            route = scope.get("route")
            access_log.info(
                "request",
                extra={
                    "method": scope["method"],
                    "path": scope["path"],
                    "route": getattr(route, "path", None),
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                },
            )


def install(app: FastAPI) -> None:
    """Order matters: the request id must exist before the access log and the metrics run."""
    app.add_middleware(AccessLog)
    # A registry per app, so several apps in one process (tests, workers) never collide.
    instrumentator = Instrumentator(excluded_handlers=["/metrics"], registry=CollectorRegistry())
    instrumentator.instrument(app).expose(
        app,
        endpoint="/metrics",
        tags=["ops"],
        summary="Prometheus metrics.",
        response_class=PlainTextResponse,
    )
    app.add_middleware(CorrelationIdMiddleware, header_name=REQUEST_ID_HEADER)
