"""The embedded cluster and the run lock, as the CLI commands share them."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine

from models import migrate
from models.cluster import Cluster, ClusterError
from models.db import make_engine
from models.health import preflight
from models.settings import Settings


def cluster_of(settings: Settings) -> Cluster:
    return Cluster(settings.cluster_dir, settings.db_port, settings.db_password_file)


@contextmanager
def run_lock(settings: Settings) -> Iterator[None]:
    """Held while a service runs from this data folder, so a second one stops cleanly."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    path = settings.data_dir.resolve() / "serve.lock"
    with open(path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "?"
            raise ClusterError(
                f"Fieldsales is already running from {settings.data_dir.resolve()} (pid {holder}). "
                "Stop it first (Ctrl-C in its terminal), or use another FIELDSALES_DATA_DIR."
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        yield


def lock_is_held(settings: Settings) -> bool:
    try:
        with run_lock(settings):
            return False
    except ClusterError:
        return True


@contextmanager
def embedded_cluster(settings: Settings) -> Iterator[Cluster]:
    """Start the embedded cluster (creating it the first time); stop it after if we started it."""
    cluster = cluster_of(settings)
    if not cluster.initialised:
        cluster.init()
    started = cluster.pid() is None
    if started:
        cluster.start()
    try:
        yield cluster
    finally:
        if started:
            cluster.stop()


def ready_engine(settings: Settings, *, upgrade: bool) -> Engine:
    """An engine on a database checked for PostGIS and, optionally, migrated to head."""
    engine = make_engine(settings)
    preflight(engine)
    if upgrade:
        migrate.upgrade(engine)
    elif migrate.current(engine) != migrate.head():
        raise ClusterError("The database schema is not up to date: run `fieldsales db migrate`.")
    return engine
