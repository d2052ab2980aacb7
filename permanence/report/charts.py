"""The report's charts: matplotlib figures drawn offline and inlined in the page as SVG.

Agg canvas, no pyplot (so no global figure registry), SVG with text as text, and the report's
style applied per chart, leaving the process's own matplotlib settings alone.
"""

from __future__ import annotations

import calendar
import functools
import io
import re
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any, NamedTuple, cast

from markupsafe import Markup, escape

from permanence.dates import Duration, Unit
from permanence.measures.board import RagRow, WorkloadRow
from permanence.measures.figures import Annotation, Measures
from permanence.measures.history import JourneyMeasure, MonthMeasure
from permanence.measures.stats import RunChart, run_chart
from permanence.report.chart_cache import kept_on_disk
from permanence.report.text import day_text, days_text, month_label
from permanence.timelines import Timeline

CHART_MONTHS = 24
FEW = 5  # a month with fewer completions than this is drawn hollow

GREEN, AMBER, RED = "#2e7d32", "#f9a825", "#c62828"
MUTED, RULE, NAVY, SHIFT, TREND = "#52606d", "#d9dee3", "#243b53", "#6d28d9", "#0e7490"
NOTE = "#9a3412"  # an improvement change recorded with `permanence annotate`


def nominal_days(duration: Duration) -> float:
    """Roughly how many calendar days a clock allows, for drawing it on a chart."""
    per_unit = {Unit.DAYS: 1.0, Unit.WEEKS: 7.0, Unit.MONTHS: 30.44, Unit.WORKING_DAYS: 1.4}
    return duration.count * per_unit[duration.unit]


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


def rag_chart(rows: Sequence[RagRow]) -> Markup | None:
    """Open clocks per team as horizontal stacked bars, red first."""
    if not rows:
        return None
    return _drawn_rag_chart(tuple(rows))


@kept_on_disk
def _drawn_rag_chart(rows: tuple[RagRow, ...]) -> Markup:
    with charting("rag"):
        return _rag_chart(rows)


def _rag_chart(rows: Sequence[RagRow]) -> Markup:
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


def forecast_chart(rows: Sequence[WorkloadRow],
                   weeks: Sequence[tuple[date, date]]) -> Markup | None:
    """Milestones falling due in each of the next four weeks, a bar per team per week."""
    if not rows:
        return None
    return _drawn_forecast_chart(tuple(rows), tuple(weeks))


@kept_on_disk
def _drawn_forecast_chart(rows: tuple[WorkloadRow, ...],
                          weeks: tuple[tuple[date, date], ...]) -> Markup:
    with charting("forecast"):
        return _forecast_chart(rows, weeks)


def _forecast_chart(rows: Sequence[WorkloadRow], weeks: Sequence[tuple[date, date]]) -> Markup:
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


def run_chart_svg(label: str, rows: Sequence[MonthMeasure | JourneyMeasure],
                  months: Sequence[str], key: str, allowed: float | None = None,
                  on_time: bool = True, target: float | None = None,
                  annotations: Sequence[Annotation] = ()) -> Markup:
    """Monthly median days (dark line), p90 (light line) and the centre line (median of the
    monthly medians, dashed), with the time the rule allows dotted in red; months with fewer
    than FEW completions hollow. With `on_time`, a lower panel shows the share of the clocks
    that fell due each month done on time, its own centre line, and the `target` share (0 to
    1) dotted in green. On both panels the run chart rules are marked: points in a shift
    purple, points in a trend ringed, an astronomical point in a red diamond. Each of the
    `annotations` inside the months shown is a labelled vertical line at its date, across
    both panels. Labels for the lines sit in the right margin. Every input is an argument:
    the drawing is memoised."""
    return _drawn_run_chart(label, tuple(rows), tuple(months), key, allowed, on_time, target,
                            tuple(annotations))


@functools.lru_cache(maxsize=256)
@kept_on_disk
def _drawn_run_chart(label: str, rows: tuple[MonthMeasure | JourneyMeasure, ...],
                     months: tuple[str, ...], key: str, allowed: float | None,
                     on_time: bool, target: float | None,
                     annotations: tuple[Annotation, ...]) -> Markup:
    """Each chart is drawn once for the same figures, in this process and (kept_on_disk)
    beside it: matplotlib takes a tenth of a second a chart, and a process that writes or
    serves reports again and again (the web page, the daily check) mostly draws charts whose
    months have not changed."""
    with charting(key):
        return _run_chart(label, rows, months, key, allowed, on_time, target, annotations)


