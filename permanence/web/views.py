"""The web page's views: the report's own pages, rendered per request from the store for one
as-of day and only for the teams the signed-in lead may see.

The board (`/days/DAY/`) and each team page (`/days/DAY/teams/TEAM/`) are the report's index
page for that scope: the same templates and figures (`report.write.board_context`), the same
timeline cards (`report.pages.TimelineWriter`), drift rows and charts. Each scope is a folder
holding the report's own file names (`quality.html`, `measures.csv`, `measures.json`), so the
relative links in the report's templates work unchanged; the links this module hands the
templates (a team's pages, a child's timeline) are absolute paths under the mount point. The
report's frame (`_base.html.j2`) is replaced by the web page's own, which names who is signed
in and carries the sign-out form: the report's pages forbid forms.
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import quote

from jinja2 import ChoiceLoader, Environment, FileSystemLoader
from sqlalchemy.engine import Engine
from sqlmodel import Session

from permanence import csvfiles, store
from permanence.caseload import evaluate_known
from permanence.clock import service_today
from permanence.evaluate import CaseFacts, Evaluation, LeadDirectory, MilestoneStatus
from permanence.explanations import (
    CLOSED_STEPS,
    REASON_CHARACTERS,
    standing,
    standing_on,
    who_may_explain,
)
from permanence.measures.board import drift
from permanence.measures.figures import CSV_COLUMNS, Measures, csv_rows, measure
from permanence.measures.scorecard import default_period_end, window_start
from permanence.report.cards import drift_rows
from permanence.report.charts import drift_over_time_chart
from permanence.report.pages import (
    Page,
    Site,
    TimelineWriter,
    chunks,
    pager_links,
    quality_groups,
    report_environment,
)
from permanence.report.scorecard import scorecard_context
from permanence.report.text import team_slugs
from permanence.report.write import (
    DRIFT_PAGE_SIZE,
    PAGE_SIZE,
    TimelinePlan,
    board_context,
    plan_timelines,
)
from permanence.store.history import CaseNotes
from permanence.timelines import Timeline

TEMPLATES = Path(__file__).parent / "templates"
TREND_DAYS = 90  # drift over time: the days up to the one shown


def web_environment() -> Environment:
    """The report's templates and filters, the web page's own frame first."""
    environment = report_environment()
    assert environment.loader is not None
    environment.loader = ChoiceLoader([FileSystemLoader(TEMPLATES), environment.loader])
    return environment


class Links:
    """Where each page of one day is, under the mount point (`root`)."""

    def __init__(self, root: str, day: date, slugs: Mapping[str, str]) -> None:
        self.root = root
        self.day = day
        self.slugs = slugs
        self.board = f"{root}/days/{day.isoformat()}/"

    def team(self, team: str) -> str:
        return f"{self.board}teams/{self.slugs[team]}/"

    def timelines(self, team: str, number: int) -> str:
        return f"{self.team(team)}timelines-{number}.html"

    def drift(self, team: str, number: int) -> str:
        return f"{self.team(team)}drift-{number}.html"

    def case(self, case_ref: str) -> str:
        return f"{self.board}cases/{quote(case_ref, safe='')}"

    def page_of(self, team: str, case_ref: str) -> str:
        return self.case(case_ref)

    def over_time(self) -> str:
        return f"{self.board}drift-over-time"

    def on(self, day: date) -> str:
        return f"{self.root}/days/{day.isoformat()}/"


class Viewed(NamedTuple):
    """One scope's cases on one day, evaluated: what every page of it is drawn from."""

    facts: list[CaseFacts]
    leads: list[tuple[str, str, str]]
    lead_names: dict[str, str]
    names: dict[str, str] | None
    notes: CaseNotes
    evaluation: Evaluation


