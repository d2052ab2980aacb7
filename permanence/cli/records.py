"""Commands that keep the records: the imports, `record`, `pause` and `extend`. Each checks
everything first and writes in one transaction, so a refusal changes nothing."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from permanence import csvfiles, imports, mappings, row_checks
from permanence.caseload import due_on_day
from permanence.cli.settings import Settings, plain_errors, session_for
from permanence.clock import service_today
from permanence.errors import BadInput, UnknownCase, UnknownMilestone
from permanence.intake import PROBLEMS_SUFFIX, REFUSED, Intake
from permanence.store import reads, writes
from permanence.terminal import err, out


def _warn(warnings: list[str]) -> None:
    for warning in warnings:
        err.print(f"warning: {warning}", markup=False)


MapOption = Annotated[Path | None, typer.Option(
    "--map", metavar="MAPPING", help="A mapping file (YAML): FILE is the source system's own "
                                     "export, read through it (docs/mappings.md).")]


def _import(ctx: typer.Context, kind: str, file: Path, mapping: Path | None = None,
            snapshot: bool = False) -> None:
    """`permanence import KIND FILE [--map MAPPING]`: the import the inbox makes too
    (permanence.imports), its warnings on standard error and what it wrote on standard
    output."""
    settings: Settings = ctx.obj
    translation = None
    if mapping is not None:
        translation = imports.read_mapped(mappings.load_mapping(mapping).describe(kind), file)
        data = translation.data
    else:
        data = imports.read_file(kind, file)
    _warn(data.warnings)
    timelines = settings.timelines()
    with session_for(settings) as session:
        if translation is not None:
            done = imports.import_translated(kind, translation, session=session,
                                             timelines=timelines, today=service_today(),
                                             source=f"import {file.name}", snapshot=snapshot)
        else:
            done = imports.import_rows(kind, data, session=session, timelines=timelines,
                                       today=service_today(), source=f"import {file.name}",
                                       snapshot=snapshot)
    for line in done.lines(file):
        out.print(line, markup=False)


@plain_errors
def import_leads(ctx: typer.Context, file: Annotated[Path, typer.Argument(metavar="FILE")],
                 mapping: MapOption = None) -> None:
    """Import leads: lead_id, name, role, team, notify."""
    _import(ctx, "leads", file, mapping)


@plain_errors
def import_cases(
    ctx: typer.Context, file: Annotated[Path, typer.Argument(metavar="FILE")],
    mapping: MapOption = None,
    snapshot: Annotated[bool, typer.Option(
        "--snapshot", help="FILE holds every open case: an open case in the store that it does "
                           "not hold is listed under data quality (never closed).")] = False,
) -> None:
    """Import cases: case_ref, timeline, team, social_worker, looked_after_on [, child_name,
    date_of_birth, closed_on, sibling_group]. An existing case_ref is replaced whole; a new
    timeline is a route change, kept in the case's history."""
    _import(ctx, "cases", file, mapping, snapshot)


@plain_errors
def import_events(ctx: typer.Context, file: Annotated[Path, typer.Argument(metavar="FILE")],
                  mapping: MapOption = None) -> None:
    """Import milestone dates: case_ref, milestone, occurred_on [, note, kind, noted_on]. kind is
    done (default), planned (a booked date, up to 3 years ahead, known from noted_on) or
    not_applicable. A second done or not_applicable row for the same case and milestone
    replaces the first, which is kept in the history."""
    _import(ctx, "events", file, mapping)