def _median_points(rows: Sequence[MonthMeasure | JourneyMeasure],
                   months: Sequence[str]) -> tuple[list[int], list[float], list[int]]:
    """(x, median days, n) of the months in `months` with completions."""
    by_month = {row.month: row for row in rows}
    xs, ys, ns = [], [], []
    for index, month in enumerate(months):
        row = by_month.get(month)
        if row is not None and row.median_days is not None:
            xs.append(index)
            ys.append(row.median_days)
            ns.append(row.n)
    return xs, ys, ns


def _share_points(rows: Sequence[MonthMeasure | JourneyMeasure],
                  months: Sequence[str]) -> tuple[list[int], list[float]]:
    """(x, percent on time) of the months in `months` in which a clock fell due."""
    by_month = {row.month: row for row in rows}
    xs, ys = [], []
    for index, month in enumerate(months):
        row = by_month.get(month)
        share = getattr(row, "share_on_time", None)
        if share is not None:
            xs.append(index)
            ys.append(100 * share)
    return xs, ys


def _signal_names(chart: RunChart) -> list[str]:
    names = []
    if chart.shift_points:
        names.append("shift")
    if chart.trend_points:
        names.append("trend")
    if chart.runs_signal is not None:
        assert chart.runs_expected is not None
        fewest, most = chart.runs_expected
        names.append(f"{chart.runs_signal} ({chart.runs}; {fewest} to {most} expected of "
                     f"{chart.useful} points off the centre line)")
    if chart.astronomical_points:
        names.append("astronomical point" if len(chart.astronomical_points) == 1
                     else "astronomical points")
    return names


def chart_signals(rows: Sequence[MonthMeasure | JourneyMeasure], months: Sequence[str],
                  on_time: bool = True) -> str:
    """The run chart rules a chart's series break, in words ('' for none): what the marks on
    the chart mean, for a reader who cannot see them."""
    parts = []
    names = _signal_names(run_chart(_median_points(rows, months)[1]))
    if names:
        parts.append(f"median days: {', '.join(names)}")
    if on_time:
        names = _signal_names(run_chart(_share_points(rows, months)[1]))
        if names:
            parts.append(f"on time: {', '.join(names)}")
    return "; ".join(parts)


def _mark(ax: Any, xs: Sequence[int], ys: Sequence[float], chart: RunChart, colour: str,
          hollow: Sequence[bool], size: float) -> None:
    """The points of one series, coloured by the run chart rules they break."""
    shift = set(chart.shift_points)
    for in_shift, filled in ((False, True), (True, True), (False, False), (True, False)):
        chosen = [number for number in range(len(xs))
                  if (number in shift) == in_shift and (not hollow[number]) == filled]
        if chosen:
            shade = SHIFT if in_shift else colour
            ax.plot([xs[n] for n in chosen], [ys[n] for n in chosen], ls="none", marker="o",
                    ms=size, color=shade, markerfacecolor=shade if filled else "white",
                    zorder=4)
    if chart.trend_points:
        ax.plot([xs[n] for n in chart.trend_points], [ys[n] for n in chart.trend_points],
                ls="none", marker="o", ms=size + 3.6, markerfacecolor="none",
                markeredgecolor=TREND, markeredgewidth=1.0, zorder=5)
    if chart.astronomical_points:
        ax.plot([xs[n] for n in chart.astronomical_points],
                [ys[n] for n in chart.astronomical_points], ls="none", marker="D",
                ms=size + 4.2, markerfacecolor="none", markeredgecolor=RED,
                markeredgewidth=1.1, zorder=5)


def _margin_labels(ax: Any, labels: Sequence[tuple[float, str, str]]) -> None:
    low, high = ax.get_ylim()
    gap = (high - low) * 0.09
    placed: list[float] = []
    for value, text, colour in sorted(labels, key=lambda item: item[0]):
        y = max([value] + [other + gap for other in placed])
        placed.append(y)
        ax.annotate(text, xy=(1, value), xycoords=("axes fraction", "data"),
                    xytext=(1.015, y), textcoords=("axes fraction", "data"),
                    va="center", fontsize=7, color=colour, annotation_clip=False)


