"""What one daily check did, as the flow returns it and the CLI, the demo and the artifacts show it.

Stored as JSON in `check_run.summary` (`as_json`), where the next check reads the rules that were
in force; the keys there are the field names below.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any


@dataclass(frozen=True)
class CheckSummary:
    """One run of the daily check, for one as-of day."""

    as_of: date
    cases: int
    changes: int
    by_team: dict[str, dict[str, int]]
    """Per team, how many milestones are in each status (only statuses that occur)."""
    transitions: dict[str, int]
    """How many milestones newly became overdue, due soon or reached an escalation tier."""
    red: int
    queued: int
    delivered: int
    undelivered: list[str]
    """One line per lead still not reached (URLs redacted); kept in the outbox."""
    configuration_problems: list[dict[str, str]]
    """Each {team, role, text}: a role nobody holds, open cases on an unloaded timeline."""
    notify: bool
    flow_run_id: str | None
    report: str | None
    report_error: str | None
    failures: list[str]
    """Why the run ends Failed; empty when it completed."""
    waited_seconds: float
    rules: list[dict[str, str]] = field(default_factory=list)
    """The rules in force: each {timeline, version, file}."""
    rules_changed: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    """Time spent per step (read, evaluate, compare, write, ...), for the benchmarks."""
    inbox: dict[str, Any] | None = None
    """What the inbox took in first (permanence.inbox.Intake.as_json), or None without one."""

    def status_totals(self) -> dict[str, int]:
        """Milestones in each status over every team."""
        totals: dict[str, int] = {}
        for counts in self.by_team.values():
            for status, count in counts.items():
                totals[status] = totals.get(status, 0) + count
        return totals

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "as_of": self.as_of.isoformat()}
