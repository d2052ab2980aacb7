"""What the inbox decides and says, as plain functions and values: which names to take in and
in what order, what kind of file each is, when the data is stale, what a moved file is named,
and what a run did (`Taken`, `Intake`) with the sentences it makes for people. The inbox
(permanence.inbox) does the file system and the store with them."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from permanence import imports
from permanence.imports import plural
from permanence.ssda903.tables import TABLES, recognise

ARCHIVE = "archive"
QUARANTINE = "quarantine"
PROBLEMS_SUFFIX = ".problems.txt"
TEMPORARY_ENDINGS = (".tmp", ".part")

IMPORTED, ALREADY_IMPORTED, REFUSED = "imported", "already imported", "refused"

RETURN = "ssda903"
"""The kind of a file of an SSDA903 return, known by its header, never by its name."""
STRICT = "PERMANENCE_INBOX_SSDA903_STRICT"
ORDER = (*imports.KINDS[:2], RETURN, *imports.KINDS[2:])
"""Intake order: a return needs the leads (its social workers) and makes cases that events
may name, so it comes after leads and cases and before events, pauses and extensions."""
assert ORDER[:2] == ("leads", "cases")

_KIND_WORD = re.compile(r"[a-z]+")


# The rules.

def is_temporary(name: str) -> bool:
    """A name a writer uses until the file is complete: starting with `.`, or ending `.tmp` or
    `.part` (in any case). Such files are left for the next run."""
    return name.startswith(".") or name.lower().endswith(TEMPORARY_ENDINGS)


def kind_of(name: str) -> str | None:
    """The kind of file a name says, from the letters it starts with (any case):
    `cases-2026-11-23.csv` is `cases`; None when they are no kind (`case.csv`,
    `casesfile.csv`, `2026-cases.csv`)."""
    found = _KIND_WORD.match(name.lower())
    return found.group() if found and found.group() in imports.KINDS else None


def intake_order(names: Iterable[str], returns: Iterable[str] = ()) -> list[str]:
    """The names to take in this run, in the order to import them: temporary names left out;
    then by kind, in dependency order (leads, cases, the files of an SSDA903 return named in
    `returns`, events, pauses, extensions), then by name, so dated extracts of one kind go
    oldest first; names of no kind last."""
    in_return = set(returns)

    def place(name: str) -> tuple[int, str]:
        kind = RETURN if name in in_return else kind_of(name)
        return (ORDER.index(kind) if kind else len(ORDER), name)

    return sorted((name for name in names if not is_temporary(name)), key=place)


def header_of(content: bytes) -> list[str]:
    """A file's first line that is not blank (as `import ssda903` reads a header) as CSV
    column names, upper case; [] when it has none or is not text (the import refuses such a
    file with its own sentence)."""
    for raw in io.BytesIO(content):  # line by line: a file's first lines, never all of it
        try:
            names = [value.strip().upper() for value in next(csv.reader(io.StringIO(
                raw.decode("utf-8-sig", errors="replace"))), [])]
        except csv.Error:
            return []
        if any(names):
            return names
    return []


def return_files(headers: Mapping[str, list[str]]) -> list[str]:
    """Which files of no kind by name (name: header) are an SSDA903 return's: each whose header
    is one of the tables the import reads (Header, Episodes, Reviews, AD1, PlacedAdoption), and
    beside at least one such, each other file with a CHILD column (PrevPerm, Missing, OC2 ...,
    which the import lists as ignored). Sorted by name: the order they are read in, the later
    standing where two returns overlap."""
    tables = [name for name, header in headers.items() if recognise(header)]
    if not tables:
        return []
    return sorted(name for name, header in headers.items()
                  if "CHILD" in header and not is_allocations(header))


def is_allocations(header: list[str]) -> bool:
    """An allocations file's header (CHILD, team, social_worker): never a table of a return."""
    return {"CHILD", "TEAM", "SOCIAL_WORKER"}.issubset(header) and not recognise(header)


