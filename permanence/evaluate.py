"""Evaluation: the status of every milestone of every open case on one as-of date.

A plain function of (timelines, case facts, leads, as-of date): no I/O, no clock. Events dated
after the as-of date are ignored, and a booked date, a pause or an extension counts only from
the day it was known, so any past day can be replayed. Built for bulk: due dates, amber windows
and escalation dates are computed once per (rule, anchor or due date) and reused across cases,
and role look-ups once per (role, team); a case without pauses, extensions, booked dates or
steps marked not applicable takes the same path as before they existed.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from types import MappingProxyType
from typing import NamedTuple

from permanence.clocks import (
    after_pauses,
    agreed_due,
    amber_from,
    booked_date,
    due_date,
    escalation_dates,
    paused_spans,
)
from permanence.collector import collector_paused
from permanence.dates import add_duration, subtract_duration
from permanence.timelines import Milestone, Timeline


class Status(StrEnum):
    """The contract's statuses of one milestone on one case."""

    DONE = "done"
    LATE = "late"
    WAITING = "waiting"
    GREEN = "green"
    AMBER = "amber"
    RED = "red"
    PAUSED = "paused"
    NOT_APPLICABLE = "n/a"


RUNNING = frozenset({Status.GREEN, Status.AMBER, Status.RED})
"""The statuses of a clock that is running: the only ones that can be at risk or drift."""

NOTHING: Mapping[str, tuple[tuple[date, date], ...]] = MappingProxyType({})


class CaseFacts(NamedTuple):
    """What the engine knows of one case: its row and what is recorded for its milestones.

    For one case and milestone, `done` and `not_applicable` rows replace each other: the one
    recorded last stands, in `completions` or in `not_applicable`. A recurring milestone keeps
    every `done` date in `occurrences`, and its `not_applicable` date is the earliest recorded.
    Booked dates and extensions keep every row, in the order recorded, because which one stands
    depends on the as-of date."""

    case_ref: str
    timeline: str
    team: str
    social_worker: str
    looked_after_on: date
    closed_on: date | None
    completions: Mapping[str, date]
    not_applicable: Mapping[str, date] = MappingProxyType({})
    occurrences: Mapping[str, Sequence[date]] = MappingProxyType({})
    planned: Mapping[str, Sequence[tuple[date, date]]] = NOTHING
    """(noted_on, planned_for) per milestone: of the rows noted on or before A, the last stands."""
    pauses: Sequence[tuple[date, date | None]] = ()
    """(paused_from, paused_to or None while open)."""
    extensions: Mapping[str, Sequence[tuple[date, date]]] = NOTHING
    """(approved_on, extended_to) per milestone: the latest approval on or before A stands."""
    sibling_group: str | None = None
    missing_from_snapshot: tuple[str, date] | None = None
    """(the snapshot, the day it was imported) when the latest snapshot of every open case did
    not hold this case: a data-quality item, nothing the evaluation uses."""


class MilestoneStatus(NamedTuple):
    """One row of `status`: a milestone of a case as of a date."""

    case_ref: str
    team: str
    timeline: str
    milestone: str
    title: str
    status: Status
    due: date | None
    completed_on: date | None
    days_overdue: int | None
    owner: str | None
    escalated_to: tuple[str, ...]
    tiers_reached: tuple[int, ...]
    at_risk: bool = False
    """A running clock whose milestone is booked, as known on A, for after its due date."""
    original_due: date | None = None
    """The due date without the agreed extension that replaced it (None when none applies)."""
    sibling_group: str | None = None
    planned_for: date | None = None
    """The date the milestone is booked for, as known on A (None when not booked)."""

    def as_json(self) -> dict[str, object]:
        """The contract's JSON object for `status --format json`."""
        return {
            "case_ref": self.case_ref, "team": self.team, "timeline": self.timeline,
            "milestone": self.milestone, "title": self.title, "status": str(self.status),
            "due": self.due.isoformat() if self.due else None,
            "completed_on": self.completed_on.isoformat() if self.completed_on else None,
            "days_overdue": self.days_overdue, "owner": self.owner,
            "escalated_to": list(self.escalated_to), "at_risk": self.at_risk,
            "original_due": self.original_due.isoformat() if self.original_due else None,
            "sibling_group": self.sibling_group,
        }