def annotation_x(day: date, months: Sequence[str]) -> float | None:
    """Where a date falls on a chart whose month i is centred on x = i: its month's span is
    i - 0.5 to i + 0.5, the day at the middle of its share of it; None outside `months`."""
    month = f"{day.year:04d}-{day.month:02d}"
    if month not in months:
        return None
    length = calendar.monthrange(day.year, day.month)[1]
    return months.index(month) - 0.5 + (day.day - 0.5) / length


ANNOTATION_CHARS = 28


def _annotate(axes: Sequence[Any], annotations: Sequence[Annotation],
              months: Sequence[str]) -> None:
    """Each annotation in the months shown as a dashed vertical line across every panel, its
    date and text written up the line in the top panel, cut to ANNOTATION_CHARS (the page
    lists every annotation whole)."""
    for note in annotations:
        x = annotation_x(note.on, months)
        if x is None:
            continue
        for ax in axes:
            ax.axvline(x, color=NOTE, lw=0.8, ls=(0, (3, 2)), zorder=1)
        text = f"{note.on.day} {month_label(months[round(x)])[:3]}: {note.text}"
        if len(text) > ANNOTATION_CHARS:
            text = text[:ANNOTATION_CHARS - 1].rstrip() + "…"
        axes[0].annotate(text,
                         xy=(x, 1), xycoords=("data", "axes fraction"), xytext=(-2, -2),
                         textcoords="offset points", rotation=90, ha="right", va="top",
                         fontsize=6, color=NOTE, annotation_clip=False)


def _run_chart(label: str, rows: Sequence[MonthMeasure | JourneyMeasure],
               months: Sequence[str], key: str, allowed: float | None,
               on_time: bool, target: float | None,
               annotations: Sequence[Annotation] = ()) -> Markup:
    xs, medians, counts = _median_points(rows, months)
    chart = run_chart(medians)
    fig = _figure(4.2, 2.75 if on_time else 1.95)
    if on_time:
        top, bottom = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 1.5]})
        fig.subplots_adjust(left=0.14, right=0.82, top=0.96, bottom=0.1, hspace=0.2)
    else:
        top = fig.subplots()
        fig.subplots_adjust(left=0.14, right=0.82, top=0.95, bottom=0.14)
    labels: list[tuple[float, str, str]] = []
    if xs:
        by_month = {row.month: row for row in rows}
        top.plot(xs, [by_month[months[x]].p90_days for x in xs], color="#bcccdc", lw=1.2)
        top.plot(xs, medians, color=NAVY, lw=1.3, zorder=3)
        top.axhline(chart.centre, color=MUTED, lw=0.9, ls=(0, (4, 3)), zorder=2)
        labels.append((chart.centre, f"centre {days_text(chart.centre)}", MUTED))
        _mark(top, xs, medians, chart, NAVY, [n < FEW for n in counts], 3.8)
    if allowed is not None:
        top.axhline(allowed, color=RED, lw=0.8, ls=(0, (1, 2)), alpha=0.8)
        labels.append((allowed, f"allowed {allowed:.0f}", RED))
    top.set_ylim(bottom=0)
    top.set_ylabel("days")
    _month_axis(top, months)
    _margin_labels(top, labels)
    if on_time:
        top.tick_params(labelbottom=False)
        share_xs, shares = _share_points(rows, months)
        below: list[tuple[float, str, str]] = []
        if share_xs:
            shares_chart = run_chart(shares)
            bottom.plot(share_xs, shares, color=GREEN, lw=1.2, zorder=3)
            bottom.axhline(shares_chart.centre, color=MUTED, lw=0.8, ls=(0, (4, 3)), zorder=2)
            _mark(bottom, share_xs, shares, shares_chart, GREEN, [False] * len(shares), 2.6)
        if target is not None:
            bottom.axhline(100 * target, color=GREEN, lw=0.9, ls=(0, (1, 2)))
            below.append((100 * target, f"target {100 * target:g}%", GREEN))
        bottom.set_ylim(-8, 108)
        bottom.set_yticks([0, 50, 100], ["0%", "50%", "100%"])
        bottom.set_ylabel("on time")
        _month_axis(bottom, months)
        _margin_labels(bottom, below)
        fig.align_ylabels([top, bottom])
    _annotate([top, bottom] if on_time else [top], annotations, months)
    return svg(fig, f"Run chart: {label}", key)


class Chart(NamedTuple):
    """One run chart with its heading, the rule it measures, the latest month's figures and
    the run chart rules it breaks, in words."""

    svg: Markup
    title: str
    rule: str
    latest: MonthMeasure | JourneyMeasure
    signals: str = ""
    target: float | None = None


