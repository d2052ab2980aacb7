"""Writing a report: what each page is given, in the order the pages are written.

The pages link to each other (the index to every drift and timeline page, drift rows to the
timeline page holding their case), so the timeline pages come first and tell the others where
each case is.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any, NamedTuple

from markupsafe import Markup
from sqlalchemy.engine import Engine
from sqlmodel import Session

from permanence import csvfiles
from permanence.caseload import read_caseload, refuse_unknown_timelines
from permanence.collector import collector_paused
from permanence.errors import ReportError
from permanence.evaluate import (
    CaseFacts,
    Evaluation,
    LeadDirectory,
    MilestoneStatus,
    Status,
    case_is_open,
    evaluate,
)
from permanence.explanations import Explanation
from permanence.measures.board import RAG, drift
from permanence.measures.figures import CSV_COLUMNS, Measures, csv_rows, measure
from permanence.report.beside import written_beside
from permanence.report.cards import CaseLine, at_risk_rows, drift_rows
from permanence.report.charts import (
    chart_months,
    drift_over_time_chart,
    forecast_chart,
    measure_charts,
    rag_chart,
)
from permanence.report.folder import replacing
from permanence.report.pages import (
    Page,
    PageJob,
    Site,
    TimelineWriter,
    case_runs,
    chunks,
    pager_links,
    quality_groups,
    sibling_order,
    timeline_page_of,
)
from permanence.report.scorecard import report_scorecard
from permanence.report.text import team_slugs
from permanence.store.accounts import TeamCounts, drift_by_day
from permanence.store.history import CaseNotes, case_notes
from permanence.timelines import Timeline

PAGE_SIZE = 200
DRIFT_PAGE_SIZE = 500
BOARD_DRIFT_ROWS = 25
BOARD_AT_RISK_ROWS = 100
TEAM_DRIFT_ROWS = 10
QUALITY_ROWS = 50
DRIFT_DAYS = 90
"""Drift over time: the report draws the days up to its own, as the web page does."""


def write_report(*, out_dir: Path, timelines: Mapping[str, Timeline],
                 facts: Sequence[CaseFacts], leads: Iterable[tuple[str, str, str]],
                 as_of: date, evaluation: Evaluation | None = None, team: str | None = None,
                 names: Mapping[str, str] | None = None,
                 lead_names: Mapping[str, str] | None = None,
                 page_size: int = PAGE_SIZE, notes: CaseNotes | None = None,
                 drift_days: Sequence[tuple[date, TeamCounts]] = ()) -> Path:
    """Write the report folder for `as_of` and return the path of its index.html.

    `leads` are (lead_id, role, team) rows as `store.reads.lead_roles` returns them; `evaluation`,
    if given, must be evaluate()'s result for the same facts, leads and date (it is worked out
    here otherwise). With `team`, only that team's cases. `names` (case_ref -> child's name)
    puts children's names on the timelines and marks every page as containing personal data;
    without it no name appears. `lead_names` (lead_id -> name) labels leads. `notes`
    (`store.history.case_notes`) gives the reasons for pauses and extensions and who agreed
    each, and every sibling group whatever its team; without them the facts' dates are shown
    alone. `drift_days` (`store.drift_by_day`) are the red and amber counts per team of the
    days checked before `as_of`, drawn with the day's own as drift over time."""
    with (replacing(out_dir, as_of=as_of, private=names is not None) as staging,
          collector_paused()):  # a million rows alive, short-lived objects by the million
        _write_report(out_dir=staging, timelines=timelines, facts=facts, leads=list(leads),
                      as_of=as_of, evaluation=evaluation, team=team, names=names,
                      lead_names=lead_names or {}, page_size=page_size, notes=notes,
                      drift_days=drift_days)
    return out_dir / "index.html"


def write_report_from_store(engine: Engine, timelines: Mapping[str, Timeline], as_of: date,
                            out_dir: Path, team: str | None = None,
                            with_names: bool = False) -> Path:
    """Read the cases, leads, pauses and extensions with their reasons, sibling groups (and,
    with `with_names`, children's names) from the store, then write_report(). Returns the path
    of index.html."""
    caseload = read_caseload(engine, timelines, team, with_names)
    with Session(engine) as session:
        notes = case_notes(session=session, team=team)
        days = drift_by_day(session=session, first=as_of - timedelta(days=DRIFT_DAYS - 1),
                            last=as_of - timedelta(days=1))
    return write_report(out_dir=out_dir, timelines=timelines, facts=caseload.facts,
                        leads=caseload.leads, as_of=as_of, team=team, names=caseload.names,
                        lead_names=caseload.lead_names, notes=notes, drift_days=days)