class UnresolvedRole(NamedTuple):
    """A role that a timeline tells in a team but that resolves to no lead: a configuration
    problem, reported once per (timeline, team, role) with the cases it leaves untold."""

    timeline: str
    team: str
    role: str
    milestones: tuple[str, ...]
    case_refs: tuple[str, ...]

    def describe(self) -> str:
        cases = ", ".join(self.case_refs[:5]) + (" ..." if len(self.case_refs) > 5 else "")
        who = ("the case's social_worker is not a known lead" if self.role == "social_worker"
               else f"no lead has role {self.role!r} in team {self.team!r} or team '*'")
        return (f"{who} (timeline {self.timeline}, milestones {', '.join(self.milestones)}; "
                f"{len(self.case_refs)} case(s): {cases})")


@dataclass
class Evaluation:
    as_of: date
    statuses: list[MilestoneStatus] = field(default_factory=list)
    unresolved: list[UnresolvedRole] = field(default_factory=list)
    unknown_timelines: dict[str, list[str]] = field(default_factory=dict)
    """Open cases on a timeline no rule file defines (timeline -> case_refs): not evaluated."""

    def unknown_timeline_problem(self) -> str | None:
        """One plain sentence about cases left unevaluated, or None."""
        if not self.unknown_timelines:
            return None
        parts = [f"{name} ({len(refs)} case{'s' if len(refs) != 1 else ''}: "
                 f"{', '.join(refs[:3])}{' ...' if len(refs) > 3 else ''})"
                 for name, refs in sorted(self.unknown_timelines.items())]
        return (f"open cases are on timelines no rule file defines, so they were not "
                f"evaluated: {'; '.join(parts)}; pass their rule files with --rules or "
                "PERMANENCE_RULES")


def case_is_open(case: CaseFacts, as_of: date) -> bool:
    """Open on A: looked after on or before A, and not closed on or before A."""
    return case.looked_after_on <= as_of and (case.closed_on is None or case.closed_on > as_of)


class LeadDirectory:
    """Resolves a role to a lead: `social_worker` is the case's own worker; any other role is the
    lead with that role in the case's team, else the one with that role and team `*`. Where
    several match, the lowest lead_id is chosen so the answer never depends on load order."""

    def __init__(self, leads: Iterable[tuple[str, str, str]]) -> None:
        """`leads` are (lead_id, role, team) triples."""
        self._by_role_team: dict[tuple[str, str], str] = {}
        self._lead_ids: set[str] = set()
        for lead_id, role, team in sorted(leads):
            self._lead_ids.add(lead_id)
            self._by_role_team.setdefault((role, team), lead_id)
        self._cache: dict[tuple[str, str], str | None] = {}

    def resolve(self, role: str, team: str, social_worker: str | None) -> str | None:
        if role == "social_worker":
            return social_worker if social_worker in self._lead_ids else None
        key = (role, team)
        try:
            return self._cache[key]
        except KeyError:
            found = self._by_role_team.get(key) or self._by_role_team.get((role, "*"))
            self._cache[key] = found
            return found


class _Clock(NamedTuple):
    """What one due date means for one rule on the as-of date, if the step is not done."""

    due: date
    open_status: Status
    days_overdue: int | None
    tiers_reached: tuple[int, ...]


