"""The report's scorecard page (`scorecard.html`): the adoption scorecard for the window ending
on the latest 31 March on or before the as-of date, against its thresholds; each year, each
team, and a run chart of each measure by calendar quarter of adoption.

The figures are `measures.scorecard`'s, worked out from the case facts the report already
holds, so the page and `permanence scorecard --period-end` agree to the day.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import date
from typing import Any, NamedTuple

from markupsafe import Markup

from permanence.evaluate import CaseFacts
from permanence.measures.scorecard import (
    MEASURES,
    THRESHOLDS,
    ChildDates,
    Figure,
    Scorecard,
    by_quarter,
    dates_from_facts,
    default_period_end,
    scorecard,
    window_start,
)
from permanence.measures.stats import run_chart
from permanence.report.chart_cache import kept_on_disk
from permanence.report.charts import (
    FEW,
    MUTED,
    NAVY,
    RED,
    _figure,
    _margin_labels,
    _mark,
    charting,
    svg,
)
from permanence.report.text import days_text

DEFINITIONS = {
    "A1": "Days from entering care to moving in with the adoptive family (mean)",
    "A2": "Days from the placement order to the match with adopters (mean; 0 when the match "
          "came first)",
    "A3": "Children who moved in within 14 months of entering care (share of A1's children)",
    "A10": "As A1, counting from when the adopters first fostered the child, for adoptions by "
           "foster carers (mean)",
}


class QuarterChart(NamedTuple):
    """One measure's run chart by quarter of adoption, with its heading and what it reads."""

    measure: str
    title: str
    svg: Markup | None
    signals: str


def scorecard_context(dates: Sequence[ChildDates], as_of: date,
                      team: str | None) -> dict[str, Any]:
    """What scorecard.html.j2 is given: the scorecard of the window ending on the latest
    31 March on or before `as_of` over the adopted children's `dates` (of `team`, or of every
    team with a row per team), and its run charts."""
    period_end = default_period_end(as_of)
    card = scorecard(dates, period_end, team)
    teams = sorted({child.dates.team for child in card.children}) if team is None else [team]
    return dict(card=card, whole=card.figures(),
                years=[(span, len(card.of_year(span.label)), card.figures(span.label))
                       for span in card.years],
                teams=[(name, scorecard(dates, period_end, name)) for name in teams],
                measures=MEASURES, definitions=DEFINITIONS, thresholds=THRESHOLDS,
                charts=quarter_charts(card), few=FEW, figure_text=figure_text)


def report_scorecard(facts: Sequence[CaseFacts], as_of: date,
                     team: str | None) -> dict[str, Any]:
    """scorecard_context() from the case facts the report holds (every case, open or
    closed)."""
    period_end = default_period_end(as_of)
    return scorecard_context(dates_from_facts(facts, window_start(period_end), period_end),
                             as_of, team)


def quarter_charts(card: Scorecard) -> list[QuarterChart]:
    """A run chart per measure: the value of each calendar quarter's adoptions, in order."""
    quarters = by_quarter(card)
    labels = tuple(quarter for quarter, _ in quarters)
    charts = []
    for measure in MEASURES:
        points = tuple((figures[measure].value, figures[measure].children)
                       for _, figures in quarters)
        values = [float(value) for value, _ in points if value is not None]
        signals = _signals(values)
        drawn = _quarter_chart(measure, labels, tuple(
            (float(value) if value is not None else None, children)
            for value, children in points), THRESHOLDS.get(measure)) if values else None
        charts.append(QuarterChart(measure, DEFINITIONS[measure], drawn, signals))
    return charts


def _signals(values: Sequence[float]) -> str:
    chart = run_chart(values)
    names = []
    if chart.shift_points:
        names.append("shift")
    if chart.trend_points:
        names.append("trend")
    if chart.runs_signal is not None:
        names.append(chart.runs_signal)
    if chart.astronomical_points:
        names.append("astronomical point")
    return ", ".join(names)


def _tick(quarter: str) -> str:
    year, number = quarter.split(" ")
    return f"{number} ’{year[2:]}"


@functools.lru_cache(maxsize=64)
@kept_on_disk
def _quarter_chart(measure: str, quarters: tuple[str, ...],
                   points: tuple[tuple[float | None, int], ...],
                   threshold: int | None) -> Markup:
    with charting(f"scorecard-{measure}"):
        return _draw(measure, quarters, points, threshold)


def _draw(measure: str, quarters: tuple[str, ...],
          points: tuple[tuple[float | None, int], ...], threshold: int | None) -> Markup:
    shown = [(index, value, children) for index, (value, children) in enumerate(points)
             if value is not None]
    xs = [index for index, _, _ in shown]
    ys = [value for _, value, _ in shown]
    chart = run_chart(ys)
    fig = _figure(4.2, 1.95)
    ax = fig.subplots()
    fig.subplots_adjust(left=0.14, right=0.82, top=0.95, bottom=0.16)
    ax.plot(xs, ys, color=NAVY, lw=1.3, zorder=3)
    ax.axhline(chart.centre, color=MUTED, lw=0.9, ls=(0, (4, 3)), zorder=2)
    unit = "%" if measure == "A3" else ""
    labels = [(chart.centre, f"centre {days_text(chart.centre)}{unit}", MUTED)]
    _mark(ax, xs, ys, chart, NAVY, [children < FEW for _, _, children in shown], 3.8)
    if threshold is not None:
        ax.axhline(threshold, color=RED, lw=0.8, ls=(0, (1, 2)), alpha=0.8)
        labels.append((float(threshold), f"threshold {threshold}", RED))
    if measure == "A3":
        ax.set_ylim(-5, 105)
        ax.set_yticks([0, 50, 100], ["0%", "50%", "100%"])
        ax.set_ylabel("moved in by 14 months")
    else:
        ax.set_ylim(bottom=0)
        ax.set_ylabel("days (mean)")
    step = max(1, len(quarters) // 6)
    ticks = list(range(0, len(quarters), step))
    ax.set_xticks(ticks, [_tick(quarters[index]) for index in ticks])
    ax.set_xlim(-0.6, len(quarters) - 0.4)
    _margin_labels(ax, labels)
    return svg(fig, f"Run chart: {measure} by quarter of adoption", f"scorecard-{measure}")


def figure_text(figure: Figure) -> str:
    """`466 days` or `37.5%`; `-` when no child is counted."""
    if figure.value is None:
        return "-"
    return f"{figure.percent}%" if figure.measure == "A3" else f"{figure.days} days"
