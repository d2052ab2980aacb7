"""CSV files of cases, events and leads: read, checked row by row, refused whole.

Checking is a plain function of the rows and what the store already holds (passed in), so every
rule of the contract is testable without a database. An import is all or nothing: every bad row
is reported with its line number and the reason, and nothing is changed.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from functools import wraps
from pathlib import Path
from typing import Any, ParamSpec, TextIO, TypeVar

from permanence.errors import ImportRefused
from permanence.timelines import NAME_PATTERN, Timeline

CASE_COLUMNS = ("case_ref", "timeline", "team", "social_worker", "looked_after_on")
CASE_OPTIONAL = ("child_name", "date_of_birth", "closed_on", "sibling_group")
EVENT_COLUMNS = ("case_ref", "milestone", "occurred_on")
EVENT_OPTIONAL = ("note", "kind", "noted_on")
LEAD_COLUMNS = ("lead_id", "name", "role", "team", "notify")
PAUSE_COLUMNS = ("case_ref", "paused_from", "paused_to", "reason")
EXTENSION_COLUMNS = ("case_ref", "milestone", "extended_to", "approved_by", "approved_on",
                     "reason")
EVENT_KINDS = ("done", "planned", "not_applicable")
PLANNED_YEARS_AHEAD = 3  # a booked date may lie up to three years ahead

# Free text that may run over several lines; every other column is one line of plain text.
MULTILINE_COLUMNS = frozenset({"note"})
MULTILINE_ALLOWED = frozenset("\n\r\t")
# Characters that change how text shows rather than being text: controls (ESC starts a terminal
# escape sequence, a line break forges a line in a digest), format characters (bidirectional
# overrides make a reference read backwards), line and paragraph separators.
HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp"})

P = ParamSpec("P")
T = TypeVar("T")

ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}\Z")
URL_FORM = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://\S+\Z")


@dataclass
class CsvRows:
    """The data rows of a file, each with the line it starts on, and warnings about the header."""

    path: Path
    rows: Iterable[tuple[int, dict[str, str]]]
    """A list when read whole; read from the file as iterated when streamed (`stream_csv`)."""
    warnings: list[str] = field(default_factory=list)


# Every hidden character an ASCII string can hold: the C0 controls and DEL (category Cc; ASCII
# has no Cf, Zl or Zp characters), and the same without tab and the line breaks, for columns
# that may run over several lines.
_ASCII_HIDDEN = re.compile(r"[\x00-\x1f\x7f]")
_ASCII_HIDDEN_MULTILINE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def text_problem(column: str, value: str) -> str | None:
    """Why `value` cannot be stored in `column`: a character that is not plain text (named by
    its code point and position, never echoed, as it may be a terminal escape), or None.

    An import checks every field of every row, so the common cases are settled in C: a string
    `isprintable()` holds no Cc, Cf, Zl or Zp character (Python counts every "Other" and
    "Separator" character but the space as unprintable, from the same Unicode database as
    `unicodedata`); an ASCII string's first hidden character is found by a regex. Only text
    with other unprintable characters (a no-break space, say) is walked character by
    character."""
    if value.isprintable():
        return None
    multiline = column in MULTILINE_COLUMNS
    if value.isascii():
        found = (_ASCII_HIDDEN_MULTILINE if multiline else _ASCII_HIDDEN).search(value)
        return None if found is None else _hidden_problem(column, value[found.start()],
                                                          found.start() + 1)
    allowed = MULTILINE_ALLOWED if multiline else frozenset()
    for position, character in enumerate(value, start=1):
        if character not in allowed and unicodedata.category(character) in HIDDEN_CATEGORIES:
            return _hidden_problem(column, character, position)
    return None


def _hidden_problem(column: str, character: str, position: int) -> str:
    """The refusal of a hidden `character` at `position` (1-based) of a value of `column`."""
    if column in MULTILINE_COLUMNS:
        return (f"{column} contains a control character (U+{ord(character):04X}, character "
                f"{position}); only text, tabs and line breaks are allowed")
    kind = "line break" if character in "\n\r\u2028\u2029" else "control character"
    return (f"{column} contains a {kind} (U+{ord(character):04X}, character {position}); it "
            "must be plain text on one line")


def printable(value: Any) -> Any:
    """Stored text as a terminal may show it: a character that would act rather than show (ESC
    starting an escape sequence, a line break, a bidirectional override) is written out as its
    escape, `\\x1b`. Imports refuse such text; this guards stores that hold some already.
    Anything but text is returned as it is."""
    if not isinstance(value, str) or value.isprintable():
        return value
    return "".join(character.encode("unicode_escape").decode("ascii")
                   if unicodedata.category(character) in HIDDEN_CATEGORIES else character
                   for character in value)


def text_problems(row: Mapping[str, str], columns: Iterable[str]) -> list[str]:
    """`text_problem` for each of a row's columns that has one."""
    return [problem for column in columns
            if (problem := text_problem(column, row.get(column, ""))) is not None]


