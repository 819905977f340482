"""The procrastinate app: the queue lives in the service's own PostgreSQL, no other broker."""

from __future__ import annotations

import procrastinate

from jobs import photos
from models.settings import Settings


def make_app(settings: Settings) -> procrastinate.App:
    connector = procrastinate.PsycopgConnector(conninfo=settings.libpq_dsn())
    app = procrastinate.App(connector=connector)
    app.add_tasks_from(photos.blueprint(), namespace="fieldsales")
    return app