class ChartGroup(NamedTuple):
    """A timeline's run charts, in rule order, and its journey chart."""

    name: str
    title: str
    charts: list[Chart]
    journey: Chart | None


def measure_charts(timelines: Mapping[str, Timeline], measured: Measures,
                    months: Sequence[str]) -> list[ChartGroup]:
    """Per timeline, a run chart for each clocked milestone and one of its journeys, over
    `months`."""
    wanted = set(months)
    by_step: dict[tuple[str, str], list[MonthMeasure]] = {}
    for row in measured.milestones:
        if row.month in wanted:
            by_step.setdefault((row.timeline, row.milestone), []).append(row)
    journeys: dict[str, list[JourneyMeasure]] = {}
    for journey in measured.journeys:
        if journey.month in wanted:
            journeys.setdefault(journey.timeline, []).append(journey)
    groups = []
    for name in sorted({timeline for timeline, _ in by_step} | set(journeys)):
        timeline = timelines[name]
        charts = []
        for milestone in timeline.milestones:
            rows = by_step.get((name, milestone.id))
            clock = milestone.every or milestone.within  # a recurring step: its usual span
            if not rows or clock is None:
                continue
            after = timeline.milestone(milestone.after or "")
            follows = after.title if after else milestone.after
            rule = (f"within {milestone.within} of: {follows}" if milestone.within else
                    f"every {milestone.every} from: {follows}")
            if milestone.every is not None and milestone.within is not None:
                rule += f", then every {milestone.every}"
            charts.append(Chart(
                run_chart_svg(milestone.title, rows, months, f"{name}-{milestone.id}",
                              nominal_days(clock), target=milestone.target,
                              annotations=measured.annotations),
                milestone.title, rule, rows[-1], chart_signals(rows, months),
                milestone.target))
        journey_rows = journeys.get(name)
        journey_chart = None
        if journey_rows:
            last = timeline.milestone(journey_rows[-1].milestone) or timeline.milestones[-1]
            label = f"{timeline.milestones[0].title} → {last.title}"
            journey_chart = Chart(run_chart_svg(label, journey_rows, months, f"{name}-journey",
                                                on_time=False,
                                                annotations=measured.annotations),
                                  timeline.title, label, journey_rows[-1],
                                  chart_signals(journey_rows, months, on_time=False))
        groups.append(ChartGroup(name, timeline.title, charts, journey_chart))
    return groups


TEAM_COLOURS = ("#1f2933", "#3e7cb1", "#8e44ad", "#d35400", "#16a085", "#7f8c8d")


def drift_over_time_chart(days: Sequence[tuple[date, Mapping[str, Mapping[str, int]]]],
                          teams: Sequence[str]) -> Markup | None:
    """Red (upper panel) and amber (lower) per team, day by day, drawn as the report draws its
    charts: whether drift is going up or down. None with fewer than two days to join."""
    if len(days) < 2 or not teams:
        return None
    return _drawn_drift_over_time_chart(tuple(days), tuple(teams))


@kept_on_disk
def _drawn_drift_over_time_chart(days: tuple[tuple[date, Mapping[str, Mapping[str, int]]], ...],
                                 teams: tuple[str, ...]) -> Markup:
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter

    with charting("drift-over-time"):
        figure = _figure(9, 4.4)
        panels = figure.subplots(2, 1, sharex=True)
        xs = [day for day, _ in days]
        for index, team in enumerate(teams):
            colour = TEAM_COLOURS[index % len(TEAM_COLOURS)]
            for panel, status in zip(panels, ("red", "amber"), strict=True):
                panel.plot(xs, [counts.get(team, {}).get(status, 0) for _, counts in days],
                           color=colour, marker="o", markersize=2.5, linewidth=1.4,
                           label=f"team {team}")
        for panel, status, colour in zip(panels, ("red", "amber"), (RED, AMBER), strict=True):
            panel.set_ylabel(status, color=colour)
            panel.set_ylim(bottom=0)
            panel.yaxis.get_major_locator().set_params(integer=True)
        locator = AutoDateLocator()
        panels[1].xaxis.set_major_locator(locator)
        panels[1].xaxis.set_major_formatter(ConciseDateFormatter(locator))
        panels[0].legend(loc="upper left", ncols=min(len(teams), 6), fontsize=7.5)
        figure.tight_layout()
        return svg(figure, "Red and amber milestones per team, day by day", "drift-over-time")