def read_csv(path: Path, required: tuple[str, ...], optional: tuple[str, ...]) -> CsvRows:
    """Read a UTF-8 CSV (a BOM is accepted) with a header row; refuse a missing column."""
    return _whole(stream_csv(path, required, optional))


def read_csv_bytes(path: Path, content: bytes, required: tuple[str, ...],
                   optional: tuple[str, ...]) -> CsvRows:
    """`read_csv` of a file's bytes, already read (from an inbox on any file system); `path`
    names it in every message."""
    return _whole(stream_csv_bytes(path, content, required, optional))


def read_csv_text(path: Path, handle: TextIO, required: tuple[str, ...],
                  optional: tuple[str, ...]) -> CsvRows:
    """`read_csv` of an open text stream; `path` names it in every message."""
    with _readable(path):
        reader = csv.reader(handle)
        names, warnings = _header(path, reader, required, optional)
        return CsvRows(path=path, rows=list(_data_rows(reader, names)), warnings=warnings)


def stream_csv(path: Path, required: tuple[str, ...], optional: tuple[str, ...]) -> CsvRows:
    """`read_csv` whose rows are read from the file as they are iterated: an import holds one
    chunk of a national file at a time, not a million rows. The header is checked now; a
    row that cannot be read is refused when it is reached."""
    return _streamed(path, lambda: path.open(encoding="utf-8-sig", newline=""), required,
                     optional)


def stream_csv_bytes(path: Path, content: bytes, required: tuple[str, ...],
                     optional: tuple[str, ...]) -> CsvRows:
    """`stream_csv` of a file's bytes, already read (from an inbox)."""
    return _streamed(path, lambda: io.TextIOWrapper(io.BytesIO(content), encoding="utf-8-sig",
                                                    newline=""), required, optional)


def _whole(data: CsvRows) -> CsvRows:
    return CsvRows(path=data.path, rows=list(data.rows), warnings=data.warnings)


def _streamed(path: Path, open_text: Callable[[], TextIO], required: tuple[str, ...],
              optional: tuple[str, ...]) -> CsvRows:
    with _readable(path), open_text() as handle:
        names, warnings = _header(path, csv.reader(handle), required, optional)
    return CsvRows(path=path, rows=_RowsAsRead(path, names, open_text), warnings=warnings)


@dataclass(frozen=True)
class _RowsAsRead:
    """A file's data rows, read again from its start each time they are iterated."""

    path: Path
    names: list[str]
    open_text: Callable[[], TextIO]

    def __iter__(self) -> Iterator[tuple[int, dict[str, str]]]:
        with _readable(self.path), self.open_text() as handle:
            reader = csv.reader(handle)
            next(reader)  # the header, checked when the file was first opened
            yield from _data_rows(reader, self.names)


