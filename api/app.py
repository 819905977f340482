"""The FastAPI application factory."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api import console, observability, problems, ratelimit, security
from api.routes import (
    admin_jobs,
    auth,
    catalogue,
    health,
    imports,
    me,
    outlets,
    photos,
    planning,
    reports,
    sync,
    territories,
    visits,
)
from jobs.app import make_app as make_jobs_app
from models.db import CONNECTIONS, make_async_pool, make_engine
from models.settings import Settings
from models.storage import make_store

DESCRIPTION = (
    "Field-sales retail execution: store visits and shelf photos from reps' phones; "
    "shelf share, coverage and per-SKU targets for managers and planners. "
    "Errors are RFC 9457 `application/problem+json`."
)


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; resources that cost something are opened once, in the lifespan."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.engine = make_engine(settings)
        app.state.db_slots = asyncio.Semaphore(CONNECTIONS)
        app.state.async_pool = make_async_pool(settings)
        # Not waiting for connections: the service starts while the database is still coming.
        await app.state.async_pool.open(wait=False)
        app.state.photo_store = make_store(settings)
        app.state.jobs = make_jobs_app(settings)
        try:
            yield
        finally:
            await app.state.async_pool.close()
            app.state.engine.dispose()

    app = FastAPI(
        title="Fieldsales",
        version="1.0.0",
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.settings = settings
    problems.install(app)
    observability.install(app)
    security.install(app)
    ratelimit.install(app, settings)
    app.include_router(health.router)
    for module in (
        auth,
        me,
        territories,
        outlets,
        catalogue,
        imports,
        visits,
        photos,
        sync,
        planning,
        reports,
    ):
        app.include_router(module.router)
    app.include_router(reports.alerts_router)
    app.include_router(admin_jobs.router)
    console.install(app)
    return app