class Views:
    """Renders pages for one store and set of rules; one per web app."""

    def __init__(self, engine: Engine, timelines: Mapping[str, Timeline]) -> None:
        self.engine = engine
        self.timelines = timelines
        self.environment = web_environment()

    def slugs(self) -> dict[str, str]:
        """Every team with cases -> the name its pages go by in addresses."""
        with Session(self.engine) as session:
            return team_slugs(store.teams(session=session))

    def read(self, day: date, team: str | None, with_names: bool) -> Viewed:
        """The cases of one team (None: every team) with their leads, notes and, only with
        `with_names`, children's names; evaluated for `day`."""
        with Session(self.engine) as session:
            facts = store.load_case_facts(session=session, timelines=self.timelines, team=team)
            leads = store.lead_roles(session=session)
            lead_names = store.lead_names(session=session)
            names = store.child_names(session=session, team=team) if with_names else None
            notes = store.case_notes(session=session, team=team)
        evaluation = evaluate_known(self.timelines, facts, leads, day)
        return Viewed(facts, leads, lead_names, names, notes, evaluation)

    def site(self, frame: Mapping[str, Any], day: date, team: str | None,
             viewed: Viewed) -> Site:
        site = Site(Path("."), as_of=day, team=team, personal=viewed.names is not None,
                    leads=viewed.leads, lead_names=viewed.lead_names,
                    environment=self.environment)
        site.common["web"] = frame
        return site

    def measured(self, viewed: Viewed, day: date, team: str | None) -> Measures:
        return measure(timelines=self.timelines, facts=viewed.facts,
                       evaluation=viewed.evaluation,
                       lead_ids={lead[0] for lead in viewed.leads}, as_of=day, team=team,
                       annotations=viewed.notes.annotations,
                       explanations=viewed.notes.explanations)

    def plan(self, viewed: Viewed, links: Links) -> TimelinePlan:
        directories = {team: links.team(team) for team in {c.team for c in viewed.facts}}
        return plan_timelines(viewed.facts, viewed.evaluation.statuses, directories, PAGE_SIZE,
                              links.timelines)

    def board(self, frame: Mapping[str, Any], links: Links, team: str | None) -> str:
        """The report's index for one team, or for every team (None). It never names a
        child, so it is read without names and carries no OFFICIAL-SENSITIVE banner."""
        viewed = self.read(links.day, team, False)
        site = self.site(frame, links.day, team, viewed)
        plan = self.plan(viewed, links)
        drifting = drift(viewed.evaluation.statuses)
        return site.render("index.html.j2", **board_context(
            site.lead, self.timelines, viewed.facts, links.day,
            self.measured(viewed, links.day, team), drifting, links.page_of, plan.pages,
            _drift_pages(drifting, links), {t: links.team(t) for t in plan.pages}, PAGE_SIZE))

    def quality(self, frame: Mapping[str, Any], links: Links, team: str | None) -> str:
        viewed = self.read(links.day, team, False)
        site = self.site(frame, links.day, team, viewed)
        measured = self.measured(viewed, links.day, team)
        return site.render("quality.html.j2", groups=quality_groups(measured, None))

    def scorecard(self, frame: Mapping[str, Any], links: Links, team: str | None) -> str:
        """The report's scorecard page for one team (None: every team), read straight from
        the adopted children's dates: nothing to evaluate."""
        period_end = default_period_end(links.day)
        with Session(self.engine) as session:
            dates = store.scorecard_dates(session=session, first=window_start(period_end),
                                          last=period_end, team=team)
        site = Site(Path("."), as_of=links.day, team=team, personal=False, leads=[],
                    lead_names={}, environment=self.environment)
        site.common["web"] = frame
        return site.render("scorecard.html.j2", **scorecard_context(dates, links.day, team))

    def figures(self, links: Links, team: str | None, as_csv: bool) -> str:
        """The board's figures as `permanence measures` prints them."""
        viewed = self.read(links.day, team, False)
        measured = self.measured(viewed, links.day, team)
        if not as_csv:
            return json.dumps(measured.as_json(), indent=1) + "\n"
        buffer = io.StringIO()
        table = csvfiles.SafeWriter(buffer)
        table.writerow(CSV_COLUMNS)
        table.writerows(csv_rows(measured))
        return buffer.getvalue()

    def timeline_page(self, frame: Mapping[str, Any], links: Links, team: str, number: int,
                      with_names: bool) -> str | None:
        """Page `number` of a team's children's timelines; None when there is no such page."""
        viewed = self.read(links.day, team, with_names)
        plan = self.plan(viewed, links)
        jobs = [job for job in plan.jobs if job.number == number]
        if not jobs:
            return None
        writer = self.writer(self.site(frame, links.day, team, viewed), viewed, links, plan)
        return "".join(writer.parts(jobs[0]))

    def writer(self, site: Site, viewed: Viewed, links: Links,
               plan: TimelinePlan) -> TimelineWriter:
        return TimelineWriter(site, timelines=self.timelines, as_of=links.day,
                              names=viewed.names, notes=viewed.notes,
                              groups=viewed.notes.siblings, where=plan.where)

    def drift_page(self, frame: Mapping[str, Any], links: Links, team: str,
                   number: int) -> str | None:
        """Page `number` of a team's red and amber milestones, oldest drift first."""
        viewed = self.read(links.day, team, False)
        team_chunks = chunks(drift(viewed.evaluation.statuses), DRIFT_PAGE_SIZE)
        if not 1 <= number <= len(team_chunks):
            return None
        site = self.site(frame, links.day, team, viewed)
        files = [links.drift(team, n) for n in range(1, len(team_chunks) + 1)]
        return site.render("drift.html.j2", team_name=team, number=number, pages=files,
                           links=pager_links(files, number),
                           rows=drift_rows(team_chunks[number - 1], links.day, links.page_of,
                                           site.lead,
                                           first=(number - 1) * DRIFT_PAGE_SIZE + 1,
                                           explained=standing_on(viewed.notes.explanations,
                                                                 links.day)))

    def case_page(self, frame: Mapping[str, Any], links: Links, case: CaseFacts,
                  with_names: bool, lead_id: str = "") -> str:
        """One child's timeline card on the day, with the key to read it by; the explanations
        given for its steps, and the form to explain a step for the steps `lead_id` may
        explain (its owner's, or that of a lead it escalates to)."""
        viewed = self.read(links.day, case.team, with_names)
        site = self.site(frame, links.day, case.team, viewed)
        plan = self.plan(viewed, links)
        rows = [row for row in viewed.evaluation.statuses if row.case_ref == case.case_ref]
        card = None
        explainable: list[tuple[str, str, str]] = []
        if rows:
            facts = next(c for c in viewed.facts if c.case_ref == case.case_ref)
            card, _ = self.writer(site, viewed, links, plan).card(facts, rows)
            rules = self.timelines[facts.timeline]
            directory = LeadDirectory(viewed.leads)
            for row in rows:
                rule = rules.milestone(row.milestone)
                if (rule is not None and not rule.is_start and row.status not in CLOSED_STEPS
                        and lead_id in who_may_explain(rule, facts, directory)):
                    explainable.append((row.milestone, row.title, str(row.status)))
            explainable.sort(key=lambda step: ("red", "amber").index(step[2])
                             if step[2] in ("red", "amber") else 2)  # drifting steps first
        given = [explanation for explanation in viewed.notes.explanations
                 if explanation.case_ref == case.case_ref]
        stands = set(standing(given).values())
        titles = {row.milestone: row.title for row in rows}
        history = [(titles.get(e.milestone, e.milestone), e, e in stands,
                    viewed.lead_names.get(e.explained_by, e.explained_by)
                    if e.explained_by else None)
                   for e in sorted(given, key=lambda e: (e.explained_on, e.number),
                                   reverse=True)]
        return site.render("case.html.j2", case=case, card=card,
                           team_link=links.team(case.team), explainable=explainable,
                           explanations=history, explain_action=f"{links.root}/explain",
                           today=service_today(),
                           reason_limit=REASON_CHARACTERS)

    def over_time(self, frame: Mapping[str, Any], links: Links,
                  teams: Sequence[str] | None) -> str:
        """Red and amber per team, day by day, as each day's daily check counted them."""
        with Session(self.engine) as session:
            days = store.drift_by_day(session=session,
                                      first=links.day - timedelta(days=TREND_DAYS - 1),
                                      last=links.day)
        shown = sorted({team for _, by_team in days for team in by_team
                        if teams is None or team in teams})
        rows = [(day, [(by_team.get(team, {}).get("red", 0),
                        by_team.get(team, {}).get("amber", 0)) for team in shown])
                for day, by_team in reversed(days)]
        peak = max((red + amber for _, counts in rows for red, amber in counts), default=0)
        site = Site(Path("."), as_of=links.day, team=None, personal=False, leads=[],
                    lead_names={}, environment=self.environment)
        site.common["web"] = frame
        return site.render("over_time.html.j2", teams=shown, rows=rows, peak=peak,
                           trend_days=TREND_DAYS, links=links,
                           chart=drift_over_time_chart(days, shown))


def _drift_pages(drifting: Sequence[MilestoneStatus], links: Links) -> dict[str, list[Page]]:
    """Each team's pages of red and amber milestones, as the board lists them."""
    pages: dict[str, list[Page]] = {}
    for team in sorted({row.team for row in drifting}):
        team_chunks = chunks([row for row in drifting if row.team == team], DRIFT_PAGE_SIZE)
        pages[team] = [Page(links.drift(team, number), chunk[0].case_ref, chunk[-1].case_ref,
                            len(chunk))
                       for number, chunk in enumerate(team_chunks, start=1)]
    return pages