def _header(path: Path, reader: Any, required: tuple[str, ...],
            optional: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """The header's column names, and warnings about those not used; ImportRefused for an
    empty file, a header that is ambiguous or a required column missing."""
    header = next(reader, None)
    if header is None:
        raise ImportRefused(f"{path}: the file is empty; expected a header row with "
                            f"{', '.join(required)}")
    names = [name.strip() for name in header]
    _refuse_bad_header(path, names)
    missing = [name for name in required if name not in names]
    if missing:
        raise ImportRefused(f"{path}:1: missing column{'s' if len(missing) > 1 else ''} "
                            f"{', '.join(missing)}; the header must have "
                            f"{', '.join(required)}")
    known = set(required) | set(optional)
    return names, [f"{path}: column {name!r} is not used and was ignored"
                   for name in names if name and name not in known]


def _data_rows(reader: Any, names: list[str]) -> Iterator[tuple[int, dict[str, str]]]:
    """Each row that is not blank, with the line it starts on, by column name (missing cells
    empty)."""
    line = reader.line_num + 1
    for values in reader:
        if any(value.strip() for value in values):
            padded = values + [""] * (len(names) - len(values))
            yield line, {name: padded[i].strip() for i, name in enumerate(names)}
        line = reader.line_num + 1


@contextmanager
def _readable(path: Path) -> Iterator[None]:
    """A file that cannot be read as CSV text refused, saying why."""
    try:
        yield
    except FileNotFoundError:
        raise ImportRefused(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ImportRefused(f"{path}: is a folder, not a CSV file") from None
    except UnicodeDecodeError:
        raise ImportRefused(f"{path}: is not UTF-8 text; save it as \"CSV UTF-8\" and import "
                            "it again") from None
    except csv.Error as error:
        raise ImportRefused(f"{path}: is not a readable CSV file ({error})") from None


def _refuse_bad_header(path: Path, names: list[str]) -> None:
    """A header is unambiguous: every column named, no name twice (a second one would silently
    win over the first)."""
    problems = [f"{path}:1: column {number} of the header has no name; name it or delete "
                "the column" for number, name in enumerate(names, start=1) if not name]
    first: dict[str, int] = {}
    for number, name in enumerate(names, start=1):
        if name and name in first:
            problems.append(f"{path}:1: column {name!r} appears twice in the header (columns "
                            f"{first[name]} and {number}); keep one")
        first.setdefault(name, number)
    problems += [f"{path}:1: {problem}" for number, name in enumerate(names, start=1)
                 if (problem := text_problem(f"column {number} of the header", name))]
    if problems:
        raise ImportRefused([*problems, f"{path}: nothing imported"])


# Writing CSV for people: spreadsheets run a cell that starts like a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def defused(value: Any) -> Any:
    """A cell a spreadsheet shows as text: text starting like a formula gets a leading `'`
    (OWASP's rule for CSV injection); numbers and empty cells are left as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class SafeWriter:
    """csv.writer for files people open in Excel: every text cell defused (see `defused`)."""

    def __init__(self, stream: TextIO) -> None:
        self._writer = csv.writer(stream, lineterminator="\n")

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([defused(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


EARLIEST = date(1900, 1, 1)


def parse_date(text: str, column: str, today: date) -> date:
    """An ISO date that exists, is not in the future and not before 1900 (a mistyped year);
    ValueError says which."""
    if not ISO_DATE.match(text):
        raise ValueError(f"{column} {text!r} is not a date in the form YYYY-MM-DD")
    try:
        value = date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{column} {text!r} is not a real date") from None
    if value > today:
        raise ValueError(f"{column} {text} is in the future (today is {today.isoformat()})")
    if value < EARLIEST:
        raise ValueError(f"{column} {text} is before 1900; check the year")
    return value


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


def years_ahead(today: date, years: int) -> date:
    """The same day `years` later (29 February becomes 28 February)."""
    try:
        return today.replace(year=today.year + years)
    except ValueError:
        return today.replace(year=today.year + years, day=28)


def parse_future_date(text: str, column: str, today: date, years: int) -> date:
    """An ISO date from 1900 up to `years` ahead of today: a booked or agreed date."""
    if years == 0:
        return parse_date(text, column, today)
    latest = years_ahead(today, years)
    value = parse_date(text, column, date.max)
    if value > latest:
        raise ValueError(f"{column} {text} is more than {years} years ahead (the latest is "
                         f"{latest})")
    return value


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
