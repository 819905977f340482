"""Numbers as people read them: percentages, points, thousands; plus sorting and paging."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar
from urllib.parse import urlencode

from jinja2 import Environment
from starlette.requests import Request

T = TypeVar("T")
Number = float | int | Decimal | None
DASH = "\u2013"  # en dash: no figure


def pct(value: Number, digits: int = 1) -> str:
    """0.4237 → '42.4 %'."""
    return DASH if value is None else f"{float(value) * 100:.{digits}f} %"


def points(value: Number) -> str:
    """A change in percentage points, signed: '+1.2 pp', or a minus sign."""
    if value is None:
        return DASH
    text = f"{abs(float(value)):.1f} pp"
    return f"+{text}" if value > 0 else f"\u2212{text}" if value < 0 else text


def num(value: Number, digits: int = 0) -> str:
    """Thousands separated: 12345.6 → '12,346'; two digits → '12,345.60'."""
    return DASH if value is None else f"{float(value):,.{digits}f}"


def minutes(value: Number) -> str:
    return DASH if value is None else f"{float(value):.0f} min"


def install(env: Environment) -> None:
    env.filters.update(pct=pct, points=points, num=num, minutes=minutes)
    env.globals.update(with_query=with_query)


def with_query(request: Request, **changes: Any) -> str:
    """The page's own URL with some query parameters changed (None removes one)."""
    params = dict(request.query_params)
    for key, value in changes.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = str(value)
    path = request.url.path
    return f"{path}?{urlencode(params)}" if params else path


@dataclass(frozen=True)
class Sorted:
    key: str
    descending: bool


def sort_rows(
    rows: Sequence[T], sort: str | None, keys: dict[str, Callable[[T], Any]], default: str
) -> tuple[list[T], Sorted]:
    """Rows sorted by a column the page offers ('-share': descending); unknown names fall back."""
    wanted = sort or default
    descending = wanted.startswith("-")
    name = wanted.lstrip("-")
    if name not in keys:
        name, descending = default.lstrip("-"), default.startswith("-")
    key = keys[name]
    # Missing figures sort last whichever the direction.
    present = [r for r in rows if key(r) is not None]
    missing = [r for r in rows if key(r) is None]
    return sorted(present, key=key, reverse=descending) + missing, Sorted(name, descending)


@dataclass(frozen=True)
class Paged:
    page: int
    pages: int
    total: int


def paginate(rows: Sequence[T], page: int, size: int) -> tuple[list[T], Paged]:
    """One page of rows already computed (reports are bounded by territories × brands)."""
    pages = max(1, -(-len(rows) // size))
    page = min(max(page, 1), pages)
    return list(rows[(page - 1) * size : page * size]), Paged(page, pages, len(rows))
