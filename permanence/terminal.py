"""What the commands print: status, timeline and history tables and the daily check's summary.

Every value that came from a file or the store goes through `printable`, so stored text never
reaches the terminal raw. Piped output (a file, a pager, an email) is not squeezed to 80
columns.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from permanence import csvfiles
from permanence.csvfiles import printable
from permanence.evaluate import CaseFacts, MilestoneStatus, Status
from permanence.explanations import CLOSED_STEPS, Explanation, explains, said, standing_on
from permanence.imports import plural
from permanence.models import MilestoneEvent, StatusChange
from permanence.store.history import CaseLife
from permanence.summary import CheckSummary
from permanence.timelines import Milestone, Timeline

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


def _status_with_risk(status: Status, at_risk: bool) -> Text:
    """The status, with ` at risk` when the step is booked for after its due date."""
    text = _status_text(status)
    if at_risk:
        text.append(" at risk", style="bold red")
    return text


def _days(value: int | None) -> str:
    return "" if value is None else str(value)


def _day(value: date | None) -> str:
    return value.isoformat() if value else ""


JSON_KEYS = ("case_ref", "team", "timeline", "milestone", "title", "status", "due",
             "completed_on", "days_overdue", "owner", "escalated_to", "at_risk", "original_due",
             "sibling_group")
"""The keys of `MilestoneStatus.as_json`, in its order: the contract's JSON object."""
_JSON_ROW = " {\n" + ",\n".join(f'  "{key}": %s' for key in JSON_KEYS) + "\n }"
BATCH_ROWS = 2_000
"""Rows written to stdout at a time: few writes, and never the whole document in memory."""


class _Texts(dict[Any, str]):
    """Each value's output text, worked out the first time it is seen: a caseload repeats its
    teams, steps, titles, leads and days a million times over, so each is encoded once."""

    def __init__(self, encode: Callable[[Any], str], none: str) -> None:
        super().__init__({None: none})
        self._encode = encode

    def __missing__(self, value: Any) -> str:
        text = self[value] = self._encode(value)
        return text


def _json_list(values: tuple[str, ...]) -> str:
    """A list at the depth of a row's keys, as the indented document shows it."""
    return json.dumps(list(values), indent=1).replace("\n", "\n  ") if values else "[]"


def print_status_json(rows: Iterable[MilestoneStatus]) -> None:
    """The text of `json.dumps([row.as_json() for row in rows], indent=1)`, written as the rows
    come, a batch at a time: a national caseload's million rows never sit in memory as one
    document (5 GB), and each distinct value is encoded once, by json's own C encoder."""
    text = _Texts(_json_string, "null")  # strings: ids, names, titles
    day = _Texts(lambda value: f'"{value.isoformat()}"', "null")
    number = _Texts(str, "null")  # json.dumps of an int is its str
    status_text = _Texts(lambda value: _json_string(str(value)), "null")
    listed = _Texts(_json_list, "[]")
    row_text = _JSON_ROW.__mod__
    write = sys.stdout.write
    opening = "[\n"
    batch: list[str] = []
    for (case_ref, team, timeline, milestone, title, status, due, completed_on, days_overdue,
         owner, escalated_to, _tiers, at_risk, original_due, sibling_group, _planned) in rows:
        batch.append(row_text((
            text[case_ref], text[team], text[timeline], text[milestone], text[title],
            status_text[status], day[due], day[completed_on], number[days_overdue],
            text[owner], listed[escalated_to], "true" if at_risk else "false",
            day[original_due], text[sibling_group])))
        if len(batch) == BATCH_ROWS:
            write(opening + ",\n".join(batch))
            opening, batch = ",\n", []
    if batch:
        write(opening + ",\n".join(batch))
        opening = ",\n"
    write("[]\n" if opening == "[\n" else "\n]\n")


_json_string = json.encoder.encode_basestring_ascii  # json.dumps' own (C) string encoder


