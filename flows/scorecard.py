"""The `scorecard` artifact: the adoption scorecard, published by the daily check when its
period end moves to a new 31 March.

The period end a check shows is the latest 31 March on or before its day. The artifact is
published by the first check whose period end differs from that of the check before it (the
latest finished check of an earlier day): the scorecard of a new year, in Prefect's run history
beside that day's other artifacts. A re-run of that day publishes it again (the same figures,
or corrected ones); any later day leaves it alone until the next 31 March. A store's first
check has no check before it, so no period end has moved: it publishes nothing (the report's
scorecard page and `permanence scorecard` show the scorecard any day). Everything quoted from
the store is escaped (`artifacts.md`).
"""

from __future__ import annotations

from datetime import date

from prefect.artifacts import create_markdown_artifact
from sqlalchemy.engine import Engine
from sqlmodel import Session

from permanence.flows.artifacts import md
from permanence.measures.scorecard import (
    MEASURES,
    Figure,
    Scorecard,
    default_period_end,
    scorecard,
    window_start,
)
from permanence.report.scorecard import DEFINITIONS, figure_text
from permanence.store.scorecard import checked_day_before, scorecard_dates

ARTIFACT_KEY = "scorecard"


def scorecard_due(previous: date | None, day: date) -> bool:
    """Whether a check of `day` publishes the scorecard, the check before it being of
    `previous` (None: there was none, and nothing has moved)."""
    return previous is not None and default_period_end(previous) != default_period_end(day)


def _cell(figure: Figure) -> str:
    return f"{figure_text(figure)} ({figure.children})"


def _against(figure: Figure) -> str:
    if figure.threshold_days is None:
        return ""
    within = figure.within_threshold
    verdict = "" if within is None else (": within" if within else ": **over**")
    return f"{figure.threshold_days} days{verdict}"


def scorecard_markdown(card: Scorecard, teams: list[Scorecard],
                       page: str | None = None) -> str:
    """The scorecard as the Prefect UI shows it: the three years and each year, then each
    team's three-year figures; `page` links the web page's scorecard."""
    years = list(card.years)
    lines = [f"# Adoption scorecard, {card.window_start} to {card.period_end}", "",
             (f"{card.adopted} {'child' if card.adopted == 1 else 'children'} adopted (an "
              "adoption order in the period), all teams. In brackets: the children each "
              "figure counts. Means are rounded half up to a whole day, A3 to one decimal."),
             "",
             "| measure | three years | threshold | " + " | ".join(y.label for y in years) + " |",
             "|---|---:|---:|" + "---:|" * len(years),
             f"| adopted | {card.adopted} | | " + " | ".join(
                 str(len(card.of_year(y.label))) for y in years) + " |"]
    whole = card.figures()
    by_year = [card.figures(y.label) for y in years]
    for measure in MEASURES:
        lines.append(f"| {measure} | {_cell(whole[measure])} | {_against(whole[measure])} | "
                     + " | ".join(_cell(year[measure]) for year in by_year) + " |")
    lines += ["", "## Each team", ""]
    if teams:
        lines += ["| team | adopted | " + " | ".join(MEASURES) + " |",
                  "|---|---:|" + "---:|" * len(MEASURES)]
        for team in teams:
            figures = team.figures()
            lines.append(f"| {md(team.team)} | {team.adopted} | "
                         + " | ".join(_cell(figures[m]) for m in MEASURES) + " |")
    else:
        lines.append("No child was adopted in the period.")
    lines += ["", "## The measures", ""]
    lines += [f"- {measure}: {DEFINITIONS[measure]}" for measure in MEASURES]
    lines += ["", (f"`permanence scorecard --period-end {card.period_end} --children` lists "
                  "every child, the dates used, and what each child is left out of and why.")]
    if page is not None:
        lines += ["", f"[The scorecard page]({page})"]
    return "\n".join(lines) + "\n"


def publish_scorecard(engine: Engine, day: date, web_url: str | None) -> date | None:
    """Publish the `scorecard` artifact when a check of `day` is the first of a new period
    end; returns that period end, or None when nothing was published."""
    period_end = default_period_end(day)
    with Session(engine) as session:
        if not scorecard_due(checked_day_before(session=session, day=day), day):
            return None
        dates = scorecard_dates(session=session, first=window_start(period_end),
                                last=period_end)
    card = scorecard(dates, period_end)
    teams = [scorecard(dates, period_end, team)
             for team in sorted({child.dates.team for child in card.children})]
    page = f"{web_url}/days/{day.isoformat()}/scorecard.html" if web_url else None
    create_markdown_artifact(key=ARTIFACT_KEY, markdown=scorecard_markdown(card, teams, page),
                             description=f"Adoption scorecard, period ending {period_end}")
    return period_end
