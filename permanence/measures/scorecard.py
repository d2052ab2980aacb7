"""The adoption scorecard: the Department for Education's adoption timeliness measures (A1, A2,
A3, A10) over a three-year window, from each adopted child's dates.

Pure: no I/O, no clock; the period end (or today, to work out the default) is an argument, and
the dates come from `store.scorecard_dates`. Every figure can be worked out by hand, and
`Scorecard.children` says per child which dates were used, the days of each measure, and for
each measure a child is left out of, why.

- **Window.** From the day after the date three years before the period end (29 February
  counts back to 28 February: the month arithmetic of `permanence.dates`) to the period end.
  Its three years are the 12-month spans ending on the period end's day and month, labelled by
  the years they touch (`2019-20`; `2019` for a span inside one calendar year).
- **Counted.** Every case with an `adoption_order` dated in the window (any timeline, open or
  closed); it belongs to the year its order falls in.
- **A1** = `placed_with_adopters` - `entered_care`; **A10** the same from
  `fostered_by_adopters` when that is recorded; **A2** = `matched` - `placement_order`, 0 when
  the match came first; **A3**: moved in strictly before `entered_care` + 14 months. Calendar
  days.
- **Left out.** No `placed_with_adopters` (or one recorded not applicable: no adoptive
  placement) leaves a child out of A1, A2, A3 and A10; no `placement_order` or no `matched`,
  out of A2. A date before the one it is counted from (moved in before entering care) is a
  recording error, not a negative wait: that child is left out of the measure, with the dates.
- **Rounding.** A1, A2, A10: the mean over the children counted, rounded half up to a whole
  day; A3: the percentage, one decimal, half up. Decimal arithmetic, never binary floats.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, NamedTuple

from permanence.dates import Duration, Unit, add_duration, subtract_duration
from permanence.evaluate import CaseFacts

__all__ = [
    "MEASURES",
    "THRESHOLDS",
    "ChildDates",
    "ChildFigures",
    "Figure",
    "LeftOut",
    "Scorecard",
    "Span",
    "by_quarter",
    "child_figures",
    "dates_from_facts",
    "default_period_end",
    "figures",
    "mean_days",
    "percent",
    "quarter_of",
    "quarters",
    "scorecard",
    "spans",
    "window_start",
]

MEASURES = ("A1", "A2", "A3", "A10")
"""The measures in the order the contract's JSON gives them."""

THRESHOLDS = {"A1": 426, "A2": 121, "A10": 426}
"""Days: A1 and A10 14 months, A2 4 months (the Department for Education's thresholds)."""

A3_MONTHS = 14
_JURISDICTION = "england-and-wales"  # months need no bank holidays; any jurisdiction will do


def _months_before(day: date, months: int) -> date:
    return subtract_duration(day, Duration(months, Unit.MONTHS), _JURISDICTION)


def _add_months(day: date, months: int) -> date:
    return add_duration(day, Duration(months, Unit.MONTHS), _JURISDICTION)


def default_period_end(today: date) -> date:
    """The latest 31 March on or before `today`."""
    this_year = date(today.year, 3, 31)
    return this_year if today >= this_year else date(today.year - 1, 3, 31)


def window_start(period_end: date) -> date:
    """The first day of the three-year window ending on `period_end`."""
    return _day_after(_months_before(period_end, 36))


def _day_after(day: date) -> date:
    return date.fromordinal(day.toordinal() + 1)


class Span(NamedTuple):
    """One 12-month year of the window: its label and its first and last days."""

    label: str
    first: date
    last: date


def _label(first: date, last: date) -> str:
    if first.year == last.year:
        return f"{first.year}"
    return f"{first.year}-{last.year % 100:02d}"


def spans(period_end: date) -> list[Span]:
    """The window's three years, oldest first."""
    ends = [_months_before(period_end, 12 * back) for back in (2, 1, 0)]
    firsts = [_day_after(_months_before(period_end, 12 * back)) for back in (3, 2, 1)]
    return [Span(_label(first, last), first, last)
            for first, last in zip(firsts, ends, strict=True)]


@dataclass(frozen=True, slots=True)
class ChildDates:
    """What the store holds for one adopted child's case: the dates the measures use.

    `no_adoptive_placement` is the date `placed_with_adopters` was recorded not applicable
    (an agency decision reversed, no adoptive placement after it); `entered_care` is the
    recorded start date, else the case's `looked_after_on`."""

    case_ref: str
    team: str
    entered_care: date
    adoption_order: date
    placed_with_adopters: date | None = None
    fostered_by_adopters: date | None = None
    placement_order: date | None = None
    matched: date | None = None
    no_adoptive_placement: date | None = None


class LeftOut(NamedTuple):
    """A measure a child is not counted in, and why, in words."""

    measure: str
    reason: str


