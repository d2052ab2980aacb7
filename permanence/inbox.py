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
- A file whose name starts with no kind but whose header is one of the SSDA903 return's tables
  (permanence.ssda903.tables) is part of a return: every such file of one run is imported
  together, after leads and cases and before events, exactly as `permanence import ssda903`
  (permanence.national_return) with the options of PERMANENCE_INBOX_SSDA903_*; a child with a
  bad row is left out (the data lead told, the problems beside the files in archive/), unless
  strict.

The rules on names and staleness are plain functions; `take_in` does the file system and the
store.
"""

from __future__ import annotations

import csv
import hashlib
import io
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
from permanence.config import InboxReturn
from permanence.errors import BadInput, ImportRefused, MappingFileError
from permanence.models import utc_now
from permanence.national_return import ReturnImported, import_read_return, parse_timelines
from permanence.ssda903.tables import TABLES, Problem, recognise
from permanence.store import inbox as records
from permanence.store import reads
from permanence.timelines import Timeline

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
                             f"{_count(len(file.problems), 'bad row')} in it, listed in "
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


def _count(number: int, word: str) -> str:
    return f"{number} {word}{'' if number == 1 else 's'}"


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


# The file system and the store.

def take_in(engine: Engine, url: str, *, timelines: Mapping[str, Timeline], today: date,
            as_of: date, stale_after: int, mapping: str | None = None,
            ssda903: InboxReturn | None = None) -> Intake:
    """Import every complete file in the inbox at `url`, in intake order, each in its own
    transaction with its content's hash (the files of an SSDA903 return together, in one);
    move it to archive/ or quarantine/; then say whether the data is stale on `as_of`. `today`
    is the day the imports check dates against; `mapping` a mapping file (a local path) the
    source's files are read through; `ssda903` the options a return is imported with.

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
    failed: list[str] = []
    contents: dict[str, bytes] = {}  # files of no kind by name, read to see their headers
    name = ""
    try:
        for name in intake_order(files):
            if kind_of(name) is None:
                try:
                    contents[name] = fs.cat_file(files[name])
                except FileNotFoundError:
                    del files[name]  # gone since the listing: another process took it
        in_return = return_files({name: header_of(content)
                                  for name, content in contents.items()})
        for name in intake_order(files, in_return):
            if name in in_return:
                if name == in_return[0]:
                    taken += _take_return(engine, fs, root, in_return, contents, files,
                                          timelines, today, ssda903 or InboxReturn(), failed)
                continue
            try:
                content = contents[name] if name in contents else fs.cat_file(files[name])
                taken.append(_take_one(engine, fs, root, name, content, files[name],
                                       timelines, today, source))
            except FileNotFoundError:
                continue  # gone since the listing: another process took it
    except OSError as error:  # the file system failed mid-way: the rest waits a run
        reason = " ".join(str(error).split()) or type(error).__name__
        failed.append(f"could not finish with {name} in the inbox {shown}: {reason}; it and "
                      "the files after it are left for the next run")
    left = sorted(name for name in files if is_temporary(name))
    return _finish(engine, Intake(shown, taken=taken, left=left,
                                  unreadable="; ".join(failed) or None), as_of, stale_after)


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
        problems = [no_kind_problem(name, header_of(content))]
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


def return_settings_problem(settings: InboxReturn, lead_ids: set[str],
                            timelines: Mapping[str, Timeline]) -> str | None:
    """Why a return cannot be imported with these settings (PERMANENCE_INBOX_SSDA903_*), or
    None: the same checks `permanence import ssda903` makes of its options."""
    variable = "PERMANENCE_INBOX_SSDA903_"
    if settings.allocations is None and not (settings.team and settings.social_worker):
        missing = " and ".join(f"{variable}{name}" for name, value in (
            ("TEAM", settings.team), ("SOCIAL_WORKER", settings.social_worker)) if not value)
        return (f"set {missing} (or {variable}ALLOCATIONS): without allocations every child "
                "takes the team and social worker given")
    if settings.social_worker is not None and settings.social_worker not in lead_ids:
        return (f"{variable}SOCIAL_WORKER {settings.social_worker!r} is not a known lead_id; "
                "import the leads first")
    try:
        parse_timelines(settings.timelines, timelines)
    except BadInput as error:
        return str(error).replace("--timelines", f"{variable}TIMELINES")
    if settings.allocations is not None and not Path(settings.allocations).is_file():
        return f"{variable}ALLOCATIONS {settings.allocations}: no such file"
    return None


