"""The history measures: days from anchor per milestone and month, journeys, and extensions
granted, over every case counted, open or closed. One pass over the facts: at a million
completions, each step's due dates are memoised per anchor."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from typing import NamedTuple

from permanence.clocks import after_pauses, agreed_due, due_date, paused_spans
from permanence.collector import collector_paused
from permanence.dates import add_duration
from permanence.evaluate import CaseFacts, evaluation_order
from permanence.measures.quality import QualityItem
from permanence.measures.stats import median, percentile
from permanence.timelines import Milestone, Timeline


class MonthMeasure(NamedTuple):
    """One milestone in one month: the completions in it, how long they took from their anchor
    and how many were on time; and the clocks that fell due in it (their due date is in the
    month and before the as-of date), each done on time, done late or still open past it."""

    timeline: str
    milestone: str
    title: str
    month: str
    n: int
    median_days: float | None
    """None when no completion is in the month (n = 0)."""
    p90_days: int | None
    on_time: int
    """Of the n completions, how many were on or before their due date."""
    share_on_time: float | None
    """due_on_time / due, four decimals; None when no clock fell due in the month."""
    extended: int = 0
    """Of the n, how many were judged against a date agreed in an extension."""
    due: int = 0
    """Clocks that fell due in the month: due_on_time + due_late + due_open."""
    due_on_time: int = 0
    due_late: int = 0
    due_open: int = 0
    """Not done by the as-of date (nor by the day the case closed), not marked n/a."""

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


class _Step(NamedTuple):
    """A milestone that is not a start, compiled for the measures: clocked steps keep their due
    dates memoised per anchor (a few thousand distinct anchors serve a million completions) and
    their figures per month; a lead-time step (no `after`) and a record-only step (no clock)
    are not measured, they only pass their completion on to a step after them."""

    milestone: Milestone
    milestone_id: str
    after: str | None  # always placed before this step in evaluation order
    recurring: bool
    record_only: bool
    dues: dict[date, date]
    nexts: dict[date, date]
    days: dict[int, list[int]]
    on_time: Counter[int]
    extended: Counter[int]
    fell_due: dict[int, list[int]]  # due month: [on time, late, open]


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
    compiled = {m.id: _Step(m, m.id, m.after, m.is_recurring, m.is_record_only, {}, {},
                            defaultdict(list), Counter(), Counter(),
                            defaultdict(lambda: [0, 0, 0]))
                for m in timeline.milestones if not m.is_start}
    ends = [m.id for m in timeline.milestones
            if not (m.is_start or m.is_recurring or m.is_lead_time or m.is_record_only)]
    return _Plan(timeline, starts,
                 tuple(step for step in compiled.values()
                       if step.after is not None and not step.record_only),
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
    days left out) and how many were on time (against the agreed date where an extension
    stands); per milestone and month of due date: the clocks that fell due (due before A), done
    on time, done late or still open, and the share on time of those; per timeline and month:
    journey days; and the completions left out because their anchor is missing or later than
    they are. Sorted by timeline, rule order, month."""
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
            if step.record_only:  # no clock: not measured; passes its date (n/a: its anchor)
                completed = get(milestone_id)
                passes[milestone_id] = (passes[after] if marked is not None
                                        else completed if completed is not None
                                        and completed <= as_of else None)
                continue
            if step.recurring:
                first = _occurrences(step, case, passes[after], spans, jurisdiction, as_of,
                                     quality, marked is None)
                passes[milestone_id] = passes[after] if marked is not None else first
                continue
            if marked is not None:  # no longer applies: passes its own anchor through
                passes[milestone_id] = passes[after]
                continue
            completed = get(milestone_id)
            if completed is None or completed > as_of:
                passes[milestone_id] = None
                anchor = passes[after]
                if anchor is not None:
                    due = step.dues.get(anchor)
                    if due is None:
                        due = step.dues[anchor] = due_date(anchor, step.milestone, jurisdiction)
                    if spans:
                        due = after_pauses(anchor, due, None, spans)
                    if case.extensions:
                        due = agreed_due(case.extensions.get(milestone_id), as_of) or due
                    _still_open(step, due, case.closed_on, as_of)
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
                       agreed_due(case.extensions.get(milestone_id), as_of), as_of)
                continue
            month = completed.year * 100 + completed.month  # _count, inlined for plain cases
            step.days[month].append((completed - anchor).days)
            if completed <= due:
                step.on_time[month] += 1
            if due < as_of:
                step.fell_due[due.year * 100 + due.month][completed > due] += 1
        if plan.end is not None:
            end = get(plan.end)
            if end is not None and started <= end <= as_of:
                plan.journeys[end.year * 100 + end.month].append((end - started).days)

    milestone_rows: list[MonthMeasure] = []
    journey_rows: list[JourneyMeasure] = []
    for name in sorted(plans):
        plan = plans[name]
        for step in plan.steps:
            for month in sorted(step.days.keys() | step.fell_due.keys()):
                days = step.days.get(month, [])
                on_time, late, still_open = step.fell_due.get(month, (0, 0, 0))
                fell = on_time + late + still_open
                milestone_rows.append(MonthMeasure(
                    name, step.milestone.id, step.milestone.title, _month_text(month), len(days),
                    median(days) if days else None, percentile(days, 0.9) if days else None,
                    step.on_time[month], round(on_time / fell, 4) if fell else None,
                    step.extended[month], fell, on_time, late, still_open))
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


def _still_open(step: _Step, due: date, closed_on: date | None, as_of: date) -> None:
    """A clock not done by A, due on `due` as evaluation gives it: fell due, and is open past
    it, when that is before A and, for a closed case, before the day it closed (a clock that
    came due after the child left care is nobody's drift)."""
    if due < as_of and (closed_on is None or due < closed_on):
        step.fell_due[due.year * 100 + due.month][2] += 1


def _count(step: _Step, start: date, completed: date, due: date,
           spans: Sequence[tuple[date, date]], agreed: date | None, as_of: date) -> None:
    """One completion of a step whose clock started on `start` with due date `due` (before
    pauses): its days without the paused ones, judged against the due date as evaluation
    gives it (moved by the pauses, or the agreed date where an extension stands); counted in
    its due month too once that date is before A."""
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
    if due < as_of:
        step.fell_due[due.year * 100 + due.month][completed > due] += 1


def _occurrences(step: _Step, case: CaseFacts, anchor: date | None,
                 spans: Sequence[tuple[date, date]], jurisdiction: str, as_of: date,
                 quality: list[QualityItem], applies: bool) -> date | None:
    """Counts each occurrence of a recurring step held from its anchor to A: the first from
    the anchor (due `within`, else `every`), each later one from the one before (due `every`);
    and, while the step `applies` (not n/a on A), the next one if it is overdue on A.
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
        _count(step, previous, day, due, spans, None, as_of)
        previous = day
    if applies:
        if held:
            due = step.nexts.get(previous)
            if due is None:
                due = step.nexts[previous] = add_duration(
                    previous, milestone.every, jurisdiction)  # type: ignore[arg-type]
        else:
            due = step.dues.get(anchor)
            if due is None:
                due = step.dues[anchor] = due_date(anchor, milestone, jurisdiction)
        _still_open(step, after_pauses(previous, due, None, spans) if spans else due,
                    case.closed_on, as_of)
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
