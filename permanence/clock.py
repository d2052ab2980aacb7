"""The service's day. The only place that asks what day it is; the core takes dates as arguments."""

from __future__ import annotations

from datetime import date, datetime

import pendulum

from permanence.errors import BadInput

SERVICE_TIME_ZONE = "Europe/London"


def service_today() -> date:
    """Today in Europe/London: the day a social worker in the UK would say it is, at any hour."""
    today = pendulum.today(SERVICE_TIME_ZONE)
    return date(today.year, today.month, today.day)


def service_day(moment: datetime) -> date:
    """The day a timezone-aware moment falls on in Europe/London."""
    local = pendulum.instance(moment).in_timezone(SERVICE_TIME_ZONE)
    return date(local.year, local.month, local.day)


def refuse_future_day(day: date, option: str = "--as-of") -> None:
    """The daily check tells people what has happened; a check of a future day would also
    block every check of the days before it (a store never goes back to an earlier day)."""
    today = service_today()
    if day > today:
        raise BadInput(f"{option} {day} is in the future (today is {today}); the daily check "
                       f"tells people about what has happened. Use `permanence status --as-of "
                       f"{day}` to look ahead.")