class _ClockRule:
    """One clocked milestone compiled for one as-of date. Everything about an open clock
    depends only on its due date, and the due date only on its anchor (the as-of date is fixed),
    so each is worked out once and shared by every case with that anchor or due date."""

    __slots__ = ("as_of", "clocks", "dues", "judged", "jurisdiction", "milestone")

    def __init__(self, milestone: Milestone, jurisdiction: str, as_of: date) -> None:
        self.milestone = milestone
        self.jurisdiction = jurisdiction
        self.as_of = as_of
        self.clocks: dict[date, _Clock] = {}
        self.dues: dict[tuple[int, date], date] = {}
        self.judged: dict[date, _Clock] = {}

    def clock(self, anchor: date) -> _Clock:
        """The open clock of an ordinary milestone whose `after` step is dated `anchor`."""
        found = self.clocks.get(anchor)
        if found is None:
            found = self.clocks[anchor] = self.judge(due_date(anchor, self.milestone,
                                                              self.jurisdiction))
        return found

    def due(self, kind: int, start: date) -> date:
        """A due date counted from `start`: `within` the `after` step (for a recurring clock,
        `within`, else `every`, before its first occurrence), `every` after the latest
        occurrence, or `lead` back from a booked date."""
        key = (kind, start)
        found = self.dues.get(key)
        if found is None:
            rule, jurisdiction = self.milestone, self.jurisdiction
            if kind == _FIRST:
                found = due_date(start, rule, jurisdiction)
            elif kind == _NEXT:
                found = add_duration(start, rule.every, jurisdiction)  # type: ignore[arg-type]
            else:
                found = subtract_duration(start, rule.lead, jurisdiction)  # type: ignore[arg-type]
            self.dues[key] = found
        return found

    def judge(self, due: date) -> _Clock:
        """Green, amber or red on the as-of date, with the escalation tiers reached."""
        found = self.judged.get(due)
        if found is not None:
            return found
        rule, as_of = self.milestone, self.as_of
        if as_of > due:
            tiers = tuple(index for index, reached_on
                          in enumerate(escalation_dates(due, rule, self.jurisdiction))
                          if as_of >= reached_on)
            found = _Clock(due, Status.RED, (as_of - due).days, tiers)
        elif as_of >= amber_from(due, rule, self.jurisdiction):
            found = _Clock(due, Status.AMBER, None, ())
        else:
            found = _Clock(due, Status.GREEN, None, ())
        self.judged[due] = found
        return found


_FIRST, _NEXT, _LEAD = 0, 1, 2  # which duration `_ClockRule.due` counts
_START, _AFTER, _RECURRING, _LEAD_TIME, _RECORD = 0, 1, 2, 3, 4  # the kinds of milestone


def _kind(milestone: Milestone) -> int:
    if milestone.is_start:
        return _START
    if milestone.is_lead_time:
        return _LEAD_TIME
    if milestone.is_record_only:
        return _RECORD
    return _RECURRING if milestone.is_recurring else _AFTER


def evaluation_order(timeline: Timeline) -> list[int]:
    """Positions of the milestones so that each comes after the one its clock waits on."""
    position = {m.id: i for i, m in enumerate(timeline.milestones)}
    order: list[int] = []
    placed: set[int] = set()

    def place(index: int) -> None:
        if index in placed:
            return
        after = timeline.milestones[index].after
        if after is not None:
            place(position[after])
        placed.add(index)
        order.append(index)

    for index in range(len(timeline.milestones)):
        place(index)
    return order


def evaluate(timelines: Mapping[str, Timeline], cases: Iterable[CaseFacts],
             leads: LeadDirectory, as_of: date) -> Evaluation:
    """Every milestone of every case open on `as_of`, in case order then rule-file order.

    Open cases whose timeline no rule file defines are listed in `unknown_timelines`.
    The cyclic garbage collector is paused meanwhile: a million short-lived rows would
    otherwise trigger repeated full collections, half the time of a 100,000-case run."""
    with collector_paused():
        return _evaluate(timelines, cases, leads, as_of)


def _evaluate(timelines: Mapping[str, Timeline], cases: Iterable[CaseFacts],
              leads: LeadDirectory, as_of: date) -> Evaluation:
    result = Evaluation(as_of=as_of)
    extend = result.statuses.extend
    for rows in each_case(timelines, cases, leads, as_of, result):
        extend(rows)
    return result


