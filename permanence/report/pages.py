"""The report's pages: their templates and shared context, paging, and the timeline pages,
whose cards are streamed into the template's frame one by one.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any, NamedTuple

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from permanence.evaluate import CaseFacts, MilestoneStatus
from permanence.explanations import Explanation, explains, standing_on
from permanence.measures.figures import Measures
from permanence.measures.quality import QUALITY_KINDS
from permanence.report.cards import CardLife, CaseLine, child_card
from permanence.report.layout import Projector
from permanence.report.text import day_text, days_text, esc, month_label
from permanence.store.history import CaseNotes
from permanence.timelines import Timeline

TEMPLATES = Path(__file__).parent / "templates"


class Page(NamedTuple):
    """A generated page: its file name, the first and last case on it, how many it holds."""

    file: str
    first: str
    last: str
    cases: int
    red: int = 0


class Site:
    """The pages of one report as they are written into `out_dir`: one template environment,
    and the context every page shares (the date, scope, and how leads are named)."""

    def __init__(self, out_dir: Path, *, as_of: date, team: str | None, personal: bool,
                 leads: Sequence[tuple[str, str, str]], lead_names: Mapping[str, str],
                 environment: Environment | None = None) -> None:
        """`environment`: the templates, when not the report's own (the web page puts its
        own frame round the same pages)."""
        self.out_dir = out_dir
        self.environment = environment or report_environment()
        self.lead_names = lead_names
        self.roles = {lead_id: role.replace("_", " ") for lead_id, role, _ in leads}
        self.common: dict[str, Any] = {
            "as_of": as_of, "team": team, "personal": personal, "lead": self.lead,
            "role": self.role, "scope": f"team {team}" if team else "all teams"}

    def lead(self, lead_id: str | None) -> str:
        return self.lead_names.get(lead_id, lead_id) if lead_id else "(nobody)"

    def role(self, lead_id: str | None) -> str:
        return self.roles.get(lead_id, "") if lead_id else ""

    def render(self, template: str, **context: Any) -> str:
        return self.environment.get_template(template).render(**self.common, **context)

    def write(self, file: str, template: str, **context: Any) -> None:
        (self.out_dir / file).write_text(self.render(template, **context), encoding="utf-8")


def report_environment() -> Environment:
    """The templates, with the filters they format values through."""
    environment = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True,
                              undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    environment.filters["day"] = lambda value: day_text(value) if value else ""
    environment.filters["days"] = days_text
    environment.filters["month"] = month_label
    environment.filters["percent"] = lambda share: f"{100 * share:.0f}%"
    environment.filters["num"] = lambda number: f"{number:,}"
    return environment


def case_runs(statuses: Sequence[MilestoneStatus]) -> Iterable[tuple[int, int]]:
    """(start, end) of each case's run of rows; evaluation returns them grouped by case."""
    start = 0
    total = len(statuses)
    while start < total:
        ref = statuses[start].case_ref
        end = start + 1
        while end < total and statuses[end].case_ref == ref:
            end += 1
        yield start, end
        start = end


def pager_links(files: Sequence[str], number: int) -> list[tuple[int | None, str | None]]:
    """The page links a pager shows: first two, last two and three either side of the current
    page; (None, None) marks a gap."""
    shown: list[tuple[int | None, str | None]] = []
    total = len(files)
    for page in range(1, total + 1):
        if page <= 2 or page > total - 2 or abs(page - number) <= 3:
            shown.append((page, files[page - 1]))
        elif shown[-1][0] is not None:
            shown.append((None, None))
    return shown


def chunks(items: Sequence[Any], size: int) -> list[Sequence[Any]]:
    """`items` in pages of `size`; no items still make one (empty) page."""
    return [items[start:start + size] for start in range(0, len(items), size)] or [items[:0]]


class PageJob(NamedTuple):
    """One page of children's timelines to write."""

    team: str
    number: int
    files: list[str]
    lines: Sequence[CaseLine]
    directory: str


CARDS_MARK = "<!--permanence:cards-->"