@plain_errors
def record(
    ctx: typer.Context,
    case_ref: Annotated[str, typer.Argument(metavar="CASE_REF")],
    milestone: Annotated[str, typer.Argument(metavar="MILESTONE")],
    on: Annotated[str | None, typer.Option(
        "--on", metavar="DATE", help="The date, YYYY-MM-DD (default today).")] = None,
    note: Annotated[str | None, typer.Option("--note", metavar="TEXT")] = None,
    planned: Annotated[bool, typer.Option(
        "--planned", help="--on is the date the step is booked for (up to 3 years ahead), "
                          "not a completion.")] = False,
    noted_on: Annotated[str | None, typer.Option(
        "--noted-on", metavar="DATE", help="With --planned: the day the booking was known "
                                           "(default today).")] = None,
    not_applicable: Annotated[bool, typer.Option(
        "--not-applicable", help="The step no longer applies to this case, from --on.")] = False,
) -> None:
    """Record that a milestone of a case was completed, is booked for a date (--planned), or
    no longer applies (--not-applicable)."""
    settings: Settings = ctx.obj
    today = service_today()
    if planned and not_applicable:
        raise BadInput("--planned and --not-applicable say different things; give one")
    if noted_on is not None and not planned:
        raise BadInput("--noted-on is the day a booking was known; it needs --planned")
    kind = "planned" if planned else "not_applicable" if not_applicable else "done"
    occurred_on = today if on is None else _date_option(
        on, "--on", today, csvfiles.PLANNED_YEARS_AHEAD if planned else 0)
    known_on = today if noted_on is None else _date_option(noted_on, "--noted-on", today)
    if note is not None and (problem := csvfiles.text_problem("note", note)):
        raise BadInput(f"--{problem}")
    timelines = settings.timelines()
    with session_for(settings) as session:
        cases = reads.case_index(session=session)
        _refuse_event(row_checks.check_event(case_ref, milestone, occurred_on, cases, timelines,
                                             kind))
        facts = reads.load_case_facts(session=session, timelines=timelines,
                                      case_refs=[case_ref])[0]
        writes.record_events(session=session, source="record", events=[{
            "case_ref": case_ref, "milestone": milestone, "occurred_on": occurred_on,
            "note": note, "kind": kind, "noted_on": known_on if planned else None}])
    if planned:
        out.print(f"Booked {milestone} for {case_ref} on {occurred_on} (known from "
                  f"{known_on}).", markup=False)
        return
    replaced = facts.completions.get(milestone) or facts.not_applicable.get(milestone)
    extra = f" (replaces {replaced}, kept in the history)" if replaced else ""
    if not_applicable:
        out.print(f"Marked {milestone} of {case_ref} not applicable from {occurred_on}{extra}.",
                  markup=False)
    else:
        out.print(f"Recorded {milestone} for {case_ref} on {occurred_on}{extra}.", markup=False)


def _date_option(text: str, option: str, today: date, years_ahead: int = 0) -> date:
    """A date option as a plain sentence on failure; up to `years_ahead` years after today."""
    try:
        return csvfiles.parse_future_date(text, option, today, years_ahead)
    except ValueError as error:
        raise BadInput(str(error)) from None


def _refuse_event(reason: str | None) -> None:
    """An unknown case or milestone as its own error kind; any other reason as bad input."""
    if reason is not None:
        kind = (UnknownCase if reason.startswith("unknown case")
                else UnknownMilestone if reason.startswith("unknown milestone") else BadInput)
        raise kind(reason)


@plain_errors
def pause(
    ctx: typer.Context,
    case_ref: Annotated[str, typer.Argument(metavar="CASE_REF")],
    paused_from: Annotated[str, typer.Option("--from", metavar="DATE",
                                             help="The first paused day, YYYY-MM-DD.")],
    reason: Annotated[str, typer.Option("--reason", metavar="TEXT")],
    paused_to: Annotated[str | None, typer.Option(
        "--to", metavar="DATE", help="The last paused day (may be ahead); leave out while "
                                     "the pause lasts.")] = None,
) -> None:
    """Pause a case's clocks (a hearing adjourned, say): its due dates move on by the paused
    days. Recording a pause again with the same --from replaces it, which is how an open pause
    is closed."""
    settings: Settings = ctx.obj
    today = service_today()
    first = _date_option(paused_from, "--from", today)
    last = (None if paused_to is None
            else _date_option(paused_to, "--to", today, csvfiles.PLANNED_YEARS_AHEAD))
    _refuse_text("reason", reason)
    with session_for(settings) as session:
        problems = row_checks.pause_problems(case_ref, first, last,
                                             reads.case_index(session=session))
        if problems:  # said with the command's option names, not the CSV's columns
            _refuse_event("; ".join(problems).replace("paused_from", "--from")
                          .replace("paused_to", "--to"))
        writes.record_pauses(session=session, source="pause", pauses=[{
            "case_ref": case_ref, "paused_from": first, "paused_to": last, "reason": reason}])
    until = f"to {last}" if last else "until it is closed (pause again with --to)"
    out.print(f"Paused {case_ref} from {first} {until}: {reason}", markup=False)


@plain_errors
def extend(
    ctx: typer.Context,
    case_ref: Annotated[str, typer.Argument(metavar="CASE_REF")],
    milestone: Annotated[str, typer.Argument(metavar="MILESTONE")],
    extended_to: Annotated[str, typer.Option("--to", metavar="DATE",
                                             help="The agreed new due date, YYYY-MM-DD.")],
    approved_by: Annotated[str, typer.Option("--approved-by", metavar="LEAD_ID")],
    reason: Annotated[str, typer.Option("--reason", metavar="TEXT")],
    approved_on: Annotated[str | None, typer.Option(
        "--on", metavar="DATE", help="The day it was agreed (default today).")] = None,
) -> None:
    """Record a new due date for one milestone, agreed by a lead; it stands from the day it
    was agreed and must come after the due date it replaces."""
    settings: Settings = ctx.obj
    today = service_today()
    agreed = _date_option(extended_to, "--to", today, csvfiles.PLANNED_YEARS_AHEAD)
    day = today if approved_on is None else _date_option(approved_on, "--on", today)
    _refuse_text("reason", reason)
    timelines = settings.timelines()
    with session_for(settings) as session:
        if approved_by not in reads.lead_ids(session=session):
            raise BadInput(f"--approved-by {approved_by!r} is not a known lead_id")
        _refuse_event(row_checks.extension_problem(
            case_ref, milestone, day, agreed, reads.case_index(session=session), timelines,
            due_on_day(session, timelines)))
        writes.record_extensions(session=session, source="extend", extensions=[{
            "case_ref": case_ref, "milestone": milestone, "extended_to": agreed,
            "approved_by": approved_by, "approved_on": day, "reason": reason}])
    out.print(f"Extended {milestone} of {case_ref} to {agreed}, agreed by {approved_by} on "
              f"{day}: {reason}", markup=False)


