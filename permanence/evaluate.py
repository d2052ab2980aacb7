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


class _Outcome(NamedTuple):
    status: Status
    due: date
    days_overdue: int | None
    tiers_reached: tuple[int, ...]


class _ClockRule:
    """One clocked milestone compiled for one as-of date, memoising outcomes per anchor."""

    __slots__ = ("milestone", "jurisdiction", "as_of", "_outcomes")

    def __init__(self, milestone: Milestone, jurisdiction: str, as_of: date) -> None:
        self.milestone = milestone
        self.jurisdiction = jurisdiction
        self.as_of = as_of
        self._outcomes: dict[tuple[date, date | None], _Outcome] = {}

    def outcome(self, anchor: date, completed: date | None) -> _Outcome:
        key = (anchor, completed)
        found = self._outcomes.get(key)
        if found is None:
            found = self._outcomes[key] = self._work_out(anchor, completed)
        return found

    def _work_out(self, anchor: date, completed: date | None) -> _Outcome:
        rule, as_of = self.milestone, self.as_of
        assert rule.within is not None
        due = due_date(anchor, rule, self.jurisdiction)
        if completed is not None:
            if completed <= due:
                return _Outcome(Status.DONE, due, None, ())
            return _Outcome(Status.LATE, due, (completed - due).days, ())
        if as_of > due:
            tiers = tuple(index for index, reached_on
                          in enumerate(escalation_dates(due, rule, self.jurisdiction))
                          if as_of >= reached_on)
            return _Outcome(Status.RED, due, (as_of - due).days, tiers)
        if as_of >= amber_from(due, rule, self.jurisdiction):
            return _Outcome(Status.AMBER, due, None, ())
        return _Outcome(Status.GREEN, due, None, ())


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

    Cases whose timeline is unknown are skipped here; the store refuses them on import."""
    result = Evaluation(as_of=as_of)
    statuses = result.statuses
    plans: dict[str, tuple[Timeline, list[int], list[_ClockRule | None]]] = {}
    untold: dict[tuple[str, str, str], tuple[set[str], list[str]]] = {}
    for case in sorted(cases, key=lambda c: c.case_ref):
        if not (case.looked_after_on <= as_of and (case.closed_on is None or case.closed_on > as_of)):
            continue
        plan = plans.get(case.timeline)
        if plan is None:
            timeline = timelines.get(case.timeline)
            if timeline is None:
                continue
            clocks = [None if m.is_start else _ClockRule(m, timeline.jurisdiction, as_of)
                      for m in timeline.milestones]
            plan = plans[case.timeline] = (timeline, _evaluation_order(timeline), clocks)
        timeline, order, clocks = plan
        milestones = timeline.milestones
        completions = case.completions
        case_ref, team, worker = case.case_ref, case.team, case.social_worker
        completed_as_of: dict[str, date | None] = {}
        rows: list[MilestoneStatus | None] = [None] * len(milestones)
        for index in order:
            milestone = milestones[index]
            completed = completions.get(milestone.id)
            if completed is not None and completed > as_of:
                completed = None
            owner = leads.resolve(milestone.owner, team, worker)
            if owner is None:
                _note_untold(untold, timeline.name, team, milestone.owner, milestone.id, case_ref)
            clock = clocks[index]
            if clock is None:
                completed = completed or case.looked_after_on
                completed_as_of[milestone.id] = completed
                rows[index] = MilestoneStatus(case_ref, team, timeline.name, milestone.id,
                                              milestone.title, Status.DONE, None, completed, None,
                                              owner, (), ())
                continue
            completed_as_of[milestone.id] = completed
            anchor = completed_as_of[milestone.after]  # type: ignore[index]
            if anchor is None:
                rows[index] = MilestoneStatus(case_ref, team, timeline.name, milestone.id,
                                              milestone.title, Status.WAITING, None, completed,
                                              None, owner, (), ())
                continue
            outcome = clock.outcome(anchor, completed)
            escalated: tuple[str, ...] = ()
            if outcome.tiers_reached:
                reached = []
                for tier_index in outcome.tiers_reached:
                    role = milestone.escalate[tier_index].to
                    lead = leads.resolve(role, team, worker)
                    if lead is None:
                        _note_untold(untold, timeline.name, team, role, milestone.id, case_ref)
                    else:
                        reached.append(lead)
                escalated = tuple(reached)
            rows[index] = MilestoneStatus(case_ref, team, timeline.name, milestone.id,
                                          milestone.title, outcome.status, outcome.due, completed,
                                          outcome.days_overdue, owner, escalated,
                                          outcome.tiers_reached)
        statuses.extend(rows)  # type: ignore[arg-type]
    result.unresolved = [
        UnresolvedRole(timeline, team, role, tuple(sorted(milestone_ids)), tuple(case_refs))
        for (timeline, team, role), (milestone_ids, case_refs) in sorted(untold.items())]
    return result


def _note_untold(untold: dict[tuple[str, str, str], tuple[set[str], list[str]]], timeline: str,
                 team: str, role: str, milestone: str, case_ref: str) -> None:
    milestone_ids, case_refs = untold.setdefault((timeline, team, role), (set(), []))
    milestone_ids.add(milestone)
    if not case_refs or case_refs[-1] != case_ref:
        case_refs.append(case_ref)
