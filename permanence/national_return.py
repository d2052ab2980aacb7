"""`permanence import ssda903`: the edge between England's national return and the store.

Reads the files (folders searched recursively, sorted by name), hands their bytes to the pure
core (permanence.ssda903), compares what it derives with what the store holds, and writes only
what differs, in the caller's transaction: a case that is new or changed (a change of timeline
is a route change, kept in the case's history), and a date that is new or derived differently
(the one it replaces stays in the history). The same return imported twice writes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlmodel import Session

from permanence.errors import BadInput, ImportRefused
from permanence.ssda903.cases import DEFAULT_TIMELINES, Plan, plan_import
from permanence.ssda903.tables import Allocation, Problem, ReturnReader, read_allocations
from permanence.store import reads, writes
from permanence.timelines import Timeline

RECURRING = "lac_review"
"""The one milestone the return records every occurrence of."""
KEPT_FROM_STORE = ("child_name", "sibling_group")
"""Case columns the return has no column for: a re-import keeps what the store holds."""


NOT_A_RETURN_FILE = (".", "~$")
"""A folder's files that are never part of a return: hidden ones, and the lock files Excel
writes beside a CSV it has open (`~$episodes.csv`, not text), which would refuse the import."""


def return_files(paths: Sequence[Path]) -> list[Path]:
    """The CSV files named: each file as given, each folder's *.csv (any case) searched
    recursively and sorted by name, passing over NOT_A_RETURN_FILE; ImportRefused for a path
    that does not exist."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted((found for found in path.rglob("*")
                             if found.is_file() and found.suffix.lower() == ".csv"
                             and not found.name.startswith(NOT_A_RETURN_FILE)),
                            key=lambda found: found.relative_to(path).as_posix())
        elif path.is_file():
            files.append(path)
        else:
            raise ImportRefused(f"{path}: no such file or folder; nothing imported")
    return files


def parse_timelines(text: str | None, timelines: Mapping[str, Timeline]) -> tuple[str, str]:
    """`--timelines ADOPTION,OTHER`, each a known timeline; BadInput says which is not."""
    if text is None:
        names = DEFAULT_TIMELINES
    else:
        parts = [part.strip() for part in text.split(",")]
        if len(parts) != 2 or not all(parts):
            raise BadInput(f"--timelines {text!r} must name two timelines, ADOPTION,OTHER (the "
                           "default is " + ",".join(DEFAULT_TIMELINES) + ")")
        names = (parts[0], parts[1])
    unknown = [name for name in names if name not in timelines]
    if unknown:
        raise BadInput(f"--timelines: unknown timeline{'s' if len(unknown) > 1 else ''} "
                       f"{', '.join(unknown)} (known: {', '.join(sorted(timelines))})")
    return names


@dataclass
class ReturnImported:
    """What one import of a return did."""

    plan: Plan
    read: list[tuple[str, list[str], int]]
    ignored: list[str]
    without_episodes: int
    new_cases: int = 0
    changed_cases: int = 0
    dates: int = 0
    route_changes: list[tuple[str, str, str]] = field(default_factory=list)

    def lines(self) -> list[str]:
        """What the import says on standard output, ending with the count of children imported
        and left out."""
        plan = self.plan
        lines = [f"Read {name} as {' and '.join(tables)} ({rows} row{'s' if rows != 1 else ''})."
                 for name, tables, rows in self.read]
        lines += [f"Ignored {name}." for name in self.ignored]
        lines += [f"{case_ref}: route changed from {old} to {new}; its history keeps the old "
                  "route and every date recorded." for case_ref, old, new in self.route_changes]
        if self.without_episodes:
            count = self.without_episodes
            lines.append(f"{count} child{'ren' if count != 1 else ''} in other tables but with "
                         "no episode: nothing to import for them.")
        unchanged = len(plan.cases) - self.new_cases - self.changed_cases
        lines.append(f"Imported {plan.children} child{'ren' if plan.children != 1 else ''} "
                     f"({len(plan.cases)} case{'s' if len(plan.cases) != 1 else ''}: "
                     f"{self.new_cases} new, {self.changed_cases} changed, {unchanged} "
                     f"unchanged; {self.dates} date{'s' if self.dates != 1 else ''} recorded); "
                     f"{len(plan.left_out)} child{'ren' if len(plan.left_out) != 1 else ''} "
                     "left out.")
        return lines


def read_return(files: Sequence[tuple[str, bytes]], *, today: date,
                allocations: tuple[str, bytes] | None, lead_ids: set[str], team: str | None,
                social_worker: str | None, timelines: tuple[str, str],
                milestones: Mapping[str, frozenset[str]],
                ) -> tuple[Plan, ReturnReader]:
    """The plan of an import from files already read, (name, bytes) each, in reading order."""
    reader = ReturnReader(today)
    for name, content in files:
        reader.add(name, content)
    children = reader.children()
    allocated: dict[str, Allocation] = {}
    bad_allocations: list[Problem] = []
    if allocations is not None:
        allocated, bad_allocations = read_allocations(*allocations, lead_ids)
    plan = plan_import(children, reader.problems, allocations=allocated,
                       allocation_problems=bad_allocations, team=team,
                       social_worker=social_worker, timelines=timelines, milestones=milestones)
    plan.warnings[:0] = reader.warnings()
    return plan, reader