def _refuse_text(option: str, value: str) -> None:
    if not value.strip():
        raise BadInput(f"--{option} is empty; say why")
    if (problem := csvfiles.text_problem(option, value)) is not None:
        raise BadInput(f"--{problem}")


@plain_errors
def import_pauses(ctx: typer.Context, file: Annotated[Path, typer.Argument(metavar="FILE")],
                  mapping: MapOption = None) -> None:
    """Import pauses: case_ref, paused_from, paused_to (may be empty), reason. A pause of a
    case from the same day replaces the one recorded before."""
    _import(ctx, "pauses", file, mapping)


@plain_errors
def import_extensions(ctx: typer.Context,
                      file: Annotated[Path, typer.Argument(metavar="FILE")],
                      mapping: MapOption = None) -> None:
    """Import agreed extensions: case_ref, milestone, extended_to, approved_by, approved_on,
    reason."""
    _import(ctx, "extensions", file, mapping)


@plain_errors
def import_inbox(
    ctx: typer.Context,
    url: Annotated[str | None, typer.Argument(
        metavar="URL", help="The inbox: a folder or an fsspec URL (default: "
                            "$PERMANENCE_INBOX).")] = None,
    mapping: Annotated[str | None, typer.Option(
        "--map", metavar="MAPPING", help="A mapping file the inbox's files are read through "
                                         "(default: $PERMANENCE_INBOX_MAP).")] = None,
) -> None:
    """Import every new extract in the inbox, as the daily check does before it evaluates: in
    dependency order (leads, cases, events, pauses, extensions, by the start of each name), each
    all or nothing, no content twice; names starting with . or ending .tmp or .part are left
    for the next run. Imported files move to archive/, refused ones to quarantine/ with their
    problems beside them. A cases file named with the word snapshot holds every open case. An
    SSDA903 return's files, known by their headers, import together after leads and cases, with
    the options of $PERMANENCE_INBOX_SSDA903_*."""
    from permanence.config import (
        check_wait,
        inbox_map,
        inbox_ssda903,
        inbox_stale_days,
        inbox_url,
    )
    from permanence.inbox import take_in
    from permanence.store.lock import check_lock

    settings: Settings = ctx.obj
    timelines = settings.timelines()
    engine = settings.engine()  # the rules and the store refused first, as by every command
    url = url or inbox_url()
    if not url:
        raise BadInput("name the inbox: permanence import inbox URL, or set PERMANENCE_INBOX to "
                       "its folder or fsspec URL")
    today = service_today()
    stale_after = inbox_stale_days()
    with check_lock(engine, wait=check_wait(),
                    waiting=lambda line: err.print(line, markup=False)):
        intake = take_in(engine, url, timelines=timelines, today=today, as_of=today,
                         stale_after=stale_after, mapping=mapping or inbox_map(),
                         ssda903=inbox_ssda903())
    _print_intake(intake)
    if intake.unreadable or intake.refused:
        raise typer.Exit(1)


def _print_intake(intake: Intake) -> None:
    """What the inbox did, file by file: imports on standard output, refusals (every problem)
    and staleness on standard error."""
    if intake.unreadable:
        err.print(intake.unreadable, markup=False)
    for file in intake.taken:
        _warn(file.warnings)
        if file.outcome == REFUSED:
            for problem in file.lines:
                err.print(problem, markup=False)
            err.print(f"{file.name}: refused, nothing imported; moved to {file.moved_to}, its "
                      f"problems in {file.moved_to}{PROBLEMS_SUFFIX}", markup=False)
            continue
        for problem in file.problems:  # an SSDA903 return's bad rows: children left out
            err.print(problem, markup=False)
        for line in file.lines:
            out.print(line, markup=False)
        out.print(f"{file.name}: moved to {file.moved_to}"
                  + (f", its problems in {file.moved_to}{PROBLEMS_SUFFIX}" if file.problems
                     else ""), markup=False)
    for name in intake.left:
        out.print(f"{name}: left for the next run (a temporary name: still being written)",
                  markup=False)
    if not intake.taken and not intake.unreadable:
        out.print(f"No new file in the inbox {intake.inbox}.", markup=False)
    if intake.stale:
        err.print(f"stale: {intake.stale}", markup=False)
