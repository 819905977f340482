"""Structured JSON logs tied to a request id, one access line per request, Prometheus metrics.

The access line and the metrics are taken in one place, after the router has chosen the route:
its path template labels both, found without matching the request against every route again.
"""

from __future__ import annotations

import logging
import logging.config
import time
from typing import Any

from asgi_correlation_id import CorrelationIdMiddleware
from fastapi import FastAPI, Response
from fastapi.responses import PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client.exposition import generate_latest
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


METRICS_PATH = "/metrics"


class Metrics:
    """Request counts by route, method and status class; latency by route and method."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.requests = Counter(
            "http_requests",
            "Requests by route template, method and status class.",
            ("handler", "method", "status"),
            registry=registry,
        )
        self.latency = Histogram(
            "http_request_duration_seconds",
            "Time to answer, by route template and method.",
            ("handler", "method"),
            registry=registry,
        )

    def observe(self, handler: str, method: str, status: int, seconds: float) -> None:
        if handler == METRICS_PATH:
            return
        self.requests.labels(handler, method, f"{status // 100}xx").inc()
        self.latency.labels(handler, method).observe(seconds)


class AccessLog:
    """One structured line and the metrics per request, as a plain ASGI middleware (no body
    buffering). Requests no route took are counted under the handler "none"."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

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
            seconds = time.perf_counter() - started
            route = getattr(scope.get("route"), "path", None)
            self.metrics.observe(route or "none", scope["method"], status, seconds)
            access_log.info(
                "request",
                extra={
                    "method": scope["method"],
                    "path": scope["path"],
                    "route": route,
                    "status": status,
                    "duration_ms": round(seconds * 1000, 2),
                },
            )


def install(app: FastAPI) -> None:
    """Order matters: the request id must exist before the access log and the metrics run."""
    # A registry per app, so several apps in one process (tests, workers) never collide.
    collected = Metrics(CollectorRegistry())
    app.add_middleware(AccessLog, metrics=collected)

    @app.get(
        METRICS_PATH,
        tags=["ops"],
        summary="Prometheus metrics.",
        description="Endpoint that serves Prometheus metrics.",
        response_class=PlainTextResponse,
    )
    async def metrics() -> Response:
        return Response(generate_latest(collected.registry), media_type=CONTENT_TYPE_LATEST)

    app.add_middleware(CorrelationIdMiddleware, header_name=REQUEST_ID_HEADER)
