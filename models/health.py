"""Readiness of the database: reachable, PostGIS present, schema at the newest migration."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from models import migrate


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def _reason(exc: SQLAlchemyError) -> str:
    """The driver's first line, without SQLAlchemy's wrapping and links."""
    return str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]


def database_checks(engine: Engine) -> list[Check]:
    """Each readiness condition of the database, with what was found."""
    try:
        with engine.connect() as conn:
            postgis = conn.execute(
                text("SELECT extversion FROM pg_extension WHERE extname = 'postgis'")
            ).scalar()
    except SQLAlchemyError as exc:
        return [Check("database", False, f"unreachable: {_reason(exc)}")]
    at, head = migrate.current(engine), migrate.head()
    return [
        Check("database", True, "reachable"),
        Check("postgis", postgis is not None, f"version {postgis}" if postgis else "not installed"),
        Check("migrations", at == head, f"at {at}, head {head}"),
    ]


class DatabaseProblem(RuntimeError):
    """The configured database cannot serve Fieldsales; the message says what to fix."""


def preflight(engine: Engine) -> None:
    """Fail with one clear sentence when the database is unreachable or lacks PostGIS."""
    where = engine.url.render_as_string(hide_password=True)
    try:
        with engine.connect() as conn:
            available = conn.execute(
                text("SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'")
            ).scalar()
    except SQLAlchemyError as exc:
        raise DatabaseProblem(
            f"Cannot connect to the database at {where}: {_reason(exc)}. "
            "Check DATABASE_URL, or unset it to use the embedded PostgreSQL."
        ) from exc
    if not available:
        raise DatabaseProblem(
            f"The database at {where} has no PostGIS extension available. Install PostGIS on "
            "that server (Debian: apt-get install postgis) or point DATABASE_URL at one with it."
        )