def no_kind_problem(name: str, header: list[str]) -> str:
    """Why a file of no kind by name, and not of an SSDA903 return by header, is refused."""
    if is_allocations(header):
        return (f"{name}: an allocations file (CHILD, team, social_worker) is not read from the "
                "inbox: put it where PERMANENCE_INBOX_SSDA903_ALLOCATIONS names, outside the "
                "inbox (each return imported reads it)")
    return (f"{name}: the name does not say what the file holds; it must start with "
            f"{', '.join(imports.KINDS)} (e.g. cases-2026-11-23.csv), or its header be one of "
            f"the SSDA903 return's tables ({', '.join(TABLES)})")


def stale_problem(last_received: date | None, today: date, limit: int) -> str | None:
    """The sentence saying the data is stale when no extract arrived for more than `limit` days
    before `today` (or none ever did), else None."""
    if last_received is None:
        return ("no extract has ever arrived in the inbox: the store holds only what was "
                "imported by hand, so the data may be stale")
    days = (today - last_received).days
    if days <= limit:
        return None
    return (f"no new extract in the inbox for {days} days (the last arrived on {last_received}; "
            f"more than {limit} is stale): the data is stale, so today's statuses may be wrong; "
            "check that the case management system's export still runs")


def shown_url(url: str) -> str:
    """The inbox's URL as shown to people: a password in it replaced by `***`."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}"))


def free_name(name: str, taken: set[str]) -> str:
    """`name`, or when a file of that name is already there `STEM.2.EXT`, `STEM.3.EXT` ...: a
    file moved to archive or quarantine never replaces an earlier one."""
    if name not in taken:
        return name
    stem, dot, extension = name.rpartition(".")
    if not stem:
        stem, dot, extension = name, "", ""
    number = 2
    while f"{stem}.{number}{dot}{extension}" in taken:
        number += 1
    return f"{stem}.{number}{dot}{extension}"


def problems_text(name: str, problems: list[str], when: datetime) -> str:
    """The text file written beside a refused file: what happened, then every problem."""
    return "\n".join([
        (f"{name} was refused by the inbox on {when:%Y-%m-%d at %H:%M} UTC; nothing in it was "
        "imported."),
        ("Fix every problem below, then put the whole file back in the inbox (under a new name, "
        "or this one): the next run imports it."), "", *problems]) + "\n"


# What a run did.

@dataclass(frozen=True)
class Taken:
    """One file the inbox dealt with."""

    name: str
    kind: str | None
    outcome: str
    """IMPORTED, ALREADY_IMPORTED or REFUSED."""
    lines: list[str]
    """What the import said (IMPORTED, ALREADY_IMPORTED), or every problem (REFUSED)."""
    moved_to: str
    """Where it went, relative to the inbox: `archive/NAME` or `quarantine/NAME`."""
    warnings: list[str] = field(default_factory=list)
    missing: int | None = None
    """For a snapshot imported: how many open cases it did not hold (None: not a snapshot)."""
    problems: list[str] = field(default_factory=list)
    """For a file of an SSDA903 return imported: its bad rows, each leaving a child out."""
    left_out: int = 0
    """For a file of an SSDA903 return imported: children left out for its bad rows."""


@dataclass(frozen=True)
class Intake:
    """What one run of the inbox did."""

    inbox: str
    """The inbox's URL as shown (no password)."""
    taken: list[Taken] = field(default_factory=list)
    left: list[str] = field(default_factory=list)
    """Temporary names left for the next run."""
    unreadable: str | None = None
    """Why the inbox could not be read at all, or None."""
    stale: str | None = None
    """The sentence saying the data is stale, or None."""

    @property
    def refused(self) -> list[Taken]:
        return [file for file in self.taken if file.outcome == REFUSED]

    @property
    def partly_imported(self) -> list[Taken]:
        """Files of an SSDA903 return imported with bad rows: their children left out."""
        return [file for file in self.taken if file.outcome == IMPORTED and file.problems]

    def to_tell(self) -> list[str]:
        """What the data lead is told of: the failures, and a return's children left out (which
        does not make the run fail: a real return carries errors, and the rest of it is in)."""
        sentences = self.failures()
        for file in self.partly_imported:
            sentences.append(f"the inbox imported {file.name} (an SSDA903 return's file) but "
                             f"left out {_children(file.left_out)} for "
                             f"{plural(len(file.problems), 'bad row')} in it, listed in "
                             f"{file.moved_to}{PROBLEMS_SUFFIX}")
        return sentences

    def failures(self) -> list[str]:
        """Why a run that took this in ends Failed: one sentence each."""
        sentences = []
        if self.unreadable:
            sentences.append(self.unreadable)
        if self.refused:
            names = ", ".join(file.name for file in self.refused)
            count = len(self.refused)
            sentences.append(f"the inbox refused {count} file{'s' if count > 1 else ''} "
                             f"({names}): moved to {QUARANTINE}/ with the problems beside "
                             f"{'them' if count > 1 else 'it'}; nothing in "
                             f"{'them' if count > 1 else 'it'} was imported")
        if self.stale:
            sentences.append(self.stale)
        return sentences

    def as_json(self) -> dict[str, Any]:
        """For the check's summary: no problem lines (they may quote a date of birth), only
        where each file went, how many problems it had and, for a snapshot, how many open cases
        it did not hold."""
        return {"inbox": self.inbox, "unreadable": self.unreadable, "stale": self.stale,
                "left": self.left,
                "files": [{"name": file.name, "kind": file.kind, "outcome": file.outcome,
                           "moved_to": file.moved_to,
                           "problems": (len(file.lines) if file.outcome == REFUSED
                                        else len(file.problems)),
                           **({} if file.missing is None
                              else {"missing_from_snapshot": file.missing}),
                           **({"left_out": file.left_out} if file.problems else {})}
                          for file in self.taken]}


