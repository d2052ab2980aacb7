"""Commands that show the store without changing it: `status`, `timeline`, `history`,
`report` and `measures`."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from datetime import date, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from sqlmodel import Session

from permanence import csvfiles
from permanence.caseload import evaluate_in_turn, evaluate_known, read_caseload
from permanence.cli.settings import Settings, parse_as_of, plain_errors
from permanence.collector import collector_paused
from permanence.errors import BadInput, PermanenceError, UnknownCase, UnknownMilestone
from permanence.evaluate import CaseFacts, MilestoneStatus, Status, case_is_open
from permanence.measures.figures import CSV_COLUMNS, csv_rows, measure
from permanence.store import reads
from permanence.store.annotations import list_annotations
from permanence.store.explanations import explanations
from permanence.store.history import case_life, milestone_history, status_history
from permanence.terminal import (
    out,
    print_history,
    print_status_csv,
    print_status_json,
    print_status_table,
    print_timeline,
)
from permanence.timelines import Timeline


class OutputFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


def _evaluate(settings: Settings, as_of: date, team: str | None = None,
              case_refs: list[str] | None = None) -> list[MilestoneStatus]:
    timelines, facts, leads = _caseload(settings, team, case_refs)
    return evaluate_known(timelines, facts, leads, as_of).statuses


def _caseload(settings: Settings, team: str | None, case_refs: list[str] | None = None,
              ) -> tuple[dict[str, Timeline], list[CaseFacts], list[tuple[str, str, str]]]:
    """The rules, the cases' facts (of one team, or some cases) and the leads' roles."""
    timelines = settings.timelines()
    with Session(settings.engine()) as session:
        if team is not None:
            require_team(session, team)
        facts = reads.load_case_facts(session=session, timelines=timelines, team=team,
                                      case_refs=case_refs)
        leads = reads.lead_roles(session=session)
    return timelines, facts, leads


def require_team(session: Session, team: str) -> None:
    """A --team that no case has is a typo, not an empty team."""
    teams = reads.teams(session=session)
    if team not in teams:
        raise BadInput(f"no case is in team {team!r}; the teams are: {', '.join(teams)}")


def parse_statuses(text: str) -> frozenset[Status]:
    """`red,amber` as statuses; an unknown one names every status there is."""
    known = {str(status): status for status in Status}
    wanted = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [part for part in wanted if part not in known]
    if unknown or not wanted:
        raise BadInput(f"--status {text!r}: expected statuses separated by commas, from: "
                       f"{', '.join(known)}")
    return frozenset(known[part] for part in wanted)


@plain_errors
def status(
    ctx: typer.Context,
    as_of: Annotated[str | None, typer.Option("--as-of", metavar="DATE",
                                              help="YYYY-MM-DD (default today).")] = None,
    team: Annotated[str | None, typer.Option("--team", metavar="TEAM")] = None,
    statuses: Annotated[str | None, typer.Option(
        "--status", metavar="STATUS,...",
        help="Only milestones in these statuses, e.g. red,amber.")] = None,
    lead: Annotated[str | None, typer.Option(
        "--lead", metavar="LEAD_ID",
        help="Only the milestones this lead owns or has been escalated to.")] = None,
    output: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.table,
) -> None:
    """Every open case's milestones, with Red/Amber/Green status: the table names steps and
    people; JSON and CSV give the ids of the contract."""
    settings: Settings = ctx.obj
    day = parse_as_of(as_of)
    wanted = parse_statuses(statuses) if statuses is not None else None
    with Session(settings.engine()) as session:
        names = reads.lead_names(session=session)
    if lead is not None and lead not in names:
        raise BadInput(f"--lead {lead!r}: no lead has that id")
    rows: Iterable[MilestoneStatus] = evaluate_in_turn(*_caseload(settings, team), day)
    if wanted is not None or lead is not None:
        rows = (row for row in rows if (wanted is None or row.status in wanted)
                and (lead is None or row.owner == lead or lead in row.escalated_to))
    with collector_paused():  # a million short-lived rows, as in evaluate()
        if output is OutputFormat.json:
            print_status_json(rows)
        elif output is OutputFormat.csv:
            print_status_csv(rows)
        else:
            print_status_table(list(rows), day, team, names,
                               filtered=wanted is not None or lead is not None)


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
        case = reads.get_case(session=session, case_ref=case_ref)
        if case is None:
            raise UnknownCase(f"unknown case {case_ref!r}")
        facts = reads.load_case_facts(session=session, timelines=settings.timelines(),
                                      case_refs=[case_ref])[0]
        life = case_life(session=session, case_ref=case_ref)
        explained = explanations(session=session, case_refs=[case_ref])
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
    print_timeline(facts, rules, rows, day, note, life, explained)


@plain_errors
def history(
    ctx: typer.Context,
    case_ref: Annotated[str, typer.Argument(metavar="CASE_REF")],
    milestone: Annotated[str | None, typer.Option("--milestone", metavar="MILESTONE")] = None,
) -> None:
    """A case's history: every date recorded (completions, bookings, steps marked not
    applicable, corrections included), its pauses, extensions, explanations of drifting steps,
    route changes and siblings, and every change of status the daily check stored."""
    settings: Settings = ctx.obj
    with Session(settings.engine()) as session:
        case = reads.get_case(session=session, case_ref=case_ref)
        if case is None:
            raise UnknownCase(f"unknown case {case_ref!r}")
        rules = settings.timelines().get(case.timeline)
        if milestone is not None and rules is not None and rules.milestone(milestone) is None:
            raise UnknownMilestone(f"unknown milestone {milestone!r} for timeline "
                                   f"{case.timeline} (its milestones: "
                                   f"{', '.join(rules.milestone_ids)})")
        events = milestone_history(session=session, case_ref=case_ref, milestone=milestone)
        changes = status_history(session=session, case_ref=case_ref, milestone=milestone)
        life = case_life(session=session, case_ref=case_ref, milestone=milestone)
        explained = explanations(session=session, case_refs=[case_ref], milestone=milestone)
    print_history(case_ref, events, changes, life, explained)


class MeasuresFormat(StrEnum):
    json = "json"
    csv = "csv"


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


@plain_errors
def measures(
    ctx: typer.Context,
    as_of: Annotated[str | None, typer.Option("--as-of", metavar="DATE",
                                              help="YYYY-MM-DD (default today).")] = None,
    team: Annotated[str | None, typer.Option("--team", metavar="TEAM")] = None,
    output: Annotated[MeasuresFormat, typer.Option("--format")] = MeasuresFormat.json,
) -> None:
    """The report's figures as data: days from anchor per milestone and month (n, median, p90),
    the clocks that fell due each month (on time, late, still open) and the share on time,
    and journey times; JSON adds the RAG counts, the four-week forecast, the data-quality
    items, the extensions granted, the steps at risk and the improvement changes recorded
    (`annotate`) up to the as-of date."""
    settings: Settings = ctx.obj
    day = parse_as_of(as_of)
    engine = settings.engine()
    timelines = settings.timelines()
    caseload = read_caseload(engine, timelines, team)
    with Session(engine) as session:
        changes = list_annotations(session=session)
        explained = explanations(session=session, team=team)
    evaluation = evaluate_known(timelines, caseload.facts, caseload.leads, day)
    measured = measure(timelines=timelines, facts=caseload.facts, evaluation=evaluation,
                       lead_ids={lead[0] for lead in caseload.leads}, as_of=day, team=team,
                       annotations=changes, explanations=explained)
    if output is MeasuresFormat.json:
        sys.stdout.write(json.dumps(measured.as_json(), indent=1) + "\n")
        return
    writer = csvfiles.SafeWriter(sys.stdout)
    writer.writerow(CSV_COLUMNS)
    writer.writerows(csv_rows(measured))