def each_case(timelines: Mapping[str, Timeline], cases: Iterable[CaseFacts],
              leads: LeadDirectory, as_of: date,
              result: Evaluation) -> Iterator[list[MilestoneStatus]]:
    """evaluate()'s statuses, one open case's at a time, in the same order, as they are asked
    for: output can be written as it is worked out. `result` gets the unknown timelines as
    they are met and the unresolved roles at the end; its statuses are left alone. Due dates
    and role look-ups are computed once for all the cases, as in evaluate(); pause the
    collector around the whole pass."""
    row = tuple.__new__  # MilestoneStatus without a Python-level constructor call per row
    done, late, waiting = Status.DONE, Status.LATE, Status.WAITING
    plans: dict[str, tuple[Timeline, list[_PlanStep]]] = {}
    owners_of: dict[tuple[str, str, str], tuple[str | None, ...]] = {}
    escalated_of: dict[tuple[str, str, str, int, tuple[int, ...]], tuple[str, ...]] = {}
    untold: dict[tuple[str, str, str], tuple[set[str], list[str]]] = {}
    for case in sorted(cases, key=lambda c: c.case_ref):
        if not (case.looked_after_on <= as_of
                and (case.closed_on is None or case.closed_on > as_of)):
            continue
        plan = plans.get(case.timeline)
        if plan is None:
            found = timelines.get(case.timeline)
            if found is None:
                result.unknown_timelines.setdefault(case.timeline, []).append(case.case_ref)
                continue
            plan = plans[case.timeline] = (found, _plan(found, as_of))
        timeline, order = plan
        name = timeline.name
        case_ref, team, worker, sibling = (case.case_ref, case.team, case.social_worker,
                                           case.sibling_group)
        owners = owners_of.get((name, team, worker))
        if owners is None:
            owners = owners_of[(name, team, worker)] = tuple(
                leads.resolve(m.owner, team, worker) for m in timeline.milestones)
        if None in owners:
            for milestone, owner in zip(timeline.milestones, owners, strict=True):
                if owner is None and not milestone.is_record_only:  # it tells nobody
                    _note_untold(untold, name, team, milestone.owner, milestone.id, case_ref)
        completions = case.completions
        plain = not (case.not_applicable or case.planned or case.pauses or case.extensions)
        spans = () if plain else paused_spans(case.pauses, as_of)
        passes: list[date | None] = [None] * len(order)  # what each step passes to its followers
        rows: list[MilestoneStatus | None] = [None] * len(order)
        for step in order:
            index, milestone_id, title, after, rule, kind, _ = step
            if rule is None:  # a start milestone
                completed = completions.get(milestone_id)
                if completed is None or completed > as_of:
                    completed = case.looked_after_on
                passes[index] = completed
                rows[index] = row(MilestoneStatus, (
                    case_ref, team, name, milestone_id, title, done, None, completed, None,
                    owners[index], (), (), False, None, sibling, None))
                continue
            if plain and kind == 4:  # _RECORD: no clock, done when recorded, never told
                completed = completions.get(milestone_id)
                if completed is not None and completed > as_of:
                    completed = None
                passes[index] = completed
                rows[index] = row(MilestoneStatus, (
                    case_ref, team, name, milestone_id, title,
                    waiting if completed is None else done, None, completed, None,
                    owners[index], (), (), False, None, sibling, None))
                continue
            if not plain or kind != 1:  # _AFTER: the common case stays on the short path
                rows[index] = _row_of(step, case, owners[index], passes, spans, as_of, leads,
                                      escalated_of, untold)
                continue
            completed = completions.get(milestone_id)
            if completed is not None and completed > as_of:
                completed = None
            passes[index] = completed
            anchor = passes[after]
            if anchor is None:
                rows[index] = row(MilestoneStatus, (
                    case_ref, team, name, milestone_id, title, waiting, None, completed, None,
                    owners[index], (), (), False, None, sibling, None))
                continue
            clock = rule.clocks.get(anchor) or rule.clock(anchor)
            due = clock.due
            if completed is not None:
                if completed <= due:
                    status, overdue = done, None
                else:
                    status, overdue = late, (completed - due).days
                rows[index] = row(MilestoneStatus, (
                    case_ref, team, name, milestone_id, title, status, due, completed, overdue,
                    owners[index], (), (), False, None, sibling, None))
                continue
            escalated: tuple[str, ...] = ()
            tiers = clock.tiers_reached
            if tiers:
                escalated = _escalated(escalated_of, untold, leads, rule.milestone, index, tiers,
                                       name, team, worker, case_ref)
            rows[index] = row(MilestoneStatus, (
                case_ref, team, name, milestone_id, title, clock.open_status, due, None,
                clock.days_overdue, owners[index], escalated, tiers, False, None, sibling, None))
        yield rows  # type: ignore[misc]
    result.unresolved = [
        UnresolvedRole(timeline, team, role, tuple(sorted(milestone_ids)), tuple(case_refs))
        for (timeline, team, role), (milestone_ids, case_refs) in sorted(untold.items())]


