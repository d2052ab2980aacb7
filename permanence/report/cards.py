"""The HTML the report writes row by row: a child's timeline card and the drift table's rows.

Plain string formatting, not template calls: a 100,000-case report lays out a million
milestones, and these functions are its inner loop.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any, NamedTuple

from markupsafe import Markup

from permanence.evaluate import CaseFacts, MilestoneStatus, Status
from permanence.report.layout import Step
from permanence.report.text import day_text, esc


class CaseLine(NamedTuple):
    """One open case for the timeline pages: its facts and its evaluated rows."""

    case: CaseFacts
    rows: Sequence[MilestoneStatus]


_ROW_START: dict[tuple[str, str], str] = {}


def _row_start(status: str, title: str) -> str:
    key = (status, title)
    found = _ROW_START.get(key)
    if found is None:
        found = _ROW_START[key] = f'<tr class="{status}"><th>{esc(title)}</th><td class="k">'
    return found


def child_card(case: CaseFacts, steps: Sequence[Step], as_of: date, *, name: str | None,
               worker: str, title: str) -> tuple[str, str]:
    """One child's timeline as an HTML table: a row per milestone, with the window its clock
    gives (anchor to due), the overdue stretch in red, the completion as a dot, projections for
    waiting steps dashed, on one axis from the day the child became looked after.

    Positions are written in tenths of a percent (`--l`, `--w`) and placed by the style
    sheet: a million milestones make this the report's inner loop, hence the plain code.
    Returns the HTML and the case's worst status (red, amber, late, green, or done)."""
    start = case.looked_after_on.toordinal()
    today = as_of.toordinal()
    end = today
    for step in steps:
        due, done = step[4], step[5]
        if due is not None and due.toordinal() > end:
            end = due.toordinal()
        if done is not None:
            if done.toordinal() > end:
                end = done.toordinal()
            elif done.toordinal() < start:
                start = done.toordinal()
    span = max(end - start, 30) * 1.03 + 1
    scale = 1000 / span
    now = int((today - start) * scale)
    month = 30.44 * scale
    begin = (case.looked_after_on.toordinal() - start) * scale
    ticks = "".join(f'<span style="--l:{left}">{months} m</span>'
                    for months in range(0, int((end - start) / 30.44) + 1, 6)
                    for left in [int(begin + months * month)] if not -55 < now - left < 100)
    red = amber = green = late = 0
    body: list[str] = []
    add = body.append
    done_status, waiting, red_status, late_status, amber_status = (
        Status.DONE, Status.WAITING, Status.RED, Status.LATE, Status.AMBER)
    for _, step_title, status, anchor, due, done, overdue, projected in steps:
        marks = ""
        if anchor is not None and due is not None:
            left = int((anchor.toordinal() - start) * scale)
            right = int((due.toordinal() - start) * scale)
            marks = (f'<i class="w p" style="--l:{left};--w:{right - left or 4}"></i>'
                     if projected else
                     f'<i class="w" style="--l:{left};--w:{right - left or 4}"></i>')
            if status is red_status or status is late_status:
                stop = int(((today if done is None else done.toordinal()) - start) * scale)
                marks += f'<i class="o" style="--l:{right};--w:{stop - right or 4}"></i>'
        if done is not None:
            marks += f'<b style="--l:{int((done.toordinal() - start) * scale)}"></b>'
        if status is done_status:
            note = "on time" if due is not None else "started"
        elif status is waiting:
            note = "recorded early" if done is not None else "waiting"
        elif status is red_status:
            red += 1
            note = f"{overdue} d overdue"
        elif status is late_status:
            late += 1
            note = f"late by {overdue} d"
        else:
            if status is amber_status:
                amber += 1
            else:
                green += 1
            left_days = (due.toordinal() - today) if due is not None else 0
            note = "due today" if left_days == 0 else f"due in {left_days} d"
        due_cell = ("<td></td>" if due is None else
                    f'<td class="pj">≈ {day_text(due)}</td>' if projected else
                    f"<td>{day_text(due)}</td>")
        add(f"{_row_start(status, step_title)}{marks}</td>{due_cell}"
            f"<td>{'' if done is None else day_text(done)}</td><td class=\"n\">{note}</td></tr>")
    pills = "".join(f'<span class="pill {kind}">{count} {kind}</span>'
                    for kind, count in (("red", red), ("amber", amber), ("green", green),
                                        ("late", late)) if count)
    ref = esc(case.case_ref)
    who = f" · {esc(name)}" if name else ""
    worst = ("red" if red else "amber" if amber else "late" if late else "green" if green
             else "done")
    return (
        f'<section class="child" id="{ref}"><header><h3>{ref}{who}</h3>'
        f"<p>{title} · team {esc(case.team)} · social worker {worker} · looked after since "
        f"{day_text(case.looked_after_on)} ({(as_of - case.looked_after_on).days} days)</p>"
        f'<p class="pills">{pills}</p></header>'
        f'<table class="tl" style="--n:{now};--q:{3 * month:.1f}">'
        f'<thead><tr><th>milestone</th><td class="k ax">{ticks}'
        f'<span class="now" style="--l:{now}">{day_text(as_of)[:-5]}</span></td>'
        f'<td class="d">due</td><td class="d">done</td><td class="n"></td></tr></thead>'
        f'<tbody>{"".join(body)}</tbody></table></section>'), worst


def drift_rows(rows: Sequence[MilestoneStatus], as_of: date, page_of: Any, lead: Any,
               first: int = 1) -> Markup:
    """Table rows for red and amber milestones, each case linked to its timeline."""
    out = []
    for number, row in enumerate(rows, start=first):
        ref = esc(row.case_ref)
        file = page_of(row.team, row.case_ref)
        case = f'<a href="{esc(file)}#{ref}">{ref}</a>' if file else ref
        if row.status is Status.RED:
            tag = f'<span class="tag red">{row.days_overdue} d overdue</span>'
        else:
            left = (row.due - as_of).days if row.due else 0
            when = "due today" if left == 0 else f"due in {left} d"
            tag = f'<span class="tag amber">{when}</span>'
        escalated = ", ".join(esc(lead(who)) for who in row.escalated_to)
        out.append(f'<tr><td class="num small">{number}</td><td>{case}</td><td>{esc(row.team)}</td>'
                   f"<td>{esc(row.title)}</td><td>{day_text(row.due) if row.due else ''}</td>"
                   f"<td>{tag}</td><td>{esc(lead(row.owner))}</td><td>{escalated}</td></tr>")
    return Markup("\n".join(out))
