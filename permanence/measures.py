"""Measures for improvement work, the RAG board's counts, the workload forecast and data quality.

Pure functions of (timelines, case facts, an evaluation, leads, as-of date): no I/O, no clock.
The HTML report (`permanence.report`) and `permanence measures` both print these figures, so
the page and the data always agree.

Definitions, fixed here because a committee compares them month by month:

- **Days from anchor.** A clocked milestone's anchor is the completion date of the milestone
  it comes `after` (when that is a start milestone: its recorded date, else the case's
  `looked_after_on`, as evaluation does). Its duration is completion - anchor, in calendar days.
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
- **On time.** Completed on or before the due date the rule gives from the anchor (status
  `done`, not `late`); the share is on-time completions / n.
- **Journey.** Per timeline: days from the start milestone's date to the completion of the
  timeline's last milestone in its rule file (rule files list steps in journey order), bucketed
  by the month of that completion.
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
from permanence.evaluate import CaseFacts, Evaluation, MilestoneStatus, Status, due_date
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
        }


CSV_COLUMNS = ("measure", "timeline", "milestone", "title", "month", "n", "median_days",
               "p90_days", "on_time", "share_on_time")


def csv_rows(measures: Measures) -> list[list[object]]:
    """The improvement measures as one table: milestone rows, then journey rows."""
    rows: list[list[object]] = []
    for row in measures.milestones:
        rows.append(["milestone", *row])
    for journey in measures.journeys:
        rows.append(["journey", *journey, "", ""])
    return rows


# -- Durations from anchors ---------------------------------------------------------------------

class _Step(NamedTuple):
    """A clocked milestone compiled for the measures, with its due dates memoised per anchor
    (a few thousand distinct anchors serve a million completions) and its figures per month."""

    milestone: Milestone
    after: str
    after_is_start: bool
    dues: dict[date, date]
    days: dict[int, list[int]]
    on_time: Counter[int]


class _Plan(NamedTuple):
    """A timeline compiled for the measures: its start milestones, clocked steps, known ids,
    the journey's last milestone and the journeys' durations per month."""

    timeline: Timeline
    starts: tuple[str, ...]
    steps: tuple[_Step, ...]
    known: frozenset[str]
    end: str | None
    journeys: dict[int, list[int]]


def _plan(timeline: Timeline) -> _Plan:
    starts = tuple(m.id for m in timeline.milestones if m.is_start)
    steps = tuple(_Step(m, m.after, m.after in starts, {}, defaultdict(list), Counter())
                  for m in timeline.milestones if m.after is not None)
    last = timeline.milestones[-1]
    return _Plan(timeline, starts, steps, frozenset(timeline.milestone_ids),
                 None if last.is_start else last.id, defaultdict(list))


def _month_text(month: int) -> str:
    return f"{month // 100:04d}-{month % 100:02d}"


def history_measures(timelines: Mapping[str, Timeline], facts: Iterable[CaseFacts],
                     as_of: date) -> tuple[list[MonthMeasure], list[JourneyMeasure],
                                           list[QualityItem]]:
    """Per milestone and month of completion: n, median and p90 days from the anchor and the
    share on time; per timeline and month: journey days; and the completions left out because
    their anchor is missing or later than they are. Sorted by timeline, rule order, month."""
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
        started = case.looked_after_on
        if plan.starts:
            recorded = get(plan.starts[0])
            if recorded is not None and recorded <= as_of:
                started = recorded
        for step in plan.steps:
            completed = get(step.milestone.id)
            if completed is None or completed > as_of:
                continue
            if step.after_is_start:
                anchor = get(step.after)
                if anchor is None or anchor > as_of:
                    anchor = case.looked_after_on
            else:
                anchor = get(step.after)
                if anchor is None or anchor > as_of:
                    quality.append(QualityItem(
                        "no_anchor", case.case_ref, case.team, case.timeline, step.milestone.id,
                        f"{step.milestone.id} completed {completed}, but {step.after}, which it "
                        "follows, has no date"))
                    continue
            if completed < anchor:
                quality.append(QualityItem(
                    "out_of_order", case.case_ref, case.team, case.timeline, step.milestone.id,
                    f"{step.milestone.id} completed {completed}, before {step.after} ({anchor})"))
                continue
            month = completed.year * 100 + completed.month
            step.days[month].append((completed - anchor).days)
            due = step.dues.get(anchor)
            if due is None:
                due = step.dues[anchor] = due_date(anchor, step.milestone,
                                                   plan.timeline.jurisdiction)
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
                    median(days), percentile(days, 0.9), on_time, round(on_time / len(days), 4)))
        last = plan.timeline.milestones[-1]
        for month in sorted(plan.journeys):
            days = plan.journeys[month]
            journey_rows.append(JourneyMeasure(name, last.id, last.title, _month_text(month),
                                               len(days), median(days), percentile(days, 0.9)))
    quality.sort(key=lambda item: (item.kind, item.case_ref or "", item.milestone or ""))
    return milestone_rows, journey_rows, quality


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
                    forecast_by_lead=due_lead, quality=quality)
