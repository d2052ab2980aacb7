"""One child's timeline laid on a time axis, for the report's timeline pages.

Each milestone's window runs from its anchor to its due date. The anchor is the date its clock
started from, as evaluation counts it: the completion of the step it comes `after`; when that
step no longer applies (`n/a`), the date that step's own clock started from; when that step
recurs, its first occurrence. A recurring step's window is its current clock: from its latest
occurrence (or its anchor, before the first) to the next due date. A lead-time step (`before`
+ `lead`) has no anchor: it is drawn as its due date and the lead up to the booked date it is
counted back from. A record-only step (`after`, no `within`) has no clock: it is drawn as its
recorded date, or nothing while it waits, and it is never projected.

A waiting step is projected: as if every earlier step still to come is done on the date it is
booked for, else on its due date, or today (the as-of date) if either has passed. A lead-time
step with no booked date yet is projected back from its `before` step's expected date. Steps
are laid in the order evaluation works them out in, so an anchor is always known before the
step that needs it; lead times come last, once every date they count back from is known.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import NamedTuple

from permanence.clocks import due_date
from permanence.dates import subtract_duration
from permanence.evaluate import CaseFacts, MilestoneStatus, Status, evaluation_order
from permanence.timelines import Milestone, Timeline

START, AFTER, RECURRING, LEAD_TIME, RECORD_ONLY = "start", "after", "recurring", "lead", "record"


class Step(NamedTuple):
    """One milestone of one case laid on a time axis: the window its clock gives (anchor to
    due), its completion, and whether the dates are projected (a waiting step). `planned_for`
    is the date it is booked for (as known on the as-of date), `original_due` the due date an
    agreed extension replaced, `occurrences` every occurrence of a recurring step held so far,
    `kind` one of start, after, recurring, lead, record, `booked_before` the booked date of the
    step a lead time counts back from, `at_risk` whether it is booked after its due date, and
    `lead_to` the date a lead time counts back from (booked, or projected)."""

    milestone: str
    title: str
    status: Status
    anchor: date | None
    due: date | None
    completed_on: date | None
    days_overdue: int | None
    projected: bool
    planned_for: date | None = None
    original_due: date | None = None
    occurrences: tuple[date, ...] = ()
    kind: str = AFTER
    booked_before: date | None = None
    at_risk: bool = False
    lead_to: date | None = None


class _Rule(NamedTuple):
    position: int
    after: int  # position of the `after` milestone, -1 if none
    before: int  # position of the `before` milestone, -1 if none
    milestone: Milestone
    kind: str
    dues: dict[date, date]


def _kind(milestone: Milestone) -> str:
    if milestone.is_start:
        return START
    if milestone.is_lead_time:
        return LEAD_TIME
    if milestone.is_record_only:
        return RECORD_ONLY
    return RECURRING if milestone.is_recurring else AFTER


class Projector:
    """Lays each case's evaluated rows on a time axis, projecting waiting steps. Due dates are
    memoised per (timeline, milestone, anchor) across cases."""

    def __init__(self, timelines: Mapping[str, Timeline], as_of: date) -> None:
        self.timelines = timelines
        self.as_of = as_of
        self._plans: dict[str, list[_Rule]] = {}

    def _plan(self, name: str) -> list[_Rule]:
        timeline = self.timelines[name]
        position = {m.id: i for i, m in enumerate(timeline.milestones)}
        rules = [_Rule(index, -1 if m.after is None else position[m.after],
                       -1 if m.before is None else position[m.before], m, _kind(m), {})
                 for index in evaluation_order(timeline) for m in [timeline.milestones[index]]]
        plan = ([rule for rule in rules if rule.kind != LEAD_TIME]
                + [rule for rule in rules if rule.kind == LEAD_TIME])
        self._plans[name] = plan
        return plan

    def steps(self, timeline: str, rows: Sequence[MilestoneStatus],
              case: CaseFacts | None = None) -> list[Step]:
        """`rows` are evaluate()'s rows for one case, in rule order; `case` its facts, which
        say when a recurring step was held (without them only its latest occurrence is
        known)."""
        plan = self._plans.get(timeline) or self._plan(timeline)
        jurisdiction = self.timelines[timeline].jurisdiction
        as_of = self.as_of
        waiting, not_applicable = Status.WAITING, Status.NOT_APPLICABLE
        new = tuple.__new__
        count = len(rows)
        # What each step passes to a step after it (as evaluation counts it), and the day it
        # is done or expected: its completion, else its booked date or due date or projection,
        # but no earlier than the as-of date.
        passes: list[date | None] = [None] * count
        expected: list[date | None] = [None] * count
        steps: list[Step | None] = [None] * count
        for index, after, before, rule, kind, dues in plan:
            row = rows[index]
            status, due, completed = row.status, row.due, row.completed_on
            anchor: date | None = None
            projected = False
            occurrences: tuple[date, ...] = ()
            booked_before = lead_to = None
            if kind == START:
                passes[index] = expected[index] = completed
            elif status is not_applicable:
                if kind != LEAD_TIME:
                    passes[index], expected[index] = passes[after], expected[after]
            elif kind == RECORD_ONLY:  # no clock, no window, no projection: its date only
                anchor = passes[after]
                passes[index] = expected[index] = completed
            elif kind == LEAD_TIME:
                booked_before = lead_to = rows[before].planned_for
                passes[index] = completed
                if due is None and completed is None and rows[before].completed_on is None:
                    goal = expected[before]
                    if goal is not None and rule.lead is not None:
                        due = dues.get(goal)
                        if due is None:
                            due = dues[goal] = subtract_duration(goal, rule.lead, jurisdiction)
                        projected, lead_to = True, goal
                        if due < as_of:  # counted back from a step already overdue: unknown
                            due, projected, lead_to = None, False, None
                expected[index] = _expected(completed, row.planned_for, due, as_of)
            else:
                start = passes[after]
                if status is waiting:
                    start = expected[after]
                    if start is not None:
                        due = dues.get(start)
                        if due is None:
                            due = dues[start] = due_date(start, rule, jurisdiction)
                        projected = True
                    anchor = start
                    passes[index] = completed if kind == AFTER else None
                    expected[index] = _expected(completed, row.planned_for, due, as_of)
                elif kind == RECURRING:
                    occurrences = _held(case, rule.id, completed, start, as_of)
                    first = occurrences[0] if occurrences else None
                    passes[index] = first
                    anchor = completed if completed is not None else start
                    expected[index] = first or _expected(None, row.planned_for, due, as_of)
                else:
                    anchor = start
                    passes[index] = completed
                    expected[index] = _expected(completed, row.planned_for, due, as_of)
            steps[index] = new(Step, (row.milestone, row.title, status, anchor, due, completed,
                                      row.days_overdue, projected, row.planned_for,
                                      row.original_due, occurrences, kind, booked_before,
                                      row.at_risk, lead_to))
        return steps  # type: ignore[return-value]


def _expected(completed: date | None, booked: date | None, due: date | None,
              as_of: date) -> date | None:
    """The day a step is done, or is expected to be: booked, else due, never before A."""
    if completed is not None:
        return completed
    if booked is not None:
        return max(as_of, booked)
    return None if due is None else max(as_of, due)


def _held(case: CaseFacts | None, milestone_id: str, latest: date | None, anchor: date | None,
          as_of: date) -> tuple[date, ...]:
    """The occurrences of a recurring step held from its anchor to A, in order."""
    recorded = case.occurrences.get(milestone_id) if case is not None else None
    if not recorded:
        recorded = () if latest is None else (latest,)
    if anchor is None:
        return ()
    return tuple(sorted({day for day in recorded if anchor <= day <= as_of}))
