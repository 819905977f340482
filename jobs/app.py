"""The procrastinate app: the queue lives in the service's own PostgreSQL, no other broker."""

from __future__ import annotations

import procrastinate

from models.settings import Settings

# Task modules register on this blueprint; the app binds it to a database at start-up.
tasks = procrastinate.Blueprint()


def make_app(settings: Settings) -> procrastinate.App:
    connector = procrastinate.PsycopgConnector(conninfo=settings.libpq_dsn())
    app = procrastinate.App(connector=connector)
    app.add_tasks_from(tasks, namespace="fieldsales")
    return app
