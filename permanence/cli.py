"""The `permanence` command line: a thin edge over the store and the pure core.

Every mistake a user can make ends in one plain line per problem on standard error and a
non-zero exit, never a traceback, and changes nothing.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from enum import StrEnum
from functools import wraps
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DatabaseError
from sqlmodel import Session

from permanence import csvfiles, store
from permanence.caseload import due_on_day, evaluate_known, read_caseload
from permanence.check import require_prefect_server, run_check
from permanence.clock import service_today
from permanence.config import CheckConfig, rules_from_environment
from permanence.errors import BadInput, PermanenceError, UnknownCase, UnknownMilestone
from permanence.evaluate import MilestoneStatus, case_is_open
from permanence.terminal import (
    err,
    out,
    print_check_summary,
    print_history,
    print_status_csv,
    print_status_json,
    print_status_table,
    print_timeline,
)
from permanence.timelines import Timeline, load_timelines, validate_rule_files

app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
                  rich_markup_mode=None,
                  help="Tracks each child's permanence milestones against rule-defined timelines.")
rules_app = typer.Typer(no_args_is_help=True, help="Check rule files.")
import_app = typer.Typer(no_args_is_help=True,
                         help="Import a CSV file of cases, events, leads, pauses or extensions.")
app.add_typer(rules_app, name="rules")
app.add_typer(import_app, name="import")



@dataclass
class Settings:
    """The global options, resolved lazily so `--help` and `rules validate` need no store."""

    db: str | None
    rules: list[Path] = field(default_factory=list)
    _engine: Engine | None = None
    _timelines: dict[str, Timeline] | None = None

    @property
    def url(self) -> str:
        return store.database_url(self.db)

    def engine(self, *, require_schema: bool = True) -> Engine:
        """The store, opened once the rules named are known to be usable: no command runs
        against a store while a named rule file is missing or broken (a vanished override
        would otherwise go unnoticed until the check moved children's dates)."""
        self.timelines()
        if self._engine is None:
            self._engine = store.make_engine(self.url)
        if require_schema:
            store.require_schema(self._engine)
        return self._engine

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    def timelines(self) -> dict[str, Timeline]:
        if self._timelines is None:
            self._timelines = load_timelines(self.rules)
        return self._timelines


F = TypeVar("F", bound=Callable[..., Any])


def plain_errors(command: F) -> F:
    """Turn a user's mistake into plain lines on stderr and exit 1."""

    @wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except PermanenceError as error:
            for line in error.problems:
                err.print(line, markup=False)
            raise typer.Exit(1) from None
        except DatabaseError as error:
            reason = " ".join(str(error.orig).split())
            err.print(f"the store could not be used: {reason}", markup=False)
            raise typer.Exit(1) from None

    return run  # type: ignore[return-value]


# Records start in 1900 (imports refuse earlier dates); a century is left before the end of the
# calendar for due dates, escalations and the report's four weeks ahead.
AS_OF_RANGE = (date(1900, 1, 1), date(9899, 12, 31))


def parse_as_of(text: str | None, option: str = "--as-of") -> date:
    if text is None:
        return service_today()
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        raise BadInput(f"{option} {text!r} is not a date in the form YYYY-MM-DD")
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise BadInput(f"{option} {text!r} is not a real date") from None
    if not AS_OF_RANGE[0] <= day <= AS_OF_RANGE[1]:
        raise BadInput(f"{option} {day} is outside the dates this tool works with "
                       f"({AS_OF_RANGE[0]} to {AS_OF_RANGE[1]}); check the year")
    return day


@contextmanager
def session_for(settings: Settings) -> Iterator[Session]:
    """One transaction: committed if the block finishes, rolled back on any error."""
    with Session(settings.engine()) as session, session.begin():
        yield session


@app.callback()
def global_options(
    ctx: typer.Context,
    db: Annotated[str | None, typer.Option(
        "--db", metavar="URL",
        help="Store URL (default: $PERMANENCE_DB, then sqlite:///permanence.db).")] = None,
    rules: Annotated[list[Path] | None, typer.Option(
        "--rules", metavar="PATH",
        help="Rule file or folder added to the built-ins (repeatable); replaces a built-in "
             "timeline of the same name.")] = None,
) -> None:
    ctx.obj = settings = Settings(db=db, rules=[*rules_from_environment(), *(rules or [])])
    ctx.call_on_close(settings.close)


@app.command()
@plain_errors
def init(ctx: typer.Context) -> None:
    """Create the store, or upgrade one an earlier release wrote, keeping every row (safe to
    run again)."""
    settings: Settings = ctx.obj
    engine = settings.engine(require_schema=False)
    before, after = store.init_schema(engine)
    if before is not None and before != after:
        out.print(f"Upgraded the store's schema from {before} to {after}; every row kept.")
    out.print(f"Store ready: {engine.url.render_as_string()}")


@app.command()
@plain_errors
def purge(
    ctx: typer.Context,
    closed_before: Annotated[str, typer.Option(
        "--closed-before", metavar="DATE",
        help="YYYY-MM-DD: cases closed before this day lose their names and dates of birth.")],
) -> None:
    """Remove children's names and dates of birth from cases closed before a date; their
    milestones stay, so the measures stay whole."""
    settings: Settings = ctx.obj
    day = parse_as_of(closed_before, option="--closed-before")
    with session_for(settings) as session:
        changed = store.purge_personal_data(session=session, closed_before=day)
    children = "1 child" if changed == 1 else f"{changed} children"
    out.print(f"Removed the names and dates of birth of {children} whose cases closed before "
              f"{day}; their milestones are kept.", markup=False)


@rules_app.command("validate")
@plain_errors
def rules_validate(paths: Annotated[list[Path], typer.Argument(metavar="PATH...")]) -> None:
    """Check rule files (or folders of them); exit 0, or 1 with one line per problem."""
    timelines, problems = validate_rule_files(paths)
    if problems:
        raise PermanenceError(problems)
    for timeline in timelines:
        out.print(f"{timeline.path}: ok ({timeline.name} {timeline.version}, "
                  f"{len(timeline.milestones)} milestones)", markup=False)


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _warn(warnings: list[str]) -> None:
    for warning in warnings:
        err.print(f"warning: {warning}", markup=False)


@import_app.command("leads")
@plain_errors
def import_leads(ctx: typer.Context, file: Annotated[Path, typer.Argument(metavar="FILE")]) -> None:
    """Import leads: lead_id, name, role, team, notify."""
    settings: Settings = ctx.obj
    from permanence.notifications.delivery import check_url

    data = csvfiles.read_csv(file, csvfiles.LEAD_COLUMNS, ())
    _warn(data.warnings)
    leads = csvfiles.check_leads(data, url_problem=check_url)
    with session_for(settings) as session:
        store.import_leads(session=session, leads=leads)
    out.print(f"Imported {plural(len(leads), 'lead')} from {file}.", markup=False)


@import_app.command("cases")
@plain_errors
def import_cases(ctx: typer.Context, file: Annotated[Path, typer.Argument(metavar="FILE")]) -> None:
    """Import cases: case_ref, timeline, team, social_worker, looked_after_on [, child_name,
    date_of_birth, closed_on, sibling_group]. An existing case_ref is replaced whole; a new
    timeline is a route change, kept in the case's history."""
    settings: Settings = ctx.obj
    timelines = settings.timelines()
    data = csvfiles.read_csv(file, csvfiles.CASE_COLUMNS, csvfiles.CASE_OPTIONAL)
    _warn(data.warnings)
    with session_for(settings) as session:
        cases = csvfiles.check_cases(data, timelines=timelines,
                                     lead_ids=store.lead_ids(session=session),
                                     today=service_today(),
                                     earliest_events=store.earliest_events(session=session))
        routes = store.import_cases(session=session, cases=cases, today=service_today(),
                                    source=f"import {file.name}")
    out.print(f"Imported {plural(len(cases), 'case')} from {file}.", markup=False)
    for case_ref, old, new in routes:
        out.print(f"{case_ref}: route changed from {old} to {new}; its history keeps the old "
                  "route and every date recorded.", markup=False)


@import_app.command("events")
@plain_errors
def import_events(ctx: typer.Context,
                  file: Annotated[Path, typer.Argument(metavar="FILE")]) -> None:
    """Import milestone dates: case_ref, milestone, occurred_on [, note, kind, noted_on]. kind is
    done (default), planned (a booked date, up to 3 years ahead, known from noted_on) or
    not_applicable. A second done or not_applicable row for the same case and milestone
    replaces the first, which is kept in the history."""
    settings: Settings = ctx.obj
    timelines = settings.timelines()
    data = csvfiles.read_csv(file, csvfiles.EVENT_COLUMNS, csvfiles.EVENT_OPTIONAL)
    _warn(data.warnings)
    with session_for(settings) as session:
        events = csvfiles.check_events(data, cases=store.case_index(session=session),
                                       timelines=timelines, today=service_today())
        store.record_events(session=session, events=events, source=f"import {file.name}")
    out.print(f"Imported {plural(len(events), 'event')} from {file}.", markup=False)


@app.command()
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
        cases = store.case_index(session=session)
        _refuse_event(csvfiles.check_event(case_ref, milestone, occurred_on, cases, timelines,
                                           kind))
        facts = store.load_case_facts(session=session, timelines=timelines,
                                      case_refs=[case_ref])[0]
        store.record_events(session=session, source="record", events=[{
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


@app.command()
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
        problems = csvfiles.pause_problems(case_ref, first, last,
                                           store.case_index(session=session))
        if problems:  # said with the command's option names, not the CSV's columns
            _refuse_event("; ".join(problems).replace("paused_from", "--from")
                          .replace("paused_to", "--to"))
        store.record_pauses(session=session, source="pause", pauses=[{
            "case_ref": case_ref, "paused_from": first, "paused_to": last, "reason": reason}])
    until = f"to {last}" if last else "until it is closed (pause again with --to)"
    out.print(f"Paused {case_ref} from {first} {until}: {reason}", markup=False)


@app.command()
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
        if approved_by not in store.lead_ids(session=session):
            raise BadInput(f"--approved-by {approved_by!r} is not a known lead_id")
        _refuse_event(csvfiles.extension_problem(
            case_ref, milestone, day, agreed, store.case_index(session=session), timelines,
            due_on_day(session, timelines)))
        store.record_extensions(session=session, source="extend", extensions=[{
            "case_ref": case_ref, "milestone": milestone, "extended_to": agreed,
            "approved_by": approved_by, "approved_on": day, "reason": reason}])
    out.print(f"Extended {milestone} of {case_ref} to {agreed}, agreed by {approved_by} on "
              f"{day}: {reason}", markup=False)


def _refuse_text(option: str, value: str) -> None:
    if not value.strip():
        raise BadInput(f"--{option} is empty; say why")
    if (problem := csvfiles.text_problem(option, value)) is not None:
        raise BadInput(f"--{problem}")


@import_app.command("pauses")
@plain_errors
def import_pauses(ctx: typer.Context,
                  file: Annotated[Path, typer.Argument(metavar="FILE")]) -> None:
    """Import pauses: case_ref, paused_from, paused_to (may be empty), reason. A pause of a
    case from the same day replaces the one recorded before."""
    settings: Settings = ctx.obj
    data = csvfiles.read_csv(file, ("case_ref", "paused_from", "reason"), ("paused_to",))
    _warn(data.warnings)
    with session_for(settings) as session:
        pauses = csvfiles.check_pauses(data, cases=store.case_index(session=session),
                                       today=service_today())
        store.record_pauses(session=session, pauses=pauses, source=f"import {file.name}")
    out.print(f"Imported {plural(len(pauses), 'pause')} from {file}.", markup=False)


@import_app.command("extensions")
@plain_errors
def import_extensions(ctx: typer.Context,
                      file: Annotated[Path, typer.Argument(metavar="FILE")]) -> None:
    """Import agreed extensions: case_ref, milestone, extended_to, approved_by, approved_on,
    reason."""
    settings: Settings = ctx.obj
    timelines = settings.timelines()
    data = csvfiles.read_csv(file, csvfiles.EXTENSION_COLUMNS, ())
    _warn(data.warnings)
    with session_for(settings) as session:
        extensions = csvfiles.check_extensions(
            data, cases=store.case_index(session=session), timelines=timelines,
            lead_ids=store.lead_ids(session=session), today=service_today(),
            due_on=due_on_day(session, timelines))
        store.record_extensions(session=session, extensions=extensions,
                                source=f"import {file.name}")
    out.print(f"Imported {plural(len(extensions), 'extension')} from {file}.", markup=False)


class OutputFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


def _evaluate(settings: Settings, as_of: date, team: str | None = None,
              case_refs: list[str] | None = None) -> list[MilestoneStatus]:
    timelines = settings.timelines()
    with Session(settings.engine()) as session:
        if team is not None:
            require_team(session, team)
        facts = store.load_case_facts(session=session, timelines=timelines, team=team,
                                      case_refs=case_refs)
        leads = store.lead_roles(session=session)
    return evaluate_known(timelines, facts, leads, as_of).statuses


def require_team(session: Session, team: str) -> None:
    """A --team that no case has is a typo, not an empty team."""
    teams = store.teams(session=session)
    if team not in teams:
        raise BadInput(f"no case is in team {team!r}; the teams are: {', '.join(teams)}")


@app.command()
@plain_errors
def status(
    ctx: typer.Context,
    as_of: Annotated[str | None, typer.Option("--as-of", metavar="DATE",
                                              help="YYYY-MM-DD (default today).")] = None,
    team: Annotated[str | None, typer.Option("--team", metavar="TEAM")] = None,
    output: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.table,
) -> None:
    """Every open case's milestones, with Red/Amber/Green status."""
    settings: Settings = ctx.obj
    day = parse_as_of(as_of)
    rows = _evaluate(settings, day, team=team)
    if output is OutputFormat.json:
        print_status_json(rows)
    elif output is OutputFormat.csv:
        print_status_csv(rows)
    else:
        print_status_table(rows, day, team)


@app.command()
@plain_errors
def timeline(
    ctx: typer.Context,
    case_ref: Annotated[str, typer.Argument(metavar="CASE_REF")],
    as_of: Annotated[str | None, typer.Option("--as-of", metavar="DATE",
                                              help="YYYY-MM-DD (default today).")] = None,
) -> None:
    """One child's timeline: milestones in order, their dates, due dates and colours."""
    settings: Settings = ctx.obj
    day = parse_as_of(as_of)
    with Session(settings.engine()) as session:
        case = store.get_case(session=session, case_ref=case_ref)
        if case is None:
            raise UnknownCase(f"unknown case {case_ref!r}")
        facts = store.load_case_facts(session=session, timelines=settings.timelines(),
                                      case_refs=[case_ref])[0]
        life = store.case_life(session=session, case_ref=case_ref)
    note = ""
    if facts.looked_after_on > day:
        raise BadInput(f"case {case_ref} became looked after on {facts.looked_after_on}, after "
                       f"--as-of {day}")
    if not case_is_open(facts, day):
        assert facts.closed_on is not None
        if facts.closed_on <= facts.looked_after_on:
            raise BadInput(f"case {case_ref} was closed on {facts.closed_on}, the day it became "
                           "looked after: it was never open, so it has no timeline")
        note = f"closed on {facts.closed_on}; shown as it stood the day before"
        day = facts.closed_on - timedelta(days=1)
    rows = _evaluate(settings, day, case_refs=[case_ref])
    rules = settings.timelines().get(facts.timeline)
    if rules is None:
        raise PermanenceError(f"case {case_ref} is on timeline {facts.timeline!r}, which no rule "
                              "file defines; pass its file with --rules")
    print_timeline(facts, rules, rows, day, note, life)


@app.command()
@plain_errors
def history(
    ctx: typer.Context,
    case_ref: Annotated[str, typer.Argument(metavar="CASE_REF")],
    milestone: Annotated[str | None, typer.Option("--milestone", metavar="MILESTONE")] = None,
) -> None:
    """A case's history: every date recorded (completions, bookings, steps marked not
    applicable, corrections included), its pauses, extensions, route changes and siblings, and
    every change of status the daily check stored."""
    settings: Settings = ctx.obj
    with Session(settings.engine()) as session:
        case = store.get_case(session=session, case_ref=case_ref)
        if case is None:
            raise UnknownCase(f"unknown case {case_ref!r}")
        rules = settings.timelines().get(case.timeline)
        if milestone is not None and rules is not None and rules.milestone(milestone) is None:
            raise UnknownMilestone(f"unknown milestone {milestone!r} for timeline "
                                   f"{case.timeline} (its milestones: "
                                   f"{', '.join(rules.milestone_ids)})")
        events = store.milestone_history(session=session, case_ref=case_ref, milestone=milestone)
        changes = store.status_history(session=session, case_ref=case_ref, milestone=milestone)
        life = store.case_life(session=session, case_ref=case_ref, milestone=milestone)
    print_history(case_ref, events, changes, life)


@app.command()
@plain_errors
def check(
    ctx: typer.Context,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", metavar="DATE", help="YYYY-MM-DD (default today, Europe/London).")] = None,
    no_notify: Annotated[bool, typer.Option("--no-notify",
                                            help="Evaluate and store; tell nobody.")] = False,
) -> None:
    """Run the daily drift check flow: evaluate, store changes, notify on transitions."""
    settings: Settings = ctx.obj
    day = parse_as_of(as_of)
    environment = CheckConfig.from_environment()
    config = replace(environment, db=settings.url, rules=tuple(settings.rules),
                     notify=environment.notify and not no_notify)
    summary = run_check(config, day)
    print_check_summary(summary)
    if summary.failures:
        raise typer.Exit(1)


@app.command()
@plain_errors
def demo(
    folder: Annotated[Path | None, typer.Option(
        "--dir", metavar="DIR", help="Folder for the demo's SQLite store (default: a new "
                                     "temporary folder).")] = None,
) -> None:
    """The main job end to end on sample data: import, four weeks of daily checks with real
    deliveries to a local receiver, each lead's messages, and the RAG board."""
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    from permanence.demo import run_demo

    raise typer.Exit(run_demo(out, folder, service_today()))


@app.command()
@plain_errors
def serve(ctx: typer.Context) -> None:
    """Run the daily drift check every morning at 07:00 Europe/London from this machine
    (needs PREFECT_API_URL set to a running Prefect server)."""
    settings: Settings = ctx.obj
    CheckConfig.from_environment()  # each run reads it: a bad value is refused now, not at 07:00
    if not os.environ.get("PREFECT_API_URL"):
        raise BadInput("set PREFECT_API_URL to a running Prefect server first (start one with "
                       "`prefect server start`, then export "
                       "PREFECT_API_URL=http://127.0.0.1:4200/api)")
    settings.timelines()
    store.require_schema(settings.engine())
    require_prefect_server(os.environ["PREFECT_API_URL"])
    os.environ["PERMANENCE_DB"] = settings.url
    if settings.rules:
        os.environ["PERMANENCE_RULES"] = os.pathsep.join(str(p) for p in settings.rules)
    from permanence.deployments.serve import serve as serve_daily_check

    serve_daily_check()


class MeasuresFormat(StrEnum):
    json = "json"
    csv = "csv"


@app.command()
@plain_errors
def report(
    ctx: typer.Context,
    out_dir: Annotated[Path, typer.Option("--out", metavar="DIR",
                                          help="Folder to write the report into (created if "
                                               "missing); open DIR/index.html.")],
    as_of: Annotated[str | None, typer.Option("--as-of", metavar="DATE",
                                              help="YYYY-MM-DD (default today).")] = None,
    team: Annotated[str | None, typer.Option("--team", metavar="TEAM")] = None,
    with_names: Annotated[bool, typer.Option(
        "--with-names", help="Show children's names; the report is then marked as containing "
                             "personal data.")] = False,
) -> None:
    """Write the HTML report: RAG board, oldest drift, four-week forecast, run charts of the
    measures, data quality and every open case's timeline, as static pages that fetch
    nothing."""
    from permanence.report import write_report_from_store

    settings: Settings = ctx.obj
    day = parse_as_of(as_of)
    index = write_report_from_store(settings.engine(), settings.timelines(), day, out_dir, team,
                                    with_names)
    note = " It contains children's names: personal data." if with_names else ""
    out.print(f"Wrote the report for {day} ({f'team {team}' if team else 'all teams'}) to "
              f"{index}.{note}", markup=False, soft_wrap=True)


@app.command()
@plain_errors
def measures(
    ctx: typer.Context,
    as_of: Annotated[str | None, typer.Option("--as-of", metavar="DATE",
                                              help="YYYY-MM-DD (default today).")] = None,
    team: Annotated[str | None, typer.Option("--team", metavar="TEAM")] = None,
    output: Annotated[MeasuresFormat, typer.Option("--format")] = MeasuresFormat.json,
) -> None:
    """The report's figures as data: days from anchor per milestone and month (n, median, p90,
    share on time) and journey times; JSON adds the RAG counts, the four-week forecast, the
    data-quality items, the extensions granted and the steps at risk."""
    from permanence import measures as figures

    settings: Settings = ctx.obj
    day = parse_as_of(as_of)
    engine = settings.engine()
    timelines = settings.timelines()
    caseload = read_caseload(engine, timelines, team)
    evaluation = evaluate_known(timelines, caseload.facts, caseload.leads, day)
    measured = figures.measure(timelines=timelines, facts=caseload.facts, evaluation=evaluation,
                               lead_ids={lead[0] for lead in caseload.leads}, as_of=day,
                               team=team)
    if output is MeasuresFormat.json:
        sys.stdout.write(json.dumps(measured.as_json(), indent=1) + "\n")
        return
    writer = csvfiles.SafeWriter(sys.stdout)
    writer.writerow(figures.CSV_COLUMNS)
    writer.writerows(figures.csv_rows(measured))


def main() -> None:
    app()
