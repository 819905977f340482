"""Helpers to import files given as text, and to see what the database holds."""

from __future__ import annotations

import io
from typing import Any

import pytest
from sqlalchemy import text
from sqlmodel import Session

from models.imports import Format, ImportSummary, Kind, Rejected, import_file

# Each table's row count and a digest of its rows: equal snapshots, equal contents.
SNAPSHOT = text(
    " UNION ALL ".join(
        f"SELECT '{table}', count(*), md5(string_agg(t::text, '|' ORDER BY t::text))"
        f" FROM {table} AS t"
        for table in ("territory", "outlet", "brand", "category", "sku", "sale", "target")
    )
)


def snapshot(session: Session) -> set[tuple[Any, ...]]:
    return {tuple(row) for row in session.execute(SNAPSHOT)}


def run_import(
    session: Session, kind: str, content: str | bytes, fmt: Format | None = None
) -> ImportSummary:
    data = content.encode() if isinstance(content, str) else content
    return import_file(session, Kind(kind), io.BytesIO(data), fmt=fmt)


def rejected(session: Session, kind: str, content: str | bytes) -> list[dict[str, Any]]:
    """The problems that got a file refused, having checked that it changed nothing."""
    before = snapshot(session)
    with pytest.raises(Rejected) as caught:
        run_import(session, kind, content)
    assert snapshot(session) == before
    errors: list[dict[str, Any]] = caught.value.extensions["errors"]
    return errors
