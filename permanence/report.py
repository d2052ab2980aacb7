"""The HTML report: a folder of static, self-contained pages for one as-of date.

`write_report` takes data the caller already has (case facts, leads, optionally the evaluation)
and touches no database; `write_report_from_store` reads them first. What it writes:

- `index.html`: the RAG board per team and per lead, the oldest drift, the four-week forecast,
  run charts of the measures, journey times, data quality, and links to everything below;
- `timelines-TEAM-NNN.html`: each open case's timeline, 200 children a page, a run of pages
  per team, listed with their case references in `team-TEAM.html`;
- `drift-TEAM-NNN.html`: every red and amber milestone of a team, oldest drift first, 500 a page;
- `quality.html`: every data-quality item;
- `measures.json`, `measures.csv`: the figures, as `permanence measures` prints them.

Every page opens with no request to any other host: styles are inline, charts are matplotlib
SVG inlined in the page, no fonts, scripts or images are fetched, and a Content-Security-Policy
forbids loading anything at all. Children's names appear only when `names` is given, and every
page then says it contains personal data; dates of birth never appear.

Charts come from matplotlib (Agg backend, SVG with text as text). The children's timelines are
plain HTML and CSS, built with string formatting rather than per-row template calls, because a
100,000-case report lays out a million milestones.
"""

from __future__ import annotations

import bisect
import contextlib
import io
import json
import re
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple, cast

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup, escape

from permanence import csvfiles
from permanence import measures as figures
from permanence.collector import collector_paused
from permanence.dates import Duration, Unit
from permanence.errors import BadInput, ReportError
from permanence.evaluate import (
    CaseFacts,
    Evaluation,
    LeadDirectory,
    MilestoneStatus,
    Status,
    case_is_open,
    evaluate,
)
from permanence.measures import Measures, MonthMeasure, Projector, Step
from permanence.timelines import Timeline

TEMPLATES = Path(__file__).parent / "report_templates"
PAGE_SIZE = 200
DRIFT_PAGE_SIZE = 500
BOARD_DRIFT_ROWS = 25
QUALITY_ROWS = 50
CHART_MONTHS = 24
FEW = 5  # a month with fewer completions than this is drawn hollow

GREEN, AMBER, RED, GREY = "#2e7d32", "#f9a825", "#c62828", "#9aa5b1"
INK, MUTED, RULE, NAVY, SHIFT = "#1f2933", "#52606d", "#d9dee3", "#243b53", "#6d28d9"
MONTH_NAMES = ("", "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
               "Dec")


# -- Formatting ---------------------------------------------------------------------------------

@cache
def day_text(day: date) -> str:
    """A date as people in a UK office write it: 4 Feb 2026."""
    return f"{day.day} {MONTH_NAMES[day.month]} {day.year}"


@cache
def esc(text: str) -> str:
    """HTML-escaped text, memoised: a few dozen titles are written a million times."""
    return str(escape(text))


def month_label(month: str) -> str:
    year, number = month.split("-")
    return f"{MONTH_NAMES[int(number)]} {year}"


def days_text(days: float) -> str:
    return f"{days:.1f}".removesuffix(".0")


def slug(text: str) -> str:
    """A file-name-safe form of a team name."""
    cleaned = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return cleaned or "team"


def team_slugs(teams: Iterable[str]) -> dict[str, str]:
    """A distinct file-name part per team: `North` and `north` do not share pages."""
    slugs: dict[str, str] = {}
    used: set[str] = set()
    for team in sorted(set(teams)):
        base = candidate = slug(team)
        number = 2
        while candidate in used:
            candidate = f"{base}-{number}"
            number += 1
        used.add(candidate)
        slugs[team] = candidate
    return slugs


def nominal_days(duration: Duration) -> float:
    """Roughly how many calendar days a clock allows, for drawing it on a chart."""
    per_unit = {Unit.DAYS: 1.0, Unit.WEEKS: 7.0, Unit.MONTHS: 30.44, Unit.WORKING_DAYS: 1.4}
    return duration.count * per_unit[duration.unit]


# -- Charts -------------------------------------------------------------------------------------

CHART_STYLE: dict[str, Any] = {
    "svg.fonttype": "none",  # text stays text: small, selectable, in the page's own font
    "font.family": "sans-serif",
    "font.sans-serif": ["Segoe UI", "Helvetica Neue", "Arial", "DejaVu Sans"],
    "font.size": 8.5, "axes.edgecolor": RULE, "axes.labelcolor": MUTED,
    "axes.spines.top": False, "axes.spines.right": False,
    "xtick.color": MUTED, "ytick.color": MUTED, "xtick.major.size": 0, "ytick.major.size": 0,
    "axes.grid": True, "axes.grid.axis": "y", "grid.color": "#eef1f4", "grid.linewidth": 0.8,
    "legend.frameon": False,
}
"""matplotlib settings for every chart, applied per chart (rc_context): the process's own
matplotlib settings are left alone."""


