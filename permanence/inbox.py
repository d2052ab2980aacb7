"""The inbox: extracts a case management system drops in a folder (or any fsspec URL: an S3
bucket, an SFTP folder), imported by the daily check before it evaluates, or by
`permanence import inbox`.

- A file's kind is the start of its name (`cases-2026-11-23.csv`); files are imported in
  dependency order (leads, cases, events, pauses, extensions), then by name.
- A file is complete once it has its final name: names starting with `.` or ending `.tmp` or
  `.part` are left for the next run, so writers use such a name and rename.
- Each file is imported all or nothing, exactly as `permanence import KIND FILE`
  (permanence.imports), with its content's SHA-256 recorded in the same transaction: the same
  content is never imported twice.
- Imported files (and contents already imported) move to `archive/`, refused ones to
  `quarantine/`, with `NAME.problems.txt` beside each listing every problem by line.
- No extract for more than the configured number of days: the data is stale.
- With a mapping (`PERMANENCE_INBOX_MAP`, permanence.mappings), each file of a kind it
  describes is the source system's own export, read through it; other kinds are the engine's
  CSV files.
- A cases file whose name holds the word `snapshot`, or whose mapping says `snapshot: true`,
  holds every open case: an open case it does not hold is listed under data quality.

The rules on names and staleness are plain functions; `take_in` does the file system and the
store.
"""

from __future__ import annotations

import hashlib
import posixpath
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy.engine import Engine
from sqlmodel import Session

from permanence import imports, mappings
from permanence.clock import service_day
from permanence.errors import ImportRefused, MappingFileError
from permanence.models import utc_now
from permanence.store import inbox as records
from permanence.timelines import Timeline

ARCHIVE = "archive"
QUARANTINE = "quarantine"
PROBLEMS_SUFFIX = ".problems.txt"
TEMPORARY_ENDINGS = (".tmp", ".part")

IMPORTED, ALREADY_IMPORTED, REFUSED = "imported", "already imported", "refused"

_KIND_WORD = re.compile(r"[a-z]+")


# The rules, as plain functions.

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


def intake_order(names: Iterable[str]) -> list[str]:
    """The names to take in this run, in the order to import them: temporary names left out;
    then by kind, in dependency order (leads, cases, events, pauses, extensions), then by name,
    so dated extracts of one kind go oldest first; names of no kind last."""
    def place(name: str) -> tuple[int, str]:
        kind = kind_of(name)
        return (imports.KINDS.index(kind) if kind else len(imports.KINDS), name)

    return sorted((name for name in names if not is_temporary(name)), key=place)


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
                           "problems": len(file.lines) if file.outcome == REFUSED else 0,
                           **({} if file.missing is None
                              else {"missing_from_snapshot": file.missing})}
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
    lines += ["", "The check went on with what the store holds."]
    return f"Inbox: {'; '.join(parts)}", "\n".join(lines) + "\n"


# The file system and the store.

def take_in(engine: Engine, url: str, *, timelines: Mapping[str, Timeline], today: date,
            as_of: date, stale_after: int, mapping: str | None = None) -> Intake:
    """Import every complete file in the inbox at `url`, in intake order, each in its own
    transaction with its content's hash; move it to archive/ or quarantine/; then say whether
    the data is stale on `as_of`. `today` is the day the imports check dates against;
    `mapping` a mapping file (a local path) the source's files are read through.

    A file refused, the inbox unreadable, or a mapping that cannot be used (every file then
    left where it is) is in the result, never raised: the daily check goes on. A store that
    fails is raised (the file stays in the inbox for the next run)."""
    import fsspec  # type: ignore[import-untyped]  # fsspec ships no type information

    shown = shown_url(url)
    source: mappings.SourceMapping | None = None
    if mapping:
        try:
            source = mappings.load_mapping(Path(mapping))
        except MappingFileError as error:
            return _finish(engine, Intake(shown, unreadable=(
                f"the inbox's mapping {mapping} (PERMANENCE_INBOX_MAP) cannot be used, so no "
                f"file was taken in: {'; '.join(error.problems)}")), as_of, stale_after)
    try:
        fs, root = fsspec.core.url_to_fs(url)
        entries = fs.ls(root, detail=True)
    except FileNotFoundError:
        return _finish(engine, Intake(shown, unreadable=(
            f"the inbox {shown} (PERMANENCE_INBOX) does not exist; create it or correct the "
            "variable")), as_of, stale_after)
    except (OSError, ImportError, ValueError) as error:
        reason = " ".join(str(error).split()) or type(error).__name__
        return _finish(engine, Intake(shown, unreadable=(
            f"could not read the inbox {shown} (PERMANENCE_INBOX): {reason}")),
            as_of, stale_after)
    files = {posixpath.basename(entry["name"].rstrip("/")): entry["name"] for entry in entries
             if entry.get("type") == "file"}
    taken: list[Taken] = []
    failed: str | None = None
    for name in intake_order(files):
        try:
            content = fs.cat_file(files[name])
            taken.append(_take_one(engine, fs, root, name, content, files[name], timelines,
                                   today, source))
        except FileNotFoundError:
            continue  # gone since the listing: another process took it
        except OSError as error:  # the file system failed mid-way: the rest waits a run
            reason = " ".join(str(error).split()) or type(error).__name__
            failed = (f"could not finish with {name} in the inbox {shown}: {reason}; it and the "
                      "files after it are left for the next run")
            break
    left = sorted(name for name in files if is_temporary(name))
    return _finish(engine, Intake(shown, taken=taken, left=left, unreadable=failed), as_of,
                   stale_after)