def _take_return(engine: Engine, fs: Any, root: str, names: list[str],
                 contents: Mapping[str, bytes], paths: Mapping[str, str],
                 timelines: Mapping[str, Timeline], today: date, settings: InboxReturn,
                 failed: list[str]) -> list[Taken]:
    """Import the files of one SSDA903 return together, as `permanence import ssda903` would,
    with each new file's content recorded in the same transaction; a return whose every file
    was imported before is not imported again. Its files go to archive/ (with the problems of
    a child left out beside the file they are in) or, refused whole (a file not CSV, a bad row
    when strict), to quarantine/. Settings that cannot be used leave them in the inbox, with
    a sentence in `failed`."""
    digests = {name: hashlib.sha256(contents[name]).hexdigest() for name in names}
    now = utc_now()
    done: ReturnImported | None = None
    try:
        with Session(engine) as session, session.begin():
            held = {name: records.imported_file(session=session, content_hash=digests[name])
                    for name in names}
            if all(held.values()):
                for name in names:
                    records.record_received_again(session=session, content_hash=digests[name],
                                                  at=now)
            else:
                lead_ids = reads.lead_ids(session=session)
                problem = return_settings_problem(settings, lead_ids, timelines)
                if problem:
                    failed.append(f"the SSDA903 return in the inbox ({', '.join(names)}) was not "
                                  f"imported: {problem}; its files are left in the inbox for "
                                  "the next run")
                    return []
                pair = parse_timelines(settings.timelines, timelines)
                allocations = None
                if settings.allocations is not None:
                    allocations = (settings.allocations, Path(settings.allocations).read_bytes())
                source = f"inbox {names[0]}" + (f" and {len(names) - 1} more files"
                                                if len(names) > 1 else "")
                done = import_read_return(
                    [(name, contents[name]) for name in names], session=session,
                    timelines=timelines, today=today, allocations=allocations,
                    lead_ids=lead_ids, team=settings.team, social_worker=settings.social_worker,
                    names=pair, strict=STRICT if settings.strict else None, source=source)
                rows = {name: count for name, _, count in done.read}
                recorded: set[str] = set()  # the same content twice in one drop: once
                for name in names:
                    if held[name] is not None or digests[name] in recorded:
                        records.record_received_again(session=session,
                                                      content_hash=digests[name], at=now)
                    else:
                        records.record_imported(session=session, content_hash=digests[name],
                                                kind=RETURN, name=name, rows=rows.get(name, 0),
                                                at=now)
                        recorded.add(digests[name])
    except ImportRefused as error:
        return _refuse_return(fs, root, names, paths, error.problems, now)
    except OSError as error:  # the allocations file could not be read
        failed.append(f"the SSDA903 return in the inbox ({', '.join(names)}) was not imported: "
                      f"{settings.allocations} (PERMANENCE_INBOX_SSDA903_ALLOCATIONS): "
                      f"{error.strerror or error}; its files are left in the inbox for the "
                      "next run")
        return []
    if done is None:
        taken = []
        for name in names:
            moved = _move(fs, root, ARCHIVE, name, paths[name])
            first = held[name]
            assert first is not None
            taken.append(Taken(name, RETURN, ALREADY_IMPORTED, [
                (f"{name}: the same content was imported on {service_day(first.imported_at)} "
                 f"(as {first.name}), with every other file of this SSDA903 return; not "
                 "imported again")], moved))
        return taken
    return _archive_return(fs, root, names, paths, done, now)


def _archive_return(fs: Any, root: str, names: list[str], paths: Mapping[str, str],
                    done: ReturnImported, now: datetime) -> list[Taken]:
    """Each file of a return imported, moved to archive/: what was read from it, the bad rows
    in it (a problem of the allocations file goes with the first file), and with the last
    file what the import did."""
    said = {name: f"Read {name} as {' and '.join(tables)} ({_count(rows, 'row')})."
            for name, tables, rows in done.read}
    said |= {entry.split(" (", 1)[0]: f"Ignored {entry}." for entry in done.ignored}
    mine: dict[str, list[Problem]] = {name: [] for name in names}
    for problem in done.plan.problems:
        mine[problem.file if problem.file in mine else names[0]].append(problem)
    summary = done.lines()[len(done.read) + len(done.ignored):]
    taken = []
    for position, name in enumerate(names):
        moved = _move(fs, root, ARCHIVE, name, paths[name])
        problems = [str(problem) for problem in mine[name]]
        if problems:
            fs.pipe_file(posixpath.join(root, moved + PROBLEMS_SUFFIX),
                         left_out_text(name, problems, now).encode("utf-8"))
        last = position == len(names) - 1
        taken.append(Taken(
            name, RETURN, IMPORTED, [said.get(name, f"Read {name}."), *(summary if last else [])],
            moved, done.plan.warnings if position == 0 else [], problems=problems,
            left_out=len({problem.child for problem in mine[name] if problem.child})))
    return taken


def _refuse_return(fs: Any, root: str, names: list[str], paths: Mapping[str, str],
                   problems: list[str], now: datetime) -> list[Taken]:
    """Every file of a return refused whole, to quarantine/: beside each, its own problems,
    or for a file with none, which files' problems refused it."""
    closing = problems[-1:] if problems[-1].startswith(STRICT) else []
    mine: dict[str, list[str]] = {name: [] for name in names}
    for problem in problems[:len(problems) - len(closing)]:
        owner = next((name for name in names if problem.startswith(f"{name}:")), names[0])
        mine[owner].append(problem)  # a problem of the allocations file: with the first file
    faulty = [name for name in names if mine[name]]
    taken = []
    for name in names:
        own = [*mine[name], *closing] if mine[name] else [(
            f"{name}: nothing in it is wrong, but the SSDA903 return it belongs to was refused "
            f"whole, for the problems beside {', '.join(faulty)}")]
        taken.append(_quarantine(fs, root, name, paths[name], RETURN, own, now))
    return taken


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