PageOf = Callable[[str, str], str | None]


def _write_report(*, out_dir: Path, timelines: Mapping[str, Timeline],
                  facts: Sequence[CaseFacts], leads: list[tuple[str, str, str]], as_of: date,
                  evaluation: Evaluation | None, team: str | None,
                  names: Mapping[str, str] | None, lead_names: Mapping[str, str],
                  page_size: int, notes: CaseNotes | None,
                  drift_days: Sequence[tuple[date, TeamCounts]]) -> None:
    groups = notes.siblings if notes is not None else sibling_groups(facts)
    if team is not None:
        facts = [case for case in facts if case.team == team]
    if evaluation is None:
        evaluation = evaluate(timelines, facts, LeadDirectory(leads), as_of)
    refuse_unknown_timelines(evaluation, ReportError)
    if team is not None:
        evaluation = Evaluation(as_of, [row for row in evaluation.statuses if row.team == team],
                                [p for p in evaluation.unresolved if p.team == team])
    site = Site(out_dir, as_of=as_of, team=team, personal=names is not None, leads=leads,
                lead_names=lead_names)
    slugs = team_slugs(case.team for case in facts)
    directories = {team_name: f"team-{team_slug}.html" for team_name, team_slug in slugs.items()}
    plan = plan_timelines(facts, evaluation.statuses, directories, page_size,
                          lambda team_name, number: (
                              f"timelines-{slugs[team_name]}-{number:03d}.html"))
    writer = TimelineWriter(site, timelines=timelines, as_of=as_of, names=names, notes=notes,
                            groups=groups, where=plan.where)

    def timelines_and_scorecard() -> None:
        """The pages that need none of the measures: written beside the rest."""
        writer.write_all(plan.jobs)
        site.write("scorecard.html", "scorecard.html.j2",
                   **report_scorecard(facts, as_of, team))

    with written_beside(timelines_and_scorecard, what="the timeline and scorecard pages"):
        _write_the_rest(site, timelines, facts, as_of, team, evaluation, leads, notes, plan,
                        slugs, directories, page_size, drift_days)


def _write_the_rest(site: Site, timelines: Mapping[str, Timeline], facts: Sequence[CaseFacts],
                    as_of: date, team: str | None, evaluation: Evaluation,
                    leads: list[tuple[str, str, str]], notes: CaseNotes | None,
                    plan: TimelinePlan, slugs: Mapping[str, str],
                    directories: Mapping[str, str], page_size: int,
                    drift_days: Sequence[tuple[date, TeamCounts]]) -> None:
    """Every page but the timelines and the scorecard: the measures, drift, team and quality
    pages, the figures as data and the index."""
    timeline_pages, where = plan.pages, plan.where
    measured = measure(timelines=timelines, facts=facts, evaluation=evaluation,
                       lead_ids={lead[0] for lead in leads}, as_of=as_of, team=team,
                       annotations=notes.annotations if notes is not None else (),
                       explanations=notes.explanations if notes is not None else ())
    page_of = timeline_page_of(where)
    drifting = drift(evaluation.statuses)
    drift_pages = _drift_pages(site, drifting, as_of, page_of, slugs, measured.explained)
    for team_name, team_pages in timeline_pages.items():
        site.write(directories[team_name], "team.html.j2", team_name=team_name, pages=team_pages,
                   **team_summary(team_name, measured, drifting, drift_pages, as_of, page_of,
                                  site.lead))
    site.write("quality.html", "quality.html.j2", groups=quality_groups(measured, None))
    _figures_as_data(site.out_dir, measured)
    _index(site, timelines, facts, as_of, measured, drifting, page_of, timeline_pages,
           drift_pages, directories, page_size, drift_days)


def team_summary(team_name: str, measured: Measures, drifting: Sequence[MilestoneStatus],
                 drift_pages: Mapping[str, list[Page]], as_of: date, page_of: PageOf,
                 lead: Callable[[str | None], str]) -> dict[str, Any]:
    """What a team's page says above its list of timeline pages, so a team leader opening it
    sees their team at once: open clocks by colour, for the team and each lead; the oldest
    drift, with a link to all of it; the work falling due in the weeks ahead."""
    own = [row for row in drifting if row.team == team_name]
    return dict(
        rag=next((row for row in measured.rag_by_team if row.team == team_name), None),
        lead_rows=[row for row in measured.rag_by_lead if row.team == team_name],
        oldest=drift_rows(own[:TEAM_DRIFT_ROWS], as_of, page_of, lead,
                          explained=measured.explained),
        drift_count=len(own), team_drift_pages=drift_pages.get(team_name, []),
        forecast=next((row for row in measured.forecast_by_team if row.team == team_name),
                      None),
        forecast_weeks=measured.forecast_weeks)


