"""The five imports, one function for each kind of file: read, checked against the store, and
written, all in the caller's transaction, so a refusal changes nothing.

`permanence import KIND FILE` and the inbox (permanence.inbox) both import through here: one
set of checks, whoever hands in the file. A source system's own export is first read through
its mapping (permanence.mappings), and its problems said in the source's own words; a cases
file marked as a snapshot (every open case) also lists the open cases it does not hold.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlmodel import Session

from permanence import csvfiles, mappings, row_checks
from permanence.caseload import due_on_day
from permanence.errors import ImportRefused
from permanence.store import reads, snapshots, writes
from permanence.timelines import Timeline
from permanence.translate import Translation, in_source_words, read_source, translate

KINDS = ("leads", "cases", "events", "pauses", "extensions")
"""Every kind of file, in the order they depend on each other: a case names its social worker
(a lead), an event, pause or extension names a case, an extension names the lead who agreed
it."""

COLUMNS: Mapping[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "leads": (csvfiles.LEAD_COLUMNS, ()),
    "cases": (csvfiles.CASE_COLUMNS, csvfiles.CASE_OPTIONAL),
    "events": (csvfiles.EVENT_COLUMNS, csvfiles.EVENT_OPTIONAL),
    "pauses": (("case_ref", "paused_from", "reason"), ("paused_to",)),
    "extensions": (csvfiles.EXTENSION_COLUMNS, ()),
}
"""Per kind, its (required, optional) columns."""

MISSING_NAMED = 10
"""The open cases a snapshot did not hold that its import names; data quality lists every one."""

NOUNS = {"leads": "lead", "cases": "case", "events": "event", "pauses": "pause",
         "extensions": "extension"}


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


@dataclass(frozen=True)
class Imported:
    """What one import wrote."""

    kind: str
    count: int
    warnings: list[str] = field(default_factory=list)
    route_changes: list[tuple[str, str, str]] = field(default_factory=list)
    """(case_ref, old timeline, new timeline) for each case that changed route."""
    missing: list[str] | None = None
    """For a snapshot: the open cases it did not hold (None: not a snapshot)."""

    def lines(self, source: object) -> list[str]:
        """What the import says: `Imported 12 leads from leads.csv.`, then one line per route
        change."""
        lines = [f"Imported {plural(self.count, NOUNS[self.kind])} from {source}.",
                 *(f"{case_ref}: route changed from {old} to {new}; its history keeps the old "
                   "route and every date recorded."
                   for case_ref, old, new in self.route_changes)]
        if self.missing:
            count = len(self.missing)
            named = ", ".join(self.missing[:MISSING_NAMED])
            if count > MISSING_NAMED:
                named += f" and {count - MISSING_NAMED} more"
            lines.append(
                f"{plural(count, 'open case')} in the store {'is' if count == 1 else 'are'} not "
                f"in this snapshot: {named}; listed under data quality until a snapshot holds "
                f"{'it' if count == 1 else 'them'} or {'it is' if count == 1 else 'they are'} "
                "closed (closed_on), never closed here.")
        elif self.missing is not None:
            lines.append("Snapshot: every open case in the store is in it.")
        return lines


def read_file(kind: str, path: Path) -> csvfiles.CsvRows:
    """A local file of `kind`, its header read and its rows read as they are imported;
    ImportRefused when it cannot be read."""
    return csvfiles.stream_csv(path, *COLUMNS[kind])


def read_content(kind: str, name: str, content: bytes) -> csvfiles.CsvRows:
    """A file of `kind` already read (from an inbox), named `name` in every message."""
    return csvfiles.stream_csv_bytes(Path(name), content, *COLUMNS[kind])


def read_mapped(mapping: mappings.FileMapping, path: Path,
                content: bytes | None = None) -> Translation:
    """A source system's file (local, or its bytes already read from an inbox), read under its
    own header and translated by its mapping; ImportRefused when it cannot be read."""
    if content is None:
        try:
            with path.open(encoding="utf-8-sig", newline="") as handle:
                source = read_source(mapping, path, handle)
        except FileNotFoundError:
            raise ImportRefused(f"{path}: no such file") from None
        except IsADirectoryError:
            raise ImportRefused(f"{path}: is a folder, not a CSV file") from None
    else:
        handle = io.TextIOWrapper(io.BytesIO(content), encoding="utf-8-sig", newline="")
        source = read_source(mapping, path, handle)
    return translate(mapping, source)


def import_translated(kind: str, translation: Translation, *, session: Session,
                      timelines: Mapping[str, Timeline], today: date, source: str,
                      snapshot: bool = False) -> Imported:
    """`import_rows` of a source file translated by its mapping: every check applies, and every
    problem, the mapping's and the import's, is said with the source's line and own column."""
    path = translation.data.path
    try:
        done = import_rows(kind, translation.data, session=session, timelines=timelines,
                           today=today, source=source,
                           snapshot=snapshot or translation.snapshot)
    except ImportRefused as error:
        raise ImportRefused(_merged(path, translation.problems, in_source_words(
            error.problems, translation))) from None
    if translation.problems:
        raise ImportRefused(_merged(path, translation.problems, []))
    return done


