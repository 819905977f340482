"""Throwaway PostGIS databases for the tests and the benchmarks.

With ``DATABASE_URL`` set they live on that server (a database of their own, dropped after);
otherwise on a cluster started in a temporary folder on a free port, removed after. Never the
run cluster, never a system cluster.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from psycopg import sql
from sqlalchemy import make_url

from models.cluster import Cluster, free_port
from models.settings import normalise_dsn


@contextmanager
def temporary_cluster(prefix: str = "fieldsales-") -> Iterator[Cluster]:
    base = Path(tempfile.mkdtemp(prefix=prefix))
    base.chmod(0o755)  # the server may run as the unprivileged 'postgres' account
    cluster = Cluster(base / "postgres", free_port(), base / "db-password")
    try:
        cluster.init()
        cluster.start()
        yield cluster
    finally:
        cluster.remove()
        shutil.rmtree(base, ignore_errors=True)


@contextmanager
def scratch_server(prefix: str = "fieldsales-") -> Iterator[str]:
    """The URL of a server to make scratch databases on: DATABASE_URL's, or a cluster's."""
    if url := os.environ.get("DATABASE_URL"):
        yield normalise_dsn(url)
        return
    with temporary_cluster(prefix) as cluster:
        yield cluster.dsn()


def _admin(server: str) -> str:
    return make_url(server).set(drivername="postgresql").render_as_string(hide_password=False)


def create_database(server: str, prefix: str = "fieldsales_scratch") -> str:
    """A new empty database on the server; returns its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_admin(server), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return make_url(server).set(database=name).render_as_string(hide_password=False)


def drop_database(server: str, url: str) -> None:
    """Drop the scratch database at ``url``, connecting through ``server``'s own database."""
    name = make_url(url).database
    with psycopg.connect(_admin(server), autocommit=True) as conn:
        drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
        conn.execute(drop.format(sql.Identifier(str(name))))


@contextmanager
def scratch_database(server: str, prefix: str = "fieldsales_scratch") -> Iterator[str]:
    url = create_database(server, prefix)
    try:
        yield url
    finally:
        drop_database(server, url)
