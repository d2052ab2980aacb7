"""The statistics the measures use: median, nearest-rank percentile, the month of a date, and
the run chart's centre line and its rules (shift, trend, runs, astronomical point)."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from datetime import date
from typing import NamedTuple


def median(values: Sequence[float]) -> float:
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


RUNS_LIMITS: dict[int, tuple[int, int]] = {
    10: (3, 9), 11: (4, 9), 12: (4, 10), 13: (4, 11), 14: (4, 12), 15: (5, 12), 16: (5, 13),
    17: (6, 13), 18: (6, 14), 19: (6, 15), 20: (7, 15), 21: (7, 16), 22: (8, 16), 23: (8, 17),
    24: (8, 18), 25: (9, 18), 26: (9, 19), 27: (10, 19), 28: (10, 20), 29: (10, 21),
    30: (11, 21), 31: (11, 22), 32: (12, 22), 33: (12, 23), 34: (12, 24), 35: (13, 24),
    36: (13, 25), 37: (14, 25), 38: (14, 26), 39: (14, 26), 40: (15, 27), 41: (15, 28),
    42: (16, 28), 43: (16, 29), 44: (17, 29), 45: (17, 30), 46: (17, 31), 47: (18, 31),
    48: (18, 32), 49: (19, 32), 50: (19, 33), 51: (20, 33), 52: (20, 34), 53: (20, 35),
    54: (21, 35), 55: (21, 36), 56: (22, 36), 57: (22, 37), 58: (23, 37), 59: (23, 38),
    60: (24, 38),
}
"""The fewest and most runs expected by chance, per number of useful observations (points not
on the centre line), 10 to 60: outside them is too few or too many runs. The run chart table
IHI's and NHS England's guidance use (Perla, Provost and Murray, "The run chart: a simple
analytical tool for learning from variation in healthcare processes", BMJ Quality & Safety
2011;20:46-51, Table 1) rests on Swed and Eisenhart, "Tables for testing randomness of
grouping in a sequence of alternatives", Annals of Mathematical Statistics 1943;14:66-87.
The values here are computed from Swed and Eisenhart's exact distribution of the number of
runs, for the useful observations split evenly above and below the median (n // 2 and
n - n // 2): each limit is the fewest (most) runs whose chance of that few (that many) or
fewer (more) exceeds 2.5%, a 5% two-sided test. They were not copied from the printed table
and have not been checked against it row by row; tests/test_measures.py recomputes each one
(by counting every arrangement up to 16 useful observations, by the closed form beyond).
Fewer than 10 useful observations: the rule is not applied."""

SHIFT_LENGTH = 6
TREND_LENGTH = 5
ASTRONOMICAL_FACTOR = 3.145
"""How many median moving ranges from the centre line an astronomical point lies beyond."""
MIN_POINTS = 10
"""The fewest points for the runs and astronomical rules (the runs table starts at 10)."""


class RunChart(NamedTuple):
    """A run chart's centre line and its signals: the points (indexes) in a shift, in a trend,
    and astronomical; how many runs the useful observations make and the range expected."""

    centre: float
    shift_points: tuple[int, ...]
    trend_points: tuple[int, ...] = ()
    astronomical_points: tuple[int, ...] = ()
    useful: int = 0
    """Points not on the centre line."""
    runs: int = 0
    runs_expected: tuple[int, int] | None = None
    """(fewest, most) runs expected by chance; None when the rule does not apply."""
    limit: float | None = None
    """How far from the centre line a point must lie to be astronomical; None: not judged."""

    @property
    def runs_signal(self) -> str | None:
        """'too few runs', 'too many runs' or None."""
        if self.runs_expected is None:
            return None
        fewest, most = self.runs_expected
        if self.runs < fewest:
            return "too few runs"
        if self.runs > most:
            return "too many runs"
        return None


def run_chart(points: Sequence[float], shift_length: int = SHIFT_LENGTH,
              trend_length: int = TREND_LENGTH) -> RunChart:
    """The centre line (median of the points) and the four run chart rules, as IHI and NHS
    England teach them (Perla, Provost and Murray 2011):

    - **shift**: `shift_length` (6) or more consecutive points all above or all below the
      centre line; points on the line neither break nor extend a run.
    - **trend**: `trend_length` (5) or more consecutive points each higher (or each lower)
      than the one before; a point equal to the one before it is ignored (like values neither
      make nor break a trend), and belongs to the trend it sits in.
    - **too few or too many runs**: a run is a stretch of consecutive useful observations
      (points not on the centre line) on one side of it; their number is judged against
      RUNS_LIMITS for 10 to 60 useful observations.
    - **astronomical point**: the rule's own wording is "obviously different, anyone would
      agree"; made mechanical here as a point further from the centre line than
      ASTRONOMICAL_FACTOR (3.145) times the median moving range (the median of the absolute
      differences between neighbouring points). The median moving range divided by 0.954 (the
      median range of two normal values, in standard deviations) estimates the process's
      spread robustly, so the bound is three such standard deviations: the natural process
      limits of an individuals (XmR) chart from the median moving range (Nelson, "Control
      charts for individual measurements", Journal of Quality Technology 1982;14:172-173;
      Provost and Murray, The Health Care Data Guide, 2011, chapter 7), centred on the
      run chart's median rather than the mean so that the far point does not pull the centre
      towards itself. Judged with MIN_POINTS (10) points or more and a median moving range
      above 0 (with none, every point off the line would be "astronomical").
    """
    if not points:
        return RunChart(0.0, ())
    ordered = sorted(points)
    middle = len(ordered) // 2
    centre = (float(ordered[middle]) if len(ordered) % 2
              else (ordered[middle - 1] + ordered[middle]) / 2)
    in_shift: list[int] = []
    run: list[int] = []
    side = 0
    runs = 0
    useful = 0
    for index, value in enumerate(points):
        here = (value > centre) - (value < centre)
        if here == 0:
            continue
        useful += 1
        if here != side:
            runs += 1
            if len(run) >= shift_length:
                in_shift.extend(run)
            run, side = [], here
        run.append(index)
    if len(run) >= shift_length:
        in_shift.extend(run)
    expected = RUNS_LIMITS.get(useful)
    limit = None
    astronomical: tuple[int, ...] = ()
    if len(points) >= MIN_POINTS:
        moving = median([abs(b - a) for a, b in itertools.pairwise(points)])
        if moving > 0:
            limit = ASTRONOMICAL_FACTOR * moving
            astronomical = tuple(index for index, value in enumerate(points)
                                 if abs(value - centre) > limit)
    return RunChart(centre, tuple(in_shift), _trends(points, trend_length), astronomical,
                    useful, runs, expected, limit)


def _trends(points: Sequence[float], length: int) -> tuple[int, ...]:
    """Every point in a trend: `length` or more points each higher (or each lower) than the
    last, like values skipped; a trend spans from the first of its first like values to the
    last of its last."""
    groups: list[tuple[int, int, float]] = []  # (first index, last index, value) of like values
    for index, value in enumerate(points):
        if groups and groups[-1][2] == value:
            groups[-1] = (groups[-1][0], index, value)
        else:
            groups.append((index, index, value))
    marked: set[int] = set()
    start = 0
    while start < len(groups) - 1:
        rising = groups[start + 1][2] > groups[start][2]
        end = start + 1
        while (end + 1 < len(groups)
               and (groups[end + 1][2] > groups[end][2]) == rising):
            end += 1
        if end - start + 1 >= length:
            marked.update(range(groups[start][0], groups[end][1] + 1))
        start = end
    return tuple(sorted(marked))