@dataclass(frozen=True, slots=True)
class ChildFigures:
    """One counted child's days for each measure (None when left out of it), and why not."""

    dates: ChildDates
    year: str
    a1: int | None
    a10: int | None
    a2: int | None
    a3: bool | None
    """Moved in strictly before entered_care + 14 months; None when left out of A3."""
    a3_by: date | None
    """entered_care + 14 months: the day by which a child had to have moved in for A3."""
    left_out: tuple[LeftOut, ...]

    def days(self, measure: str) -> int | None:
        return {"A1": self.a1, "A2": self.a2, "A10": self.a10}[measure]

    def as_json(self) -> dict[str, Any]:
        dates = self.dates
        return {
            "case_ref": dates.case_ref, "team": dates.team, "year": self.year,
            "entered_care": _iso(dates.entered_care),
            "placement_order": _iso(dates.placement_order), "matched": _iso(dates.matched),
            "fostered_by_adopters": _iso(dates.fostered_by_adopters),
            "placed_with_adopters": _iso(dates.placed_with_adopters),
            "adoption_order": _iso(dates.adoption_order),
            "A1_days": self.a1, "A2_days": self.a2,
            "entered_care_plus_14_months": _iso(self.a3_by), "A3_within_14_months": self.a3,
            "A10_days": self.a10,
            "left_out": [{"measure": item.measure, "reason": item.reason}
                         for item in self.left_out]}


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day is not None else None


def dates_from_facts(facts: Iterable[CaseFacts], first: date | None = None,
                     last: date | None = None) -> list[ChildDates]:
    """The scorecard dates of every case with an `adoption_order` completion (dated from
    `first` to `last`, when given), from the facts evaluation reads: the same dates as
    `store.scorecard_dates`, for callers that hold the facts already (the report)."""
    out = []
    for case in facts:
        done = case.completions
        adopted = done.get("adoption_order")
        if adopted is None or (first is not None and adopted < first) or (
                last is not None and adopted > last):
            continue
        out.append(ChildDates(
            case_ref=case.case_ref, team=case.team,
            entered_care=done.get("entered_care") or case.looked_after_on,
            adoption_order=adopted, placed_with_adopters=done.get("placed_with_adopters"),
            fostered_by_adopters=done.get("fostered_by_adopters"),
            placement_order=done.get("placement_order"), matched=done.get("matched"),
            no_adoptive_placement=case.not_applicable.get("placed_with_adopters")))
    return out


def child_figures(dates: ChildDates, year: str = "") -> ChildFigures:
    """One child's days for A1, A10 and A2, whether A3 was met, and what it is left out of."""
    left: list[LeftOut] = []
    a1 = a10 = a2 = None
    a3: bool | None = None
    a3_by: date | None = None
    placed = dates.placed_with_adopters
    if placed is None:
        if dates.no_adoptive_placement is not None:
            reason = (f"no adoptive placement (placed_with_adopters recorded not applicable on "
                      f"{dates.no_adoptive_placement})")
        else:
            reason = "no adoptive placement (no placed_with_adopters recorded)"
        left += [LeftOut(measure, reason) for measure in MEASURES]
    elif placed < dates.entered_care:
        reason = (f"placed_with_adopters {placed} is before entered_care "
                  f"{dates.entered_care}: a recording error")
        left += [LeftOut(measure, reason) for measure in MEASURES]
    else:
        a1 = (placed - dates.entered_care).days
        a3_by = _add_months(dates.entered_care, A3_MONTHS)
        a3 = placed < a3_by
        fostered = dates.fostered_by_adopters
        if fostered is not None and fostered < dates.entered_care:
            left.append(LeftOut("A10", f"fostered_by_adopters {fostered} is before "
                                       f"entered_care {dates.entered_care}: a recording error"))
        else:
            a10 = ((fostered if fostered is not None else placed) - dates.entered_care).days
        if dates.placement_order is None:
            left.append(LeftOut("A2", "no placement order (no placement_order recorded)"))
        elif dates.matched is None:
            left.append(LeftOut("A2", "no match date (no matched recorded)"))
        else:
            a2 = max(0, (dates.matched - dates.placement_order).days)
    order = {measure: index for index, measure in enumerate(MEASURES)}
    left.sort(key=lambda item: order[item.measure])
    return ChildFigures(dates, year, a1, a10, a2, a3, a3_by, tuple(left))