def print_status_csv(rows: Iterable[MilestoneStatus]) -> None:
    """STATUS_COLUMNS, a row per status, every text cell defused (`csvfiles.defused`, as
    `csvfiles.SafeWriter` does) once per distinct value, and written by csv's C writer."""
    text = _Texts(csvfiles.defused, "")
    day = _Texts(lambda value: value.isoformat(), "")
    status_text = _Texts(lambda value: csvfiles.defused(str(value)), "")
    joined = _Texts(lambda values: csvfiles.defused(" ".join(values)), "")
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(map(csvfiles.defused, STATUS_COLUMNS))
    writer.writerows(
        (text[case_ref], text[team], text[timeline], text[milestone], text[title],
         status_text[status], day[due], day[completed_on],
         "" if days_overdue is None else days_overdue, text[owner], joined[escalated_to])
        for (case_ref, team, timeline, milestone, title, status, due, completed_on,
             days_overdue, owner, escalated_to, *_) in rows)


def print_status_table(rows: Sequence[MilestoneStatus], day: date, team: str | None,
                       lead_names: Mapping[str, str], filtered: bool = False) -> None:
    """Every row, steps by title and leads by name, then the count of cases and of milestones
    in each status. `filtered`: the rows are a choice (--status, --lead), so the count says
    "cases shown" rather than "open cases"."""
    if not rows:
        out.print(f"No {'matching milestones' if filtered else 'open cases'} on {day}"
                  f"{f' in team {team}' if team else ''}.", markup=False)
        return

    def named(lead: str | None) -> str:
        return lead_names.get(lead, lead) if lead else "(nobody)"

    table = Table(title=f"Permanence milestones as of {day}", title_justify="left")
    for column in ("case", "team", "step", "status", "due", "completed", "days over", "owner",
                   "escalated to"):
        table.add_column(column, no_wrap=column in {"case", "due", "completed"})
    for row in rows:
        table.add_row(*map(printable, (
            row.case_ref, row.team, row.title, _status_with_risk(row.status, row.at_risk),
            _day(row.due), _day(row.completed_on), _days(row.days_overdue), named(row.owner),
            ", ".join(map(named, row.escalated_to)))))
    out.print(table)
    counts = {s: sum(1 for row in rows if row.status is s) for s in Status}
    counts = {s: n for s, n in counts.items()
              if n or not (filtered or s in QUIET_WHEN_NONE)}
    cases = len({row.case_ref for row in rows})
    noun = "case" if cases == 1 else "cases"
    summary = Text(f"{cases} {noun} shown: " if filtered else f"{cases} open {noun}: ")
    for index, (state, count) in enumerate(counts.items()):
        summary.append(f"{', ' if index else ''}{count} {state}", style=STATUS_STYLES[state])
    out.print(summary)


def print_timeline(facts: CaseFacts, rules: Timeline, rows: Sequence[MilestoneStatus],
                   day: date, note: str, life: CaseLife,
                   explained: Sequence[Explanation] = ()) -> None:
    """One case's milestones in rule order, under a heading naming its rules and the day; then,
    when the case has any, what moved it off a straight line as known on the day: booked dates,
    steps that no longer apply, agreed extensions, pauses, its route history and its siblings."""
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
        marker = "○" if row.status in (Status.WAITING, Status.NOT_APPLICABLE) else "●"
        table.add_row(*map(printable, (
            Text(marker, style=STATUS_STYLES[row.status]), row.title, _starts(milestone),
            _clock(milestone), _day(row.due) + (" (extended)" if row.original_due else ""),
            _day(row.completed_on), _status_with_risk(row.status, row.at_risk),
            _days(row.days_overdue), row.owner or "(nobody)",
            " ".join(row.escalated_to))))
    out.print(table)
    _print_case_life(facts, rows, day, life, explained)


def _starts(milestone: Milestone) -> str:
    """What starts a milestone's clock, for the `after` column."""
    if milestone.before is not None:
        return f"before {milestone.before}"
    return milestone.after or "start"


def _clock(milestone: Milestone) -> str:
    """A milestone's clock in words: `3 months`, `3 months, then every 6 months`, `8 days
    ahead`, `record only` (no clock); blank for a start."""
    if milestone.is_record_only:
        return "record only"
    if milestone.lead is not None:
        return f"{milestone.lead} ahead"
    if milestone.every is not None:
        first = f"{milestone.within}, then " if milestone.within else ""
        return f"{first}every {milestone.every}"
    return str(milestone.within) if milestone.within else ""


