"""Explanations of drifting milestones, as `permanence explain` and the web page's form record
them: added, and read back (every one, or the one standing per milestone)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date

from sqlmodel import Session, col, select

from permanence.explanations import Explanation, standing
from permanence.models import Case
from permanence.models.explanations import Explanation as ExplanationRow


def _explanation(row: ExplanationRow) -> Explanation:
    return Explanation(row.case_ref, row.milestone, row.reason, row.next_action, row.next_by,
                       row.explained_on, row.explained_by, row.id or 0)


def add_explanation(*, session: Session, case_ref: str, milestone: str, reason: str,
                    next_action: str, next_by: date, explained_on: date,
                    explained_by: str | None, source: str) -> Explanation:
    """Record an explanation; it stands from now, the earlier ones of the milestone kept."""
    row = ExplanationRow(case_ref=case_ref, milestone=milestone, reason=reason.strip(),
                         next_action=next_action.strip(), next_by=next_by,
                         explained_on=explained_on, explained_by=explained_by, source=source)
    session.add(row)
    session.flush()
    return _explanation(row)


def explanations(*, session: Session, case_refs: Collection[str] | None = None,
                 team: str | None = None, milestone: str | None = None) -> list[Explanation]:
    """Every explanation recorded (of some cases, of one team, of one milestone), by case,
    milestone, day given and order recorded: the last of each milestone stands."""
    query = select(ExplanationRow)
    if case_refs is not None:
        query = query.where(col(ExplanationRow.case_ref).in_(list(case_refs)))
    if team is not None:
        query = query.join(Case, col(Case.case_ref) == col(ExplanationRow.case_ref)).where(
            col(Case.team) == team)
    if milestone is not None:
        query = query.where(col(ExplanationRow.milestone) == milestone)
    rows = session.exec(query.order_by(col(ExplanationRow.case_ref),
                                       col(ExplanationRow.milestone),
                                       col(ExplanationRow.explained_on),
                                       col(ExplanationRow.id))).all()
    return [_explanation(row) for row in rows]


def standing_explanations(*, session: Session, case_refs: Collection[str] | None = None,
                          team: str | None = None) -> dict[tuple[str, str], Explanation]:
    """The explanation standing for each (case_ref, milestone) explained."""
    return standing(explanations(session=session, case_refs=case_refs, team=team))
