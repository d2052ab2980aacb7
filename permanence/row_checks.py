"""The row checks of an import: what each row of a leads, cases, events, pauses or extensions
file must hold, checked against what the store already holds (passed in), so every rule of the
contract is testable without a database. An import is all or nothing: every bad row is reported
with its line number and every reason, and nothing is changed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from datetime import date
from functools import wraps
from pathlib import Path
from typing import ParamSpec, TypeVar

from permanence.csvfiles import (
    CASE_COLUMNS,
    CASE_OPTIONAL,
    EVENT_COLUMNS,
    EVENT_OPTIONAL,
    EXTENSION_COLUMNS,
    LEAD_COLUMNS,
    PAUSE_COLUMNS,
    PLANNED_YEARS_AHEAD,
    CsvRows,
    parse_date,
    parse_future_date,
    text_problems,
)
from permanence.errors import ImportRefused
from permanence.timelines import NAME_PATTERN, Timeline

EVENT_KINDS = ("done", "planned", "not_applicable")
URL_FORM = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://\S+\Z")

P = ParamSpec("P")
T = TypeVar("T")


def _refuse_if(problems: list[str], path: Path) -> None:
    if problems:
        count = len(problems)
        rows = "1 bad row" if count == 1 else f"{count} bad rows"
        raise ImportRefused([*problems, f"{path}: nothing imported; {rows} to fix"])


def check_leads(data: CsvRows, *,
                url_problem: Callable[[str], str | None] | None = None) -> list[dict[str, str]]:
    """Rows ready for the store, or ImportRefused naming every bad row. `url_problem` says why
    a notify URL cannot be used (the CLI passes apprise's own check), or None."""
    problems: list[str] = []
    seen: dict[str, int] = {}
    leads: list[dict[str, str]] = []
    for line, row in data.rows:
        reasons = [f"{column} is empty" for column in LEAD_COLUMNS if not row[column]]
        reasons += text_problems(row, LEAD_COLUMNS)
        lead_id, role, notify = row["lead_id"], row["role"], row["notify"]
        if lead_id in seen:
            reasons.append(f"lead_id {lead_id!r} appears twice in this file (first on line "
                           f"{seen[lead_id]})")
        elif lead_id:
            seen[lead_id] = line
        if role and not NAME_PATTERN.match(role):
            reasons.append(f"role {role!r} is not a role name (lower-case letters, digits and "
                           "'_', e.g. team_leader)")
        # Numbered, never repeated: a value pasted into the wrong column may be a secret.
        bad_urls = [number for number, url in enumerate(notify.split(), start=1)
                    if not URL_FORM.match(url)]
        if bad_urls:
            reasons.extend(f"notify value {number} is not an apprise URL such as "
                           "mailto://user:pass@example.org or json://host/path"
                           for number in bad_urls)
        elif url_problem is not None:
            reasons.extend(f"notify URL {number} cannot be used: {problem}"
                           for number, url in enumerate(notify.split(), start=1)
                           if (problem := url_problem(url)) is not None)
        if reasons:
            problems.append(f"{data.path}:{line}: {'; '.join(reasons)}")
        else:
            leads.append({"lead_id": lead_id, "name": row["name"], "role": role,
                          "team": row["team"], "notify": " ".join(notify.split())})
    _refuse_if(problems, data.path)
    return leads


def checked_cases(data: CsvRows, *, timelines: Mapping[str, Timeline], lead_ids: set[str],
                  today: date, earliest_events: Mapping[str, tuple[date, str]] | None = None,
                  ) -> Iterator[dict[str, object]]:
    """Each good row ready for the store, as it is checked; at the end ImportRefused naming
    every bad row, if any. `earliest_events` (case_ref -> earliest completion and its
    milestone) guards updates of existing cases."""
    problems: list[str] = []
    seen: dict[str, int] = {}
    for line, row in data.rows:
        reasons = [f"{column} is empty" for column in CASE_COLUMNS if not row[column]]
        reasons += text_problems(row, (*CASE_COLUMNS, *CASE_OPTIONAL))
        case_ref = row["case_ref"]
        if case_ref in seen:
            reasons.append(f"case_ref {case_ref!r} appears twice in this file (first on line "
                           f"{seen[case_ref]})")
        elif case_ref:
            seen[case_ref] = line
        if row["timeline"] and row["timeline"] not in timelines:
            reasons.append(f"unknown timeline {row['timeline']!r} (known: "
                           f"{', '.join(sorted(timelines))})")
        if row["social_worker"] and row["social_worker"] not in lead_ids:
            reasons.append(f"social_worker {row['social_worker']!r} is not a known lead_id; "
                           "import the leads first")
        dates: dict[str, date | None] = {}
        for column in ("looked_after_on", "date_of_birth", "closed_on"):
            text = row.get(column, "")
            dates[column] = None
            if text:
                try:
                    dates[column] = parse_date(text, column, today)
                except ValueError as error:
                    reasons.append(str(error))
        looked_after_on = dates["looked_after_on"]
        born, closed = dates["date_of_birth"], dates["closed_on"]
        if looked_after_on and born and born > looked_after_on:
            reasons.append(f"date_of_birth {born} is after looked_after_on {looked_after_on}")
        if looked_after_on and closed and closed < looked_after_on:
            reasons.append(f"closed_on {closed} is before the child became looked after "
                           f"({looked_after_on})")
        first_event = (earliest_events or {}).get(case_ref)
        if looked_after_on and first_event and first_event[0] < looked_after_on:
            reasons.append(f"case {case_ref} already has {first_event[1]} recorded on "
                           f"{first_event[0]}, before the new looked_after_on {looked_after_on}; "
                           "correct that event first")
        if reasons:
            problems.append(f"{data.path}:{line}: {'; '.join(reasons)}")
            continue
        yield {"case_ref": case_ref, "timeline": row["timeline"], "team": row["team"],
               "social_worker": row["social_worker"], "looked_after_on": looked_after_on,
               "child_name": row.get("child_name") or None, "date_of_birth": born,
               "closed_on": closed, "sibling_group": row.get("sibling_group") or None}
    _refuse_if(problems, data.path)


def check_event(case_ref: str, milestone: str, occurred_on: date,
                cases: Mapping[str, tuple[str, date]],
                timelines: Mapping[str, Timeline], kind: str = "done") -> str | None:
    """Why a date cannot be recorded for a milestone, or None. `cases` maps case_ref to
    (timeline, looked_after_on)."""
    known = cases.get(case_ref)
    if known is None:
        return f"unknown case {case_ref!r}"
    timeline_name, looked_after_on = known
    timeline = timelines.get(timeline_name)
    if timeline is None:
        return f"case {case_ref} is on timeline {timeline_name!r}, which no rule file defines"
    rule = timeline.milestone(milestone)
    if rule is None:
        return (f"unknown milestone {milestone!r} for timeline {timeline_name} (its milestones: "
                f"{', '.join(timeline.milestone_ids)})")
    if kind == "not_applicable" and rule.is_start:
        return (f"{milestone} starts timeline {timeline_name}; a start milestone always "
                "applies, so it cannot be not_applicable")
    if occurred_on < looked_after_on:
        return (f"occurred_on {occurred_on} is before case {case_ref} became looked after "
                f"({looked_after_on})")
    return None


def checked_events(data: CsvRows, *, cases: Mapping[str, tuple[str, date]],
                   timelines: Mapping[str, Timeline], today: date) -> Iterator[dict[str, object]]:
    """Each good row ready for the store, in file order, as it is checked; at the end
    ImportRefused naming every bad row, if any. A `planned` row may be dated up to three years
    ahead and is noted on `noted_on` (default today); `done` and `not_applicable` rows are
    dated today at the latest."""
    problems: list[str] = []
    for line, row in data.rows:
        reasons = [f"{column} is empty" for column in EVENT_COLUMNS if not row[column]]
        reasons += text_problems(row, (*EVENT_COLUMNS, *EVENT_OPTIONAL))
        kind = row.get("kind") or "done"
        if kind not in EVENT_KINDS:
            reasons.append(f"kind {kind!r} is not one of {', '.join(EVENT_KINDS)} (empty means "
                           "done)")
        occurred_on = noted_on = None
        if row["occurred_on"]:
            try:
                occurred_on = (parse_future_date(row["occurred_on"], "occurred_on", today,
                                                 PLANNED_YEARS_AHEAD) if kind == "planned"
                               else parse_date(row["occurred_on"], "occurred_on", today))
            except ValueError as error:
                reasons.append(str(error))
        if row.get("noted_on"):
            if kind != "planned":
                reasons.append("noted_on is only for planned rows (the day a booking was "
                               "known); leave it empty")
            else:
                try:
                    noted_on = parse_date(row["noted_on"], "noted_on", today)
                except ValueError as error:
                    reasons.append(str(error))
        if row["case_ref"] and row["milestone"]:
            reason = check_event(row["case_ref"], row["milestone"], occurred_on or date.min,
                                 cases, timelines, kind)
            if reason and not (occurred_on is None and reason.startswith("occurred_on")):
                reasons.append(reason)
        if reasons:
            problems.append(f"{data.path}:{line}: {'; '.join(reasons)}")
            continue
        yield {"case_ref": row["case_ref"], "milestone": row["milestone"],
               "occurred_on": occurred_on, "note": row.get("note") or None, "kind": kind,
               "noted_on": (noted_on or today) if kind == "planned" else None}
    _refuse_if(problems, data.path)


def checked_pauses(data: CsvRows, *, cases: Mapping[str, tuple[str, date]],
                   today: date) -> Iterator[dict[str, object]]:
    """Each good pause ready for the store, as it is checked; at the end ImportRefused naming
    every bad row, if any. A pause starts today at the latest; its end may be booked ahead,
    or left empty while it lasts."""
    problems: list[str] = []
    seen: dict[tuple[str, date], int] = {}
    for line, row in data.rows:
        reasons = [f"{column} is empty" for column in ("case_ref", "paused_from", "reason")
                   if not row[column]]
        reasons += text_problems(row, PAUSE_COLUMNS)
        paused_from = paused_to = None
        try:
            paused_from = (parse_date(row["paused_from"], "paused_from", today)
                           if row["paused_from"] else None)
            paused_to = (parse_future_date(row["paused_to"], "paused_to", today,
                                           PLANNED_YEARS_AHEAD) if row["paused_to"] else None)
        except ValueError as error:
            reasons.append(str(error))
        case_ref = row["case_ref"]
        if case_ref:
            reasons += pause_problems(case_ref, paused_from, paused_to, cases)
        if paused_from is not None and (case_ref, paused_from) in seen:
            reasons.append(f"case {case_ref} has a pause from {paused_from} twice in this file "
                           f"(first on line {seen[(case_ref, paused_from)]})")
        elif paused_from is not None:
            seen[(case_ref, paused_from)] = line
        if reasons:
            problems.append(f"{data.path}:{line}: {'; '.join(reasons)}")
            continue
        yield {"case_ref": case_ref, "paused_from": paused_from, "paused_to": paused_to,
               "reason": row["reason"]}
    _refuse_if(problems, data.path)


def pause_problems(case_ref: str, paused_from: date | None, paused_to: date | None,
                   cases: Mapping[str, tuple[str, date]]) -> list[str]:
    """Why a pause cannot be recorded: an unknown case, a start before the child became looked
    after, an end before the start."""
    known = cases.get(case_ref)
    if known is None:
        return [f"unknown case {case_ref!r}"]
    reasons = []
    if paused_from is not None and paused_from < known[1]:
        reasons.append(f"paused_from {paused_from} is before case {case_ref} became looked "
                       f"after ({known[1]})")
    if paused_from and paused_to and paused_to < paused_from:
        reasons.append(f"paused_to {paused_to} is before paused_from {paused_from}")
    return reasons


def _all_at_once(checked: Callable[P, Iterator[T]]) -> Callable[P, list[T]]:
    """A checker that returns every good row at once, or refuses before returning any."""
    @wraps(checked)
    def check(*args: P.args, **kwargs: P.kwargs) -> list[T]:
        return list(checked(*args, **kwargs))
    return check


check_cases = _all_at_once(checked_cases)
check_events = _all_at_once(checked_events)
check_pauses = _all_at_once(checked_pauses)


def check_extensions(data: CsvRows, *, cases: Mapping[str, tuple[str, date]],
                     timelines: Mapping[str, Timeline], lead_ids: set[str], today: date,
                     due_on: Callable[[str, str, date], date | None],
                     ) -> list[dict[str, object]]:
    """Extensions ready for the store, or ImportRefused naming every bad row. `due_on(case_ref,
    milestone, day)` is the milestone's due date as known on that day (None before its clock
    starts): an extension must move it later."""
    problems: list[str] = []
    extensions: list[dict[str, object]] = []
    agreed: dict[tuple[str, str], list[tuple[date, date, int]]] = {}  # earlier rows of the file
    for line, row in data.rows:
        reasons = [f"{column} is empty" for column in EXTENSION_COLUMNS if not row[column]]
        reasons += text_problems(row, EXTENSION_COLUMNS)
        approved_on = extended_to = None
        try:
            approved_on = (parse_date(row["approved_on"], "approved_on", today)
                           if row["approved_on"] else None)
            extended_to = (parse_future_date(row["extended_to"], "extended_to", today,
                                             PLANNED_YEARS_AHEAD)
                           if row["extended_to"] else None)
        except ValueError as error:
            reasons.append(str(error))
        if row["approved_by"] and row["approved_by"] not in lead_ids:
            reasons.append(f"approved_by {row['approved_by']!r} is not a known lead_id")
        case_ref, milestone = row["case_ref"], row["milestone"]
        if case_ref and milestone:
            reason = extension_problem(case_ref, milestone, approved_on, extended_to, cases,
                                       timelines, due_on)
            if reason:
                reasons.append(reason)
        if approved_on is not None and extended_to is not None:
            reasons += _against_the_file(agreed.get((case_ref, milestone), []), case_ref,
                                         milestone, approved_on, extended_to)
        if reasons:
            problems.append(f"{data.path}:{line}: {'; '.join(reasons)}")
            continue
        assert approved_on is not None and extended_to is not None  # else a reason above
        agreed.setdefault((case_ref, milestone), []).append((approved_on, extended_to, line))
        extensions.append({"case_ref": case_ref, "milestone": milestone,
                           "extended_to": extended_to, "approved_by": row["approved_by"],
                           "approved_on": approved_on, "reason": row["reason"]})
    _refuse_if(problems, data.path)
    return extensions


def _against_the_file(earlier: list[tuple[date, date, int]], case_ref: str, milestone: str,
                      approved_on: date, extended_to: date) -> list[str]:
    """An extension of the same step in the same file counts as known: it must not be agreed
    twice on one day, and one agreed later must not move the date back."""
    for day, _, line in earlier:
        if day == approved_on:
            return [(f"case {case_ref} has an extension of {milestone} approved on {day} twice "
                    f"in this file (first on line {line})")]
    before = [entry for entry in earlier if entry[0] < approved_on]
    if before:
        day, date_agreed, line = max(before)
        if extended_to <= date_agreed:
            return [(f"extended_to {extended_to} is not after {date_agreed}, agreed on {day} "
                    f"(line {line} of this file)")]
    return []


def extension_problem(case_ref: str, milestone: str, approved_on: date | None,
                      extended_to: date | None, cases: Mapping[str, tuple[str, date]],
                      timelines: Mapping[str, Timeline],
                      due_on: Callable[[str, str, date], date | None]) -> str | None:
    """Why an extension cannot be agreed, or None: the milestone must have a clock that is not
    recurring, and the new date must come after the due date it replaces (as known on the day
    it was approved; one approved before the clock started is accepted)."""
    known = cases.get(case_ref)  # checked on its first day, so only an unknown name is said
    reason = check_event(case_ref, milestone, known[1] if known else date.max, cases, timelines)
    if reason is not None:
        return reason
    timeline = timelines[cases[case_ref][0]]
    rule = timeline.milestone(milestone)
    assert rule is not None
    if rule.is_start:
        return f"{milestone} starts timeline {timeline.name} and has no due date to extend"
    if rule.is_recurring:
        return (f"{milestone} recurs (every {rule.every}); a recurring milestone cannot be "
                "extended")
    if rule.is_record_only:
        return (f"{milestone} is record-only (no timescale in timeline {timeline.name}) and "
                "has no due date to extend")
    if approved_on is not None and approved_on < cases[case_ref][1]:
        return (f"approved_on {approved_on} is before case {case_ref} became looked after "
                f"({cases[case_ref][1]})")
    if approved_on is None or extended_to is None:
        return None
    due = due_on(case_ref, milestone, approved_on)
    if due is not None and extended_to <= due:
        return (f"extended_to {extended_to} is not after the due date it would replace, "
                f"{due} (as on {approved_on})")
    return None
