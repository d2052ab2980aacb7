"""Every figure of the report for one as-of date, as `measure()` gathers them: the `Measures`
record that the report's pages and `permanence measures` (JSON and CSV) print alike."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import NamedTuple

from permanence.evaluate import CaseFacts, Evaluation, MilestoneStatus
from permanence.explanations import Explanation, standing_on
from permanence.measures.board import (
    FORECAST_DAYS,
    RagRow,
    WorkloadRow,
    at_risk,
    forecast,
    rag_counts,
)
from permanence.measures.history import (
    ExtensionMeasure,
    JourneyMeasure,
    MonthMeasure,
    extension_counts,
    history_measures,
)
from permanence.measures.quality import QualityItem, open_case_quality
from permanence.measures.reasons import unexplained_red
from permanence.timelines import Timeline


class Annotation(NamedTuple):
    """An improvement change, recorded with `permanence annotate`: drawn on every run chart at
    its date, as a PDSA cycle needs to see what changed when."""

    on: date
    text: str
    id: int = 0

    def as_json(self) -> dict[str, object]:
        return {"id": self.id, "on": self.on.isoformat(), "text": self.text}


@dataclass
class Measures:
    """Everything the report shows as figures, for one as-of date (and team, if given)."""

    as_of: date
    team: str | None = None
    milestones: list[MonthMeasure] = field(default_factory=list)
    journeys: list[JourneyMeasure] = field(default_factory=list)
    rag_by_team: list[RagRow] = field(default_factory=list)
    rag_by_lead: list[RagRow] = field(default_factory=list)
    forecast_by_team: list[WorkloadRow] = field(default_factory=list)
    forecast_by_lead: list[WorkloadRow] = field(default_factory=list)
    quality: list[QualityItem] = field(default_factory=list)
    extensions: list[ExtensionMeasure] = field(default_factory=list)
    at_risk: list[MilestoneStatus] = field(default_factory=list)
    """Running clocks booked for after their due date, soonest due first."""
    annotations: list[Annotation] = field(default_factory=list)
    """Improvement changes dated on or before the as-of date, oldest first."""
    explained: dict[tuple[str, str], Explanation] = field(default_factory=dict)
    """(case_ref, milestone) -> the explanation standing on the as-of date, for the drift
    tables (not a figure: not in `as_json`)."""

    @property
    def extensions_granted(self) -> int:
        return sum(row.granted for row in self.extensions)

    @property
    def forecast_weeks(self) -> list[tuple[date, date]]:
        """(first, last) day of each forecast week."""
        return [(self.as_of + timedelta(days=7 * week), self.as_of + timedelta(days=7 * week + 6))
                for week in range(FORECAST_DAYS // 7)]

    def as_json(self) -> dict[str, object]:
        return {
            "as_of": self.as_of.isoformat(), "team": self.team,
            "milestones": [row.as_json() for row in self.milestones],
            "journeys": [row.as_json() for row in self.journeys],
            "rag": {"by_team": [row.as_json() for row in self.rag_by_team],
                    "by_lead": [row.as_json() for row in self.rag_by_lead]},
            "forecast": {
                "weeks": [{"from": first.isoformat(), "to": last.isoformat()}
                          for first, last in self.forecast_weeks],
                "by_team": [row.as_json() for row in self.forecast_by_team],
                "by_lead": [row.as_json() for row in self.forecast_by_lead]},
            "data_quality": [item.as_json() for item in self.quality],
            "extensions": {"granted": self.extensions_granted,
                           "by_month": [row.as_json() for row in self.extensions]},
            "at_risk": [at_risk_json(row) for row in self.at_risk],
            "annotations": [note.as_json() for note in self.annotations],
        }


def at_risk_json(row: MilestoneStatus) -> dict[str, object]:
    """A milestone at risk as the measures' JSON lists it."""
    assert row.due is not None and row.planned_for is not None
    return {"case_ref": row.case_ref, "team": row.team, "timeline": row.timeline,
            "milestone": row.milestone, "title": row.title, "status": str(row.status),
            "due": row.due.isoformat(), "planned_for": row.planned_for.isoformat(),
            "days_after_due": (row.planned_for - row.due).days, "owner": row.owner,
            "sibling_group": row.sibling_group}


CSV_COLUMNS = ("measure", "timeline", "milestone", "title", "month", "n", "median_days",
               "p90_days", "on_time", "share_on_time", "due", "due_on_time", "due_late",
               "due_open")


def csv_rows(measures: Measures) -> list[list[object]]:
    """The improvement measures as one table: milestone rows, then journey rows (a figure that
    does not apply, or has no value that month, is an empty cell)."""
    rows: list[list[object]] = []
    for row in measures.milestones:  # `extended`: JSON only
        rows.append(["milestone", row.timeline, row.milestone, row.title, row.month, row.n,
                     "" if row.median_days is None else row.median_days,
                     "" if row.p90_days is None else row.p90_days, row.on_time,
                     "" if row.share_on_time is None else row.share_on_time, row.due,
                     row.due_on_time, row.due_late, row.due_open])
    for journey in measures.journeys:
        rows.append(["journey", *journey, "", "", "", "", "", ""])
    return rows


def measure(*, timelines: Mapping[str, Timeline], facts: Sequence[CaseFacts],
            evaluation: Evaluation, lead_ids: set[str], as_of: date,
            team: str | None = None, annotations: Sequence[Annotation] = (),
            explanations: Sequence[Explanation] = ()) -> Measures:
    """Every figure of the report for one as-of date; with `team`, that team's cases only.
    `evaluation` is evaluate()'s result for the same facts and as-of date; of `annotations`,
    those dated on or before it are kept, to be drawn on the run charts; `explanations` (every
    one recorded) say which red milestones have a reason."""
    statuses: Sequence[MilestoneStatus] = evaluation.statuses
    if team is not None:
        facts = [case for case in facts if case.team == team]
        statuses = [row for row in statuses if row.team == team]
        evaluation = Evaluation(as_of, list(statuses),
                                [p for p in evaluation.unresolved if p.team == team])
    milestones, journeys, quality = history_measures(timelines, facts, as_of)
    rag_team, rag_lead = rag_counts(statuses)
    due_team, due_lead = forecast(statuses, as_of)
    quality = (quality + open_case_quality(facts, evaluation, lead_ids, as_of)
               + unexplained_red(statuses, facts, timelines, explanations, as_of))
    return Measures(as_of=as_of, team=team, milestones=milestones, journeys=journeys,
                    rag_by_team=rag_team, rag_by_lead=rag_lead, forecast_by_team=due_team,
                    forecast_by_lead=due_lead, quality=quality,
                    extensions=extension_counts(timelines, facts, as_of),
                    at_risk=at_risk(statuses),
                    annotations=sorted((note for note in annotations if note.on <= as_of),
                                       key=lambda note: (note.on, note.id)),
                    explained=standing_on(explanations, as_of))