def charting(key: str) -> Any:
    """The context a chart is drawn in: the report's style, and SVG ids salted with `key` so
    two charts on one page never share an id."""
    import matplotlib

    return matplotlib.rc_context(cast(Any, {**CHART_STYLE, "svg.hashsalt": key}))


def _figure(width: float, height: float) -> Any:
    """A matplotlib Figure on an Agg canvas; no pyplot, so no global figure registry."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height))
    FigureCanvasAgg(figure)
    return figure


_XML_HEADER = re.compile(r"\A.*?(?=<svg)", re.DOTALL)
_METADATA = re.compile(r"<metadata>.*?</metadata>\s*", re.DOTALL)
_NAMESPACES = re.compile(r'\s+xmlns(:xlink)?="[^"]*"')
_GROUP_IDS = re.compile(r'<g id="[^"]*"')  # figure_1, axes_1 ...: the same in every chart
_SIZE = re.compile(r'<svg([^>]*?) width="([0-9.]+)pt" height="([0-9.]+)pt"')


def svg(fig: Any, label: str, key: str) -> Markup:
    """The figure as an inline <svg>: no XML prologue, metadata or namespace URLs (the HTML
    parser needs none), and sized by CSS. Call it inside charting(key)."""
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg")
    text = _XML_HEADER.sub("", buffer.getvalue(), count=1)
    text = _METADATA.sub("", text)
    text = _NAMESPACES.sub("", text)
    text = _GROUP_IDS.sub("<g", text)
    text = _SIZE.sub(lambda m: f'<svg{m.group(1)} role="img" aria-label="{escape(label)}" '
                               f'preserveAspectRatio="xMidYMid meet"', text, count=1)
    return Markup(text.strip())


def rag_chart(rows: Sequence[figures.RagRow]) -> Markup | None:
    """Open clocks per team as horizontal stacked bars, red first."""
    if not rows:
        return None
    with charting("rag"):
        return _rag_chart(rows)


def _rag_chart(rows: Sequence[figures.RagRow]) -> Markup:
    fig = _figure(6.4, 0.55 + 0.42 * len(rows))
    ax = fig.add_axes((0.16, 0.68 / (0.55 + 0.42 * len(rows)), 0.8,
                       0.42 * len(rows) / (0.55 + 0.42 * len(rows))))
    teams = [row.team for row in rows][::-1]
    left = [0] * len(rows)
    for attribute, colour, label in (("red", RED, "red"), ("amber", AMBER, "amber"),
                                     ("green", GREEN, "green")):
        values = [getattr(row, attribute) for row in rows][::-1]
        ax.barh(teams, values, left=left, color=colour, height=0.58, label=label)
        left = [a + b for a, b in zip(left, values, strict=True)]
    ax.set_axisbelow(True)
    ax.xaxis.set_major_formatter("{x:,.0f}")
    ax.grid(axis="x")
    ax.grid(axis="y", visible=False)
    ax.set_xlabel("open clocks: red, amber, green")
    return svg(fig, "Open clocks per team by colour", "rag")


def forecast_chart(rows: Sequence[figures.WorkloadRow],
                   weeks: Sequence[tuple[date, date]]) -> Markup | None:
    """Milestones falling due in each of the next four weeks, a bar per team per week."""
    if not rows:
        return None
    with charting("forecast"):
        return _forecast_chart(rows, weeks)


def _forecast_chart(rows: Sequence[figures.WorkloadRow],
                    weeks: Sequence[tuple[date, date]]) -> Markup:
    fig = _figure(6.4, 2.3)
    ax = fig.add_axes((0.09, 0.2, 0.88, 0.66))
    width = 0.8 / len(rows)
    shades = ["#243b53", "#627d98", "#9fb3c8", "#334e68", "#829ab1", "#bcccdc"]
    for index, row in enumerate(rows):
        xs = [week + (index - (len(rows) - 1) / 2) * width for week in range(len(weeks))]
        bars = ax.bar(xs, row.weeks, width=width * 0.92, color=shades[index % len(shades)],
                      label=row.team)
        ax.bar_label(bars, labels=[f"{count:,}" if count else "" for count in row.weeks],
                     fontsize=7.5, color=MUTED, padding=1.5)
    ax.set_axisbelow(True)
    ax.yaxis.set_major_formatter("{x:,.0f}")
    ax.set_xticks(range(len(weeks)), [f"{day_text(first)[:-5]} – {day_text(last)[:-5]}"
                                      for first, last in weeks])
    ax.set_ylabel("falling due")
    ax.margins(y=0.15)
    ax.legend(loc="lower right", bbox_to_anchor=(1, 1), ncols=min(len(rows), 6), fontsize=8,
              handlelength=1, handleheight=1)
    return svg(fig, "Milestones falling due in each of the next four weeks, per team",
               "forecast")


def chart_months(as_of: date, count: int = CHART_MONTHS) -> list[str]:
    """The `count` calendar months ending with the as-of date's month, oldest first."""
    months = []
    year, month = as_of.year, as_of.month
    for _ in range(count):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months[::-1]


