"""The five imports, one function for each kind of file: read, checked against the store, and
written, all in the caller's transaction, so a refusal changes nothing.

`permanence import KIND FILE` and the inbox (permanence.inbox) both import through here: one
set of checks, whoever hands in the file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlmodel import Session

from permanence import csvfiles
from permanence.caseload import due_on_day
from permanence.store import reads, writes
from permanence.timelines import Timeline

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

    def lines(self, source: object) -> list[str]:
        """What the import says: `Imported 12 leads from leads.csv.`, then one line per route
        change."""
        return [f"Imported {plural(self.count, NOUNS[self.kind])} from {source}.",
                *(f"{case_ref}: route changed from {old} to {new}; its history keeps the old "
                  "route and every date recorded." for case_ref, old, new in self.route_changes)]


def read_file(kind: str, path: Path) -> csvfiles.CsvRows:
    """A local file of `kind`, read with its columns; ImportRefused when it cannot be read."""
    return csvfiles.read_csv(path, *COLUMNS[kind])


def read_content(kind: str, name: str, content: bytes) -> csvfiles.CsvRows:
    """A file of `kind` already read (from an inbox), named `name` in every message."""
    return csvfiles.read_csv_bytes(Path(name), content, *COLUMNS[kind])


def import_rows(kind: str, data: csvfiles.CsvRows, *, session: Session,
                timelines: Mapping[str, Timeline], today: date, source: str) -> Imported:
    """Check every row of `data` against what the store holds and write them in `session`'s
    transaction; ImportRefused, naming every bad row, writes nothing. `source` is recorded with
    each row (`import cases.csv`); `today` is the day dates are checked against."""
    routes: list[tuple[str, str, str]] = []
    rows: list[dict[str, object]] | list[dict[str, str]]
    if kind == "leads":
        from permanence.notifications.delivery import check_url  # apprise: loaded when needed

        rows = leads = csvfiles.check_leads(data, url_problem=check_url)
        writes.import_leads(session=session, leads=leads)
    elif kind == "cases":
        rows = csvfiles.check_cases(data, timelines=timelines,
                                    lead_ids=reads.lead_ids(session=session), today=today,
                                    earliest_events=reads.earliest_events(session=session))
        routes = writes.import_cases(session=session, cases=rows, today=today, source=source)
    elif kind == "events":
        rows = csvfiles.check_events(data, cases=reads.case_index(session=session),
                                     timelines=timelines, today=today)
        writes.record_events(session=session, events=rows, source=source)
    elif kind == "pauses":
        rows = csvfiles.check_pauses(data, cases=reads.case_index(session=session), today=today)
        writes.record_pauses(session=session, pauses=rows, source=source)
    elif kind == "extensions":
        rows = csvfiles.check_extensions(
            data, cases=reads.case_index(session=session), timelines=timelines,
            lead_ids=reads.lead_ids(session=session), today=today,
            due_on=due_on_day(session, timelines))
        writes.record_extensions(session=session, extensions=rows, source=source)
    else:
        raise ValueError(f"unknown kind of file {kind!r}; expected one of {', '.join(KINDS)}")
    return Imported(kind=kind, count=len(rows), warnings=list(data.warnings),
                    route_changes=routes)
