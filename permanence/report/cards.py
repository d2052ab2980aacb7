"""The HTML the report writes row by row: a child's timeline card and the drift table's rows.

Plain string formatting, not template calls: a 100,000-case report lays out a million
milestones, and these functions are its inner loop.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any, NamedTuple

from markupsafe import Markup

from permanence.evaluate import CaseFacts, MilestoneStatus, Status
from permanence.explanations import CLOSED_STEPS, Explanation
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


class CardLife(NamedTuple):
    """What moved a case off a straight line, written under its timeline: pauses (first day,
    last day or None while open, reason or None), agreed extensions (milestone, approved on,
    new date, who agreed it or None, reason or None) and its brothers and sisters (case_ref,
    link to their card or None)."""

    pauses: Sequence[tuple[date, date | None, str | None]] = ()
    extensions: Sequence[tuple[str, date, date, str | None, str | None]] = ()
    siblings: Sequence[tuple[str, str | None]] = ()
    group: str | None = None
    explained: Sequence[tuple[str, str, str, date, date, str | None]] = ()
    """The explanation standing on A for each milestone explained: (milestone, reason, next
    action, by when, given on, given by: a name, or None)."""


def _days(count: int) -> str:
    return f"{count} day{'' if count == 1 else 's'}"


def child_card(case: CaseFacts, steps: Sequence[Step], as_of: date, *, name: str | None,
               worker: str, title: str, life: CardLife | None = None) -> tuple[str, str]:
    """One child's timeline as an HTML table: a row per milestone, with the window its clock
    gives (anchor to due), the overdue stretch in red, the completion as a dot (a recurring
    step: a dot per occurrence), a booked date as a diamond, projections for waiting steps
    dashed, the case's paused days hatched, on one axis from the day the child became looked
    after. Under it, `life`: the pauses with their reasons, the agreed extensions with who
    agreed them, and the brothers and sisters placed with the child.

    Positions are written in tenths of a percent (`--l`, `--w`) and placed by the style
    sheet: a million milestones make this the report's inner loop, hence the plain code.
    Returns the HTML and the case's worst status (red, amber, late, green, paused or done)."""
    start = case.looked_after_on.toordinal()
    today = as_of.toordinal()
    end = today
    for step in steps:
        for day in (step[4], step[5], step[8], step[14]):  # due, done, booked, lead up to
            if day is not None:
                if day.toordinal() > end:
                    end = day.toordinal()
                elif day.toordinal() < start:
                    start = day.toordinal()
    span = max(end - start, 30) * 1.03 + 1
    scale = 1000 / span
    now = int((today - start) * scale)
    month = 30.44 * scale
    begin = (case.looked_after_on.toordinal() - start) * scale
    ticks = "".join(f'<span style="--l:{left}">{months} m</span>'
                    for months in range(0, int((end - start) / 30.44) + 1, 6)
                    for left in [int(begin + months * month)] if not -55 < now - left < 100)
    bands = ""
    if life is not None and life.pauses:
        for first, last, _ in life.pauses:
            if first > as_of:
                continue
            until = as_of if last is None or last > as_of else last
            left = int((first.toordinal() - start) * scale)
            bands += (f'<i class="ps" style="--l:{left};--w:'
                      f'{int((until.toordinal() + 1 - start) * scale) - left or 2}"></i>')
    red = amber = green = late = paused = risk = 0
    body: list[str] = []
    add = body.append
    done_status, waiting, red_status, late_status, amber_status = (
        Status.DONE, Status.WAITING, Status.RED, Status.LATE, Status.AMBER)
    paused_status, not_applicable = Status.PAUSED, Status.NOT_APPLICABLE
    for step in steps:
        (_, step_title, status, anchor, due, done, overdue, projected, booked, original,
         occurrences, kind, booked_before, at_risk, lead_to) = step
        marks = bands
        extra = ""
        if anchor is not None and due is not None:
            left = int((anchor.toordinal() - start) * scale)
            right = int((due.toordinal() - start) * scale)
            marks += (f'<i class="w p" style="--l:{left};--w:{right - left or 4}"></i>'
                      if projected else
                      f'<i class="w" style="--l:{left};--w:{right - left or 4}"></i>')
        elif kind == "lead" and due is not None:  # the lead up to the booked date
            left = int((due.toordinal() - start) * scale)
            goal = lead_to if lead_to is not None and lead_to > due else due
            marks += (f'<i class="ld{" p" if projected else ""}" style="--l:{left};--w:'
                      f'{int((goal.toordinal() - start) * scale) - left or 4}"></i>')
        if due is not None and (status is red_status or status is late_status):
            right = int((due.toordinal() - start) * scale)
            stop = int(((today if done is None else done.toordinal()) - start) * scale)
            marks += f'<i class="o" style="--l:{right};--w:{stop - right or 4}"></i>'
        if occurrences:
            marks += "".join(f'<b style="--l:{int((day.toordinal() - start) * scale)}"></b>'
                             for day in occurrences)
        elif done is not None:
            marks += f'<b style="--l:{int((done.toordinal() - start) * scale)}"></b>'
        if booked is not None:
            at = int((booked.toordinal() - start) * scale)
            marks += f'<em class="bk" style="--l:{at}"></em>'
        if status is done_status:
            note = ("on time" if due is not None else "recorded" if kind == "record"
                    else "started")
        elif status is waiting:
            note = "recorded early" if done is not None else "waiting"
        elif status is red_status:
            red += 1
            note = f"{overdue} d overdue"
        elif status is late_status:
            late += 1
            note = f"late by {overdue} d"
        elif status is not_applicable:
            note = "n/a"
            marked = case.not_applicable.get(step[0])
            extra = ("does not apply" if marked is None
                     else f"does not apply since {day_text(marked)}")
        elif status is paused_status:
            paused += 1
            note = "paused"
        else:
            if status is amber_status:
                amber += 1
            else:
                green += 1
            left_days = (due.toordinal() - today) if due is not None else 0
            note = "due today" if left_days == 0 else f"due in {left_days} d"
        if original is not None:
            extra = f"extended from {day_text(original)}"
        if booked is not None:
            extra += (" · " if extra else "") + f"booked for {day_text(booked)}"
            if at_risk:
                risk += 1
                extra += ", after its due date: at risk"
        if kind == "record":
            extra += (" · " if extra else "") + "record-only: no timescale"
        elif kind == "lead":
            extra += (" · " if extra else "") + (
                f"before the date booked, {day_text(booked_before)}" if booked_before
                else "before a date not booked yet")
        elif occurrences:
            count = len(occurrences)
            extra += (" · " if extra else "") + (
                f"held {count} time{'' if count == 1 else 's'}")
        due_cell = ("<td></td>" if due is None else
                    f'<td class="pj">≈ {day_text(due)}</td>' if projected else
                    f'<td class="ext">{day_text(due)}</td>' if original is not None else
                    f"<td>{day_text(due)}</td>")
        css = "na" if status is not_applicable else f"{status} risk" if at_risk else status
        row_start = _row_start(css, step_title)
        if extra:
            row_start = row_start.replace("</th>", f"<small>{esc(extra)}</small></th>", 1)
        add(f"{row_start}{marks}</td>{due_cell}"
            f"<td>{'' if done is None else day_text(done)}</td><td class=\"n\">{note}</td></tr>")
    pills = "".join(f'<span class="pill {kind}">{count} {label}</span>'
                    for kind, label, count in (
                        ("red", "red", red), ("amber", "amber", amber), ("risk", "at risk", risk),
                        ("green", "green", green), ("late", "late", late),
                        ("paused", "paused", paused)) if count)
    ref = esc(case.case_ref)
    who = f" · {esc(name)}" if name else ""
    worst = ("red" if red else "amber" if amber else "late" if late else "green" if green
             else "paused" if paused else "done")
    return (
        f'<section class="child" id="{ref}"><header><h3>{ref}{who}</h3>'
        f"<p>{title} · team {esc(case.team)} · social worker {worker} · looked after since "
        f"{day_text(case.looked_after_on)} ({_days((as_of - case.looked_after_on).days)})</p>"
        f'<p class="pills">{pills}</p>{_siblings(life)}</header>'
        f'<table class="tl" style="--n:{now};--q:{3 * month:.1f}">'
        f'<thead><tr><th>milestone</th><td class="k ax">{ticks}'
        f'<span class="now" style="--l:{now}">{day_text(as_of)[:-5]}</span></td>'
        f'<td class="d">due</td><td class="d">done</td><td class="n"></td></tr></thead>'
        f'<tbody>{"".join(body)}</tbody></table>{_life_notes(life, steps, as_of)}'
        "</section>"), worst