def import_return(paths: Sequence[Path], *, session: Session,
                  timelines: Mapping[str, Timeline], today: date,
                  allocations: Path | None = None, team: str | None = None,
                  social_worker: str | None = None, timeline_names: str | None = None,
                  strict: bool = False) -> ReturnImported:
    """Import a return (its files or folders) in `session`'s transaction. Children with a bad
    row are left out and the rest imported; with `strict`, any bad row refuses the import
    (ImportRefused, every problem listed) and nothing changes."""
    names = parse_timelines(timeline_names, timelines)
    lead_ids = reads.lead_ids(session=session)
    if social_worker is not None and social_worker not in lead_ids:
        raise BadInput(f"--social-worker {social_worker!r} is not a known lead_id; import the "
                       "leads first")
    if allocations is None and not (team and social_worker):
        missing = " and ".join(option for option, value in (("--team", team),
                                                             ("--social-worker", social_worker))
                               if not value)
        raise BadInput(f"give {missing}: without --allocations every child takes the team and "
                       "social worker given (with --allocations, the children it does not name)")
    files = return_files(paths)
    if not files:
        raise ImportRefused(f"no CSV file in {', '.join(map(str, paths))}; nothing imported")
    allocation = None
    if allocations is not None:
        if not allocations.is_file():
            raise ImportRefused(f"{allocations}: no such file; nothing imported")
        allocation = (str(allocations), allocations.read_bytes())
    source = f"import ssda903 {files[0].name}" + (f" and {len(files) - 1} more files"
                                                   if len(files) > 1 else "")
    return import_read_return(
        [(str(file), file.read_bytes()) for file in files], session=session,
        timelines=timelines, today=today, allocations=allocation, lead_ids=lead_ids, team=team,
        social_worker=social_worker, names=names, strict="--strict" if strict else None,
        source=source)


def import_read_return(files: Sequence[tuple[str, bytes]], *, session: Session,
                       timelines: Mapping[str, Timeline], today: date,
                       allocations: tuple[str, bytes] | None, lead_ids: set[str],
                       team: str | None, social_worker: str | None, names: tuple[str, str],
                       strict: str | None, source: str) -> ReturnImported:
    """Import a return from files already read, (name, bytes) each, in `session`'s transaction:
    the one way for the command and the inbox. `strict` names the option that asked for it
    (`--strict`, or the inbox's setting): any bad row then refuses the import whole."""
    plan, reader = read_return(
        files, today=today, allocations=allocations, lead_ids=lead_ids, team=team,
        social_worker=social_worker, timelines=names,
        milestones={name: frozenset(timelines[name].milestone_ids) for name in names})
    if strict and plan.problems:
        count = len(plan.problems)
        raise ImportRefused([*map(str, plan.problems),
                             (f"{strict}: nothing imported; {count} bad row"
                             f"{'s' if count != 1 else ''} to fix")])
    done = ReturnImported(plan, reader.read, reader.ignored, reader.without_episodes())
    write_plan(plan, session=session, today=today, source=source, done=done)
    return done


def write_plan(plan: Plan, *, session: Session, today: date, source: str,
               done: ReturnImported) -> None:
    """Write what differs from the store: new and changed cases, new and changed dates."""
    refs = {case.period.case_ref for case in plan.cases}
    stored = reads.case_rows(session=session, case_refs=refs)
    standing = reads.standing_dates(session=session, case_refs=refs)
    occurrences = reads.occurrence_dates(session=session, milestone=RECURRING, case_refs=refs)

    cases: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    for case in plan.cases:
        row = case.row()
        ref = case.period.case_ref
        known = stored.get(ref)
        if known is None:
            cases.append({**row, **dict.fromkeys(KEPT_FROM_STORE)})
            done.new_cases += 1
        elif any(known[column] != value for column, value in row.items()):
            cases.append({**row, **{column: known[column] for column in KEPT_FROM_STORE}})
            done.changed_cases += 1
        for dated in case.dates:
            if dated.milestone == RECURRING:
                if dated.on in occurrences[ref]:
                    continue
            elif standing.get((ref, dated.milestone)) == (dated.on, dated.kind):
                continue
            events.append({"case_ref": ref, "milestone": dated.milestone,
                           "occurred_on": dated.on, "note": None, "kind": dated.kind,
                           "noted_on": None})
    done.route_changes = writes.import_cases(session=session, cases=cases, today=today,
                                             source=source)
    writes.record_events(session=session, events=events, source=source)
    done.dates = len(events)
