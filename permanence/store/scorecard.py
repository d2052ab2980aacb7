"""The adoption scorecard's reads: each adopted child's dates in one query, and the day of the
check before this one (the daily check publishes the scorecard when the period end moves)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from permanence.measures.scorecard import ChildDates
from permanence.models import Case, CheckRun, EventKind, MilestoneCompletion

SCORECARD_MILESTONES = ("entered_care", "placement_order", "matched", "fostered_by_adopters",
                        "placed_with_adopters")
"""The dates read beside `adoption_order`; each is the date standing for that milestone (the
last `done` row recorded, as evaluation reads it)."""


def scorecard_dates(*, session: Session, first: date, last: date,
                    team: str | None = None) -> list[ChildDates]:
    """Every case (of `team`) whose standing `adoption_order` is a completion dated from
    `first` to `last`, with its other scorecard dates, ordered by case_ref: one query, each
    milestone's date picked out per case by conditional aggregation. A `placed_with_adopters`
    recorded not applicable is read as `no_adoptive_placement`; `entered_care` not recorded
    is the case's `looked_after_on` (the start of every timeline)."""
    order = aliased(MilestoneCompletion)
    other = aliased(MilestoneCompletion)

    def standing(milestone: str, kind: str = EventKind.DONE) -> Any:
        return func.max(case((and_(col(other.milestone) == milestone,
                                   col(other.kind) == kind), other.occurred_on)))

    query = (select(  # type: ignore[call-overload]
        Case.case_ref, Case.team, Case.looked_after_on, order.occurred_on,
        *(standing(milestone) for milestone in SCORECARD_MILESTONES),
        standing("placed_with_adopters", EventKind.NOT_APPLICABLE))
        .join(order, and_(col(order.case_ref) == Case.case_ref,
                          col(order.milestone) == "adoption_order",
                          col(order.kind) == EventKind.DONE))
        .outerjoin(other, and_(col(other.case_ref) == Case.case_ref,
                               col(other.milestone).in_(SCORECARD_MILESTONES)))
        .where(order.occurred_on >= first, order.occurred_on <= last)
        .group_by(Case.case_ref, Case.team, Case.looked_after_on, order.occurred_on)
        .order_by(Case.case_ref))
    if team is not None:
        query = query.where(Case.team == team)
    return [ChildDates(case_ref=case_ref, team=team_name,
                       entered_care=_day(entered) or looked_after_on,
                       adoption_order=_day(adopted), placed_with_adopters=_day(placed),
                       fostered_by_adopters=_day(fostered),
                       placement_order=_day(placement_order), matched=_day(matched),
                       no_adoptive_placement=_day(not_placed))
            for (case_ref, team_name, looked_after_on, adopted, entered, placement_order,
                 matched, fostered, placed, not_placed) in session.execute(query)]


def _day(value: date | str | None) -> Any:
    """A date as the driver returns it: SQLite hands an aggregate's date back as text."""
    if isinstance(value, str):
        return date.fromisoformat(value)
    return value


def checked_day_before(*, session: Session, day: date) -> date | None:
    """The latest day before `day` that a daily check finished for (None: no check before)."""
    return session.execute(select(func.max(CheckRun.as_of)).where(
        col(CheckRun.finished_at).is_not(None), col(CheckRun.as_of) < day)).scalar()
