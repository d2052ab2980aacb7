"""Date arithmetic for milestone clocks: durations, month ends and working days.

A rule says a milestone is due ``within`` a duration of the one before it, and ``amber`` and
escalation ``after`` count back and forward from that due date with the same arithmetic. This
module is that arithmetic and nothing else, so that every due date the service reports can be
worked out by hand from a calendar:

- ``N days`` is N calendar days and ``N weeks`` is 7N calendar days;
- ``N months`` is the same day of the month N months away, clamped to that month's last day
  (31 Jan + 1 month = 28 or 29 Feb; 31 Mar - 1 month = 28 or 29 Feb);
- ``N working days`` is the Nth working day after (or before) the date, never counting the
  date itself; weekends and the jurisdiction's bank holidays, substitute days included, are
  not working days. Bank holidays come from the ``holidays`` package, per UK nation.

It is pure: no I/O, and it never asks for today's date; time is always an argument. The
evaluator calls it through caches but for every case, milestone and as-of date, so a working-day
calendar loads each year's bank holidays from ``holidays`` once and then answers from its own
sorted list of working days.
"""

from __future__ import annotations

import bisect
import calendar
import enum
import functools
import re
import threading
from dataclasses import dataclass
from datetime import date, timedelta
from typing import NamedTuple

import holidays

__all__ = [
    "DURATION_FORMS",
    "JURISDICTIONS",
    "Duration",
    "Unit",
    "WorkingDays",
    "add_duration",
    "parse_duration",
    "subtract_duration",
    "working_days",
]

JURISDICTIONS: dict[str, str] = {
    "scotland": "SCT",
    "england-and-wales": "ENG",
    "northern-ireland": "NIR",
}
"""Rule-file jurisdiction name -> ``holidays`` subdivision of GB whose bank holidays apply."""


class Unit(enum.StrEnum):
    """A duration's unit, spelled as in rule files (plural)."""

    DAYS = "days"
    WORKING_DAYS = "working days"
    WEEKS = "weeks"
    MONTHS = "months"

    @property
    def singular(self) -> str:
        """The unit as written after a count of 1: ``day``, ``working day`` ..."""
        return self.value[:-1]


@dataclass(frozen=True, slots=True)
class Duration:
    """A count of one unit, as in ``within: 10 working days``."""

    count: int
    unit: Unit

    def __post_init__(self) -> None:
        if self.count < 0:
            raise ValueError(f"a duration cannot be negative, got {self.count} {self.unit}")

    def __str__(self) -> str:
        unit = self.unit.singular if self.count == 1 else self.unit.value
        return f"{self.count} {unit}"


DURATION_FORMS = "'N days', 'N working days', 'N weeks' or 'N months'"
"""The accepted forms of a duration, for messages and help text."""

_EXAMPLES = "'8 days', '10 working days', '6 weeks' or '6 months'"

_DURATION = re.compile(
    r"\s*([0-9]+)\s+(day|working\s+day|week|month)s?\s*",
    re.IGNORECASE | re.ASCII,
)

_UNITS = {
    "day": Unit.DAYS,
    "working day": Unit.WORKING_DAYS,
    "week": Unit.WEEKS,
    "month": Unit.MONTHS,
}


MAXIMUM = {Unit.DAYS: 36_500, Unit.WORKING_DAYS: 26_000, Unit.WEEKS: 5_200, Unit.MONTHS: 1_200}
"""The longest duration a rule may give, per unit: a century, far past any real clock, and
short enough that no date it produces falls off the calendar."""


def parse_duration(text: str, *, minimum: int = 1) -> Duration:
    """Read ``N days|working days|weeks|months`` (singular too, any case) with N >= ``minimum``.

    Raises ValueError saying what was expected and what was found.
    """
    match = _DURATION.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"expected a duration like {_EXAMPLES}, got {text!r}")
    count = int(match.group(1))
    if count < minimum:
        raise ValueError(f"expected a count of at least {minimum}, got {text!r}")
    unit = _UNITS[" ".join(match.group(2).lower().split())]
    if count > MAXIMUM[unit]:
        raise ValueError(f"expected at most {MAXIMUM[unit]} {unit.value} (about 100 years), "
                         f"got {text!r}")
    return Duration(count, unit)


def _add_months(day: date, months: int) -> date:
    """The same day of the month ``months`` away (either way), clamped to that month's end."""
    years, month_index = divmod(day.month - 1 + months, 12)
    year, month = day.year + years, month_index + 1
    last = calendar.monthrange(year, month)[1]
    return date(year, month, min(day.day, last))


def add_duration(start: date, duration: Duration, jurisdiction: str) -> date:
    """The date ``duration`` after ``start``; ``jurisdiction`` gives the bank holidays."""
    return _shift(start, duration, jurisdiction, +1)


def subtract_duration(end: date, duration: Duration, jurisdiction: str) -> date:
    """The date ``duration`` before ``end``; ``jurisdiction`` gives the bank holidays."""
    return _shift(end, duration, jurisdiction, -1)


