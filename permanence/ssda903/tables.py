"""The SSDA903 tables: recognised by their headers, read row by row, merged across returns.

Pure: files come in as (name, bytes) and leave as plain records, every bad row as a `Problem`
naming the file, the line and the column. Which tables and columns are read, which dates are
required and which codes are published is declared once, as data, below.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from permanence.csvfiles import text_problem
from permanence.errors import ImportRefused

TABLES: Mapping[str, tuple[str, ...]] = {
    "Header": ("CHILD", "SEX", "DOB", "ETHNIC"),
    "Episodes": ("CHILD", "DECOM", "RNE", "LS", "PLACE", "DEC", "REC"),
    "Reviews": ("CHILD", "REVIEW"),
    "AD1": ("CHILD", "DATE_INT", "DATE_MATCH", "FOSTER_CARE"),
    "PlacedAdoption": ("CHILD", "DATE_PLACED", "DATE_PLACED_CEASED"),
}
"""Each table this import reads, with the columns it reads: all of them must be in a file's
header (any case, any order) for the file to be read as that table."""

REQUIRED_DATES: Mapping[str, tuple[str, ...]] = {
    "Header": ("DOB",), "Episodes": ("DECOM",), "Reviews": ("REVIEW",),
    "AD1": ("DATE_INT", "DATE_MATCH"), "PlacedAdoption": ("DATE_PLACED",)}
"""Dates the return's specification says cannot be blank: blank or unreadable, a bad row."""

OPTIONAL_DATES: Mapping[str, tuple[str, ...]] = {
    "Episodes": ("DEC",), "PlacedAdoption": ("DATE_PLACED_CEASED",)}
"""Dates that may be blank (an episode still open; a decision not reversed)."""

PUBLISHED_CODES: Mapping[str, frozenset[str]] = {
    "LS": frozenset({"C1", "C2", "D1", "E1", "J1", "J2", "J3", "L1", "L2", "L3", "V2", "V3",
                     "V4"}),
    "PLACE": frozenset({"A3", "A4", "A5", "A6", "H5", "K1", "K2", "P1", "P2", "P3", "R1", "R2",
                        "R3", "R5", "S1", "T0", "T1", "T2", "T3", "T4", "U1", "U2", "U3", "U4",
                        "U5", "U6", "Z1"}),
    "REC": frozenset({"X1", "E11", "E12", "E13", "E14", "E15", "E16", "E17", "E2", "E3", "E41",
                      "E45", "E46", "E47", "E48", "E4A", "E4B", "E5", "E6", "E7", "E8", "E9"}),
}
"""The SSDA903 code lists (2024-25 guidance) for the codes this import reads. A code outside
them is a warning with counts, never a refusal: the lists change from year to year."""

TWO_DIGIT_PIVOT = 69
"""A two-digit year 00-68 is read as 20yy, 69-99 as 19yy (Python's and Excel's rule)."""

EARLIEST = date(1900, 1, 1)
_DMY = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})\Z")
_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})\Z")


@dataclass(frozen=True, slots=True)
class Problem:
    """A bad row: where it is, the column, what is wrong, and the child it leaves out."""

    file: str
    line: int
    column: str
    message: str
    child: str | None = None

    def __str__(self) -> str:
        left_out = f"; child {self.child} left out" if self.child else ""
        return f"{self.file}:{self.line}: {self.column}: {self.message}{left_out}"


@dataclass(frozen=True, slots=True)
class Episode:
    """One row of Episodes, with where it was read."""

    decom: date
    rne: str
    ls: str
    place: str
    dec: date | None
    rec: str
    file: str
    line: int


@dataclass(frozen=True, slots=True)
class Adopted:
    """One row of AD1 (a child adopted): the match and whether the foster carers adopted
    (True for FOSTER_CARE 1, False for 0, None when blank)."""

    date_int: date
    date_match: date
    foster_care: bool | None


@dataclass(frozen=True, slots=True)
class Decision:
    """One row of PlacedAdoption: the agency decision that the child should be placed for
    adoption, and the date it was reversed (None when it stands)."""

    date_placed: date
    date_placed_ceased: date | None


@dataclass
class ChildRecords:
    """Everything the return holds about one child, merged across every file read."""

    child: str
    date_of_birth: date | None = None
    episodes: list[Episode] = field(default_factory=list)
    """In DECOM order."""
    reviews: list[date] = field(default_factory=list)
    """Sorted, each date once."""
    adopted: list[Adopted] = field(default_factory=list)
    """In DATE_MATCH order; rows with the same DATE_MATCH in the order read (the last read
    last)."""
    decisions: list[Decision] = field(default_factory=list)
    """In DATE_PLACED order."""