def data_lead_message(intake: Intake, recipient: str, day: date) -> tuple[str, str]:
    """(title, body) of the message telling a data lead what went wrong with the inbox on
    `day`: each file refused, where it is and where its problems are (not the problems
    themselves, which may quote a child's date of birth), an inbox that cannot be read, stale
    data."""
    parts = []
    if intake.unreadable:
        parts.append("cannot be read")
    if intake.refused:
        count = len(intake.refused)
        parts.append(f"{count} file{'s' if count > 1 else ''} refused")
    if intake.stale:
        parts.append("the data is stale")
    if intake.partly_imported:
        left_out = sum(file.left_out for file in intake.partly_imported)
        parts.append(f"{_children(left_out)} left out of the SSDA903 return")
    lines = [f"Hello {recipient},", "",
             f"The daily check of {day} found a problem with the inbox {intake.inbox}:", ""]
    if intake.unreadable:
        lines.append(f"- {intake.unreadable}.")
    for file in intake.refused:
        count = len(file.lines)
        lines.append(f"- {file.name} was refused ({count} problem{'s' if count > 1 else ''}): "
                     f"nothing in it was imported. It is now {file.moved_to}, with every problem "
                     f"by line in {file.moved_to}{PROBLEMS_SUFFIX} beside it. Fix it and put the "
                     "whole file back in the inbox.")
    if intake.stale:
        lines.append(f"- {intake.stale[0].upper()}{intake.stale[1:]}.")
    for file in intake.partly_imported:
        lines.append(f"- {file.name} (an SSDA903 return's file) was imported, but "
                     f"{_children(file.left_out)} with a bad row in it "
                     f"{'was' if file.left_out == 1 else 'were'} left out; the rest of the "
                     f"return is in. It is now {file.moved_to}, with every problem by line in "
                     f"{file.moved_to}{PROBLEMS_SUFFIX} beside it. Fix them and put the whole "
                     "return (every file of it) back in the inbox.")
    lines += ["", "The check went on with what the store holds."]
    return f"Inbox: {'; '.join(parts)}", "\n".join(lines) + "\n"


def _children(number: int) -> str:
    return f"{number} child{'' if number == 1 else 'ren'}"


def left_out_text(name: str, problems: list[str], when: datetime) -> str:
    """The text file written beside a return's file imported with bad rows."""
    return "\n".join([
        (f"{name} was imported by the inbox on {when:%Y-%m-%d at %H:%M} UTC as part of an "
         "SSDA903 return, but each child with a bad row below was left out (the rest of the "
         "return was imported)."),
        ("Fix every problem below, then put the whole return (every file of it) back in the "
         "inbox: the next run imports it again, and writes only what changed."),
        "", *problems]) + "\n"
