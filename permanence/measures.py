"""Measures for improvement work, the RAG board's counts, the workload forecast and data quality.

Pure functions of (timelines, case facts, an evaluation, leads, as-of date): no I/O, no clock.
The HTML report (`permanence.report`) and `permanence measures` both print these figures, so
the page and the data always agree.

Definitions, fixed here because a committee compares them month by month:

- **Days from anchor.** A clocked milestone's anchor is the date its clock started from, as
  evaluation counts it: the completion date of the milestone it comes `after` (when that is a
  start milestone: its recorded date, else the case's `looked_after_on`; when that step no
  longer applies (`n/a`), the date that step's own clock started from; when that step recurs,
  its first occurrence). Its duration is completion - anchor in calendar days, less the
  case's paused days P with anchor < P <= completion (a clock stands still while the case is
  paused, so the days it was paused are not time the step took).
- **Recurring steps** (`every`): each occurrence counts in the month it was held: the first
  from the anchor, each later one from the occurrence before it. Lead-time steps (`before`
  + `lead`) have no anchor and are not measured.
- **Counted.** Every case that became looked after on or before the as-of date, open or closed:
  the measures are history, and a case usually closes once permanence is reached, so leaving
  closed cases out would leave out most finished journeys. Completions dated after the as-of
  date are ignored, as everywhere else. (The RAG board, forecast and timelines consider open
  cases only, as the contract says.)
- **Not counted, reported as data quality instead.** A completion whose anchor is not recorded
  (`no_anchor`), or that is dated before its anchor (`out_of_order`): its duration is unknown or
  negative, so it would distort the figures.
- **Month of completion.** The calendar month (YYYY-MM) in which the milestone was completed;
  the as-of date's own month holds the completions up to that date only.
- **Median.** The middle value of the sorted durations; for an even count, the mean of the two
  middle values (so it may end in .5).
- **90th percentile (p90).** Nearest rank: the smallest duration that at least 90% of the
  durations do not exceed, i.e. the value at position ceil(0.9 n) of the sorted list (1-based).
  It is always a duration that really happened.
- **On time.** Completed on or before the due date as evaluation gives it on the as-of date
  (status `done`, not `late`): the rule's date from the anchor, moved on by the case's paused
  days, or the date agreed in an extension where one stands (approved on or before the as-of
  date; the latest approval stands). The share is on-time completions / n; `extended` says
  how many of the n were judged against an agreed date.
- **Extensions granted.** Every extension approved on or before the as-of date, over the
  cases counted, by milestone and month of approval (a second approval for one step counts
  again: each is a decision someone made).
- **At risk.** Open clocks (green, amber or red) booked, as known on the as-of date, for a
  date after their due date, soonest due first.
- **Journey.** Per timeline: days from the start milestone's date to the completion of the
  timeline's last milestone in its rule file that is neither recurring nor a lead time (rule
  files list steps in journey order), bucketed by the month of that completion. Calendar days,
  paused ones included: a journey is how long the child waited.
- **Run chart.** The points are the monthly medians; the centre line is the median of those
  points. A shift is six or more consecutive points all above or all below the centre line
  (points on the line neither break nor extend a run): a signal that the process changed.
- **Forecast.** Open clocks (green or amber) whose due date falls in the 28 days starting on
  the as-of date, per team and per owner, in four weeks (week 1 is as-of to as-of + 6).
- **Drift, oldest first.** Red milestones by days overdue, most first; then amber ones by due
  date, soonest first; ties by case_ref.
- **Data quality.** `out_of_order` and `no_anchor` as above, and `unknown_milestone` (a
  completion of a milestone the case's timeline does not have), over the cases the measures
  count; `no_social_worker` (an open case whose social_worker is not a lead) and
  `unresolved_role` (any other role that resolves to nobody, one item per timeline, team and
  role, as evaluation reports it), over open cases.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import NamedTuple

from permanence.collector import collector_paused
from permanence.dates import add_duration
from permanence.evaluate import (
    CaseFacts,
    Evaluation,
    MilestoneStatus,
    Status,
    after_pauses,
    agreed_due,
    due_date,
    evaluation_order,
    paused_spans,
)
from permanence.timelines import Milestone, Timeline

FORECAST_DAYS = 28
SHIFT_LENGTH = 6
NOBODY = "(nobody)"
RAG = (Status.GREEN, Status.AMBER, Status.RED)


# -- Statistics ---------------------------------------------------------------------------------

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


# -- Figures ------------------------------------------------------------------------------------

class MonthMeasure(NamedTuple):
    """One milestone's completions in one month: how long they took from their anchor."""

    timeline: str
    milestone: str
    title: str
    month: str
    n: int
    median_days: float
    p90_days: int
    on_time: int
    share_on_time: float
    extended: int = 0
    """Of the n, how many were judged against a date agreed in an extension."""

    def as_json(self) -> dict[str, object]:
        return {"measure": "milestone", **self._asdict()}


