"""CSV files: read with their header checked, whole or a row at a time as they are iterated
(an import streams a national file), their text checked for characters that would act rather
than show, their dates parsed, and written safely for spreadsheets.

What each kind of row must hold, checked against what the store already has, is
permanence.row_checks; both are plain functions, testable without a database.
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
from pathlib import Path
from typing import Any, TextIO

from permanence.errors import ImportRefused

CASE_COLUMNS = ("case_ref", "timeline", "team", "social_worker", "looked_after_on")
CASE_OPTIONAL = ("child_name", "date_of_birth", "closed_on", "sibling_group")
EVENT_COLUMNS = ("case_ref", "milestone", "occurred_on")
EVENT_OPTIONAL = ("note", "kind", "noted_on")
LEAD_COLUMNS = ("lead_id", "name", "role", "team", "notify")
PAUSE_COLUMNS = ("case_ref", "paused_from", "paused_to", "reason")
EXTENSION_COLUMNS = ("case_ref", "milestone", "extended_to", "approved_by", "approved_on",
                     "reason")
PLANNED_YEARS_AHEAD = 3  # a booked date may lie up to three years ahead

# Free text that may run over several lines; every other column is one line of plain text.
MULTILINE_COLUMNS = frozenset({"note"})
MULTILINE_ALLOWED = frozenset("\n\r\t")
# Characters that change how text shows rather than being text: controls (ESC starts a terminal
# escape sequence, a line break forges a line in a digest), format characters (bidirectional
# overrides make a reference read backwards), line and paragraph separators.
HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp"})

ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}\Z")


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
    data = stream_csv(path, required, optional)
    return CsvRows(path=data.path, rows=list(data.rows), warnings=data.warnings)


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