def _shift(day: date, duration: Duration, jurisdiction: str, sign: int) -> date:
    calendar_ = working_days(jurisdiction)  # also refuses an unknown jurisdiction
    count, unit = duration.count, duration.unit
    if unit is Unit.DAYS:
        return day + timedelta(days=sign * count)
    if unit is Unit.WEEKS:
        return day + timedelta(weeks=sign * count)
    if unit is Unit.MONTHS:
        return _add_months(day, sign * count)
    if sign > 0:
        return calendar_.add(day, count)
    return calendar_.subtract(day, count)


def _check_jurisdiction(jurisdiction: str) -> str:
    """The ``holidays`` subdivision of ``jurisdiction``, or ValueError naming the known ones."""
    try:
        return JURISDICTIONS[jurisdiction]
    except (KeyError, TypeError):
        names = sorted(JURISDICTIONS)
        known = ", ".join(repr(name) for name in names[:-1]) + f" or {names[-1]!r}"
        raise ValueError(f"expected a jurisdiction {known}, got {jurisdiction!r}") from None


class _Loaded(NamedTuple):
    """The years a calendar has loaded; replaced whole, so readers never see half an update."""

    first_year: int
    last_year: int
    bank_holidays: frozenset[date]
    working: list[int]  # ordinals of every working day from 1 Jan first_year to 31 Dec last_year


class WorkingDays:
    """Working-day calendar of one jurisdiction: weekends and its bank holidays (substitute days
    included) are not working days."""

    _MARGIN = 1  # years loaded either side of the one asked for, so a clock can run past 31 Dec

    def __init__(self, jurisdiction: str) -> None:
        self.jurisdiction = jurisdiction
        self._subdiv = _check_jurisdiction(jurisdiction)
        self._lock = threading.Lock()
        self._loaded: _Loaded | None = None

    def __repr__(self) -> str:
        return f"WorkingDays({self.jurisdiction!r})"

    def is_working_day(self, day: date) -> bool:
        """Whether ``day`` is neither a weekend nor a bank holiday here."""
        if day.weekday() >= 5:
            return False
        return day not in self._covering(day.year, day.year).bank_holidays

    def add(self, start: date, count: int) -> date:
        """The ``count``-th working day after ``start``, which never counts; 0 gives ``start``."""
        _check_count(count)
        if count == 0:
            return start
        loaded = self._covering(start.year, start.year)
        ordinal = start.toordinal()
        while True:
            index = bisect.bisect_right(loaded.working, ordinal) + count - 1
            if index < len(loaded.working):
                return date.fromordinal(loaded.working[index])
            if loaded.last_year >= date.max.year:
                raise OverflowError(f"{count} working days after {start} is past {date.max}")
            shortfall = index - len(loaded.working) + 1
            loaded = self._covering(loaded.first_year, loaded.last_year + 1 + shortfall // 250)

    def subtract(self, end: date, count: int) -> date:
        """The ``count``-th working day before ``end``, which never counts; 0 gives ``end``."""
        _check_count(count)
        if count == 0:
            return end
        loaded = self._covering(end.year, end.year)
        ordinal = end.toordinal()
        while True:
            index = bisect.bisect_left(loaded.working, ordinal) - count
            if index >= 0:
                return date.fromordinal(loaded.working[index])
            if loaded.first_year <= date.min.year:
                raise OverflowError(f"{count} working days before {end} is before {date.min}")
            loaded = self._covering(loaded.first_year - 1 - (-index) // 250, loaded.last_year)

    def _covering(self, first_year: int, last_year: int) -> _Loaded:
        """The loaded calendar, first grown (with a margin) to cover ``first_year..last_year``."""
        loaded = self._loaded
        if loaded and loaded.first_year <= first_year and last_year <= loaded.last_year:
            return loaded
        with self._lock:
            loaded = self._loaded
            if loaded:
                if loaded.first_year <= first_year and last_year <= loaded.last_year:
                    return loaded
                first_year = min(first_year, loaded.first_year)
                last_year = max(last_year, loaded.last_year)
            first_year = max(first_year - self._MARGIN, date.min.year)
            last_year = min(last_year + self._MARGIN, date.max.year)
            loaded = self._load(first_year, last_year)
            self._loaded = loaded
            return loaded

    def _load(self, first_year: int, last_year: int) -> _Loaded:
        # A year either side too, in case a substitute day falls across New Year.
        years = range(max(first_year - 1, date.min.year), min(last_year + 1, date.max.year) + 1)
        bank_holidays = frozenset(
            holidays.country_holidays("GB", subdiv=self._subdiv, years=years).keys()
        )
        first = date(first_year, 1, 1).toordinal()
        last = date(last_year, 12, 31).toordinal()
        working = [
            ordinal
            for ordinal in range(first, last + 1)
            if (ordinal - 1) % 7 < 5 and date.fromordinal(ordinal) not in bank_holidays
        ]
        return _Loaded(first_year, last_year, bank_holidays, working)


def _check_count(count: int) -> None:
    if count < 0:
        raise ValueError(f"expected a count of working days of at least 0, got {count}")


@functools.cache
def working_days(jurisdiction: str) -> WorkingDays:
    """The working-day calendar of ``jurisdiction``, one shared instance per jurisdiction."""
    return WorkingDays(jurisdiction)
