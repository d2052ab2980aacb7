"""The dates of one clock: when a rule's step falls due, turns amber and reaches each
escalation tier, and what a case's life moves them by (paused days, a booked date, an agreed
extension), each standing only from the day it was known. Plain date arithmetic on the rules'
durations (permanence.dates): no I/O, no clock. Evaluation, the measures and the report's
layout all count clocks with these."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, timedelta

from permanence.dates import add_duration, subtract_duration
from permanence.timelines import Milestone

_DAY = timedelta(days=1)


def due_date(anchor: date, milestone: Milestone, jurisdiction: str) -> date:
    """The due date of a clocked milestone whose `after` milestone was completed on `anchor`
    (for a recurring one, of its first occurrence: `within`, else `every`)."""
    clock = milestone.within or milestone.every
    assert clock is not None
    return add_duration(anchor, clock, jurisdiction)


def amber_from(due: date, milestone: Milestone, jurisdiction: str) -> date:
    """The first amber day: `amber` before the due date, or the due date itself by default."""
    if milestone.amber is None:
        return due
    return min(due, subtract_duration(due, milestone.amber, jurisdiction))


def escalation_dates(due: date, milestone: Milestone, jurisdiction: str) -> list[date]:
    """The first day each escalation tier is reached, in rule order."""
    return [add_duration(due, tier.after, jurisdiction) for tier in milestone.escalate]


def paused_spans(pauses: Iterable[tuple[date, date | None]],
                 as_of: date) -> tuple[tuple[date, date], ...]:
    """The case's paused days on A as sorted, disjoint, inclusive spans: an open pause runs to
    A, no day after A is paused yet, and days of overlapping pauses count once."""
    spans: list[list[date]] = []
    for start, end in sorted((start, as_of if end is None or end > as_of else end)
                             for start, end in pauses if start <= as_of):
        if end < start:
            continue
        if spans and start <= spans[-1][1] + _DAY:
            spans[-1][1] = max(spans[-1][1], end)
        else:
            spans.append([start, end])
    return tuple((start, end) for start, end in spans)


def after_pauses(start: date, due: date, completed: date | None,
                 spans: Sequence[tuple[date, date]]) -> date:
    """`due` moved on by the paused days P with start < P <= the moved due date (and, once
    completed, P <= the completion), recounted until it stops growing: a clock stands still
    while the case is paused, including days it was paused after the first due date passed."""
    moved = 0
    while True:
        limit = due + timedelta(days=moved)
        if completed is not None and completed < limit:
            limit = completed
        counted = 0
        for span_from, span_to in spans:
            first, last = max(span_from, start + _DAY), min(span_to, limit)
            if last >= first:
                counted += (last - first).days + 1
        if counted == moved:
            return due + timedelta(days=moved)
        moved = counted


def booked_date(rows: Sequence[tuple[date, date]] | None, as_of: date) -> date | None:
    """The booked date standing on A: of the rows noted on or before A, the last recorded."""
    if not rows:
        return None
    standing = None
    for noted_on, planned_for in rows:
        if noted_on <= as_of:
            standing = planned_for
    return standing


def agreed_due(rows: Sequence[tuple[date, date]] | None, as_of: date) -> date | None:
    """The extended due date standing on A: the latest approval on or before A (of two on one
    day, the last recorded)."""
    if not rows:
        return None
    standing: tuple[date, date] | None = None
    for approved_on, extended_to in rows:
        if approved_on <= as_of and (standing is None or approved_on >= standing[0]):
            standing = (approved_on, extended_to)
    return None if standing is None else standing[1]
