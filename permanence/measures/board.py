"""Open cases only: the RAG board's counts, the oldest drift first, the steps at risk and the
four-week forecast."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date, timedelta
from typing import NamedTuple

from permanence.evaluate import MilestoneStatus, Status

FORECAST_DAYS = 28
NOBODY = "(nobody)"
RAG = (Status.GREEN, Status.AMBER, Status.RED)


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
        # A running clock, a recurring one included (its completed_on is the last occurrence).
        if row.due is None or not as_of <= row.due <= last:
            continue
        if row.status is not Status.GREEN and row.status is not Status.AMBER:
            continue
        week = (row.due - as_of).days // 7
        by_team.setdefault(row.team, [0] * weeks)[week] += 1
        by_lead.setdefault((row.team, row.owner or NOBODY), [0] * weeks)[week] += 1
    return ([WorkloadRow(team, None, tuple(counts)) for team, counts in sorted(by_team.items())],
            [WorkloadRow(team, lead, tuple(counts))
             for (team, lead), counts in sorted(by_lead.items())])