class TimelinePlan(NamedTuple):
    """The pages of children's timelines: what each page holds, each team's pages, and the
    page of each case."""

    jobs: list[PageJob]
    pages: dict[str, list[Page]]
    where: dict[str, str]


def plan_timelines(facts: Sequence[CaseFacts], statuses: Sequence[MilestoneStatus],
                   directories: Mapping[str, str], page_size: int,
                   file_of: Callable[[str, int], str]) -> TimelinePlan:
    """Children's timelines, per team, a page of `page_size` cases each, brothers and sisters
    side by side; `file_of(team, number)` names each page."""
    by_ref = {case.case_ref: case for case in facts}
    per_team: dict[str, list[CaseLine]] = {}
    for start, end in case_runs(statuses):
        case = by_ref[statuses[start].case_ref]
        per_team.setdefault(case.team, []).append(CaseLine(case, statuses[start:end]))
    red_cases = {row.case_ref for row in statuses if row.status is Status.RED}
    plan = TimelinePlan([], {}, {})
    for team_name in sorted(per_team):
        team_chunks = chunks(sibling_order(per_team[team_name]), page_size)
        files = [file_of(team_name, number) for number in range(1, len(team_chunks) + 1)]
        plan.pages[team_name] = [
            Page(file, min(refs), max(refs), len(chunk),
                 sum(1 for ref in refs if ref in red_cases))
            for chunk, file in zip(team_chunks, files, strict=True)
            for refs in [[line.case.case_ref for line in chunk] or [""]]]
        plan.jobs.extend(PageJob(team_name, number, files, chunk, directories[team_name])
                         for number, chunk in enumerate(team_chunks, start=1))
        for chunk, file in zip(team_chunks, files, strict=True):
            plan.where.update((line.case.case_ref, file) for line in chunk)
    return plan


def sibling_groups(facts: Iterable[CaseFacts]) -> dict[str, list[str]]:
    """sibling_group -> its case_refs in order, from the case facts."""
    groups: dict[str, list[str]] = {}
    for case in sorted(facts, key=lambda case: case.case_ref):
        if case.sibling_group is not None:
            groups.setdefault(case.sibling_group, []).append(case.case_ref)
    return groups


def _drift_pages(site: Site, drifting: Sequence[MilestoneStatus], as_of: date, page_of: PageOf,
                 slugs: Mapping[str, str],
                 explained: Mapping[tuple[str, str], Explanation]) -> dict[str, list[Page]]:
    """Every red and amber milestone, per team, oldest drift first, each with its standing
    explanation; returns each team's pages."""
    drift_pages: dict[str, list[Page]] = {}
    for team_name in sorted({row.team for row in drifting}):
        rows = [row for row in drifting if row.team == team_name]
        team_chunks = chunks(rows, DRIFT_PAGE_SIZE)
        files = [f"drift-{slugs[team_name]}-{number:03d}.html"
                 for number in range(1, len(team_chunks) + 1)]
        drift_pages[team_name] = []
        for number, (chunk, file) in enumerate(zip(team_chunks, files, strict=True), start=1):
            drift_pages[team_name].append(Page(file, chunk[0].case_ref, chunk[-1].case_ref,
                                               len(chunk)))
            site.write(file, "drift.html.j2", team_name=team_name, number=number, pages=files,
                       links=pager_links(files, number),
                       rows=drift_rows(chunk, as_of, page_of, site.lead,
                                       first=(number - 1) * DRIFT_PAGE_SIZE + 1,
                                       explained=explained))
    return drift_pages


def _figures_as_data(out_dir: Path, measured: Measures) -> None:
    """measures.json and measures.csv, as `permanence measures` prints them."""
    (out_dir / "measures.json").write_text(json.dumps(measured.as_json(), indent=1) + "\n",
                                           encoding="utf-8")
    buffer = io.StringIO()
    table = csvfiles.SafeWriter(buffer)
    table.writerow(CSV_COLUMNS)
    table.writerows(csv_rows(measured))
    (out_dir / "measures.csv").write_text(buffer.getvalue(), encoding="utf-8")


