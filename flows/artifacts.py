"""What managers see of a daily check in Prefect's UI: its artifacts.

- `drift-summary` (markdown): counts per team and status, what the inbox took in or refused
  (and stale data, loudly), what is new today, and which cases
  are newly red, newly escalated and newly amber (the most overdue first, NEWLY_LIMIT of each,
  one line each with the title and names whole);
  undelivered messages, configuration problems, the rules in force.
- `red-milestones` (table): every red milestone, most overdue first, in seven short columns
  with titles and names, and the day its explanation's next action is due by, so that it
  reads whole on a laptop.
- `drift-over-time` (table): red and amber per team, day by day, over the DRIFT_DAYS days to
  the run's day, from every finished check's stored counts and the run's own; with the change
  in red since the check before, so whether drift is going up or down reads at a glance.
- `drift-report`: a link to the day's page on the web page (PERMANENCE_WEB_URL); without one,
  where the report was written on the server and how to link it, never a file:// link (a
  browser does not open a local file from a web page).

Everything quoted from the store or a channel is escaped (`md`), so it shows as written.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from prefect.artifacts import create_link_artifact, create_markdown_artifact, create_table_artifact

from permanence.evaluate import MilestoneStatus, Status
from permanence.explanations import Explanation
from permanence.measures import drift_order
from permanence.report.text import MONTH_NAMES
from permanence.summary import CheckSummary

RED_TABLE_LIMIT = 5_000
NEWLY_LIMIT = 20  # cases listed per kind of news in drift-summary
# Characters of a milestone title and of a name in the red table, longer ones shortened: so the
# seven columns stay whole beside the artifact page's side panel at 1400 px (seen in Chromium on
# Prefect 3.9.1's UI: the table gets 844 px, and its cells do not wrap). Measured with the
# widest values: a 28-character step, two 12-character names, 4-digit days over, `no reason`;
# with 13-character names, or the next action's day as YYYY-MM-DD, it overflowed.
STEP_WIDTH = 28
NAME_WIDTH = 12

DRIFT_DAYS = 28  # days the drift-over-time artifact covers, the run's day included

NEWLY_LISTED = (("overdue", "Newly red"), ("escalated", "Newly escalated"),
                ("due_soon", "Newly amber"))
"""The transitions drift-summary lists case by case, most urgent first, with their headings."""


@dataclass(frozen=True)
class Listed:
    """A milestone as the managers' artifacts show it: its title and people's names, not ids."""

    case_ref: str
    step: str
    due: date | None
    days_overdue: int | None
    owner: str
    escalated_to: tuple[str, ...]
    """The leads of the tiers reached, lowest tier first."""
    next_by: date | None = None
    """The day the next action of the explanation standing for it is due (None: none given)."""

    @classmethod
    def of(cls, row: MilestoneStatus, names: Mapping[str, str],
           explained: Mapping[tuple[str, str], Explanation] | None = None) -> Listed:
        explanation = (explained or {}).get((row.case_ref, row.milestone))
        return cls(case_ref=row.case_ref, step=row.title, due=row.due,
                   days_overdue=row.days_overdue,
                   owner=names.get(row.owner, row.owner) if row.owner else "(nobody)",
                   escalated_to=tuple(names.get(lead, lead) for lead in row.escalated_to),
                   next_by=explanation.next_by if explanation else None)


@dataclass(frozen=True)
class NewToday:
    """The milestones of one kind of news (a key of NEWLY_LISTED): the most overdue, and how
    many there were in all."""

    listed: Sequence[Listed]
    count: int


def most_overdue(rows: Sequence[MilestoneStatus], limit: int) -> list[MilestoneStatus]:
    """The `limit` most overdue rows (red by days overdue, then amber by due date), in order."""
    return sorted(rows, key=lambda row: (*drift_order(row), row.milestone))[:limit]


# Characters that markdown (and the HTML it may hold) would read as markup, not text.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|&~])")


def md(text: Any) -> str:
    """Text quoted into markdown shows as written: markup characters escaped, one line."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def summary_markdown(summary: CheckSummary,
                     new_today: Mapping[str, NewToday] | None = None) -> str:
    """The managers' summary of one run, as the Prefect UI shows it; every value quoted from
    the store or a channel is escaped (see `md`)."""
    counts = summary.by_team
    statuses = [str(status) for status in Status]
    lines = [f"# Daily drift check, {summary.as_of}", "",
             f"{summary.cases} open cases; {summary.changes} milestone changes stored.", "",
             "| team | " + " | ".join(statuses) + " |",
             "|---|" + "---:|" * len(statuses)]
    for team in sorted(counts):
        lines.append(f"| {md(team)} | " + " | ".join(str(counts[team].get(s, 0)) for s in statuses)
                     + " |")
    if summary.inbox is not None:
        lines += ["", "## Inbox", ""]
        lines += inbox_lines(summary.inbox)
    lines += ["", "## New today", ""]
    transitions = summary.transitions
    lines.append(f"- newly overdue: {transitions.get('overdue', 0)}")
    lines.append(f"- newly at risk (booked after the due date): "
                 f"{transitions.get('at_risk', 0)}")
    lines.append(f"- newly due soon: {transitions.get('due_soon', 0)}")
    lines.append(f"- escalations newly reached: {transitions.get('escalated', 0)}")
    lines.append(f"- messages queued: {summary.queued}, delivered: {summary.delivered}"
                 + ("" if summary.notify else " (notifications off for this run)"))
    if new_today is not None:
        for kind, heading in NEWLY_LISTED:
            lines += ["", f"## {heading}", ""]
            lines += _new_today_lines(new_today.get(kind, NewToday((), 0)), summary.as_of,
                                      kind == "escalated")
    lines += ["", "## Undelivered messages", ""]
    lines += [f"- {md(line)}" for line in summary.undelivered] or ["None."]
    lines += ["", "## Configuration problems", ""]
    lines += [f"- team {md(problem['team'])}: {md(problem['text'])}"
              for problem in summary.configuration_problems] or ["None."]
    lines += ["", "## Rules in force", ""]
    lines += [f"- {md(rule['timeline'])} {md(rule['version'])} ({md(rule['file'])})"
              for rule in summary.rules]
    if summary.rules_changed:
        lines += ["", ("Changed since the last check (children's due dates on these routes "
                      "move):"), ""]
        lines += [f"- {md(line)}" for line in summary.rules_changed]
    if summary.report:
        lines += ["", f"Report: {summary.report}"]  # the operator's own folder, not data
    if summary.report_error:
        lines += ["", f"Report not written: {md(summary.report_error)}"]
    return "\n".join(lines) + "\n"