def read_date(text: str) -> tuple[date, bool]:
    """A date written dd/mm/yyyy (or d/m/yyyy), yyyy-mm-dd or dd/mm/yy, and whether its year had
    two digits; ValueError says what was expected."""
    found = _DMY.match(text)
    if found:
        day, month, year = int(found[1]), int(found[2]), int(found[3])
        short = len(found[3]) == 2
        if short:
            year += 2000 if year < TWO_DIGIT_PIVOT else 1900
    elif (found := _ISO.match(text)) is not None:
        year, month, day = int(found[1]), int(found[2]), int(found[3])
        short = False
    else:
        raise ValueError(f"{text!r} is not a date (dd/mm/yyyy or yyyy-mm-dd)")
    try:
        return date(year, month, day), short
    except ValueError:
        raise ValueError(f"{text!r} is not a real date") from None


def recognise(header: Iterable[str]) -> list[str]:
    """The tables a header fits (usually one; none for PrevPerm, Missing, OC2 ...)."""
    names = {name.strip().upper() for name in header}
    return [table for table, columns in TABLES.items() if names.issuperset(columns)]


class ReturnReader:
    """Reads files one after another (in the order they are given, the later read last) and
    merges their rows: an episode is identified by (CHILD, DECOM), of several rows the one with
    a DEC standing, else (or when both have one) the one read last; a PlacedAdoption row by
    (CHILD, DATE_PLACED), the same way with DATE_PLACED_CEASED; other rows are kept once each.
    Dates after `today` or before 1900 are bad."""

    def __init__(self, today: date) -> None:
        self.today = today
        self.problems: list[Problem] = []
        self.ignored: list[str] = []
        self.read: list[tuple[str, list[str], int]] = []
        """(file, tables it was read as, data rows)."""
        self.two_digit: Counter[tuple[str, str]] = Counter()
        self.codes: Counter[tuple[str, str]] = Counter()
        """(column, code) of every LS, PLACE and REC read."""
        self._dates: dict[str, tuple[date | str, bool]] = {}
        """Each date cell's text read once: the date (or what is wrong with it) and whether
        its year had two digits."""
        self._header: dict[str, date] = {}
        self._episodes: dict[str, dict[date, Episode]] = defaultdict(dict)
        self._reviews: dict[str, set[date]] = defaultdict(set)
        self._adopted: dict[str, dict[Adopted, None]] = defaultdict(dict)
        """Each child's AD1 rows once each, in the order last read (a row read again moves to
        the end): of two rows with the same DATE_MATCH, the one read last stands."""
        self._decisions: dict[str, dict[date, Decision]] = defaultdict(dict)

    # Reading -------------------------------------------------------------------------------

    def add(self, name: str, content: bytes) -> None:
        """Read one file; ImportRefused when it is not UTF-8 or not readable CSV."""
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ImportRefused(f"{name}: is not UTF-8 text; save it as \"CSV UTF-8\" and "
                                "import it again; nothing imported") from None
        reader = csv.reader(io.StringIO(text, newline=""))
        try:
            first = next(reader, None)
            while first is not None and not any(value.strip() for value in first):
                first = next(reader, None)  # blank lines above the header: the header follows
            header = [value.strip().upper() for value in first or ()]
            tables = recognise(header)
            data = _data_rows(reader, len(header))  # every file read whole: CSV or refused
        except csv.Error as error:
            raise ImportRefused(f"{name}: is not a readable CSV file ({error}); nothing "
                                "imported") from None
        if first is None:
            self.ignored.append(f"{name} (empty)")
            return
        if not tables:
            self.ignored.append(f"{name} (its header fits none of {', '.join(TABLES)})")
            return
        index: dict[str, int] = {}
        for position, column in enumerate(header):
            index.setdefault(column, position)
        readers = [getattr(self, f"_read_{table.lower()}") for table in tables]
        for line, values in data:
            child = values[index["CHILD"]]
            if not child:
                self.problems.append(Problem(name, line, "CHILD", "is blank"))
            elif (problem := text_problem("CHILD", child)) is not None:
                self.problems.append(Problem(name, line, "CHILD", problem.split(" ", 1)[1]))
            else:
                for reader in readers:
                    reader(name, line, child, values, index)
        self.read.append((name, tables, len(data)))

    def _date(self, table: str, column: str, text: str, required: bool, where: tuple[str, int],
              child: str) -> date | None:
        """A date cell, or None: blank and optional, or bad (then a Problem is kept)."""
        if not text:
            if required:
                self.problems.append(Problem(*where, column, "is blank; a date is required",
                                             child))
            return None
        known = self._dates.get(text)
        if known is None:
            try:
                value, short = read_date(text)
            except ValueError as error:
                known = (str(error), False)
            else:
                shown = f"{text} (read as {value.isoformat()})" if short else text
                if value > self.today:
                    known = (f"{shown} is in the future (today is {self.today.isoformat()})",
                             short)
                elif value < EARLIEST:
                    known = (f"{shown} is before 1900; check the year", short)
                else:
                    known = (value, short)
            self._dates[text] = known
        if known[1]:  # counted even when the date is then bad: it was read so
            self.two_digit[(table, column)] += 1
        if isinstance(known[0], str):
            self.problems.append(Problem(*where, column, known[0], child))
            return None
        return known[0]

    def _read_header(self, name: str, line: int, child: str, values: list[str],
                     index: Mapping[str, int]) -> None:
        born = self._date("Header", "DOB", values[index["DOB"]], True, (name, line), child)
        if born is not None:
            self._header[child] = born

    def _read_episodes(self, name: str, line: int, child: str, values: list[str],
                       index: Mapping[str, int]) -> None:
        where = (name, line)
        decom = self._date("Episodes", "DECOM", values[index["DECOM"]], True, where, child)
        dec_text = values[index["DEC"]]
        dec = self._date("Episodes", "DEC", dec_text, False, where, child)
        if decom is None or (dec is None and dec_text):
            return
        if dec is not None and dec < decom:
            self.problems.append(Problem(name, line, "DEC", f"{dec.isoformat()} is before DECOM "
                                         f"{decom.isoformat()}", child))
            return
        ls, place, rec = (values[index[column]].upper() for column in ("LS", "PLACE", "REC"))
        self.codes[("LS", ls)] += 1
        self.codes[("PLACE", place)] += 1
        if dec is not None:
            self.codes[("REC", rec)] += 1
        episode = Episode(decom, values[index["RNE"]].upper(), ls, place, dec,
                          rec if dec is not None else "", name, line)
        known = self._episodes[child].get(decom)
        if known is None or episode.dec is not None or known.dec is None:
            self._episodes[child][decom] = episode

    def _read_reviews(self, name: str, line: int, child: str, values: list[str],
                      index: Mapping[str, int]) -> None:
        review = self._date("Reviews", "REVIEW", values[index["REVIEW"]], True, (name, line),
                            child)
        if review is not None:
            self._reviews[child].add(review)

    def _read_ad1(self, name: str, line: int, child: str, values: list[str],
                  index: Mapping[str, int]) -> None:
        where = (name, line)
        date_int = self._date("AD1", "DATE_INT", values[index["DATE_INT"]], True, where, child)
        match = self._date("AD1", "DATE_MATCH", values[index["DATE_MATCH"]], True, where, child)
        if date_int is None or match is None:
            return
        foster = values[index["FOSTER_CARE"]].upper()
        row = Adopted(date_int, match, True if foster in ("1", "TRUE")
                      else False if foster in ("0", "FALSE") else None)
        rows = self._adopted[child]
        rows.pop(row, None)
        rows[row] = None

    def _read_placedadoption(self, name: str, line: int, child: str, values: list[str],
                             index: Mapping[str, int]) -> None:
        where = (name, line)
        placed = self._date("PlacedAdoption", "DATE_PLACED", values[index["DATE_PLACED"]],
                            True, where, child)
        ceased_text = values[index["DATE_PLACED_CEASED"]]
        ceased = self._date("PlacedAdoption", "DATE_PLACED_CEASED", ceased_text, False, where,
                            child)
        if placed is None or (ceased is None and ceased_text):
            return
        if ceased is not None and ceased < placed:
            self.problems.append(Problem(name, line, "DATE_PLACED_CEASED",
                                         f"{ceased.isoformat()} is before DATE_PLACED "
                                         f"{placed.isoformat()}", child))
            return
        known = self._decisions[child].get(placed)
        if known is None or ceased is not None or known.date_placed_ceased is None:
            self._decisions[child][placed] = Decision(placed, ceased)

    # Results -------------------------------------------------------------------------------

    def children(self) -> list[ChildRecords]:
        """Every child with at least one episode, in CHILD order, with the problems of the
        merged episodes (overlaps, an open episode followed by another) added to `problems`."""
        records = []
        for child in sorted(self._episodes):
            episodes = sorted(self._episodes[child].values(), key=lambda e: e.decom)
            for before, after in itertools.pairwise(episodes):
                if before.dec is None:
                    self.problems.append(Problem(
                        before.file, before.line, "DEC", f"is blank (the episode is open) but "
                        f"a later episode starts on {after.decom.isoformat()} ({after.file} "
                        f"line {after.line})", child))
                elif after.decom < before.dec:
                    self.problems.append(Problem(
                        after.file, after.line, "DECOM", f"{after.decom.isoformat()} is before "
                        f"the end of the episode before it ({before.dec.isoformat()}, "
                        f"{before.file} line {before.line}): episodes overlap", child))
            records.append(ChildRecords(
                child, self._header.get(child), episodes, sorted(self._reviews.get(child, ())),
                sorted(self._adopted.get(child, {}), key=lambda a: a.date_match),
                sorted(self._decisions.get(child, {}).values(), key=lambda d: d.date_placed)))
        return records

    def without_episodes(self) -> int:
        """How many children appear in other tables but have no episode (nothing to import)."""
        others = set(self._header) | set(self._reviews) | set(self._adopted) | set(
            self._decisions)
        return len(others - set(self._episodes))

    def warnings(self) -> list[str]:
        """One warning per table and column read with two-digit years, and one per code column
        with codes outside the published lists (with counts)."""
        lines = [f"{table} {column}: {count} date{'s' if count != 1 else ''} had a two-digit "
                 f"year, read 00-68 as 20yy and 69-99 as 19yy; check them"
                 for (table, column), count in sorted(self.two_digit.items())]
        for column in PUBLISHED_CODES:
            unknown = sorted((code, count) for (name, code), count in self.codes.items()
                             if name == column and code not in PUBLISHED_CODES[column])
            if unknown:
                listed = ", ".join(f"{repr(code) if code else 'blank'} ({count} "
                                   f"row{'s' if count != 1 else ''})" for code, count in unknown)
                lines.append(f"Episodes {column}: codes outside the published list, read as "
                             f"given: {listed}")
        return lines


