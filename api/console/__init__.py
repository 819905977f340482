"""The manager and planner web console, served under /console by the same app as the API."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from api.console import auth, manager, planner
from api.console.web import HERE


def install(app: FastAPI) -> None:
    """Mount the console's pages and static files; none of it is part of the OpenAPI schema."""
    for module in (auth, manager, planner):
        app.include_router(module.router, prefix="/console", include_in_schema=False)
    app.mount("/console/static", StaticFiles(directory=HERE / "static"), name="console-static")