def _merged(path: Path, ours: list[str], theirs: list[str]) -> list[str]:
    """The mapping's row problems and the import's in line order, then one summary line."""
    prefix = f"{path}:"

    def line_of(problem: str) -> int:
        number = problem[len(prefix):].split(":", 1)[0]
        return int(number) if number.isdigit() else 0

    rows = [problem for problem in [*ours, *theirs]
            if problem.startswith(prefix) and line_of(problem) > 0]
    others = [problem for problem in theirs if problem not in rows
              and not problem.startswith(f"{path}: nothing imported")]
    rows.sort(key=line_of)
    count = len(rows)
    rows_to_fix = "1 bad row" if count == 1 else f"{count} bad rows"
    return [*others, *rows, f"{path}: nothing imported; {rows_to_fix} to fix"]


def import_rows(kind: str, data: csvfiles.CsvRows, *, session: Session,
                timelines: Mapping[str, Timeline], today: date, source: str,
                snapshot: bool = False) -> Imported:
    """Check every row of `data` against what the store holds and write them in `session`'s
    transaction, a batch at a time as they are read (a national file is never held whole);
    ImportRefused names every bad row, and the caller then rolls the transaction back, so a
    refused file changes nothing. `source` is recorded with each row (`import cases.csv`);
    `today` is the day dates are checked against. A `snapshot` (cases only) holds every open
    case: each open case it does not hold is remembered, to be listed as a data-quality item."""
    if snapshot and kind != "cases":
        raise ImportRefused(f"{data.path}: only a cases file can be a snapshot (every open "
                            f"case), not a file of {kind}")
    routes: list[tuple[str, str, str]] = []
    missing: list[str] = []
    if kind == "leads":
        from permanence.notifications.delivery import check_url  # apprise: loaded when needed

        leads = row_checks.check_leads(data, url_problem=check_url)
        writes.import_leads(session=session, leads=leads)
        count = len(leads)
    elif kind == "cases":
        cases = _Passing(row_checks.checked_cases(
            data, timelines=timelines, lead_ids=reads.lead_ids(session=session), today=today,
            earliest_events=reads.earliest_events(session=session)), keep_case_refs=snapshot)
        routes = writes.import_cases(session=session, cases=cases, today=today, source=source)
        count = cases.count
        if snapshot:
            missing = snapshots.record_snapshot(session=session, held=cases.case_refs,
                                                source=source, day=today)
    elif kind == "events":
        events = _Passing(row_checks.checked_events(data, cases=reads.case_index(session=session),
                                                    timelines=timelines, today=today))
        writes.record_events(session=session, events=events, source=source)
        count = events.count
    elif kind == "pauses":
        pauses = _Passing(row_checks.checked_pauses(data, cases=reads.case_index(session=session),
                                                    today=today))
        writes.record_pauses(session=session, pauses=pauses, source=source)
        count = pauses.count
    elif kind == "extensions":
        # Checked whole before any is written: each is checked against the due date the store
        # gives, which one written earlier in the same file would move.
        extensions = row_checks.check_extensions(
            data, cases=reads.case_index(session=session), timelines=timelines,
            lead_ids=reads.lead_ids(session=session), today=today,
            due_on=due_on_day(session, timelines))
        writes.record_extensions(session=session, extensions=extensions, source=source)
        count = len(extensions)
    else:
        raise ValueError(f"unknown kind of file {kind!r}; expected one of {', '.join(KINDS)}")
    return Imported(kind=kind, count=count, warnings=list(data.warnings),
                    route_changes=routes, missing=missing if snapshot else None)


class _Passing:
    """Checked rows on their way to the store, a batch at a time, counted as they pass (and,
    for a snapshot, their case_refs kept). A bad row ends the iteration with ImportRefused
    once every row is checked, and the caller's transaction undoes what was written."""

    def __init__(self, rows: Iterator[dict[str, object]], keep_case_refs: bool = False) -> None:
        self._rows = rows
        self._keep = keep_case_refs
        self.count = 0
        self.case_refs: set[str] = set()

    def __iter__(self) -> Iterator[dict[str, object]]:
        for row in self._rows:
            self.count += 1
            if self._keep:
                self.case_refs.add(str(row["case_ref"]))
            yield row