def _month_axis(ax: Any, months: Sequence[str]) -> None:
    ticks = [index for index, month in enumerate(months) if month.endswith(("-01", "-07"))]
    ax.set_xticks(ticks, [month_label(months[i]).replace(" 20", " ’") for i in ticks])
    ax.set_xlim(-0.6, len(months) - 0.4)


def run_chart_svg(label: str, rows: Sequence[MonthMeasure | figures.JourneyMeasure],
                  months: Sequence[str], key: str, allowed: float | None = None,
                  on_time: bool = True) -> Markup:
    """Monthly median days (dark line), p90 (light line) and the centre line (median of the
    monthly medians, dashed), with the time the rule allows dotted in red; points in a shift
    purple, months with fewer than FEW completions hollow. With `on_time`, a lower panel shows
    the share completed on time. Labels for the lines sit in the right margin."""
    with charting(key):
        return _run_chart(label, rows, months, key, allowed, on_time)


def _run_chart(label: str, rows: Sequence[MonthMeasure | figures.JourneyMeasure],
               months: Sequence[str], key: str, allowed: float | None,
               on_time: bool) -> Markup:
    by_month = {row.month: row for row in rows}
    present = [index for index, month in enumerate(months) if month in by_month]
    shown = [by_month[months[index]] for index in present]
    medians = [row.median_days for row in shown]
    chart = figures.run_chart(medians)
    fig = _figure(4.2, 2.75 if on_time else 1.95)
    if on_time:
        top, bottom = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 1.5]})
        fig.subplots_adjust(left=0.14, right=0.82, top=0.96, bottom=0.1, hspace=0.2)
    else:
        top = fig.subplots()
        fig.subplots_adjust(left=0.14, right=0.82, top=0.95, bottom=0.14)
    labels: list[tuple[float, str, str]] = []
    if shown:
        top.plot(present, [row.p90_days for row in shown], color="#bcccdc", lw=1.2)
        top.plot(present, medians, color=NAVY, lw=1.3, zorder=3)
        top.axhline(chart.centre, color=MUTED, lw=0.9, ls=(0, (4, 3)), zorder=2)
        labels.append((chart.centre, f"centre {days_text(chart.centre)}", MUTED))
        shift = set(chart.shift_points)
        for in_shift, filled, colour in ((False, True, NAVY), (True, True, SHIFT),
                                         (False, False, NAVY), (True, False, SHIFT)):
            xs = [index for number, (index, row) in enumerate(zip(present, shown, strict=True))
                  if (number in shift) == in_shift and (row.n >= FEW) == filled]
            if xs:
                top.plot(xs, [by_month[months[x]].median_days for x in xs], ls="none",
                         marker="o", ms=3.8, color=colour,
                         markerfacecolor=colour if filled else "white", zorder=4)
    if allowed is not None:
        top.axhline(allowed, color=RED, lw=0.8, ls=(0, (1, 2)), alpha=0.8)
        labels.append((allowed, f"allowed {allowed:.0f}", RED))
    top.set_ylim(bottom=0)
    top.set_ylabel("days")
    _month_axis(top, months)
    low, high = top.get_ylim()
    gap = (high - low) * 0.09
    placed: list[float] = []
    for value, text, colour in sorted(labels, key=lambda item: item[0]):
        y = max([value] + [other + gap for other in placed])
        placed.append(y)
        top.annotate(text, xy=(1, value), xycoords=("axes fraction", "data"),
                     xytext=(1.015, y), textcoords=("axes fraction", "data"),
                     va="center", fontsize=7, color=colour, annotation_clip=False)
    if on_time:
        top.tick_params(labelbottom=False)
        if shown:
            shares = [100 * row.share_on_time for row in shown]  # type: ignore[union-attr]
            bottom.plot(present, shares, color=GREEN, lw=1.2, marker="o", ms=2.6)
        bottom.set_ylim(-8, 108)
        bottom.set_yticks([0, 50, 100], ["0%", "50%", "100%"])
        bottom.set_ylabel("on time")
        _month_axis(bottom, months)
        fig.align_ylabels([top, bottom])
    return svg(fig, f"Run chart: {label}", key)


# -- Children's timelines -----------------------------------------------------------------------

class CaseLine(NamedTuple):
    """One open case for the timeline pages: its facts and its evaluated rows."""

    case: CaseFacts
    rows: Sequence[MilestoneStatus]


_ROW_START: dict[tuple[str, str], str] = {}


def _row_start(status: str, title: str) -> str:
    key = (status, title)
    found = _ROW_START.get(key)
    if found is None:
        found = _ROW_START[key] = f'<tr class="{status}"><th>{esc(title)}</th><td class="k">'
    return found


