"""Exactly-once writes for ids generated on the phone.

A retried request carries the same id. The row is inserted with ON CONFLICT DO NOTHING, so two
racing copies make one row (the unique index decides, not a check-then-insert); the loser then
reads the winner's row and compares fingerprints of the two requests: equal is a replay (answer
the stored result), different is a conflict.
"""

from __future__ import annotations

import hashlib
from functools import cache
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import Table, bindparam, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.sql.dml import ReturningInsert
from sqlmodel import Session, SQLModel

from models.db import Compiled, Rows
from models.errors import Conflict

Row = TypeVar("Row", bound=SQLModel)


def fingerprint(body: BaseModel) -> str:
    """The request's meaning, not its spelling: parsed values re-serialised and hashed."""
    return hashlib.sha256(body.model_dump_json().encode()).hexdigest()


@cache
def _insert(table: type[SQLModel], columns: tuple[str, ...]) -> ReturningInsert[Any]:
    """INSERT ... ON CONFLICT (id) DO NOTHING RETURNING *, built once per table and columns."""
    target: Table = table.__table__  # type: ignore[attr-defined]
    values = {name: bindparam(name, type_=target.c[name].type) for name in columns}
    statement = insert(target).values(values).on_conflict_do_nothing(index_elements=["id"])
    return statement.returning(*target.c)


def insert_once(
    session: Session, table: type[Row], values: dict[str, Any], *, digest_field: str = "digest"
) -> tuple[Row, bool]:
    """Insert the row unless its id exists; returns the stored row and whether it is new.

    Values are plain values (a geometry as EWKT), bound to a statement compiled once.

    Raises:
        Conflict: the id exists with a different request behind it.
    """
    inserted = session.execute(_insert(table, tuple(values)), values).first()
    created = inserted is not None
    row = table(**inserted._mapping) if inserted is not None else session.get(table, values["id"])
    assert row is not None
    if not created:
        _same_request(row, values, digest_field)
    return row, created


@cache
def _compiled_insert(table: type[SQLModel], columns: tuple[str, ...]) -> Compiled:
    return Compiled.of(_insert(table, columns))


@cache
def _compiled_get(table: type[SQLModel]) -> Compiled:
    target: Table = table.__table__  # type: ignore[attr-defined]
    return Compiled.of(select(target).where(target.c.id == bindparam("id", type_=target.c.id.type)))


async def insert_once_now(
    rows: Rows, table: type[SQLModel], values: dict[str, Any], *, digest_field: str = "digest"
) -> tuple[Any, bool]:
    """``insert_once`` without a session: the same statement; the stored row, not an object."""
    inserted = await rows.one(_compiled_insert(table, tuple(values)), values)
    row = inserted or await rows.one(_compiled_get(table), {"id": values["id"]})
    assert row is not None
    if inserted is None:
        _same_request(row, values, digest_field)
    return row, inserted is not None


def _same_request(row: Any, values: dict[str, Any], digest_field: str) -> None:
    if getattr(row, digest_field) != values[digest_field]:
        raise Conflict(
            f"{values['id']} was already used for a different request; use a new id.",
            id=str(values["id"]),
        )
