"""What the commands print: status, timeline and history tables and the daily check's summary.

Every value that came from a file or the store goes through `printable`, so stored text never
reaches the terminal raw. Piped output (a file, a pager, an email) is not squeezed to 80
columns.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from datetime import date

from rich.console import Console
from rich.table import Table
from rich.text import Text

from permanence import csvfiles
from permanence.csvfiles import printable
from permanence.evaluate import CaseFacts, MilestoneStatus, Status
from permanence.models import MilestoneEvent, StatusChange
from permanence.summary import CheckSummary
from permanence.timelines import Timeline

STATUS_STYLES = {
    Status.DONE: "green", Status.LATE: "dark_orange", Status.WAITING: "bright_black",
    Status.GREEN: "green", Status.AMBER: "yellow", Status.RED: "bold red",
    Status.PAUSED: "blue", Status.NOT_APPLICABLE: "bright_black",
}
QUIET_WHEN_NONE = (Status.PAUSED, Status.NOT_APPLICABLE)  # summaries leave them out at 0
STATUS_COLUMNS = ("case_ref", "team", "timeline", "milestone", "title", "status", "due",
                  "completed_on", "days_overdue", "owner", "escalated_to")

out = Console(highlight=False, width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def _status_text(status: Status) -> Text:
    return Text(str(status), style=STATUS_STYLES[status])


def _days(value: int | None) -> str:
    return "" if value is None else str(value)


def _day(value: date | None) -> str:
    return value.isoformat() if value else ""


def print_status_json(rows: Sequence[MilestoneStatus]) -> None:
    sys.stdout.write(json.dumps([row.as_json() for row in rows], indent=1) + "\n")


def print_status_csv(rows: Sequence[MilestoneStatus]) -> None:
    writer = csvfiles.SafeWriter(sys.stdout)
    writer.writerow(STATUS_COLUMNS)
    for row in rows:
        data = row.as_json()
        data["escalated_to"] = " ".join(row.escalated_to)
        writer.writerow(["" if data[c] is None else data[c] for c in STATUS_COLUMNS])


def print_status_table(rows: Sequence[MilestoneStatus], day: date, team: str | None) -> None:
    """Every row, then the count of open cases and of milestones in each status."""
    if not rows:
        out.print(f"No open cases on {day}{f' in team {team}' if team else ''}.", markup=False)
        return
    table = Table(title=f"Permanence milestones as of {day}", title_justify="left")
    for column in ("case", "team", "milestone", "status", "due", "completed", "days over",
                   "owner", "escalated to"):
        table.add_column(column, no_wrap=column in {"case", "due", "completed"})
    for row in rows:
        table.add_row(*map(printable, (
            row.case_ref, row.team, row.milestone, _status_text(row.status), _day(row.due),
            _day(row.completed_on), _days(row.days_overdue), row.owner or "(nobody)",
            " ".join(row.escalated_to))))
    out.print(table)
    counts = {s: sum(1 for row in rows if row.status is s) for s in Status}
    counts = {s: n for s, n in counts.items() if n or s not in QUIET_WHEN_NONE}
    summary = Text(f"{len({row.case_ref for row in rows})} open cases: ")
    for index, (state, count) in enumerate(counts.items()):
        summary.append(f"{', ' if index else ''}{count} {state}", style=STATUS_STYLES[state])
    out.print(summary)


def print_timeline(facts: CaseFacts, rules: Timeline, rows: Sequence[MilestoneStatus],
                   day: date, note: str) -> None:
    """One case's milestones in rule order, under a heading naming its rules and the day."""
    out.print(Text.assemble((printable(facts.case_ref), "bold"),
                            f"  {rules.title} ({rules.name} {rules.version})"))
    out.print(f"team {printable(facts.team)}, social worker {printable(facts.social_worker)}, "
              f"looked after since {facts.looked_after_on}; as of {day}"
              f"{f' ({note})' if note else ''}", markup=False)
    table = Table(show_header=True, header_style="bold")
    for column in ("", "milestone", "after", "clock", "due", "completed", "status", "days over",
                   "owner", "escalated to"):
        table.add_column(column)
    for row, milestone in zip(rows, rules.milestones, strict=True):
        marker = "○" if row.status is Status.WAITING else "●"
        table.add_row(*map(printable, (
            Text(marker, style=STATUS_STYLES[row.status]), row.title, milestone.after or "start",
            str(milestone.within) if milestone.within else "", _day(row.due),
            _day(row.completed_on), _status_text(row.status), _days(row.days_overdue),
            row.owner or "(nobody)", " ".join(row.escalated_to))))
    out.print(table)


def print_history(case_ref: str, events: Sequence[MilestoneEvent],
                  changes: Sequence[StatusChange]) -> None:
    """The completion dates recorded for a case, then the status changes the check stored."""
    recorded = Table(title=f"{case_ref}: completion dates recorded", title_justify="left")
    for column in ("milestone", "occurred on", "recorded at (UTC)", "how", "note"):
        recorded.add_column(column)
    for event in events:
        recorded.add_row(*map(printable, (
            event.milestone, str(event.occurred_on), f"{event.recorded_at:%Y-%m-%d %H:%M}",
            event.source, event.note or "")))
    out.print(recorded if events else f"{case_ref}: no completion dates recorded.")
    seen = Table(title=f"{case_ref}: status changes seen by the daily check", title_justify="left")
    for column in ("as of", "milestone", "from", "to", "tiers", "due", "days over", "owner",
                   "rules"):
        seen.add_column(column)
    for change in changes:
        seen.add_row(*map(printable, (
            str(change.as_of), change.milestone, change.old_status or "(first check)",
            _status_text(Status(change.new_status)), change.new_tiers, _day(change.due),
            _days(change.days_overdue), change.owner or "",
            f"{change.timeline} {change.rules_version}")))
    out.print(seen if changes else f"{case_ref}: no daily check has run on this case yet.")
def print_check_summary(summary: CheckSummary) -> None:
    """What one daily check did: counts on stdout, what went wrong on stderr."""
    totals = summary.status_totals()
    line = Text(f"{summary.as_of}: {summary.cases} open cases; ")
    shown = [s for s in Status if totals.get(s, 0) or s not in QUIET_WHEN_NONE]
    for index, state in enumerate(shown):
        line.append(f"{', ' if index else ''}{totals.get(state, 0)} {state}",
                    style=STATUS_STYLES[state])
    out.print(line)
    moves = summary.transitions
    told = (f"{summary.queued} messages queued, {summary.delivered} delivered"
            if summary.notify else "notifications off (--no-notify)")
    out.print(f"new: {moves.get('overdue', 0)} overdue, {moves.get('due_soon', 0)} due soon, "
              f"{moves.get('escalated', 0)} escalations; {told}", markup=False)
    for problem in summary.configuration_problems:
        err.print(printable(f"configuration problem, team {problem['team']}: "
                            f"{problem['text']}"), markup=False)
    for line_text in summary.undelivered:
        err.print(printable(f"undelivered: {line_text}"), markup=False)
    if summary.report:
        out.print(f"report: {summary.report}", markup=False)
    if summary.report_error:
        err.print(f"report not written: {summary.report_error}", markup=False)
    for change in summary.rules_changed:
        err.print(printable(f"rules changed since the last check (due dates move): {change}"),
                  markup=False)
    if summary.waited_seconds:
        out.print(f"waited {summary.waited_seconds:.0f} s for another check of this store "
                  "to finish first", markup=False)
