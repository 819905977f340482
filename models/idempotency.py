"""Exactly-once writes for ids generated on the phone.

A retried request carries the same id. The row is inserted with ON CONFLICT DO NOTHING, so two
racing copies make one row (the unique index decides, not a check-then-insert); the loser then
reads the winner's row and compares fingerprints of the two requests: equal is a replay (answer
the stored result), different is a conflict.
"""

from __future__ import annotations

import hashlib
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import Session, SQLModel

from models.errors import Conflict

Row = TypeVar("Row", bound=SQLModel)


def fingerprint(body: BaseModel) -> str:
    """The request's meaning, not its spelling: parsed values re-serialised and hashed."""
    return hashlib.sha256(body.model_dump_json().encode()).hexdigest()


def insert_once(
    session: Session, table: type[Row], values: dict[str, Any], *, digest_field: str = "digest"
) -> tuple[Row, bool]:
    """Insert the row unless its id exists; returns the stored row and whether it is new.

    Raises:
        Conflict: the id exists with a different request behind it.
    """
    statement = insert(table).values(**values).on_conflict_do_nothing(index_elements=["id"])
    row = session.scalars(statement.returning(table)).first()
    created = row is not None
    if row is None:
        row = session.get(table, values["id"])
        assert row is not None
    if not created and getattr(row, digest_field) != values[digest_field]:
        raise Conflict(
            f"{values['id']} was already used for a different request; use a new id.",
            id=str(values["id"]),
        )
    return row, created
