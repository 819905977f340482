"""Cursor pagination: opaque cursors carrying the sort key of the last row served."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from models.errors import Invalid

T = TypeVar("T")
MAX_LIMIT = 500


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


def encode_cursor(key: dict[str, Any]) -> str:
    raw = json.dumps(key, separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, fields: tuple[str, ...]) -> dict[str, Any]:
    """The sort key a cursor carries; a tampered or foreign cursor is a 422."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        key = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError) as exc:
        raise Invalid("The cursor is not one this endpoint issued.") from exc
    if not isinstance(key, dict) or set(key) != set(fields):
        raise Invalid("The cursor is not one this endpoint issued.")
    return key


def paginate(items: list[T], limit: int, key: Callable[[T], dict[str, Any]]) -> Page[T]:
    """A page from rows fetched with ``limit + 1``: the extra row only says another page exists."""
    more = len(items) > limit
    items = items[:limit]
    return Page(items=items, next_cursor=encode_cursor(key(items[-1])) if more else None)
