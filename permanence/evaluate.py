"""Evaluation: the status of every milestone of every open case on one as-of date.

A plain function of (timelines, case facts, leads, as-of date): no I/O, no clock. Events dated
after the as-of date are ignored, so any past day can be replayed. Built for bulk: due dates,
amber windows and escalation dates are computed once per (rule, anchor date) and reused across
cases, and role look-ups once per (role, team).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import NamedTuple

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


class CaseFacts(NamedTuple):
    """What the engine knows of one case: its row and its latest completion per milestone."""

    case_ref: str
    timeline: str
    team: str
    social_worker: str
    looked_after_on: date
    closed_on: date | None
    completions: Mapping[str, date]


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

    def as_json(self) -> dict[str, object]:
        """The contract's JSON object for `status --format json`."""
        return {
            "case_ref": self.case_ref, "team": self.team, "timeline": self.timeline,
            "milestone": self.milestone, "title": self.title, "status": str(self.status),
            "due": self.due.isoformat() if self.due else None,
            "completed_on": self.completed_on.isoformat() if self.completed_on else None,
            "days_overdue": self.days_overdue, "owner": self.owner,
            "escalated_to": list(self.escalated_to),
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
    """What one anchor date means for one rule on the as-of date, if the step is not done."""

    due: date
    open_status: Status
    days_overdue: int | None
    tiers_reached: tuple[int, ...]


class _ClockRule:
    """One clocked milestone compiled for one as-of date. Everything about an open clock
    depends only on its anchor (the as-of date is fixed), so it is worked out once per anchor
    and shared by every case with that anchor."""

    __slots__ = ("as_of", "clocks", "jurisdiction", "milestone")

    def __init__(self, milestone: Milestone, jurisdiction: str, as_of: date) -> None:
        self.milestone = milestone
        self.jurisdiction = jurisdiction
        self.as_of = as_of
        self.clocks: dict[date, _Clock] = {}

    def clock(self, anchor: date) -> _Clock:
        found = self.clocks.get(anchor)
        if found is None:
            found = self.clocks[anchor] = self._work_out(anchor)
        return found

    def _work_out(self, anchor: date) -> _Clock:
        rule, as_of = self.milestone, self.as_of
        due = due_date(anchor, rule, self.jurisdiction)
        if as_of > due:
            tiers = tuple(index for index, reached_on
                          in enumerate(escalation_dates(due, rule, self.jurisdiction))
                          if as_of >= reached_on)
            return _Clock(due, Status.RED, (as_of - due).days, tiers)
        if as_of >= amber_from(due, rule, self.jurisdiction):
            return _Clock(due, Status.AMBER, None, ())
        return _Clock(due, Status.GREEN, None, ())


def due_date(anchor: date, milestone: Milestone, jurisdiction: str) -> date:
    """The due date of a clocked milestone whose `after` milestone was completed on `anchor`."""
    assert milestone.within is not None
    return add_duration(anchor, milestone.within, jurisdiction)


def amber_from(due: date, milestone: Milestone, jurisdiction: str) -> date:
    """The first amber day: `amber` before the due date, or the due date itself by default."""
    if milestone.amber is None:
        return due
    return min(due, subtract_duration(due, milestone.amber, jurisdiction))


def escalation_dates(due: date, milestone: Milestone, jurisdiction: str) -> list[date]:
    """The first day each escalation tier is reached, in rule order."""
    return [add_duration(due, tier.after, jurisdiction) for tier in milestone.escalate]


def _evaluation_order(timeline: Timeline) -> list[int]:
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
    statuses = result.statuses
    row = tuple.__new__  # MilestoneStatus without a Python-level constructor call per row
    done, late, waiting = Status.DONE, Status.LATE, Status.WAITING
    plans: dict[str, tuple[Timeline, list[tuple[int, str, str, int, _ClockRule | None]]]] = {}
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
            position = {m.id: i for i, m in enumerate(found.milestones)}
            order = [(index, m.id, m.title, -1 if m.after is None else position[m.after],
                      None if m.is_start else _ClockRule(m, found.jurisdiction, as_of))
                     for index in _evaluation_order(found) for m in [found.milestones[index]]]
            plan = plans[case.timeline] = (found, order)
        timeline, order = plan
        name = timeline.name
        case_ref, team, worker = case.case_ref, case.team, case.social_worker
        owners = owners_of.get((name, team, worker))
        if owners is None:
            owners = owners_of[(name, team, worker)] = tuple(
                leads.resolve(m.owner, team, worker) for m in timeline.milestones)
        if None in owners:
            for milestone, owner in zip(timeline.milestones, owners, strict=True):
                if owner is None:
                    _note_untold(untold, name, team, milestone.owner, milestone.id, case_ref)
        completions = case.completions
        completed_as_of: list[date | None] = [None] * len(order)
        rows: list[MilestoneStatus | None] = [None] * len(order)
        for index, milestone_id, title, after, rule in order:
            completed = completions.get(milestone_id)
            if completed is not None and completed > as_of:
                completed = None
            if rule is None:
                completed = completed_as_of[index] = completed or case.looked_after_on
                rows[index] = row(MilestoneStatus, (case_ref, team, name, milestone_id, title,
                                                    done, None, completed, None, owners[index],
                                                    (), ()))
                continue
            completed_as_of[index] = completed
            anchor = completed_as_of[after]
            if anchor is None:
                rows[index] = row(MilestoneStatus, (case_ref, team, name, milestone_id, title,
                                                    waiting, None, completed, None, owners[index],
                                                    (), ()))
                continue
            clock = rule.clocks.get(anchor) or rule.clock(anchor)
            due = clock.due
            if completed is not None:
                if completed <= due:
                    status, overdue = done, None
                else:
                    status, overdue = late, (completed - due).days
                rows[index] = row(MilestoneStatus, (case_ref, team, name, milestone_id, title,
                                                    status, due, completed, overdue,
                                                    owners[index], (), ()))
                continue
            escalated: tuple[str, ...] = ()
            tiers = clock.tiers_reached
            if tiers:
                escalated = _escalated(escalated_of, untold, leads, rule.milestone, index, tiers,
                                       name, team, worker, case_ref)
            rows[index] = row(MilestoneStatus, (case_ref, team, name, milestone_id, title,
                                                clock.open_status, due, None, clock.days_overdue,
                                                owners[index], escalated, tiers))
        statuses.extend(rows)  # type: ignore[arg-type]
    result.unresolved = [
        UnresolvedRole(timeline, team, role, tuple(sorted(milestone_ids)), tuple(case_refs))
        for (timeline, team, role), (milestone_ids, case_refs) in sorted(untold.items())]
    return result


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
