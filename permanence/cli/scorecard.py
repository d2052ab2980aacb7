"""`permanence scorecard`: the adoption scorecard (A1, A2, A3, A10) from the store, as a table,
the contract's JSON object, or CSV; `--children` adds every child's dates and days, and what
each child is left out of and why."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from datetime import date
from enum import StrEnum
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text
from sqlmodel import Session

from permanence import csvfiles
from permanence.cli.settings import Settings, parse_as_of, plain_errors
from permanence.cli.views import require_team
from permanence.clock import service_today
from permanence.csvfiles import printable
from permanence.measures.scorecard import (
    MEASURES,
    ChildFigures,
    Figure,
    Scorecard,
    default_period_end,
    scorecard,
    window_start,
)
from permanence.store.scorecard import scorecard_dates
from permanence.terminal import out

DEFINITIONS = {
    "A1": "days from entering care to moving in with adopters (mean)",
    "A2": "days from placement order to match with adopters (mean; 0 when matched first)",
    "A3": "moved in within 14 months of entering care (share of A1's children)",
    "A10": "as A1, counting from when the adopters first fostered the child (mean)",
}
"""Each measure in words, as the table and the report say it."""

CSV_COLUMNS = ("period_end", "window_start", "team", "year", "from", "to", "adopted",
               "measure", "days", "percent", "children", "threshold_days")
"""`scorecard --format csv`: a row per year (`all` for the three years, then each year's
label) and measure."""

CHILD_COLUMNS = ("case_ref", "team", "year", "entered_care", "placement_order", "matched",
                 "fostered_by_adopters", "placed_with_adopters", "adoption_order", "A1_days",
                 "A2_days", "entered_care_plus_14_months", "A3_within_14_months", "A10_days",
                 "left_out")
"""`scorecard --format csv --children`: a row per child counted."""


class ScorecardFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


@plain_errors
def scorecard_command(
    ctx: typer.Context,
    period_end: Annotated[str | None, typer.Option(
        "--period-end", metavar="DATE",
        help="YYYY-MM-DD, the window's last day (default: the latest 31 March on or before "
             "today).")] = None,
    team: Annotated[str | None, typer.Option("--team", metavar="TEAM")] = None,
    output: Annotated[ScorecardFormat, typer.Option("--format")] = ScorecardFormat.table,
    children: Annotated[bool, typer.Option(
        "--children", help="Also list every child counted: the dates used, the days of each "
                           "measure, and each measure the child is left out of, with the "
                           "reason.")] = False,
) -> None:
    """The adoption scorecard: A1, A2, A3 and A10 over the three years ending on the period
    end, and each year, for the children with an adoption order in that window (any
    timeline, open or closed), against the thresholds (A1 and A10 426 days, A2 121 days)."""
    settings: Settings = ctx.obj
    end = (parse_as_of(period_end, "--period-end") if period_end is not None
           else default_period_end(service_today()))
    card = read_scorecard(settings, end, team)
    if output is ScorecardFormat.json:
        sys.stdout.write(json.dumps(card.as_json(with_children=children), indent=1) + "\n")
    elif output is ScorecardFormat.csv:
        writer = csvfiles.SafeWriter(sys.stdout)
        if children:
            writer.writerow(CHILD_COLUMNS)
            writer.writerows(child_rows(card.children))
        else:
            writer.writerow(CSV_COLUMNS)
            writer.writerows(csv_rows(card))
    else:
        print_scorecard(card)
        if children:
            print_children(card)


def read_scorecard(settings: Settings, period_end: date, team: str | None) -> Scorecard:
    """The scorecard of the window ending on `period_end`, read from the store."""
    with Session(settings.engine()) as session:
        if team is not None:
            require_team(session, team)
        dates = scorecard_dates(session=session, first=window_start(period_end),
                                last=period_end, team=team)
    return scorecard(dates, period_end, team)


def _cell(value: object) -> object:
    return "" if value is None else value


def csv_rows(card: Scorecard) -> list[list[object]]:
    """The figures as rows of CSV_COLUMNS: the three years (`all`), then each year."""
    rows: list[list[object]] = []
    spans = [("all", card.window_start, card.period_end, None),
             *((span.label, span.first, span.last, span.label) for span in card.years)]
    for label, first, last, year in spans:
        adopted = len(card.of_year(year))
        for measure, figure in card.figures(year).items():
            rows.append([card.period_end.isoformat(), card.window_start.isoformat(),
                         _cell(card.team), label, first.isoformat(), last.isoformat(), adopted,
                         measure, _cell(figure.days),
                         _cell(figure.percent if figure.percent is None else
                               f"{figure.percent}"),
                         figure.children, _cell(figure.threshold_days)])
    return rows


def left_out_text(child: ChildFigures) -> str:
    """`A2: no match date (no matched recorded)`, one part per measure left out; measures left
    out for the same reason share a part (`A1, A2, A3, A10: no adoptive placement ...`)."""
    parts: dict[str, list[str]] = {}
    for item in child.left_out:
        parts.setdefault(item.reason, []).append(item.measure)
    return "; ".join(f"{', '.join(measures)}: {reason}" for reason, measures in parts.items())


def child_rows(children: Sequence[ChildFigures]) -> list[list[object]]:
    """Each child as a row of CHILD_COLUMNS."""
    rows: list[list[object]] = []
    for child in children:
        data = child.as_json()
        met = data["A3_within_14_months"]
        data["A3_within_14_months"] = "" if met is None else ("yes" if met else "no")
        data["left_out"] = left_out_text(child)
        rows.append([_cell(data[column]) for column in CHILD_COLUMNS])
    return rows


def _figure_text(figure: Figure) -> str:
    """`466 (8)`: the value and the children it counts; `-` with no child."""
    if figure.measure == "A3":
        value = f"{figure.percent}%" if figure.percent is not None else "-"
    else:
        value = str(figure.days) if figure.days is not None else "-"
    return f"{value} ({figure.children})"


def _against(figure: Figure) -> Text:
    """The threshold and where the figure stands against it."""
    if figure.threshold_days is None:
        return Text("")
    text = Text(f"{figure.threshold_days} days")
    within = figure.within_threshold
    if within is not None:
        text.append(": within" if within else ": over", style="green" if within else "bold red")
    return text


def print_scorecard(card: Scorecard) -> None:
    """The figures: a row per measure, the three years then each year, each cell the value
    and (in brackets) the children it counts."""
    scope = f"team {card.team}" if card.team else "all teams"
    out.print(printable(f"Adoption scorecard, {card.window_start} to {card.period_end}, {scope}: "
                        f"{card.adopted} {'child' if card.adopted == 1 else 'children'} "
                        "adopted"), markup=False)
    table = Table(show_header=True, header_style="bold")
    for column in ("measure", "what it measures", "3 years", "threshold",
                   *(span.label for span in card.years)):
        table.add_column(column, no_wrap=column != "what it measures")
    whole = card.figures()
    by_year = [card.figures(span.label) for span in card.years]
    table.add_row("adopted", "children with an adoption order in the window",
                  str(card.adopted), "", *(str(len(card.of_year(span.label)))
                                           for span in card.years))
    for measure in MEASURES:
        table.add_row(measure, DEFINITIONS[measure], _figure_text(whole[measure]),
                      _against(whole[measure]),
                      *(_figure_text(year[measure]) for year in by_year))
    out.print(table)
    out.print("In brackets: the children each figure counts. Means are rounded half up to a "
              "whole day; A3 to one decimal. `--children` lists every child and what each is "
              "left out of.", markup=False)


def print_children(card: Scorecard) -> None:
    """Every child counted: the dates used and the days of each measure; then each child left
    out of a measure, with the reason."""
    if not card.children:
        out.print("No child was adopted in the window.", markup=False)
        return
    table = Table(title="Children counted", title_justify="left", header_style="bold")
    for column in ("case", "team", "year", "entered care", "placement order", "matched",
                   "fostered by adopters", "placed with adopters", "adoption order", "A1",
                   "A2", "A3", "A10"):
        table.add_column(column, no_wrap=True)
    for child in card.children:
        dates = child.dates
        met = "" if child.a3 is None else ("yes" if child.a3 else "no")
        table.add_row(*map(printable, (
            dates.case_ref, dates.team, child.year, _day(dates.entered_care),
            _day(dates.placement_order), _day(dates.matched), _day(dates.fostered_by_adopters),
            _day(dates.placed_with_adopters), _day(dates.adoption_order), _num(child.a1),
            _num(child.a2), met, _num(child.a10))))
    out.print(table)
    left = [child for child in card.children if child.left_out]
    if not left:
        out.print("No child is left out of any measure.", markup=False)
        return
    out.print("Left out:", markup=False)
    for child in left:
        out.print(printable(f"  {child.dates.case_ref}: {left_out_text(child)}"), markup=False)


def _day(day: date | None) -> str:
    return day.isoformat() if day is not None else ""


def _num(value: int | None) -> str:
    return "" if value is None else str(value)