def _index(site: Site, timelines: Mapping[str, Timeline], facts: Sequence[CaseFacts],
           as_of: date, measured: Measures, drifting: Sequence[MilestoneStatus],
           page_of: PageOf, timeline_pages: Mapping[str, list[Page]],
           drift_pages: Mapping[str, list[Page]], directories: Mapping[str, str],
           page_size: int, drift_days: Sequence[tuple[date, TeamCounts]]) -> None:
    """index.html: the board, the oldest drift and drift over time, the forecast, the run
    charts and links to every other page."""
    site.write("index.html", "index.html.j2", **board_context(
        site.lead, timelines, facts, as_of, measured, drifting, page_of, timeline_pages,
        drift_pages, directories, page_size), drift_svg=_drift_over_time(
            drift_days, as_of, measured, team=site.common["team"]), drift_days=DRIFT_DAYS)


def _drift_over_time(days: Sequence[tuple[date, TeamCounts]], as_of: date, measured: Measures,
                     team: str | None) -> Markup | None:
    """Red and amber per team, day by day: the days checked before `as_of` as each day's check
    counted them, and `as_of` as the report counts it (of one team, with `team`)."""
    today = {row.team: {"red": row.red, "amber": row.amber} for row in measured.rag_by_team}
    shown = [(day, {name: counts for name, counts in by_team.items()
                    if team is None or name == team})
             for day, by_team in days if day < as_of]
    shown.append((as_of, today))
    teams = sorted({name for _, by_team in shown for name in by_team})
    return drift_over_time_chart(shown, teams)


def board_context(lead: Callable[[str | None], str], timelines: Mapping[str, Timeline],
                  facts: Sequence[CaseFacts], as_of: date, measured: Measures,
                  drifting: Sequence[MilestoneStatus], page_of: PageOf,
                  timeline_pages: Mapping[str, list[Page]],
                  drift_pages: Mapping[str, list[Page]], directories: Mapping[str, str],
                  page_size: int) -> dict[str, Any]:
    """What index.html.j2 is given, for the report's index and the web page's boards alike;
    `page_of`, the pages and `directories` say where each link goes."""
    charts = measure_charts(timelines, measured, chart_months(as_of))
    open_cases = sum(1 for case in facts if case_is_open(case, as_of))
    totals = {status: 0 for status in RAG}
    for row in measured.rag_by_team:
        totals[Status.GREEN] += row.green
        totals[Status.AMBER] += row.amber
        totals[Status.RED] += row.red
    versions = sorted({(name, timelines[name].title, timelines[name].version)
                       for name in {case.timeline for case in facts} if name in timelines})
    return dict(measures=measured, open_cases=open_cases,
                totals=totals, due_soon=sum(row.total for row in measured.forecast_by_team),
                rag_svg=rag_chart(measured.rag_by_team),
                forecast_svg=forecast_chart(measured.forecast_by_team, measured.forecast_weeks),
                oldest=drift_rows(drifting[:BOARD_DRIFT_ROWS], as_of, page_of, lead,
                                  explained=measured.explained),
                at_risk=at_risk_rows(measured.at_risk[:BOARD_AT_RISK_ROWS], page_of, lead),
                at_risk_total=len(measured.at_risk),
                at_risk_shown=min(len(measured.at_risk), BOARD_AT_RISK_ROWS),
                extensions=extension_table(timelines, measured),
                drift_total=len(drifting), shown=min(len(drifting), BOARD_DRIFT_ROWS),
                drift_pages=drift_pages, timeline_pages=timeline_pages, charts=charts,
                directories=directories,
                versions=versions, quality=quality_groups(measured, QUALITY_ROWS),
                quality_total=len(measured.quality), page_of=page_of, page_size=page_size)


def extension_table(timelines: Mapping[str, Timeline],
                    measured: Measures) -> list[tuple[str, str, int, int]]:
    """(timeline title, milestone title, granted in the 12 months to A, granted in all) per
    milestone with an extension granted, in the measures' order."""
    first = measured.as_of.replace(day=1)
    recent = f"{first.year - 1:04d}-{first.month:02d}"  # months after this one: the last 12
    table: dict[tuple[str, str], list[int]] = {}
    for row in measured.extensions:
        counts = table.setdefault((row.timeline, row.milestone), [0, 0])
        counts[1] += row.granted
        if row.month > recent:
            counts[0] += row.granted
    out = []
    for (name, milestone_id), (last_year, total) in table.items():
        timeline = timelines[name]
        milestone = timeline.milestone(milestone_id)
        out.append((timeline.title, milestone.title if milestone else milestone_id, last_year,
                    total))
    return out