def child_card(case: CaseFacts, steps: Sequence[Step], as_of: date, *, name: str | None,
               worker: str, title: str) -> tuple[str, str]:
    """One child's timeline as an HTML table: a row per milestone, with the window its clock
    gives (anchor to due), the overdue stretch in red, the completion as a dot, projections for
    waiting steps dashed, on one axis from the day the child became looked after.

    Positions are written in tenths of a percent (`--l`, `--w`) and placed by the style
    sheet: a million milestones make this the report's inner loop, hence the plain code.
    Returns the HTML and the case's worst status (red, amber, late, green, or done)."""
    start = case.looked_after_on.toordinal()
    today = as_of.toordinal()
    end = today
    for step in steps:
        due, done = step[4], step[5]
        if due is not None and due.toordinal() > end:
            end = due.toordinal()
        if done is not None:
            if done.toordinal() > end:
                end = done.toordinal()
            elif done.toordinal() < start:
                start = done.toordinal()
    span = max(end - start, 30) * 1.03 + 1
    scale = 1000 / span
    now = int((today - start) * scale)
    month = 30.44 * scale
    begin = (case.looked_after_on.toordinal() - start) * scale
    ticks = "".join(f'<span style="--l:{left}">{months} m</span>'
                    for months in range(0, int((end - start) / 30.44) + 1, 6)
                    for left in [int(begin + months * month)] if not -55 < now - left < 100)
    red = amber = green = late = 0
    body: list[str] = []
    add = body.append
    done_status, waiting, red_status, late_status, amber_status = (
        Status.DONE, Status.WAITING, Status.RED, Status.LATE, Status.AMBER)
    for _, step_title, status, anchor, due, done, overdue, projected in steps:
        marks = ""
        if anchor is not None and due is not None:
            left = int((anchor.toordinal() - start) * scale)
            right = int((due.toordinal() - start) * scale)
            marks = (f'<i class="w p" style="--l:{left};--w:{right - left or 4}"></i>'
                     if projected else
                     f'<i class="w" style="--l:{left};--w:{right - left or 4}"></i>')
            if status is red_status or status is late_status:
                stop = int(((today if done is None else done.toordinal()) - start) * scale)
                marks += f'<i class="o" style="--l:{right};--w:{stop - right or 4}"></i>'
        if done is not None:
            marks += f'<b style="--l:{int((done.toordinal() - start) * scale)}"></b>'
        if status is done_status:
            note = "on time" if due is not None else "started"
        elif status is waiting:
            note = "recorded early" if done is not None else "waiting"
        elif status is red_status:
            red += 1
            note = f"{overdue} d overdue"
        elif status is late_status:
            late += 1
            note = f"late by {overdue} d"
        else:
            if status is amber_status:
                amber += 1
            else:
                green += 1
            left_days = (due.toordinal() - today) if due is not None else 0
            note = "due today" if left_days == 0 else f"due in {left_days} d"
        due_cell = ("<td></td>" if due is None else
                    f'<td class="pj">≈ {day_text(due)}</td>' if projected else
                    f"<td>{day_text(due)}</td>")
        add(f"{_row_start(status, step_title)}{marks}</td>{due_cell}"
            f"<td>{'' if done is None else day_text(done)}</td><td class=\"n\">{note}</td></tr>")
    pills = "".join(f'<span class="pill {kind}">{count} {kind}</span>'
                    for kind, count in (("red", red), ("amber", amber), ("green", green),
                                        ("late", late)) if count)
    ref = esc(case.case_ref)
    who = f" · {esc(name)}" if name else ""
    worst = ("red" if red else "amber" if amber else "late" if late else "green" if green
             else "done")
    return (
        f'<section class="child" id="{ref}"><header><h3>{ref}{who}</h3>'
        f"<p>{title} · team {esc(case.team)} · social worker {worker} · looked after since "
        f"{day_text(case.looked_after_on)} ({(as_of - case.looked_after_on).days} days)</p>"
        f'<p class="pills">{pills}</p></header>'
        f'<table class="tl" style="--n:{now};--q:{3 * month:.1f}">'
        f'<thead><tr><th>milestone</th><td class="k ax">{ticks}'
        f'<span class="now" style="--l:{now}">{day_text(as_of)[:-5]}</span></td>'
        f'<td class="d">due</td><td class="d">done</td><td class="n"></td></tr></thead>'
        f'<tbody>{"".join(body)}</tbody></table></section>'), worst


