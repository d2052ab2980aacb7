"""From merged records to what the store receives: the cases of the children without a bad row,
each on its timeline, with its team, social worker and dates. Pure."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from permanence.ssda903.periods import Dated, PeriodCase, period_cases
from permanence.ssda903.tables import Allocation, ChildRecords, Problem

DEFAULT_TIMELINES = ("england-adoption-return", "england-looked-after")
"""The timeline of a period with adoption evidence, and of any other."""


@dataclass(frozen=True, slots=True)
class ReturnCase:
    """One case ready for the store."""

    period: PeriodCase
    timeline: str
    team: str
    social_worker: str
    dates: tuple[Dated, ...]
    """The period's dates that its timeline has milestones for."""

    def row(self) -> dict[str, object]:
        """The case row, as the store's `case` table has it (no name: the return has none)."""
        return {"case_ref": self.period.case_ref, "timeline": self.timeline, "team": self.team,
                "social_worker": self.social_worker,
                "looked_after_on": self.period.looked_after_on,
                "closed_on": self.period.closed_on, "date_of_birth": self.period.date_of_birth}


@dataclass
class Plan:
    """What an import of a return writes, who it leaves out and why, and what it warns of."""

    cases: list[ReturnCase] = field(default_factory=list)
    children: int = 0
    """Children imported."""
    left_out: list[str] = field(default_factory=list)
    """Children left out, each for at least one problem."""
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _some(children: list[str], shown: int = 5) -> str:
    more = len(children) - shown
    return ", ".join(children[:shown]) + (f" and {more} more" if more > 0 else "")


def plan_import(children: list[ChildRecords], problems: list[Problem], *,
                allocations: Mapping[str, Allocation],
                allocation_problems: Sequence[Problem] = (), team: str | None,
                social_worker: str | None, timelines: tuple[str, str],
                milestones: Mapping[str, frozenset[str]]) -> Plan:
    """The cases of every child with no bad row: `timelines` is (adoption, other);
    `milestones` the milestone ids of each of them; `allocations` (from an allocations file)
    name a child's team and social worker, else `team` and `social_worker`. A child with
    neither is a bad row (its first episode's line, CHILD). A bad row of the allocations file
    leaves its child out when the return has that child."""
    in_return = {records.child for records in children}
    plan = Plan(problems=[*problems, *(
        problem if problem.child in in_return else replace(problem, child=None)
        for problem in allocation_problems)])
    bad = {problem.child for problem in plan.problems if problem.child}
    dropped: Counter[tuple[str, str]] = Counter()
    unplaced: list[str] = []
    started_before: list[str] = []
    for records in children:
        if records.child in bad:
            continue
        if records.episodes[0].rne != "S":
            started_before.append(records.child)
        allocated = allocations.get(records.child)
        case_team = (allocated.team if allocated else "") or team or ""
        worker = (allocated.social_worker if allocated else "") or social_worker or ""
        if not case_team or not worker:
            first = records.episodes[0]
            missing = " and ".join(name for name, value in (("team", case_team),
                                                            ("social worker", worker))
                                   if not value)
            plan.problems.append(Problem(
                first.file, first.line, "CHILD", f"{records.child} has no {missing}: not in the "
                "allocations file (or a blank cell there) and no --team/--social-worker given",
                records.child))
            bad.add(records.child)
            continue
        plan.children += 1
        for period in period_cases(records):
            timeline = timelines[0] if period.adoption else timelines[1]
            known = milestones[timeline]
            kept = tuple(dated for dated in period.dates if dated.milestone in known)
            dropped.update((timeline, dated.milestone) for dated in period.dates
                           if dated.milestone not in known)
            if period.adopted_unplaced:
                unplaced.append(period.case_ref)
            plan.cases.append(ReturnCase(period, timeline, case_team, worker, kept))
    plan.left_out = sorted(bad)
    if unplaced:
        plan.warnings.append(
            f"{len(unplaced)} case{'s' if len(unplaced) != 1 else ''} ended in adoption from a "
            "placement never coded A3-A6, so no placed_with_adopters is recorded and the "
            f"scorecard's A1, A2, A3 and A10 leave {'it' if len(unplaced) == 1 else 'them'} "
            f"out: {_some(unplaced)}")
    if started_before:
        count = len(started_before)
        plan.warnings.append(
            f"{count} child{'ren' if count != 1 else ''}'s first episode read has an RNE other "
            "than S, so their care began before the earliest return read; each such period is "
            "dated from that episode (import the earlier returns with this one to date it from "
            f"its true start): {_some(started_before)}")
    for (timeline, milestone), count in sorted(dropped.items()):
        plan.warnings.append(f"{count} {milestone} date{'s' if count != 1 else ''} not "
                             f"recorded: timeline {timeline} has no milestone {milestone}")
    return plan