def _row_of(step: _PlanStep, case: CaseFacts, owner: str | None, passes: list[date | None],
            spans: Sequence[tuple[date, date]], as_of: date, leads: LeadDirectory,
            escalated_of: dict[tuple[str, str, str, int, tuple[int, ...]], tuple[str, ...]],
            untold: dict[tuple[str, str, str], tuple[set[str], list[str]]]) -> MilestoneStatus:
    """One milestone that is not an ordinary clock of an ordinary case: marked not applicable,
    booked, extended, in a paused case, recurring, a lead time or record-only."""
    index, milestone_id, title, after, rule, kind, before = step
    assert rule is not None
    row = (case.case_ref, case.team, case.timeline, milestone_id, title)
    marked = case.not_applicable.get(milestone_id)
    if marked is not None and marked <= as_of:
        passes[index] = None if kind == _LEAD_TIME else passes[after]
        return MilestoneStatus(*row, Status.NOT_APPLICABLE, None, None, None, owner, (), (),
                               sibling_group=case.sibling_group)
    booked = booked_date(case.planned.get(milestone_id), as_of)
    if kind == _RECORD:  # no clock: done when recorded, waiting otherwise, never due or told
        completed = case.completions.get(milestone_id)
        if completed is not None and completed > as_of:
            completed = None
        passes[index] = completed
        return MilestoneStatus(*row, Status.WAITING if completed is None else Status.DONE, None,
                               completed, None, owner, (), (), sibling_group=case.sibling_group,
                               planned_for=booked)
    original: date | None = None
    if kind == _RECURRING:
        completed, due = _recurring(case, rule, milestone_id, passes, index, after, as_of,
                                    spans)
    else:
        completed = case.completions.get(milestone_id)
        if completed is not None and completed > as_of:
            completed = None
        passes[index] = completed
        start = (booked_date(case.planned.get(before), as_of) if before is not None
                 else passes[after])
        due = None
        if start is not None:
            due = rule.due(_LEAD if kind == _LEAD_TIME else _FIRST, start)
            if spans and kind == _AFTER:
                due = after_pauses(start, due, completed, spans)
            agreed = agreed_due(case.extensions.get(milestone_id), as_of)
            if agreed is not None:
                original, due = due, agreed
    if due is None:
        return MilestoneStatus(*row, Status.WAITING, None, completed, None, owner, (), (),
                               sibling_group=case.sibling_group, planned_for=booked)
    if completed is not None and kind != _RECURRING:
        if completed <= due:
            return MilestoneStatus(*row, Status.DONE, due, completed, None, owner, (), (),
                                   original_due=original, sibling_group=case.sibling_group,
                                   planned_for=booked)
        return MilestoneStatus(*row, Status.LATE, due, completed, (completed - due).days, owner,
                               (), (), original_due=original, sibling_group=case.sibling_group,
                               planned_for=booked)
    if kind != _LEAD_TIME and spans and spans[-1][1] == as_of:  # A is a paused day
        return MilestoneStatus(*row, Status.PAUSED, due, completed, None, owner, (), (),
                               original_due=original, sibling_group=case.sibling_group,
                               planned_for=booked)
    clock = rule.judge(due)
    escalated: tuple[str, ...] = ()
    if clock.tiers_reached:
        escalated = _escalated(escalated_of, untold, leads, rule.milestone, index,
                               clock.tiers_reached, case.timeline, case.team,
                               case.social_worker, case.case_ref)
    return MilestoneStatus(*row, clock.open_status, due, completed, clock.days_overdue, owner,
                           escalated, clock.tiers_reached,
                           at_risk=booked is not None and booked > due, original_due=original,
                           sibling_group=case.sibling_group, planned_for=booked)


