"""The statistics the measures use: median, nearest-rank percentile, the month of a date, and
the run chart's centre line and shifts."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date
from typing import NamedTuple

SHIFT_LENGTH = 6


def median(values: Sequence[int]) -> float:
    """The middle of the sorted values; the mean of the middle two for an even count."""
    if not values:
        raise ValueError("median of no values")
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return float(ordered[middle])
    return (ordered[middle - 1] + ordered[middle]) / 2


def percentile(values: Sequence[int], share: float) -> int:
    """Nearest rank: the value at position ceil(share * n) of the sorted values (1-based)."""
    if not values:
        raise ValueError("percentile of no values")
    if not 0 < share <= 1:
        raise ValueError(f"share must be in (0, 1], got {share}")
    ordered = sorted(values)
    rank = max(1, math.ceil(round(share * len(ordered), 9)))
    return ordered[rank - 1]


def month_of(day: date) -> str:
    """The calendar month a date falls in, as YYYY-MM."""
    return f"{day.year:04d}-{day.month:02d}"


class RunChart(NamedTuple):
    """A run chart's centre line and the points (indexes) that belong to a shift."""

    centre: float
    shift_points: tuple[int, ...]


def run_chart(points: Sequence[float], shift_length: int = SHIFT_LENGTH) -> RunChart:
    """The centre line (median of the points) and every point in a run of `shift_length` or
    more consecutive points on one side of it; points on the line are skipped."""
    if not points:
        return RunChart(0.0, ())
    ordered = sorted(points)
    middle = len(ordered) // 2
    centre = (float(ordered[middle]) if len(ordered) % 2
              else (ordered[middle - 1] + ordered[middle]) / 2)
    in_shift: list[int] = []
    run: list[int] = []
    side = 0
    for index, value in enumerate(points):
        here = (value > centre) - (value < centre)
        if here == 0:
            continue
        if here != side:
            if len(run) >= shift_length:
                in_shift.extend(run)
            run, side = [], here
        run.append(index)
    if len(run) >= shift_length:
        in_shift.extend(run)
    return RunChart(centre, tuple(in_shift))