def drift_rows(rows: Sequence[MilestoneStatus], as_of: date, page_of: Any, lead: Any,
               first: int = 1) -> Markup:
    """Table rows for red and amber milestones, each case linked to its timeline."""
    out = []
    for number, row in enumerate(rows, start=first):
        ref = esc(row.case_ref)
        file = page_of(row.team, row.case_ref)
        case = f'<a href="{esc(file)}#{ref}">{ref}</a>' if file else ref
        if row.status is Status.RED:
            tag = f'<span class="tag red">{row.days_overdue} d overdue</span>'
        else:
            left = (row.due - as_of).days if row.due else 0
            when = "due today" if left == 0 else f"due in {left} d"
            tag = f'<span class="tag amber">{when}</span>'
        escalated = ", ".join(esc(lead(who)) for who in row.escalated_to)
        out.append(f'<tr><td class="num small">{number}</td><td>{case}</td><td>{esc(row.team)}</td>'
                   f"<td>{esc(row.title)}</td><td>{day_text(row.due) if row.due else ''}</td>"
                   f"<td>{tag}</td><td>{esc(lead(row.owner))}</td><td>{escalated}</td></tr>")
    return Markup("\n".join(out))


# -- The report ---------------------------------------------------------------------------------

class Page(NamedTuple):
    """A generated page: its file name, the first and last case on it, how many it holds."""

    file: str
    first: str
    last: str
    cases: int
    red: int = 0


def _environment() -> Environment:
    environment = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True,
                              undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    environment.filters["day"] = lambda value: day_text(value) if value else ""
    environment.filters["days"] = days_text
    environment.filters["month"] = month_label
    environment.filters["percent"] = lambda share: f"{100 * share:.0f}%"
    environment.filters["num"] = lambda number: f"{number:,}"
    return environment


def _group(statuses: Sequence[MilestoneStatus]) -> Iterable[tuple[int, int]]:
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


def _pages(items: Sequence[Any], size: int) -> list[Sequence[Any]]:
    return [items[start:start + size] for start in range(0, len(items), size)] or [items[:0]]


def write_report(*, out_dir: Path, timelines: Mapping[str, Timeline],
                 facts: Sequence[CaseFacts], leads: Iterable[tuple[str, str, str]],
                 as_of: date, evaluation: Evaluation | None = None, team: str | None = None,
                 names: Mapping[str, str] | None = None,
                 lead_names: Mapping[str, str] | None = None,
                 page_size: int = PAGE_SIZE) -> Path:
    """Write the report folder for `as_of` and return the path of its index.html.

    `leads` are (lead_id, role, team) rows as `store.lead_roles` returns them; `evaluation`,
    if given, must be evaluate()'s result for the same facts, leads and date (it is worked out
    here otherwise). With `team`, only that team's cases. `names` (case_ref -> child's name)
    puts children's names on the timelines and marks every page as containing personal data;
    without it no name appears. `lead_names` (lead_id -> name) labels leads."""
    try:
        previous = _previous_report(out_dir)
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        # A new, private folder beside the target: nothing in it but what is written now, so
        # no planted link is followed and nothing of anyone else's is touched.
        staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}-", dir=out_dir.parent))
        try:
            with collector_paused():  # a million rows alive, short-lived objects by the million
                _write_report(out_dir=staging, timelines=timelines, facts=facts,
                              leads=list(leads), as_of=as_of, evaluation=evaluation,
                              team=team, names=names, lead_names=lead_names or {},
                              page_size=page_size)
            files = sorted(path.name for path in staging.iterdir())
            (staging / REPORT_MARKER).write_text(json.dumps(
                {"as_of": as_of.isoformat(), "files": files}, indent=1) + "\n", "utf-8")
            for path in staging.iterdir():  # pages with names: the owner only, like the store
                path.chmod(0o600 if names is not None else 0o644)
            staging.chmod(0o700 if names is not None else 0o755)
            _replace(out_dir, staging, previous)
        finally:
            if staging.exists():
                _remove_report(staging, None)
        return out_dir / "index.html"
    except OSError as error:
        reason = error.strerror or str(error)
        raise ReportError(f"cannot write the report to {out_dir}: {reason} "
                          f"({error.filename or out_dir}); choose a folder you can write "
                          "to") from None


REPORT_MARKER = ".permanence-report"  # in every report folder: the files that report wrote


def _previous_report(out_dir: Path) -> list[str] | None:
    """The files of the report already in `out_dir` (None when there is no folder or it is
    empty); refuse a folder holding anything a report did not write."""
    if out_dir.is_symlink():
        raise ReportError(f"cannot write the report to {out_dir}: it is a link; name the "
                          "folder itself (it is created if missing)")
    if out_dir.exists() and not out_dir.is_dir():
        raise ReportError(f"cannot write the report to {out_dir}: it is a file, not a "
                          "folder; choose a folder (it is created if missing)")
    if not out_dir.exists() or not any(out_dir.iterdir()):
        return None
    try:
        files = json.loads((out_dir / REPORT_MARKER).read_text("utf-8"))["files"]
    except (OSError, ValueError, KeyError, TypeError):
        raise ReportError(f"cannot write the report to {out_dir}: the folder holds files no "
                          "report wrote; choose an empty folder, a new one, or one a report "
                          "was written to") from None
    theirs = sorted({path.name for path in out_dir.iterdir()} - set(files) - {REPORT_MARKER})
    if theirs:
        raise ReportError(f"cannot write the report to {out_dir}: it also holds "
                          f"{', '.join(theirs[:5])}{' ...' if len(theirs) > 5 else ''}, which "
                          "no report wrote; move them out first (the report replaces the "
                          "whole folder)")
    return list(files)