def _siblings(life: CardLife | None) -> str:
    """The brothers and sisters a child is to be placed with, each linked to their card."""
    if life is None or not life.siblings:
        return ""
    names = ", ".join(f'<a href="{esc(file)}#{esc(ref)}">{esc(ref)}</a>' if file else esc(ref)
                      for ref, file in life.siblings)
    return (f'<p class="sib">Placed together with {names} '
            f"(sibling group {esc(life.group or '')})</p>")


def _life_notes(life: CardLife | None, steps: Sequence[Step], as_of: date) -> str:
    """The pauses and agreed extensions known on A, as sentences under the timeline (not the
    extensions of steps the case's route no longer has)."""
    if life is None or not (life.pauses or life.extensions or life.explained):
        return ""
    items: list[str] = []
    for first, last, reason in life.pauses:
        if first > as_of:
            continue
        why = f": {esc(reason)}" if reason else ""
        if last is None:
            items.append(f'<li class="pause">Paused since {day_text(first)}, still paused '
                         f"({_days((as_of - first).days + 1)} so far){why}</li>")
        elif last > as_of:
            items.append(f'<li class="pause">Paused from {day_text(first)} to '
                         f"{day_text(last)} ({_days((as_of - first).days + 1)} so far){why}"
                         "</li>")
        else:
            items.append(f'<li class="pause">Paused {day_text(first)} – {day_text(last)} '
                         f"({_days((last - first).days + 1)}){why}</li>")
    by_id = {step[0]: step for step in steps}
    for milestone, approved_on, extended_to, approved_by, reason in life.extensions:
        if approved_on > as_of:
            continue
        step = by_id.get(milestone)
        if step is None:  # a step of the case's old route: kept, no longer evaluated
            continue
        what, original = esc(step[1]), step[9]
        was = f" (original due {day_text(original)})" if original is not None else ""
        who = f" by {esc(approved_by)}" if approved_by else ""
        why = f": {esc(reason)}" if reason else ""
        items.append(f'<li class="ext">{what}: agreed new date {day_text(extended_to)}{was}, '
                     f"agreed{who} on {day_text(approved_on)}{why}</li>")
    items += [_explained(by_id[explained[0]], *explained[1:]) for explained in life.explained
              if explained[0] in by_id and by_id[explained[0]][2] not in CLOSED_STEPS]
    return f'<ul class="life">{"".join(items)}</ul>' if items else ""