def mean_days(values: Sequence[int]) -> int | None:
    """The mean, rounded half up to a whole day; None for no values."""
    if not values:
        return None
    mean = Decimal(sum(values)) / Decimal(len(values))
    return int(mean.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def percent(met: int, of: int) -> Decimal | None:
    """`met` of `of` as a percentage, one decimal, rounded half up; None when `of` is 0."""
    if not of:
        return None
    return (Decimal(100 * met) / Decimal(of)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class Figure:
    """One measure over a set of children: its value (days, or A3's percent), how many
    children it counts, and its threshold in days (None for A3)."""

    measure: str
    children: int
    days: int | None = None
    percent: Decimal | None = None
    threshold_days: int | None = None

    @property
    def value(self) -> int | Decimal | None:
        return self.percent if self.measure == "A3" else self.days

    @property
    def within_threshold(self) -> bool | None:
        """Days at or under the threshold; None with no threshold or no figure."""
        if self.threshold_days is None or self.days is None:
            return None
        return self.days <= self.threshold_days

    def as_json(self, *, threshold: bool) -> dict[str, Any]:
        if self.measure == "A3":
            return {"percent": float(self.percent) if self.percent is not None else None,
                    "children": self.children}
        data: dict[str, Any] = {"days": self.days, "children": self.children}
        if threshold:
            data["threshold_days"] = self.threshold_days
        return data


def figures(children: Sequence[ChildFigures]) -> dict[str, Figure]:
    """A1, A2, A3 and A10 over `children`, in the contract's order."""
    out: dict[str, Figure] = {}
    for measure in MEASURES:
        if measure == "A3":
            judged = [child.a3 for child in children if child.a3 is not None]
            out[measure] = Figure("A3", len(judged), percent=percent(sum(judged), len(judged)))
            continue
        values = [days for child in children
                  if (days := child.days(measure)) is not None]
        out[measure] = Figure(measure, len(values), days=mean_days(values),
                              threshold_days=THRESHOLDS[measure])
    return out


@dataclass(frozen=True, slots=True)
class Scorecard:
    """The scorecard for one window (and team): the three-year figures, each year's, and
    every child counted."""

    period_end: date
    window_start: date
    team: str | None
    years: tuple[Span, ...]
    children: tuple[ChildFigures, ...]
    """Ordered by case_ref."""

    @property
    def adopted(self) -> int:
        return len(self.children)

    def figures(self, year: str | None = None) -> dict[str, Figure]:
        """The window's figures, or one year's (by label)."""
        return figures(self.of_year(year))

    def of_year(self, year: str | None) -> list[ChildFigures]:
        return list(self.children) if year is None else [
            child for child in self.children if child.year == year]

    def as_json(self, *, with_children: bool = False) -> dict[str, Any]:
        """The contract's object; `with_children` adds `children`, one object per child."""
        data: dict[str, Any] = {
            "period_end": self.period_end.isoformat(),
            "window_start": self.window_start.isoformat(), "team": self.team,
            "adopted": self.adopted}
        data.update({measure: figure.as_json(threshold=True)
                     for measure, figure in self.figures().items()})
        data["years"] = {
            span.label: {"adopted": len(self.of_year(span.label)),
                         **{measure: figure.as_json(threshold=False)
                            for measure, figure in self.figures(span.label).items()}}
            for span in self.years}
        if with_children:
            data["children"] = [child.as_json() for child in self.children]
        return data


def scorecard(dates: Iterable[ChildDates], period_end: date,
              team: str | None = None) -> Scorecard:
    """The scorecard of the window ending on `period_end`, over the children in `dates` whose
    adoption order falls in it (of `team` when given)."""
    years = tuple(spans(period_end))
    first = years[0].first
    children = []
    for child in sorted(dates, key=lambda child: child.case_ref):
        if team is not None and child.team != team:
            continue
        if not first <= child.adoption_order <= period_end:
            continue
        year = next(span.label for span in years
                    if span.first <= child.adoption_order <= span.last)
        children.append(child_figures(child, year))
    return Scorecard(period_end, first, team, years, tuple(children))


def quarter_of(day: date) -> str:
    """The calendar quarter a date falls in: `2021 Q2` (April to June)."""
    return f"{day.year} Q{(day.month - 1) // 3 + 1}"


def quarters(first: date, last: date) -> list[str]:
    """Every calendar quarter from the one holding `first` to the one holding `last`."""
    out = []
    year, index = first.year, (first.month - 1) // 3
    while (year, index) <= (last.year, (last.month - 1) // 3):
        out.append(f"{year} Q{index + 1}")
        year, index = (year, index + 1) if index < 3 else (year + 1, 0)
    return out


def by_quarter(card: Scorecard) -> list[tuple[str, dict[str, Figure]]]:
    """Each calendar quarter of the window with the figures of the children adopted in it
    (quarters with no adoption included, their figures None)."""
    grouped: dict[str, list[ChildFigures]] = {}
    for child in card.children:
        grouped.setdefault(quarter_of(child.dates.adoption_order), []).append(child)
    return [(quarter, figures(grouped.get(quarter, [])))
            for quarter in quarters(card.window_start, card.period_end)]
