"""One child's timeline laid on a time axis, for the report's timeline pages.

Each milestone's window runs from its anchor (the completion of the step it comes `after`) to
its due date. A waiting step is projected: as if every earlier step still to come is done on
its due date, or today (the as-of date) if it is already overdue. Steps are laid in the order
evaluation works them out in, so an anchor is always known before the step that needs it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import NamedTuple

from permanence.evaluate import MilestoneStatus, Status, due_date, evaluation_order
from permanence.timelines import Milestone, Timeline


class Step(NamedTuple):
    """One milestone of one case laid on a time axis: the window its clock gives (anchor to
    due), its completion, and whether the dates are projected (a waiting step)."""

    milestone: str
    title: str
    status: Status
    anchor: date | None
    due: date | None
    completed_on: date | None
    days_overdue: int | None
    projected: bool


class Projector:
    """Lays each case's evaluated rows on a time axis, projecting waiting steps. Due dates are
    memoised per (timeline, milestone, anchor) across cases."""

    def __init__(self, timelines: Mapping[str, Timeline], as_of: date) -> None:
        self.timelines = timelines
        self.as_of = as_of
        self._plans: dict[str, list[tuple[int, int, Milestone, dict[date, date]]]] = {}

    def _plan(self, name: str) -> list[tuple[int, int, Milestone, dict[date, date]]]:
        timeline = self.timelines[name]
        position = {m.id: i for i, m in enumerate(timeline.milestones)}
        plan: list[tuple[int, int, Milestone, dict[date, date]]] = [
            (index, -1 if m.after is None else position[m.after], m, {})
                for index in evaluation_order(timeline) for m in [timeline.milestones[index]]]
        self._plans[name] = plan
        return plan

    def steps(self, timeline: str, rows: Sequence[MilestoneStatus]) -> list[Step]:
        """`rows` are evaluate()'s rows for one case, in rule order."""
        plan = self._plans.get(timeline) or self._plan(timeline)
        jurisdiction = self.timelines[timeline].jurisdiction
        as_of = self.as_of
        waiting = Status.WAITING
        new = tuple.__new__
        count = len(rows)
        # The day each step is done or expected: its completion, else its due date or
        # projection, but no earlier than the as-of date.
        expected: list[date | None] = [None] * count
        steps: list[Step | None] = [None] * count
        for index, after, rule, dues in plan:
            row = rows[index]
            status, due, completed = row.status, row.due, row.completed_on
            anchor: date | None = None
            projected = False
            if after >= 0:
                if status is waiting:
                    anchor = expected[after]
                    if anchor is not None:
                        due = dues.get(anchor)
                        if due is None:
                            due = dues[anchor] = due_date(anchor, rule, jurisdiction)
                        projected = True
                else:
                    anchor = rows[after].completed_on
            if completed is not None:
                expected[index] = completed
            elif due is not None:
                expected[index] = max(as_of, due)
            steps[index] = new(Step, (row.milestone, row.title, status, anchor, due, completed,
                                      row.days_overdue, projected))
        return steps  # type: ignore[return-value]