def _explained(step: Step, reason: str, next_action: str, next_by: date, given_on: date,
               given_by: str | None) -> str:
    """An open step's standing explanation, as a sentence under the timeline."""
    who = f" by {esc(given_by)}" if given_by else ""
    return (f'<li class="why">{esc(step[1])}: why: {esc(reason)}; next: {esc(next_action)}, by '
            f"{day_text(next_by)} (explained{who} on {day_text(given_on)})</li>")


def explained_cell(explanation: Explanation | None, red: bool) -> str:
    """The drift table's `why · next` cell: the reason, the next action and by when; for a red
    milestone without one, that none is given."""
    if explanation is None:
        return '<td class="small">no reason given</td>' if red else "<td></td>"
    return (f'<td class="small">{esc(explanation.reason)}<br>next: '
            f"{esc(explanation.next_action)}, by {day_text(explanation.next_by)}</td>")


def drift_rows(rows: Sequence[MilestoneStatus], as_of: date, page_of: Any, lead: Any,
               first: int = 1,
               explained: Mapping[tuple[str, str], Explanation] | None = None) -> Markup:
    """Table rows for red and amber milestones, each case linked to its timeline, with the
    explanation standing for each (`explained`, (case_ref, milestone) -> explanation)."""
    out = []
    for number, row in enumerate(rows, start=first):
        ref = esc(row.case_ref)
        file = page_of(row.team, row.case_ref)
        case = f'<a href="{esc(file)}#{ref}">{ref}</a>' if file else ref
        red = row.status is Status.RED
        if red:
            tag = f'<span class="tag red">{row.days_overdue} d overdue</span>'
        else:
            left = (row.due - as_of).days if row.due else 0
            when = "due today" if left == 0 else f"due in {left} d"
            tag = f'<span class="tag amber">{when}</span>'
        escalated = ", ".join(esc(lead(who)) for who in row.escalated_to)
        out.append(f'<tr><td class="num small">{number}</td><td class="nowrap">{case}</td>'
                   f"<td>{esc(row.team)}</td>"
                   f"<td>{esc(row.title)}</td><td>{day_text(row.due) if row.due else ''}</td>"
                   f"<td>{tag}</td><td>{esc(lead(row.owner))}</td><td>{escalated}</td>"
                   f"{explained_cell((explained or {}).get((row.case_ref, row.milestone)), red)}"
                   "</tr>")
    return Markup("\n".join(out))


def at_risk_rows(rows: Sequence[MilestoneStatus], page_of: Any, lead: Any) -> Markup:
    """Table rows for milestones booked after their due date, each case linked to its
    timeline and marked with its sibling group, if any."""
    out = []
    for row in rows:
        assert row.due is not None and row.planned_for is not None
        ref = esc(row.case_ref)
        file = page_of(row.team, row.case_ref)
        case = f'<a href="{esc(file)}#{ref}">{ref}</a>' if file else ref
        if row.sibling_group is not None:
            case += f' <span class="sg">siblings {esc(row.sibling_group)}</span>'
        tag = (f'<span class="tag {row.status}">{row.days_overdue} d overdue</span>'
               if row.status is Status.RED else
               f'<span class="tag {row.status}">{row.status}</span>')
        after = (row.planned_for - row.due).days
        out.append(f"<tr><td>{case}</td><td>{esc(row.team)}</td><td>{esc(row.title)}</td>"
                   f"<td>{day_text(row.due)}</td><td>{day_text(row.planned_for)}</td>"
                   f'<td class="num">{after} d</td><td>{tag}</td>'
                   f"<td>{esc(lead(row.owner))}</td></tr>")
    return Markup("\n".join(out))
