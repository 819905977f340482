"""Where and when a planning question is asked: a territory, a month, a day, a time zone."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import StringConstraints
from sqlmodel import Session

from models.errors import Invalid
from models.scope import scoped_territories, territory_ids
from models.territories import Territory, get_territory
from models.users import User

# How far back an observation still says whether an SKU is on the shelf. Meant to become a
# setting; until Settings carries it, every planning query uses this default.
PRESENCE_WINDOW_DAYS = 30
# The months before the period whose average sales stand for an outlet's potential.
HISTORY_MONTHS = 3

# Years 1900-2999: every month a year either side of it is still a date Python can hold.
MONTH_PATTERN = r"^(19|2\d)\d{2}-(0[1-9]|1[0-2])$"
Month = Annotated[str, StringConstraints(pattern=MONTH_PATTERN)]


def parse_month(value: str) -> date:
    """The first day of a ``YYYY-MM`` month."""
    if not re.match(MONTH_PATTERN, value):
        raise Invalid(f"A period is a month written YYYY-MM, not {value!r}.")
    return date(int(value[:4]), int(value[5:]), 1)


def add_months(month: date, months: int) -> date:
    index = month.year * 12 + month.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class Span:
    """A planning question's time: the month, the day it is asked, the zone, the windows.

    Facts count from the month's first day up to ``as_of`` included (the *cut*); days are local
    days of ``zone``, so a visit at 23:30 local time counts on the day the rep saw it.
    """

    month: date
    as_of: date
    zone: ZoneInfo
    window_days: int = PRESENCE_WINDOW_DAYS
    history_months: int = HISTORY_MONTHS

    @property
    def end(self) -> date:
        return add_months(self.month, 1)

    @property
    def cut(self) -> date:
        """The first day not counted: the day after ``as_of``, within the month."""
        return min(max(self.as_of + timedelta(days=1), self.month), self.end)

    @property
    def days(self) -> int:
        return (self.end - self.month).days

    @property
    def elapsed(self) -> int:
        return (self.cut - self.month).days

    def _at(self, day: date) -> datetime:
        return datetime(day.year, day.month, day.day, tzinfo=self.zone)

    def params(self) -> dict[str, Any]:
        """The bind parameters of the span every planning statement shares."""
        last_year = add_months(self.month, -12)
        history = add_months(self.month, -self.history_months)
        return {
            "start": self.month,
            "end": self.end,
            "cut": self.cut,
            "start_ts": self._at(self.month),
            "cut_ts": self._at(self.cut),
            "evidence_from_ts": self._at(self.cut) - timedelta(days=self.window_days),
            "ly_start": last_year,
            "ly_end": add_months(last_year, 1),
            "ly_start_ts": self._at(last_year),
            "ly_end_ts": self._at(add_months(last_year, 1)),
            "history_start": history,
            "history_start_ts": self._at(history),
            "history_months": self.history_months,
            "days": self.days,
            "elapsed": self.elapsed,
        }


@dataclass(frozen=True)
class Frame:
    """A planning question's territory and its span of time (see Span)."""

    territory: Territory
    month: date
    as_of: date
    zone: ZoneInfo
    window_days: int = PRESENCE_WINDOW_DAYS
    history_months: int = HISTORY_MONTHS

    @property
    def span(self) -> Span:
        return Span(self.month, self.as_of, self.zone, self.window_days, self.history_months)

    def params(self) -> dict[str, Any]:
        """The bind parameters every planning statement shares."""
        return {"root": self.territory.id, **self.span.params()}


def frame_for(
    session: Session,
    user: User,
    territory_id: uuid.UUID,
    *,
    month: date | None,
    as_of: date | None,
    zone: str,
    window_days: int = PRESENCE_WINDOW_DAYS,
) -> Frame:
    """The frame of a question about a territory the user may see (a 404 otherwise).

    ``as_of`` defaults to today in ``zone``; ``month`` to the month of ``as_of``.
    """
    territory = get_territory(session, scoped_territories(user), territory_id)
    tz = ZoneInfo(zone)
    today = as_of or datetime.now(tz).date()
    return Frame(territory, month or today.replace(day=1), today, tz, window_days)


def visible_territories(session: Session, user: User) -> list[uuid.UUID] | None:
    """Ids of the territories whose outlets may serve as the user's neighbours; None for all.

    Lookalikes and nearby outlets explain a figure by name, so they must be outlets the caller
    could open anyway.
    """
    ids = territory_ids(user)
    return None if ids is None else list(session.scalars(ids))
