"""The procrastinate app: the queue lives in the service's own PostgreSQL, no other broker."""

from __future__ import annotations

import procrastinate

from jobs import periodic, photos
from models.settings import Settings


def make_app(settings: Settings, *, with_periodic: bool = False) -> procrastinate.App:
    """The app with the photo tasks; ``with_periodic`` adds the periodic ones.

    Every worker of an app with periodic tasks defers them on schedule, whatever queues it
    listens to: only the `fieldsales worker` processes, which listen to all, register them.
    """
    connector = procrastinate.PsycopgConnector(conninfo=settings.libpq_dsn())
    app = procrastinate.App(connector=connector)
    app.add_tasks_from(photos.blueprint(), namespace="fieldsales")
    if with_periodic:
        app.add_tasks_from(periodic.blueprint(settings), namespace="fieldsales")
    return app