def _finish(engine: Engine, intake: Intake, as_of: date, stale_after: int) -> Intake:
    with Session(engine) as session:
        last = records.last_received(session=session)
    stale = stale_problem(service_day(last) if last else None, as_of, stale_after)
    return Intake(intake.inbox, intake.taken, intake.left, intake.unreadable, stale)


def _take_one(engine: Engine, fs: Any, root: str, name: str, content: bytes, path: str,
              timelines: Mapping[str, Timeline], today: date,
              source: mappings.SourceMapping | None) -> Taken:
    """Import one file and move it; a refusal moves it to quarantine with its problems."""
    kind = kind_of(name)
    digest = hashlib.sha256(content).hexdigest()
    now = utc_now()
    if kind is None:
        problems = [(f"{name}: the name does not say what the file holds; it must start with "
                    f"{', '.join(imports.KINDS)} (e.g. cases-2026-11-23.csv)")]
        return _quarantine(fs, root, name, path, kind, problems, now)
    try:
        with Session(engine) as session, session.begin():
            held = records.imported_file(session=session, content_hash=digest)
            if held is not None:
                records.record_received_again(session=session, content_hash=digest, at=now)
                done = None
            else:
                snapshot = mappings.is_snapshot_name(name)
                if source is not None and kind in source.files:
                    translation = imports.read_mapped(source.files[kind], Path(name), content)
                    done = imports.import_translated(
                        kind, translation, session=session, timelines=timelines, today=today,
                        source=f"inbox {name}", snapshot=snapshot)
                else:
                    data = imports.read_content(kind, name, content)
                    done = imports.import_rows(kind, data, session=session,
                                               timelines=timelines, today=today,
                                               source=f"inbox {name}", snapshot=snapshot)
                records.record_imported(session=session, content_hash=digest, kind=kind,
                                        name=name, rows=done.count, at=now)
    except ImportRefused as error:
        return _quarantine(fs, root, name, path, kind, error.problems, now)
    moved = _move(fs, root, ARCHIVE, name, path)
    if done is None:
        assert held is not None
        return Taken(name, kind, ALREADY_IMPORTED, [
            (f"{name}: the same content was imported on {service_day(held.imported_at)} (as "
            f"{held.name}); not imported again")], moved)
    return Taken(name, kind, IMPORTED, done.lines(name), moved, done.warnings,
                 None if done.missing is None else len(done.missing))


def _quarantine(fs: Any, root: str, name: str, path: str, kind: str | None,
                problems: list[str], now: datetime) -> Taken:
    moved = _move(fs, root, QUARANTINE, name, path)
    fs.pipe_file(posixpath.join(root, moved + PROBLEMS_SUFFIX),
                 problems_text(name, problems, now).encode("utf-8"))
    return Taken(name, kind, REFUSED, problems, moved)


def _move(fs: Any, root: str, folder: str, name: str, path: str) -> str:
    """Move the file into `folder` under the inbox, never over an earlier file; returns where
    it went, relative to the inbox."""
    target = posixpath.join(root, folder)
    fs.makedirs(target, exist_ok=True)
    taken = {posixpath.basename(entry.rstrip("/")) for entry in fs.ls(target, detail=False)}
    taken |= {entry.removesuffix(PROBLEMS_SUFFIX) for entry in taken}
    final = free_name(name, taken)
    fs.mv(path, posixpath.join(target, final))
    return f"{folder}/{final}"
