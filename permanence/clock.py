"""The service's day. The only place that asks what day it is; the core takes dates as arguments."""

from __future__ import annotations

from datetime import date

import pendulum

SERVICE_TIME_ZONE = "Europe/London"


def service_today() -> date:
    """Today in Europe/London: the day a social worker in the UK would say it is, at any hour."""
    today = pendulum.today(SERVICE_TIME_ZONE)
    return date(today.year, today.month, today.day)