def inbox_lines(inbox: Mapping[str, Any]) -> list[str]:
    """What the inbox took in before the check (the summary's `inbox`): a stale or unreadable
    inbox first, in bold, then each file: imported, already imported, or refused and where its
    problems are (never the problems, which may quote a child's date of birth)."""
    lines = [f"**{md(inbox[key])}**" for key in ("unreadable", "stale") if inbox.get(key)]
    for file in inbox["files"]:
        name, moved = md(file["name"]), md(file["moved_to"])
        if file["outcome"] == "refused":
            lines.append(f"- **refused**: {name}, {file['problems']} problem"
                         f"{'s' if file['problems'] != 1 else ''}; nothing in it imported; "
                         f"moved to {moved}, its problems in {moved}.problems.txt")
        else:
            missing = file.get("missing_from_snapshot")
            snapshot = ("" if not missing else
                        f"; a snapshot without {missing} open case{'s' if missing != 1 else ''}"
                        " of the store, listed under data quality")
            left_out = file.get("left_out")
            partly = ("" if not left_out else
                      f"; **{left_out} child{'' if left_out == 1 else 'ren'} left out** of the "
                      f"SSDA903 return for bad rows, listed in {moved}.problems.txt")
            lines.append(f"- {md(file['outcome'])}: {name}, moved to {moved}{snapshot}{partly}")
    lines += [f"- left for the next run (still being written): {md(name)}"
              for name in inbox["left"]]
    return lines or [f"No new file in {md(inbox['inbox'])}."]


def _new_today_lines(news: NewToday, as_of: date, escalated: bool) -> list[str]:
    """One kind of news as a markdown list, one milestone a line, with "and N more." below when
    it was cut. A list, not a table: Prefect's UI does not wrap table cells, so a table of whole
    titles and names runs off the page at laptop width, while list items wrap."""
    if not news.count:
        return ["None."]
    lines = []
    for item in news.listed:
        when = _when(item, as_of)
        told = f"; escalated to {md(', '.join(item.escalated_to))}" if escalated else ""
        lines.append(f"- {md(item.case_ref)}, {md(item.step)}: {when}; owner {md(item.owner)}"
                     f"{told}")
    if news.count > len(news.listed):
        lines += ["", f"and {news.count - len(news.listed)} more."]
    return lines


def _when(item: Listed, as_of: date) -> str:
    """"25 days overdue (due 2026-11-02)", or for a clock still running "due 2026-11-28 (in 1
    day)"."""
    if item.due is None:
        return "no due date"
    if item.days_overdue:
        return f"{_days(item.days_overdue)} overdue (due {item.due})"
    ahead = (item.due - as_of).days
    return f"due {item.due} ({'today' if ahead <= 0 else f'in {_days(ahead)}'})"


def _days(count: int) -> str:
    return f"{count} day" if count == 1 else f"{count} days"


def short(text: str, width: int = STEP_WIDTH) -> str:
    """`text` whole when it has at most `width` characters; else its whole words that fit in
    `width`, then an ellipsis (a first word too long for `width` is cut)."""
    if len(text) <= width:
        return text
    head = text[:width + 1]  # a space just after `width` characters ends a whole word
    cut = head.rsplit(" ", 1)[0] if " " in head else text[:width]
    return cut.rstrip(" ,;:-(") + "…"