def _print_case_life(facts: CaseFacts, rows: Sequence[MilestoneStatus], day: date,
                     life: CaseLife, explained: Sequence[Explanation]) -> None:
    lines: list[str] = []
    standing = standing_on(explained, day)
    for row in rows:
        explanation = standing.get((row.case_ref, row.milestone))
        if (explanation is not None and row.status not in CLOSED_STEPS
                and explains(explanation, facts)):
            who = f" by {explanation.explained_by}" if explanation.explained_by else ""
            lines.append(f"explained: {row.milestone} on {explanation.explained_on}{who}: "
                         f"{said(explanation)}")
    for row in rows:
        if row.planned_for is not None:
            risk = (f", after its due date {row.due}: at risk" if row.at_risk else "")
            lines.append(f"booked: {row.milestone} for {row.planned_for}{risk}")
        if row.status is Status.NOT_APPLICABLE:
            lines.append(f"not applicable: {row.milestone} from "
                         f"{facts.not_applicable.get(row.milestone)}")
    for extension in life.extensions:
        if extension.approved_on <= day:
            extended = next((r for r in rows if r.milestone == extension.milestone), None)
            was = (f" (due {extended.original_due} before)"
                   if extended is not None and extended.original_due
                   and extended.due == extension.extended_to else "")
            lines.append(f"extended: {extension.milestone} to {extension.extended_to}{was}, "
                         f"agreed by {extension.approved_by} on {extension.approved_on}: "
                         f"{extension.reason}")
    for pause in life.pauses:
        if pause.paused_from <= day:
            lines.append(f"paused: {_pause_span(pause.paused_from, pause.paused_to, day)}: "
                         f"{pause.reason}")
    lines += [f"route: {route.old_timeline} -> {route.new_timeline} on {route.changed_on}"
              for route in life.routes]
    if life.siblings:
        lines.append(f"placed together with: {', '.join(life.siblings)}")
    for line in lines:
        out.print(printable(line), markup=False)


def _pause_span(first: date, last: date | None, day: date) -> str:
    """`2026-10-01 to 2026-10-14 (14 days)`, or an open pause's days so far on `day`."""
    if last is not None and last <= day:
        return f"{first} to {last} ({plural((last - first).days + 1, 'day')})"
    ends = f"to {last}" if last is not None else "still open"
    return f"from {first}, {ends} ({plural((day - first).days + 1, 'day')} so far)"


