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

The rules on names, order and staleness, and what a run did, are plain functions and values
(permanence.intake); `take_in` does the file system and the store with them.
"""

from __future__ import annotations

import hashlib
import posixpath
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from permanence import imports, mappings
from permanence.clock import service_day
from permanence.config import InboxReturn
from permanence.errors import BadInput, ImportRefused, MappingFileError
from permanence.imports import plural
from permanence.intake import (
    ALREADY_IMPORTED,
    ARCHIVE,
    IMPORTED,
    PROBLEMS_SUFFIX,
    QUARANTINE,
    REFUSED,
    RETURN,
    STRICT,
    Intake,
    Taken,
    free_name,
    header_of,
    intake_order,
    is_temporary,
    kind_of,
    left_out_text,
    no_kind_problem,
    problems_text,
    return_files,
    shown_url,
    stale_problem,
)
from permanence.models import utc_now
from permanence.national_return import ReturnImported, import_read_return, parse_timelines
from permanence.ssda903.tables import Problem
from permanence.store import inbox as records
from permanence.store import reads
from permanence.timelines import Timeline


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
    said = {name: f"Read {name} as {' and '.join(tables)} ({plural(rows, 'row')})."
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