def _replace(out_dir: Path, staging: Path, previous: list[str] | None) -> None:
    """Put the finished report in place of the previous one: readers see the old report whole
    or the new one whole, never a mix, and only the old report's own files are removed."""
    if previous is None:
        if out_dir.exists():
            out_dir.rmdir()  # empty: checked before writing
        staging.rename(out_dir)
        return
    retired = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}-old-", dir=out_dir.parent))
    retired.rmdir()
    out_dir.rename(retired)
    staging.rename(out_dir)
    _remove_report(retired, previous)


def _remove_report(folder: Path, files: list[str] | None) -> None:
    """Remove a report folder of ours: the files listed (all, for a staging folder), never a
    link's target, then the folder if that left it empty."""
    names = files if files is not None else [path.name for path in folder.iterdir()]
    for name in [*names, REPORT_MARKER]:
        (folder / name).unlink(missing_ok=True)
    with contextlib.suppress(OSError):  # something else in it: left as it is, never lost
        folder.rmdir()


def _write_report(*, out_dir: Path, timelines: Mapping[str, Timeline],
                  facts: Sequence[CaseFacts], leads: list[tuple[str, str, str]], as_of: date,
                  evaluation: Evaluation | None, team: str | None,
                  names: Mapping[str, str] | None, lead_names: Mapping[str, str],
                  page_size: int) -> Path:
    if team is not None:
        facts = [case for case in facts if case.team == team]
    if evaluation is None:
        evaluation = evaluate(timelines, facts, LeadDirectory(leads), as_of)
    problem = evaluation.unknown_timeline_problem()
    if problem:
        raise ReportError(problem)
    elif team is not None:
        evaluation = Evaluation(as_of, [row for row in evaluation.statuses if row.team == team],
                                [p for p in evaluation.unresolved if p.team == team])
    statuses = evaluation.statuses
    environment = _environment()
    personal = names is not None

    roles = {lead_id: role.replace("_", " ") for lead_id, role, _ in leads}

    def lead(lead_id: str | None) -> str:
        return lead_names.get(lead_id, lead_id) if lead_id else "(nobody)"

    def role(lead_id: str | None) -> str:
        return roles.get(lead_id, "") if lead_id else ""

    common = {"as_of": as_of, "team": team, "personal": personal, "lead": lead, "role": role,
              "scope": f"team {team}" if team else "all teams"}

    def write(file: str, template: str, **context: Any) -> None:
        text = environment.get_template(template).render(**common, **context)
        (out_dir / file).write_text(text, encoding="utf-8")

    # Children's timelines, per team, a page of `page_size` cases each.
    by_ref = {case.case_ref: case for case in facts}
    per_team: dict[str, list[CaseLine]] = {}
    for start, end in _group(statuses):
        case = by_ref[statuses[start].case_ref]
        per_team.setdefault(case.team, []).append(CaseLine(case, statuses[start:end]))
    red_cases = {row.case_ref for row in statuses if row.status is Status.RED}
    slugs = team_slugs(case.team for case in facts)
    directories = {team_name: f"team-{team_slug}.html" for team_name, team_slug in slugs.items()}
    jobs: list[_PageJob] = []
    timeline_pages: dict[str, list[Page]] = {}
    for team_name in sorted(per_team):
        chunks = _pages(per_team[team_name], page_size)
        files = [f"timelines-{slugs[team_name]}-{number:03d}.html"
                 for number in range(1, len(chunks) + 1)]
        timeline_pages[team_name] = [
            Page(file, chunk[0].case.case_ref, chunk[-1].case.case_ref, len(chunk),
                 sum(1 for line in chunk if line.case.case_ref in red_cases))
            for chunk, file in zip(chunks, files, strict=True)]
        jobs.extend(_PageJob(team_name, number, files, chunk, directories[team_name])
                    for number, chunk in enumerate(chunks, start=1))
    writer = _TimelineWriter(out_dir=out_dir, environment=environment, common=common,
                             timelines=timelines, as_of=as_of, names=names,
                             lead_names=lead_names)
    writer.write_all(jobs)

    measured = figures.measure(timelines=timelines, facts=facts, evaluation=evaluation,
                               lead_ids={lead[0] for lead in leads}, as_of=as_of, team=team)
    page_of = _timeline_page_of(timeline_pages)
    for team_name, team_pages in timeline_pages.items():
        write(directories[team_name], "team.html.j2", team_name=team_name, pages=team_pages)

    # Every red and amber milestone, per team, oldest drift first.
    drifting = figures.drift(statuses)
    drift_pages: dict[str, list[Page]] = {}
    for team_name in sorted({row.team for row in drifting}):
        rows = [row for row in drifting if row.team == team_name]
        chunks = _pages(rows, DRIFT_PAGE_SIZE)
        files = [f"drift-{slugs[team_name]}-{number:03d}.html"
                 for number in range(1, len(chunks) + 1)]
        drift_pages[team_name] = []
        for number, (chunk, file) in enumerate(zip(chunks, files, strict=True), start=1):
            drift_pages[team_name].append(Page(file, chunk[0].case_ref, chunk[-1].case_ref,
                                               len(chunk)))
            write(file, "drift.html.j2", team_name=team_name, number=number, pages=files,
                  links=pager_links(files, number),
                  rows=drift_rows(chunk, as_of, page_of, lead,
                                  first=(number - 1) * DRIFT_PAGE_SIZE + 1))

    # Data quality in full.
    write("quality.html", "quality.html.j2", groups=_quality_groups(measured, None))

    # The figures as data.
    (out_dir / "measures.json").write_text(json.dumps(measured.as_json(), indent=1) + "\n",
                                           encoding="utf-8")
    buffer = io.StringIO()
    table = csvfiles.SafeWriter(buffer)
    table.writerow(figures.CSV_COLUMNS)
    table.writerows(figures.csv_rows(measured))
    (out_dir / "measures.csv").write_text(buffer.getvalue(), encoding="utf-8")

    # The index.
    months = chart_months(as_of)
    charts = _measure_charts(timelines, measured, months)
    open_cases = sum(1 for case in facts if case_is_open(case, as_of))
    totals = {status: 0 for status in figures.RAG}
    for row in measured.rag_by_team:
        totals[Status.GREEN] += row.green
        totals[Status.AMBER] += row.amber
        totals[Status.RED] += row.red
    versions = sorted({(name, timelines[name].title, timelines[name].version)
                       for name in {case.timeline for case in facts} if name in timelines})
    write("index.html", "index.html.j2", measures=measured, open_cases=open_cases,
          totals=totals, due_soon=sum(row.total for row in measured.forecast_by_team),
          rag_svg=rag_chart(measured.rag_by_team),
          forecast_svg=forecast_chart(measured.forecast_by_team, measured.forecast_weeks),
          oldest=drift_rows(drifting[:BOARD_DRIFT_ROWS], as_of, page_of, lead),
          drift_total=len(drifting), shown=min(len(drifting), BOARD_DRIFT_ROWS),
          drift_pages=drift_pages, timeline_pages=timeline_pages, charts=charts,
          directories=directories,
          versions=versions, quality=_quality_groups(measured, QUALITY_ROWS),
          quality_total=len(measured.quality), page_of=page_of, page_size=page_size)
    return out_dir / "index.html"