def short_name(name: str, width: int = NAME_WIDTH) -> str:
    """A person's name in at most `width` characters: whole when it fits, else the first name
    and the last name's initial ("Alexandra M."), the first name cut if even that is too long."""
    if len(name) <= width:
        return name
    words = name.split()
    if len(words) > 1 and len(words[0]) + 3 <= width:
        return f"{words[0]} {words[-1][0]}."
    return name[:width - 1] + "…"


def red_table(red: Sequence[Listed]) -> list[dict[str, Any]]:
    """The red-milestones table: seven short columns, human headers, a row saying so when none.
    `Escalated to` names the lead of the highest tier reached, who holds the drift now (the
    lower tiers were told before); drift-summary names every tier's lead. `Next by` is the day
    and month the standing explanation's next action is due by (`permanence explain`), or `no
    reason` when none is given; the report's drift tables give the reason and action whole."""
    return [{"Case": item.case_ref, "Step": short(item.step),
             "Due": item.due.isoformat() if item.due else "",
             "Days over": item.days_overdue, "Owner": short_name(item.owner),
             "Escalated to": short_name(item.escalated_to[-1]) if item.escalated_to else "",
             "Next by": (f"{item.next_by.day} {MONTH_NAMES[item.next_by.month]}"
                         if item.next_by else "no reason")}
            for item in red] or [
        {"Case": "", "Step": "no red milestones", "Due": "", "Days over": "", "Owner": "",
         "Escalated to": "", "Next by": ""}]


def drift_over_time_table(days: Sequence[tuple[date, Mapping[str, Mapping[str, int]]]]
                          ) -> list[dict[str, Any]]:
    """The drift-over-time table: a row per day checked and team, latest day first, teams in
    order: `Red`, `Amber`, and `Red since the check before` (`+2`, `-1`, `0`; empty for a
    team's first day shown). `days` are (day, team -> status -> count), oldest first, as
    `store.drift_by_day` gives them."""
    rows: list[dict[str, Any]] = []
    before: dict[str, int] = {}
    for day, by_team in days:
        for team in sorted(by_team):
            red = by_team[team].get("red", 0)
            change = ("" if team not in before else "0" if red == before[team]
                      else f"{red - before[team]:+d}")
            rows.append({"Day": day.isoformat(), "Team": team, "Red": red,
                         "Amber": by_team[team].get("amber", 0),
                         "Red since the check before": change})
            before[team] = red
    rows.sort(key=lambda row: row["Day"], reverse=True)  # stable: teams stay in order
    return rows or [{"Day": "", "Team": "no check finished yet", "Red": "", "Amber": "",
                     "Red since the check before": ""}]


def report_not_linked(day: date, report: Path) -> str:
    """drift-report without a web page to link to: where the report is, and how to link it."""
    return "\n".join([
        f"# Permanence report, {day}", "",
        f"Written on the server that ran the check: {md(report)}", "",
        ("It is not linked here: a browser does not open a file on the server from this "
         "page. To link each day's report, serve it with `permanence web` and set "
         "PERMANENCE\\_WEB\\_URL to that web page's address (e.g. "
         "`https://permanence.example.org`) where the check runs."),
    ]) + "\n"


def publish(summary: CheckSummary, new_today: Mapping[str, NewToday], red: Sequence[Listed],
            report: Path | None, web_url: str | None,
            drift_days: Sequence[tuple[date, Mapping[str, Mapping[str, int]]]] = ()) -> None:
    """The run's four artifacts, keyed so that Prefect keeps each one's history run by run.
    `drift_days` are the counts of the days checked before this one (`store.drift_by_day`);
    this run's own (`summary.by_team`) are added for its day."""
    day = summary.as_of
    create_markdown_artifact(key="drift-summary", markdown=summary_markdown(summary, new_today),
                             description=f"Daily drift check for {day}")
    if report is not None:
        description = ("RAG board, children's timelines, run charts, forecast and data quality "
                       "for the day")
        if web_url is not None:
            create_link_artifact(key="drift-report", link=f"{web_url}/days/{day.isoformat()}/",
                                 link_text=f"Permanence report, {day}", description=description)
        else:
            create_markdown_artifact(key="drift-report", markdown=report_not_linked(day, report),
                                     description=description)
    create_table_artifact(key="red-milestones", table=red_table(red),
                          description=f"Every red milestone on {day}, most overdue first")
    days = [*((checked, counts) for checked, counts in drift_days if checked < day),
            (day, summary.by_team)]
    create_table_artifact(key="drift-over-time", table=drift_over_time_table(days),
                          description=(f"Red and amber per team, day by day, the "
                                       f"{DRIFT_DAYS} days to {day}: is drift going up or "
                                       "down?"))