class _PlanStep(NamedTuple):
    """One milestone of a timeline, compiled for the as-of date, in evaluation order."""

    position: int
    milestone_id: str
    title: str
    after: int  # position of the `after` milestone, -1 if none
    rule: _ClockRule | None  # None for a start milestone
    kind: int
    before: str | None


def _plan(timeline: Timeline, as_of: date) -> list[_PlanStep]:
    position = {m.id: i for i, m in enumerate(timeline.milestones)}
    return [_PlanStep(index, m.id, m.title, -1 if m.after is None else position[m.after],
                      None if m.is_start else _ClockRule(m, timeline.jurisdiction, as_of),
                      _kind(m), m.before)
            for index in evaluation_order(timeline) for m in [timeline.milestones[index]]]


def _recurring(case: CaseFacts, rule: _ClockRule, milestone_id: str,
               passes: list[date | None], index: int, after: int, as_of: date,
               spans: Sequence[tuple[date, date]]) -> tuple[date | None, date | None]:
    """(latest occurrence, next due date) of a recurring milestone, noting its first
    occurrence as what it passes on. Occurrences are its `done` dates from its `after`
    step's date to A; with none the first is due `within` (else `every`) after that step,
    otherwise `every` after the latest. No `after` date yet: no due date."""
    recorded = case.occurrences.get(milestone_id)
    if recorded is None:
        single = case.completions.get(milestone_id)
        recorded = () if single is None else (single,)
    anchor = passes[after]
    if anchor is None:
        passes[index] = None
        return max((day for day in recorded if day <= as_of), default=None), None
    held = [day for day in recorded if anchor <= day <= as_of]
    if held:
        first, latest = min(held), max(held)
        passes[index] = first
        due = rule.due(_NEXT, latest)
        return latest, (after_pauses(latest, due, None, spans) if spans else due)
    passes[index] = None
    due = rule.due(_FIRST, anchor)
    return None, (after_pauses(anchor, due, None, spans) if spans else due)


def _escalated(cache: dict[tuple[str, str, str, int, tuple[int, ...]], tuple[str, ...]],
               untold: dict[tuple[str, str, str], tuple[set[str], list[str]]],
               leads: LeadDirectory, milestone: Milestone, index: int, tiers: tuple[int, ...],
               timeline: str, team: str, worker: str, case_ref: str) -> tuple[str, ...]:
    """The leads of the escalation tiers reached, noting any role that resolves to nobody."""
    key = (timeline, team, worker, index, tiers)
    escalated = cache.get(key)
    if escalated is not None and len(escalated) == len(tiers):
        return escalated
    reached = []
    for tier in tiers:
        role = milestone.escalate[tier].to
        lead = leads.resolve(role, team, worker)
        if lead is None:
            _note_untold(untold, timeline, team, role, milestone.id, case_ref)
        else:
            reached.append(lead)
    escalated = cache[key] = tuple(reached)
    return escalated


def _note_untold(untold: dict[tuple[str, str, str], tuple[set[str], list[str]]], timeline: str,
                 team: str, role: str, milestone: str, case_ref: str) -> None:
    milestone_ids, case_refs = untold.setdefault((timeline, team, role), (set(), []))
    milestone_ids.add(milestone)
    if not case_refs or case_refs[-1] != case_ref:
        case_refs.append(case_ref)