class _PageJob(NamedTuple):
    """One page of children's timelines to write."""

    team: str
    number: int
    files: list[str]
    lines: Sequence[CaseLine]
    directory: str


CARDS_MARK = "<!--permanence:cards-->"


class _TimelineWriter:
    """Writes pages of children's timelines: the page's frame from the template, the cards
    streamed into it one by one."""

    def __init__(self, *, out_dir: Path, environment: Environment, common: dict[str, Any],
                 timelines: Mapping[str, Timeline], as_of: date,
                 names: Mapping[str, str] | None, lead_names: Mapping[str, str]) -> None:
        self.out_dir = out_dir
        self.template = environment.get_template("timelines.html.j2")
        self.common = common
        self.as_of = as_of
        self.names = names
        self.lead_names = lead_names
        self.projector = Projector(timelines, as_of)
        self.titles = {name: esc(timeline.title) for name, timeline in timelines.items()}
        self.workers: dict[str, str] = {}

    def write_all(self, jobs: Iterable[_PageJob]) -> None:
        for job in jobs:
            self.write(job)

    def write(self, job: _PageJob) -> None:
        cards = []
        chips = []
        as_of, names, projector = self.as_of, self.names, self.projector
        for case, rows in job.lines:
            worker = self.workers.get(case.social_worker)
            if worker is None:
                worker = self.workers[case.social_worker] = esc(
                    self.lead_names.get(case.social_worker, case.social_worker) or "(none)")
            html, worst = child_card(case, projector.steps(case.timeline, rows), as_of,
                                     name=names.get(case.case_ref) if names else None,
                                     worker=worker, title=self.titles[case.timeline])
            cards.append(html)
            ref = esc(case.case_ref)
            chips.append(f'<a class="{worst}" href="#{ref}">{ref}</a>')
        frame = self.template.render(
            **self.common, team_name=job.team, number=job.number, pages=job.files,
            directory=job.directory,
            links=pager_links(job.files, job.number), count=len(job.lines),
            chips=Markup("".join(chips)), cards=Markup(CARDS_MARK))
        before, after = frame.split(CARDS_MARK)
        with (self.out_dir / job.files[job.number - 1]).open("w", encoding="utf-8") as page:
            page.write(before)
            page.write("\n".join(cards))
            page.write(after)