class TimelineWriter:
    """Writes pages of children's timelines: the page's frame from the template, the cards
    streamed into it one by one."""

    def __init__(self, site: Site, *, timelines: Mapping[str, Timeline], as_of: date,
                 names: Mapping[str, str] | None, notes: CaseNotes | None = None,
                 groups: Mapping[str, Sequence[str]] | None = None,
                 where: Mapping[str, str] | None = None) -> None:
        """`notes` are the store's pauses and extensions with their reasons (without them,
        the case facts' dates are shown without reasons); `groups` the case_refs of every
        sibling group; `where` the timeline page of each case, to link siblings."""
        self.notes = notes
        self.groups = groups or {}
        self.where = where or {}
        self.out_dir = site.out_dir
        self.template = site.environment.get_template("timelines.html.j2")
        self.common = site.common
        self.as_of = as_of
        self.names = names
        self.lead_names = site.lead_names
        self.projector = Projector(timelines, as_of)
        self.titles = {name: esc(timeline.title) for name, timeline in timelines.items()}
        self.workers: dict[str, str] = {}
        self.explained: dict[str, list[Explanation]] = {}
        for explanation in standing_on(notes.explanations if notes else (), as_of).values():
            self.explained.setdefault(explanation.case_ref, []).append(explanation)

    def write_all(self, jobs: Iterable[PageJob]) -> None:
        for job in jobs:
            self.write(job)

    def write(self, job: PageJob) -> None:
        with (self.out_dir / job.files[job.number - 1]).open("w", encoding="utf-8") as page:
            page.writelines(self.parts(job))

    def parts(self, job: PageJob) -> Iterator[str]:
        """The page in pieces: the frame before the cards, the cards, the frame after."""
        cards = []
        chips = []
        for case, rows in job.lines:
            html, worst = self.card(case, rows)
            cards.append(html)
            ref = esc(case.case_ref)
            chips.append(f'<a class="{worst}" href="#{ref}">{ref}</a>')
        frame = self.template.render(
            **self.common, team_name=job.team, number=job.number, pages=job.files,
            directory=job.directory,
            links=pager_links(job.files, job.number), count=len(job.lines),
            chips=Markup("".join(chips)), cards=Markup(CARDS_MARK))
        before, after = frame.split(CARDS_MARK)
        yield before
        yield "\n".join(cards)
        yield after

    def card(self, case: CaseFacts, rows: Sequence[MilestoneStatus]) -> tuple[str, str]:
        """One child's timeline card and the case's worst status (`child_card`)."""
        worker = self.workers.get(case.social_worker)
        if worker is None:
            worker = self.workers[case.social_worker] = esc(
                self.lead_names.get(case.social_worker, case.social_worker) or "(none)")
        life = (self.life(case) if case.pauses or case.extensions or case.sibling_group
                or case.case_ref in self.explained else None)
        return child_card(case, self.projector.steps(case.timeline, rows, case), self.as_of,
                          name=self.names.get(case.case_ref) if self.names else None,
                          worker=worker, title=self.titles[case.timeline], life=life)

    def life(self, case: CaseFacts) -> CardLife:
        """What the card writes under the case's dates: its pauses and extensions (with
        reasons and who agreed them when the store's notes are given) and its siblings."""
        ref = case.case_ref
        if self.notes is not None:
            pauses: Sequence[tuple[date, date | None, str | None]] = self.notes.pauses.get(
                ref, ())
            extensions: Sequence[tuple[str, date, date, str | None, str | None]] = [
                (milestone, approved_on, extended_to,
                 self.lead_names.get(approved_by, approved_by), reason)
                for milestone, approved_on, extended_to, approved_by, reason
                in self.notes.extensions.get(ref, ())]
        else:
            pauses = [(first, last, None) for first, last in sorted(case.pauses)]
            extensions = sorted((milestone, approved_on, extended_to, None, None)
                                for milestone, rows in case.extensions.items()
                                for approved_on, extended_to in rows)
        group = case.sibling_group
        siblings = [(other, self.where.get(other))
                    for other in (self.groups.get(group, ()) if group else ()) if other != ref]
        explained = [(explanation.milestone, explanation.reason, explanation.next_action,
                      explanation.next_by, explanation.explained_on,
                      self.lead_names.get(explanation.explained_by, explanation.explained_by)
                      if explanation.explained_by else None)
                     for explanation in self.explained.get(ref, ()) if explains(explanation, case)]
        return CardLife(pauses, extensions, siblings, group, explained)


def sibling_order(lines: Sequence[CaseLine]) -> list[CaseLine]:
    """Cases in case_ref order, except that brothers and sisters follow the first of them:
    children to be placed together are read together."""
    first: dict[str, str] = {}
    for line in lines:
        group = line.case.sibling_group
        if group is not None:
            first.setdefault(group, line.case.case_ref)
    if not first:
        return list(lines)
    return sorted(lines, key=lambda line: (
        first[line.case.sibling_group] if line.case.sibling_group is not None
        else line.case.case_ref, line.case.case_ref))


def timeline_page_of(where: Mapping[str, str]) -> Any:
    """(team, case_ref) -> the timeline page file that holds the case, from `where`
    (case_ref -> file)."""
    def page_of(team: str, case_ref: str) -> str | None:
        return where.get(case_ref)

    return page_of


def quality_groups(measured: Measures, limit: int | None) -> list[dict[str, Any]]:
    """The data-quality items by kind, in the order the pages list them; `limit` a kind."""
    groups = []
    for kind, title in QUALITY_KINDS.items():
        items = [item for item in measured.quality if item.kind == kind]
        groups.append({"kind": kind, "title": title, "count": len(items),
                       "items": items if limit is None else items[:limit]})
    return groups