def print_history(case_ref: str, events: Sequence[MilestoneEvent],
                  changes: Sequence[StatusChange], life: CaseLife,
                  explained: Sequence[Explanation] = ()) -> None:
    """The dates recorded for a case (completions, bookings, steps marked not applicable), its
    pauses, extensions, explanations of drifting steps, route changes and siblings, then the
    status changes the check stored."""
    recorded = Table(title=f"{case_ref}: dates recorded", title_justify="left")
    for column in ("milestone", "kind", "date", "noted on", "recorded at (UTC)", "how", "note"):
        recorded.add_column(column)
    for event in events:
        recorded.add_row(*map(printable, (
            event.milestone, event.kind, str(event.occurred_on), _day(event.noted_on),
            f"{event.recorded_at:%Y-%m-%d %H:%M}", event.source, event.note or "")))
    out.print(recorded if events else f"{case_ref}: no dates recorded.")
    if life.pauses:
        paused = Table(title=f"{case_ref}: pauses", title_justify="left")
        for column in ("from", "to", "reason", "recorded at (UTC)", "how"):
            paused.add_column(column)
        for pause in life.pauses:
            paused.add_row(*map(printable, (
                str(pause.paused_from), _day(pause.paused_to) or "(open)", pause.reason,
                f"{pause.recorded_at:%Y-%m-%d %H:%M}", pause.source)))
        out.print(paused)
    if life.extensions:
        extended = Table(title=f"{case_ref}: extensions agreed", title_justify="left")
        for column in ("milestone", "new due date", "agreed by", "agreed on", "reason",
                       "recorded at (UTC)", "how"):
            extended.add_column(column)
        for extension in life.extensions:
            extended.add_row(*map(printable, (
                extension.milestone, str(extension.extended_to), extension.approved_by,
                str(extension.approved_on), extension.reason,
                f"{extension.recorded_at:%Y-%m-%d %H:%M}", extension.source)))
        out.print(extended)
    if explained:
        reasons = Table(title=f"{case_ref}: explanations given", title_justify="left")
        for column in ("given on", "milestone", "reason", "next action", "by", "given by"):
            reasons.add_column(column)
        for explanation in explained:
            reasons.add_row(*map(printable, (
                str(explanation.explained_on), explanation.milestone, explanation.reason,
                explanation.next_action, str(explanation.next_by),
                explanation.explained_by or "")))
        out.print(reasons)
    if life.routes:
        routes = Table(title=f"{case_ref}: route changes", title_justify="left")
        for column in ("changed on", "from", "to", "how"):
            routes.add_column(column)
        for route in life.routes:
            routes.add_row(*map(printable, (str(route.changed_on), route.old_timeline,
                                            route.new_timeline, route.source)))
        out.print(routes)
    if life.siblings:
        out.print(printable(f"{case_ref} is to be placed together with "
                            f"{', '.join(life.siblings)}."), markup=False)
    seen = Table(title=f"{case_ref}: status changes seen by the daily check", title_justify="left")
    for column in ("as of", "milestone", "from", "to", "tiers", "due", "booked for", "days over",
                   "owner", "rules"):
        seen.add_column(column)
    for change in changes:
        seen.add_row(*map(printable, (
            str(change.as_of), change.milestone, change.old_status or "(first check)",
            _status_with_risk(Status(change.new_status), bool(change.at_risk)),
            change.new_tiers, _day(change.due), _day(change.planned_for),
            _days(change.days_overdue), change.owner or "",
            f"{change.timeline} {change.rules_version}")))
    out.print(seen if changes else f"{case_ref}: no daily check has run on this case yet.")


def inbox_lines(inbox: dict[str, Any] | None) -> list[str]:
    """The inbox's part of a check's summary, a line each: unreadable, each file, stale."""
    if inbox is None:
        return []
    lines = [f"inbox: {inbox['unreadable']}"] if inbox.get("unreadable") else []
    for file in inbox["files"]:
        if file["outcome"] == "refused":
            lines.append(f"inbox: refused {file['name']} ({file['problems']} problems), moved to "
                         f"{file['moved_to']}; its problems in {file['moved_to']}.problems.txt")
        else:
            left_out = file.get("left_out")
            lines.append(f"inbox: {file['outcome']} {file['name']}, moved to {file['moved_to']}"
                         + ("" if not left_out else
                            f"; {left_out} child{'' if left_out == 1 else 'ren'} left out of the "
                            f"return, the problems in {file['moved_to']}.problems.txt"))
    if inbox.get("stale"):
        lines.append(f"inbox: {inbox['stale']}")
    return lines


def print_check_summary(summary: CheckSummary) -> None:
    """What one daily check did: counts on stdout, what went wrong on stderr."""
    totals = summary.status_totals()
    line = Text(f"{summary.as_of}: {plural(summary.cases, 'open case')}; ")
    shown = [s for s in Status if totals.get(s, 0) or s not in QUIET_WHEN_NONE]
    for index, state in enumerate(shown):
        line.append(f"{', ' if index else ''}{totals.get(state, 0)} {state}",
                    style=STATUS_STYLES[state])
    out.print(line)
    moves = summary.transitions
    told = (f"{plural(summary.queued, 'message')} queued, {summary.delivered} delivered"
            if summary.notify else "notifications off (--no-notify)")
    at_risk = f"{moves['at_risk']} at risk, " if moves.get("at_risk") else ""
    out.print(f"new: {moves.get('overdue', 0)} overdue, {moves.get('due_soon', 0)} due soon, "
              f"{at_risk}{plural(moves.get('escalated', 0), 'escalation')}; {told}",
              markup=False)
    for line_text in inbox_lines(summary.inbox):  # what went in on stdout, what went wrong not
        taken = line_text.startswith(("inbox: imported", "inbox: already imported"))
        (out if taken else err).print(printable(line_text), markup=False)
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