def _timeline_page_of(pages: Mapping[str, Sequence[Page]]) -> Any:
    """(team, case_ref) -> the timeline page file that holds the case."""
    firsts = {team: [page.first for page in team_pages] for team, team_pages in pages.items()}

    def page_of(team: str, case_ref: str) -> str | None:
        team_pages = pages.get(team)
        if not team_pages:
            return None
        index = bisect.bisect_right(firsts[team], case_ref) - 1
        return team_pages[max(index, 0)].file

    return page_of


class Chart(NamedTuple):
    """One run chart with its heading, the rule it measures and the latest month's figures."""

    svg: Markup
    title: str
    rule: str
    latest: MonthMeasure | figures.JourneyMeasure


class ChartGroup(NamedTuple):
    """A timeline's run charts, in rule order, and its journey chart."""

    name: str
    title: str
    charts: list[Chart]
    journey: Chart | None


def _measure_charts(timelines: Mapping[str, Timeline], measured: Measures,
                    months: Sequence[str]) -> list[ChartGroup]:
    wanted = set(months)
    by_step: dict[tuple[str, str], list[MonthMeasure]] = {}
    for row in measured.milestones:
        if row.month in wanted:
            by_step.setdefault((row.timeline, row.milestone), []).append(row)
    journeys: dict[str, list[figures.JourneyMeasure]] = {}
    for journey in measured.journeys:
        if journey.month in wanted:
            journeys.setdefault(journey.timeline, []).append(journey)
    groups = []
    for name in sorted({timeline for timeline, _ in by_step} | set(journeys)):
        timeline = timelines[name]
        charts = []
        for milestone in timeline.milestones:
            rows = by_step.get((name, milestone.id))
            if not rows or milestone.within is None:
                continue
            allowed = nominal_days(milestone.within)
            after = timeline.milestone(milestone.after or "")
            charts.append(Chart(
                run_chart_svg(milestone.title, rows, months, f"{name}-{milestone.id}", allowed),
                milestone.title, f"within {milestone.within} of: "
                                 f"{after.title.lower() if after else milestone.after}",
                rows[-1]))
        journey_rows = journeys.get(name)
        journey_chart = None
        if journey_rows:
            last = timeline.milestones[-1]
            label = f"{timeline.milestones[0].title} → {last.title.lower()}"
            journey_chart = Chart(run_chart_svg(label, journey_rows, months, f"{name}-journey",
                                          on_time=False),
                            timeline.title, label, journey_rows[-1])
        groups.append(ChartGroup(name, timeline.title, charts, journey_chart))
    return groups


def _quality_groups(measured: Measures, limit: int | None) -> list[dict[str, Any]]:
    groups = []
    for kind, title in figures.QUALITY_KINDS.items():
        items = [item for item in measured.quality if item.kind == kind]
        groups.append({"kind": kind, "title": title, "count": len(items),
                       "items": items if limit is None else items[:limit]})
    return groups


class StoreData(NamedTuple):
    """What the report needs from the store."""

    facts: list[CaseFacts]
    leads: list[tuple[str, str, str]]
    lead_names: dict[str, str]
    names: dict[str, str] | None


def load_from_store(engine: Any, team: str | None = None, with_names: bool = False) -> StoreData:
    """Cases (of one team), leads with their names and, with `with_names`, children's names;
    a team that has no cases is refused, naming the teams there are."""
    from sqlmodel import Session

    from permanence import store

    with Session(engine) as session:
        facts = store.load_case_facts(session=session, team=team)
        if team is not None and not facts:
            teams = sorted(store.teams(session=session))
            raise BadInput(f"--team {team!r}: no case is in that team; teams in the store: "
                           f"{', '.join(teams) if teams else '(none: import cases first)'}")
        leads = store.lead_roles(session=session)
        lead_names = store.lead_names(session=session)
        names = store.child_names(session=session, team=team) if with_names else None
    return StoreData(facts, leads, lead_names, names)


def write_report_from_store(engine: Any, timelines: Mapping[str, Timeline], as_of: date,
                            out_dir: Path, team: str | None = None,
                            with_names: bool = False) -> Path:
    """Read the cases, leads (and, with `with_names`, children's names) from the store, then
    write_report(). Returns the path of index.html."""
    data = load_from_store(engine, team, with_names)
    return write_report(out_dir=out_dir, timelines=timelines, facts=data.facts, leads=data.leads,
                        as_of=as_of, team=team, names=data.names, lead_names=data.lead_names)
