"""Text as the report writes it: dates, day counts, months, escaped strings, file names."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from functools import cache

from markupsafe import escape

MONTH_NAMES = ("", "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
               "Dec")


@cache
def day_text(day: date) -> str:
    """A date as people in a UK office write it: 4 Feb 2026."""
    return f"{day.day} {MONTH_NAMES[day.month]} {day.year}"


@cache
def esc(text: str) -> str:
    """HTML-escaped text, memoised: a few dozen titles are written a million times."""
    return str(escape(text))


def month_label(month: str) -> str:
    year, number = month.split("-")
    return f"{MONTH_NAMES[int(number)]} {year}"


def days_text(days: float) -> str:
    return f"{days:.1f}".removesuffix(".0")


def slug(text: str) -> str:
    """A file-name-safe form of a team name."""
    cleaned = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return cleaned or "team"


def team_slugs(teams: Iterable[str]) -> dict[str, str]:
    """A distinct file-name part per team: `North` and `north` do not share pages."""
    slugs: dict[str, str] = {}
    used: set[str] = set()
    for team in sorted(set(teams)):
        base = candidate = slug(team)
        number = 2
        while candidate in used:
            candidate = f"{base}-{number}"
            number += 1
        used.add(candidate)
        slugs[team] = candidate
    return slugs