def _data_rows(reader: Any, width: int) -> list[tuple[int, list[str]]]:
    """The data rows of a csv.reader (typeshed names its class privately) past its header,
    with the line each starts on, values stripped and padded to `width`; blank rows skipped."""
    rows: list[tuple[int, list[str]]] = []
    line = reader.line_num + 1
    for values in reader:
        if any(values):
            stripped = [value.strip() for value in values]
            if len(stripped) < width:
                stripped += [""] * (width - len(stripped))
            if any(stripped):
                rows.append((line, stripped))
        line = reader.line_num + 1
    return rows


@dataclass(frozen=True, slots=True)
class Allocation:
    """One row of an allocations file: who holds a child's cases (a blank cell: the default)."""

    team: str
    social_worker: str
    file: str
    line: int


ALLOCATION_COLUMNS = ("CHILD", "TEAM", "SOCIAL_WORKER")


def read_allocations(name: str, content: bytes, lead_ids: set[str],
                     ) -> tuple[dict[str, Allocation], list[Problem]]:
    """An allocations file (CHILD, team, social_worker; any case, any order): each child's team
    and social worker, and the bad rows (a blank CHILD; a CHILD twice; a social worker who is
    not a known lead, whose child is left out). ImportRefused when it cannot be read or lacks
    a column."""
    try:
        reader = csv.reader(io.StringIO(content.decode("utf-8-sig"), newline=""))
        header = [value.strip().upper() for value in next(reader, None) or ()]
        rows = _data_rows(reader, len(header))
    except UnicodeDecodeError:
        raise ImportRefused(f"{name}: is not UTF-8 text; save it as \"CSV UTF-8\" and import it "
                            "again; nothing imported") from None
    except csv.Error as error:
        raise ImportRefused(f"{name}: is not a readable CSV file ({error}); nothing "
                            "imported") from None
    missing = [column for column in ALLOCATION_COLUMNS if column not in header]
    if missing:
        shown = ", ".join(column if column == "CHILD" else column.lower() for column in missing)
        raise ImportRefused(f"{name}:1: missing column{'s' if len(missing) > 1 else ''} "
                            f"{shown}; an allocations file has CHILD, team, social_worker; "
                            "nothing imported")
    at = {column: header.index(column) for column in ALLOCATION_COLUMNS}
    allocations: dict[str, Allocation] = {}
    problems: list[Problem] = []
    for line, values in rows:
        child, team, worker = (values[at[column]] for column in ALLOCATION_COLUMNS)
        reasons = [(column.lower() if column != "CHILD" else column, problem.split(" ", 1)[1])
                   for column, value in zip(ALLOCATION_COLUMNS, (child, team, worker),
                                            strict=True)
                   if (problem := text_problem(column, value)) is not None]
        if not child:
            problems.append(Problem(name, line, "CHILD", "is blank"))
            continue
        if child in allocations:
            first = allocations[child]
            problems.append(Problem(name, line, "CHILD", f"{child} is allocated twice in this "
                                    f"file (first on line {first.line})", child))
            continue
        if worker and worker not in lead_ids:
            reasons.append(("social_worker", (f"{worker!r} is not a known lead_id; import the "
                            "leads first")))
        problems.extend(Problem(name, line, column, reason, child) for column, reason in reasons)
        allocations[child] = Allocation(team, worker, name, line)
    return allocations, problems