class JourneyMeasure(NamedTuple):
    """Journeys that reached their timeline's last milestone in one month."""

    timeline: str
    milestone: str
    title: str
    month: str
    n: int
    median_days: float
    p90_days: int

    def as_json(self) -> dict[str, object]:
        return {"measure": "journey", **self._asdict()}


class QualityItem(NamedTuple):
    """One data-quality problem: what, where, and a plain sentence about it."""

    kind: str
    case_ref: str | None
    team: str | None
    timeline: str | None
    milestone: str | None
    detail: str

    def as_json(self) -> dict[str, object]:
        return self._asdict()


QUALITY_KINDS = {
    "out_of_order": "Milestones recorded out of order",
    "no_anchor": "Milestones recorded before the step they follow",
    "unknown_milestone": "Completions of a milestone the timeline does not have",
    "no_social_worker": "Open cases with no social worker lead",
    "unresolved_role": "Roles that resolve to nobody",
}


class WorkloadRow(NamedTuple):
    """Milestones falling due in each of the next four weeks for one team or one lead (lead
    None: the team's row)."""

    team: str
    lead: str | None
    weeks: tuple[int, ...]

    @property
    def total(self) -> int:
        return sum(self.weeks)

    def as_json(self) -> dict[str, object]:
        return {"team": self.team, "lead": self.lead, "weeks": list(self.weeks),
                "total": self.total}


class RagRow(NamedTuple):
    """Open clocks by colour for one team or one lead (lead None: the team's row)."""

    team: str
    lead: str | None
    green: int
    amber: int
    red: int

    def as_json(self) -> dict[str, object]:
        return self._asdict()


@dataclass
class Measures:
    """Everything the report shows as figures, for one as-of date (and team, if given)."""

    as_of: date
    team: str | None = None
    milestones: list[MonthMeasure] = field(default_factory=list)
    journeys: list[JourneyMeasure] = field(default_factory=list)
    rag_by_team: list[RagRow] = field(default_factory=list)
    rag_by_lead: list[RagRow] = field(default_factory=list)
    forecast_by_team: list[WorkloadRow] = field(default_factory=list)
    forecast_by_lead: list[WorkloadRow] = field(default_factory=list)
    quality: list[QualityItem] = field(default_factory=list)
    extensions: list[ExtensionMeasure] = field(default_factory=list)
    at_risk: list[MilestoneStatus] = field(default_factory=list)
    """Running clocks booked for after their due date, soonest due first."""

    @property
    def extensions_granted(self) -> int:
        return sum(row.granted for row in self.extensions)

    @property
    def forecast_weeks(self) -> list[tuple[date, date]]:
        """(first, last) day of each forecast week."""
        return [(self.as_of + timedelta(days=7 * week), self.as_of + timedelta(days=7 * week + 6))
                for week in range(FORECAST_DAYS // 7)]

    def as_json(self) -> dict[str, object]:
        return {
            "as_of": self.as_of.isoformat(), "team": self.team,
            "milestones": [row.as_json() for row in self.milestones],
            "journeys": [row.as_json() for row in self.journeys],
            "rag": {"by_team": [row.as_json() for row in self.rag_by_team],
                    "by_lead": [row.as_json() for row in self.rag_by_lead]},
            "forecast": {
                "weeks": [{"from": first.isoformat(), "to": last.isoformat()}
                          for first, last in self.forecast_weeks],
                "by_team": [row.as_json() for row in self.forecast_by_team],
                "by_lead": [row.as_json() for row in self.forecast_by_lead]},
            "data_quality": [item.as_json() for item in self.quality],
            "extensions": {"granted": self.extensions_granted,
                           "by_month": [row.as_json() for row in self.extensions]},
            "at_risk": [at_risk_json(row) for row in self.at_risk],
        }


def at_risk_json(row: MilestoneStatus) -> dict[str, object]:
    """A milestone at risk as the measures' JSON lists it."""
    assert row.due is not None and row.planned_for is not None
    return {"case_ref": row.case_ref, "team": row.team, "timeline": row.timeline,
            "milestone": row.milestone, "title": row.title, "status": str(row.status),
            "due": row.due.isoformat(), "planned_for": row.planned_for.isoformat(),
            "days_after_due": (row.planned_for - row.due).days, "owner": row.owner,
            "sibling_group": row.sibling_group}


CSV_COLUMNS = ("measure", "timeline", "milestone", "title", "month", "n", "median_days",
               "p90_days", "on_time", "share_on_time")


def csv_rows(measures: Measures) -> list[list[object]]:
    """The improvement measures as one table: milestone rows, then journey rows."""
    rows: list[list[object]] = []
    for row in measures.milestones:
        rows.append(["milestone", *row[:len(CSV_COLUMNS) - 1]])  # `extended`: JSON only
    for journey in measures.journeys:
        rows.append(["journey", *journey, "", ""])
    return rows


# -- Durations from anchors ---------------------------------------------------------------------

class _Step(NamedTuple):
    """A milestone that is not a start, compiled for the measures: clocked steps keep their due
    dates memoised per anchor (a few thousand distinct anchors serve a million completions) and
    their figures per month; a lead-time step (no `after`) is not measured, it only passes its
    completion on to a step after it."""

    milestone: Milestone
    milestone_id: str
    after: str | None  # always placed before this step in evaluation order
    recurring: bool
    dues: dict[date, date]
    nexts: dict[date, date]
    days: dict[int, list[int]]
    on_time: Counter[int]
    extended: Counter[int]


class _Plan(NamedTuple):
    """A timeline compiled for the measures: its start milestones, clocked steps (rule order),
    every other step in evaluation order, known ids, the journey's last milestone and the
    journeys' durations per month."""

    timeline: Timeline
    starts: tuple[str, ...]
    steps: tuple[_Step, ...]
    order: tuple[_Step, ...]
    known: frozenset[str]
    end: str | None
    journeys: dict[int, list[int]]


def _plan(timeline: Timeline) -> _Plan:
    starts = tuple(m.id for m in timeline.milestones if m.is_start)
    compiled = {m.id: _Step(m, m.id, m.after, m.is_recurring, {}, {}, defaultdict(list),
                            Counter(), Counter())
                for m in timeline.milestones if not m.is_start}
    ends = [m.id for m in timeline.milestones
            if not (m.is_start or m.is_recurring or m.is_lead_time)]
    return _Plan(timeline, starts,
                 tuple(step for step in compiled.values() if step.after is not None),
                 tuple(compiled[timeline.milestones[index].id]
                       for index in evaluation_order(timeline)
                       if timeline.milestones[index].id in compiled),
                 frozenset(timeline.milestone_ids), ends[-1] if ends else None,
                 defaultdict(list))


def _month_text(month: int) -> str:
    return f"{month // 100:04d}-{month % 100:02d}"


def paused_within(spans: Sequence[tuple[date, date]], start: date, end: date) -> int:
    """How many paused days P (from `paused_spans`) fall in start < P <= end."""
    counted = 0
    for span_from, span_to in spans:
        first = max(span_from, start + timedelta(days=1))
        last = min(span_to, end)
        if last >= first:
            counted += (last - first).days + 1
    return counted


def history_measures(timelines: Mapping[str, Timeline], facts: Iterable[CaseFacts],
                     as_of: date) -> tuple[list[MonthMeasure], list[JourneyMeasure],
                                           list[QualityItem]]:
    """Per milestone and month of completion: n, median and p90 days from the anchor (paused
    days left out) and the share on time (against the agreed date where an extension stands);
    per timeline and month: journey days; and the completions left out because their anchor is
    missing or later than they are. Sorted by timeline, rule order, month."""
    with collector_paused():  # a million appends beside a million live status rows
        return _history_measures(timelines, facts, as_of)


def _history_measures(timelines: Mapping[str, Timeline], facts: Iterable[CaseFacts],
                      as_of: date) -> tuple[list[MonthMeasure], list[JourneyMeasure],
                                            list[QualityItem]]:
    plans: dict[str, _Plan] = {}
    quality: list[QualityItem] = []
    for case in facts:
        if case.looked_after_on > as_of:
            continue
        plan = plans.get(case.timeline)
        if plan is None:
            found = timelines.get(case.timeline)
            if found is None:
                continue
            plan = plans[case.timeline] = _plan(found)
        completions = case.completions
        if not completions.keys() <= plan.known:
            quality.extend(_unknown(case, plan.timeline, completions, as_of))
        get = completions.get
        passes: dict[str, date | None] = {}  # what each milestone passes to the next
        for start in plan.starts:
            recorded = get(start)
            passes[start] = (recorded if recorded is not None and recorded <= as_of
                             else case.looked_after_on)
        started = case.looked_after_on
        if plan.starts:
            started = passes[plan.starts[0]] or started
        spans = paused_spans(case.pauses, as_of) if case.pauses else ()
        marks = case.not_applicable
        jurisdiction = plan.timeline.jurisdiction
        for step in plan.order:
            milestone_id, after = step.milestone_id, step.after
            marked = marks.get(milestone_id) if marks else None
            if marked is not None and marked > as_of:
                marked = None
            if after is None:  # a lead time: not measured, passes its completion on
                completed = get(milestone_id)
                passes[milestone_id] = (None if marked is not None or completed is None
                                        or completed > as_of else completed)
                continue
            if step.recurring:
                first = (None if get(milestone_id) is None and not case.occurrences
                         else _occurrences(step, case, passes[after], spans, jurisdiction,
                                           as_of, quality))
                passes[milestone_id] = passes[after] if marked is not None else first
                continue
            if marked is not None:  # no longer applies: passes its own anchor through
                passes[milestone_id] = passes[after]
                continue
            completed = get(milestone_id)
            if completed is None or completed > as_of:
                passes[milestone_id] = None
                continue
            passes[milestone_id] = completed
            anchor = passes[after]
            if anchor is None:
                quality.append(QualityItem(
                    "no_anchor", case.case_ref, case.team, case.timeline, milestone_id,
                    f"{milestone_id} completed {completed}, but {after}, which it "
                    "follows, has no date"))
                continue
            if completed < anchor:
                quality.append(QualityItem(
                    "out_of_order", case.case_ref, case.team, case.timeline, milestone_id,
                    f"{milestone_id} completed {completed}, before {after} ({anchor})"))
                continue
            due = step.dues.get(anchor)
            if due is None:
                due = step.dues[anchor] = due_date(anchor, step.milestone, jurisdiction)
            if spans or case.extensions:
                _count(step, anchor, completed, due, spans,
                       agreed_due(case.extensions.get(milestone_id), as_of))
                continue
            month = completed.year * 100 + completed.month  # _count, inlined for plain cases
            step.days[month].append((completed - anchor).days)
            if completed <= due:
                step.on_time[month] += 1
        if plan.end is not None:
            end = get(plan.end)
            if end is not None and started <= end <= as_of:
                plan.journeys[end.year * 100 + end.month].append((end - started).days)

    milestone_rows: list[MonthMeasure] = []
    journey_rows: list[JourneyMeasure] = []
    for name in sorted(plans):
        plan = plans[name]
        for step in plan.steps:
            for month in sorted(step.days):
                days = step.days[month]
                on_time = step.on_time[month]
                milestone_rows.append(MonthMeasure(
                    name, step.milestone.id, step.milestone.title, _month_text(month), len(days),
                    median(days), percentile(days, 0.9), on_time, round(on_time / len(days), 4),
                    step.extended[month]))
        if plan.end is None:
            continue
        last = plan.timeline.milestone(plan.end)
        assert last is not None
        for month in sorted(plan.journeys):
            days = plan.journeys[month]
            journey_rows.append(JourneyMeasure(name, last.id, last.title, _month_text(month),
                                               len(days), median(days), percentile(days, 0.9)))
    quality.sort(key=lambda item: (item.kind, item.case_ref or "", item.milestone or ""))
    return milestone_rows, journey_rows, quality


def _count(step: _Step, start: date, completed: date, due: date,
           spans: Sequence[tuple[date, date]], agreed: date | None) -> None:
    """One completion of a step whose clock started on `start` with due date `due` (before
    pauses): its days without the paused ones, judged against the due date as evaluation
    gives it (moved by the pauses, or the agreed date where an extension stands)."""
    days = (completed - start).days
    if spans:
        days -= paused_within(spans, start, completed)
        due = after_pauses(start, due, completed, spans)
    month = completed.year * 100 + completed.month
    if agreed is not None:
        due = agreed
        step.extended[month] += 1
    step.days[month].append(days)
    if completed <= due:
        step.on_time[month] += 1


def _occurrences(step: _Step, case: CaseFacts, anchor: date | None,
                 spans: Sequence[tuple[date, date]], jurisdiction: str, as_of: date,
                 quality: list[QualityItem]) -> date | None:
    """Counts each occurrence of a recurring step held from its anchor to A: the first from
    the anchor (due `within`, else `every`), each later one from the one before (due `every`).
    Returns the first occurrence, which a step after it starts from."""
    milestone = step.milestone
    recorded = case.occurrences.get(milestone.id)
    if recorded is None:
        single = case.completions.get(milestone.id)
        recorded = () if single is None else (single,)
    if anchor is None:
        latest = max((day for day in recorded if day <= as_of), default=None)
        if latest is not None:
            quality.append(QualityItem(
                "no_anchor", case.case_ref, case.team, case.timeline, milestone.id,
                f"{milestone.id} completed {latest}, but {step.after}, which it follows, has "
                "no date"))
        return None
    held = sorted({day for day in recorded if anchor <= day <= as_of})
    previous = anchor
    for number, day in enumerate(held):
        if number == 0:
            due = step.dues.get(anchor)
            if due is None:
                due = step.dues[anchor] = due_date(anchor, milestone, jurisdiction)
        else:
            due = step.nexts.get(previous)
            if due is None:
                due = step.nexts[previous] = add_duration(
                    previous, milestone.every, jurisdiction)  # type: ignore[arg-type]
        _count(step, previous, day, due, spans, None)
        previous = day
    return held[0] if held else None


class ExtensionMeasure(NamedTuple):
    """Agreed extensions of one milestone approved in one month."""

    timeline: str
    milestone: str
    title: str
    month: str
    granted: int

    def as_json(self) -> dict[str, object]:
        return {"measure": "extension", **self._asdict()}


def extension_counts(timelines: Mapping[str, Timeline], facts: Iterable[CaseFacts],
                     as_of: date) -> list[ExtensionMeasure]:
    """How many extensions were granted, per milestone and month of approval, over the cases
    the measures count (approved on or before A; each approval counts, a second one for the
    same step included). Sorted by timeline, rule order, month."""
    granted: Counter[tuple[str, str, int]] = Counter()
    for case in facts:
        if not case.extensions or case.looked_after_on > as_of:
            continue
        timeline = timelines.get(case.timeline)
        if timeline is None:
            continue
        for milestone_id, rows in case.extensions.items():
            if timeline.milestone(milestone_id) is None:
                continue
            for approved_on, _ in rows:
                if approved_on <= as_of:
                    granted[(case.timeline, milestone_id,
                             approved_on.year * 100 + approved_on.month)] += 1
    rows_out = []
    for name, milestone_id, month in granted:
        timeline = timelines[name]
        found = timeline.milestone(milestone_id)
        assert found is not None
        rows_out.append((name, timeline.milestone_ids.index(milestone_id), month,
                         ExtensionMeasure(name, milestone_id, found.title, _month_text(month),
                                          granted[(name, milestone_id, month)])))
    return [row for *_, row in sorted(rows_out, key=lambda item: item[:3])]


def _unknown(case: CaseFacts, timeline: Timeline, completions: Mapping[str, date],
             as_of: date) -> list[QualityItem]:
    return [QualityItem("unknown_milestone", case.case_ref, case.team, timeline.name, milestone,
                        f"{milestone} completed {day}, but timeline {timeline.name} has no such "
                        "milestone")
            for milestone, day in sorted(completions.items())
            if day <= as_of and milestone not in timeline.milestone_ids]


# -- Open cases: board, drift, forecast ---------------------------------------------------------

def rag_counts(statuses: Iterable[MilestoneStatus]) -> tuple[list[RagRow], list[RagRow]]:
    """Open clocks by colour per team (sorted by team), and per (team, owner): sorted by team,
    then most red, then most amber, then lead_id."""
    by_team: Counter[tuple[str, Status]] = Counter()
    by_lead: Counter[tuple[str, str, Status]] = Counter()
    teams: set[str] = set()
    leads: set[tuple[str, str]] = set()
    for row in statuses:
        if row.status in RAG:
            teams.add(row.team)
            leads.add((row.team, row.owner or NOBODY))
            by_team[(row.team, row.status)] += 1
            by_lead[(row.team, row.owner or NOBODY, row.status)] += 1
    return ([RagRow(team, None, *(by_team[(team, s)] for s in RAG)) for team in sorted(teams)],
            sorted((RagRow(team, lead, *(by_lead[(team, lead, s)] for s in RAG))
                    for team, lead in leads),
                   key=lambda row: (row.team, -row.red, -row.amber, row.lead or "")))


def drift_order(row: MilestoneStatus) -> tuple[bool, int, date, str]:
    """Oldest drift first: red by days overdue, most first; then amber by due date, soonest
    first; then by case. The report, the daily check's red table and the demo's board sort by
    it, so they list drift alike."""
    return (row.status is not Status.RED, -(row.days_overdue or 0), row.due or date.max,
            row.case_ref)


def drift(statuses: Iterable[MilestoneStatus]) -> list[MilestoneStatus]:
    """Every red and amber milestone, oldest drift first; a case's by milestone id."""
    red = [row for row in statuses if row.status is Status.RED or row.status is Status.AMBER]
    red.sort(key=lambda row: (*drift_order(row), row.milestone))
    return red


def at_risk(statuses: Iterable[MilestoneStatus]) -> list[MilestoneStatus]:
    """Every running clock whose milestone is booked, as known on A, for after its due date
    (`at_risk` in the evaluation): soonest due first, then by case and milestone."""
    found = [row for row in statuses if row.at_risk]
    found.sort(key=lambda row: (row.due or date.max, row.case_ref, row.milestone))
    return found


def forecast(statuses: Iterable[MilestoneStatus], as_of: date,
             days: int = FORECAST_DAYS) -> tuple[list[WorkloadRow], list[WorkloadRow]]:
    """Open clocks falling due in the `days` days starting on `as_of`, per team and per
    (team, owner), in weeks; sorted by team, then lead."""
    last = as_of + timedelta(days=days - 1)
    weeks = (days + 6) // 7
    by_team: dict[str, list[int]] = {}
    by_lead: dict[tuple[str, str], list[int]] = {}
    for row in statuses:
        if row.due is None or row.completed_on is not None or not as_of <= row.due <= last:
            continue
        if row.status is not Status.GREEN and row.status is not Status.AMBER:
            continue
        week = (row.due - as_of).days // 7
        by_team.setdefault(row.team, [0] * weeks)[week] += 1
        by_lead.setdefault((row.team, row.owner or NOBODY), [0] * weeks)[week] += 1
    return ([WorkloadRow(team, None, tuple(counts)) for team, counts in sorted(by_team.items())],
            [WorkloadRow(team, lead, tuple(counts))
             for (team, lead), counts in sorted(by_lead.items())])


def open_case_quality(facts: Iterable[CaseFacts], evaluation: Evaluation,
                      lead_ids: set[str], as_of: date) -> list[QualityItem]:
    """Open cases whose social worker is not a known lead, and every other role that resolves
    to nobody (one item per timeline, team and role, as evaluation reports them)."""
    items = [QualityItem("no_social_worker", case.case_ref, case.team, case.timeline, None,
                         f"social_worker {case.social_worker!r} is not a known lead"
                         if case.social_worker else "no social_worker recorded")
             for case in facts
             if case.looked_after_on <= as_of and (case.closed_on is None or case.closed_on > as_of)
             and case.social_worker not in lead_ids]
    items.sort(key=lambda item: item.case_ref or "")
    items.extend(QualityItem("unresolved_role", None, problem.team, problem.timeline,
                             ",".join(problem.milestones), problem.describe())
                 for problem in evaluation.unresolved if problem.role != "social_worker")
    return items


def measure(*, timelines: Mapping[str, Timeline], facts: Sequence[CaseFacts],
            evaluation: Evaluation, lead_ids: set[str], as_of: date,
            team: str | None = None) -> Measures:
    """Every figure of the report for one as-of date; with `team`, that team's cases only.
    `evaluation` is evaluate()'s result for the same facts and as-of date."""
    statuses: Sequence[MilestoneStatus] = evaluation.statuses
    if team is not None:
        facts = [case for case in facts if case.team == team]
        statuses = [row for row in statuses if row.team == team]
        evaluation = Evaluation(as_of, list(statuses),
                                [p for p in evaluation.unresolved if p.team == team])
    milestones, journeys, quality = history_measures(timelines, facts, as_of)
    rag_team, rag_lead = rag_counts(statuses)
    due_team, due_lead = forecast(statuses, as_of)
    quality = quality + open_case_quality(facts, evaluation, lead_ids, as_of)
    return Measures(as_of=as_of, team=team, milestones=milestones, journeys=journeys,
                    rag_by_team=rag_team, rag_by_lead=rag_lead, forecast_by_team=due_team,
                    forecast_by_lead=due_lead, quality=quality,
                    extensions=extension_counts(timelines, facts, as_of),
                    at_risk=at_risk(statuses))
