"""What is recorded about a case's life, for `timeline`, `history` and the report's notes."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any, NamedTuple

from sqlalchemy import select
from sqlmodel import Session, col

from permanence.explanations import Explanation
from permanence.measures.figures import Annotation
from permanence.models import Case, CasePause, Extension, MilestoneEvent, RouteChange, StatusChange
from permanence.store.annotations import list_annotations
from permanence.store.explanations import explanations


def milestone_history(*, session: Session, case_ref: str,
                      milestone: str | None = None) -> list[MilestoneEvent]:
    """Every date recorded for a case (or one of its milestones), oldest first."""
    query = select(MilestoneEvent).where(col(MilestoneEvent.case_ref) == case_ref)
    if milestone is not None:
        query = query.where(col(MilestoneEvent.milestone) == milestone)
    return list(session.execute(query.order_by(col(MilestoneEvent.id))).scalars())


class CaseLife(NamedTuple):
    """What moved a case off a straight line, as recorded: for `timeline` and `history`."""

    pauses: list[CasePause]
    extensions: list[Extension]
    routes: list[RouteChange]
    siblings: list[str]  # the other cases of its sibling group


def case_life(*, session: Session, case_ref: str, milestone: str | None = None) -> CaseLife:
    """A case's pauses (by first day), extensions (of one milestone, when given; in the order
    agreed), route changes and brothers and sisters."""
    extensions = select(Extension).where(col(Extension.case_ref) == case_ref)
    if milestone is not None:
        extensions = extensions.where(col(Extension.milestone) == milestone)
    group = session.execute(select(col(Case.sibling_group)).where(
        col(Case.case_ref) == case_ref)).scalar()
    return CaseLife(
        pauses=list(session.execute(select(CasePause).where(
            col(CasePause.case_ref) == case_ref).order_by(col(CasePause.paused_from)))
            .scalars()),
        extensions=list(session.execute(extensions.order_by(
            col(Extension.approved_on), col(Extension.recorded_at))).scalars()),
        routes=list(session.execute(select(RouteChange).where(
            col(RouteChange.case_ref) == case_ref).order_by(col(RouteChange.id))).scalars()),
        siblings=[] if group is None else list(session.execute(select(col(Case.case_ref)).where(
            col(Case.sibling_group) == group, col(Case.case_ref) != case_ref)
            .order_by(col(Case.case_ref))).scalars()))


def status_history(*, session: Session, case_ref: str,
                   milestone: str | None = None) -> list[StatusChange]:
    """Every change of status the daily check stored for a case, oldest first."""
    query = select(StatusChange).where(col(StatusChange.case_ref) == case_ref)
    if milestone is not None:
        query = query.where(col(StatusChange.milestone) == milestone)
    return list(session.execute(query.order_by(col(StatusChange.id))).scalars())


class CaseNotes(NamedTuple):
    """What the report writes beside a case's dates, for every case at once: its pauses with
    their reasons, its agreed extensions with who agreed them and why, and the cases of every
    sibling group; and beside its run charts, the improvement changes recorded."""

    pauses: dict[str, list[tuple[date, date | None, str]]]
    """case_ref -> (paused_from, paused_to or None while open, reason), by first day."""
    extensions: dict[str, list[tuple[str, date, date, str, str]]]
    """case_ref -> (milestone, approved_on, extended_to, approved_by, reason), in the order
    agreed."""
    siblings: dict[str, list[str]]
    """sibling_group -> its case_refs in order, whatever their team."""
    annotations: tuple[Annotation, ...] = ()
    """Every change `permanence annotate` recorded, oldest first (whatever the team)."""
    explanations: tuple[Explanation, ...] = ()
    """Every explanation of a drifting milestone (`permanence explain`), of the cases."""


def case_notes(*, session: Session, team: str | None = None) -> CaseNotes:
    """Pauses, extensions and explanations of every case (of one team), every sibling group
    and every improvement change recorded: one query each, for the report."""
    def scoped(query: Any, model: Any) -> Any:
        if team is None:
            return query
        return query.join(Case, col(Case.case_ref) == model.case_ref).where(
            col(Case.team) == team)

    pauses: dict[str, list[tuple[date, date | None, str]]] = defaultdict(list)
    for case_ref, paused_from, paused_to, reason in session.execute(scoped(select(  # type: ignore[call-overload]
            CasePause.case_ref, CasePause.paused_from, CasePause.paused_to, CasePause.reason),
            CasePause).order_by(CasePause.case_ref, CasePause.paused_from)):
        pauses[case_ref].append((paused_from, paused_to, reason))
    extensions: dict[str, list[tuple[str, date, date, str, str]]] = defaultdict(list)
    for case_ref, *extension in session.execute(scoped(select(  # type: ignore[call-overload]
            Extension.case_ref, Extension.milestone, Extension.approved_on,
            Extension.extended_to, Extension.approved_by, Extension.reason), Extension)
            .order_by(Extension.case_ref, Extension.approved_on, Extension.recorded_at)):
        extensions[case_ref].append(tuple(extension))
    siblings: dict[str, list[str]] = defaultdict(list)
    for case_ref, group in session.execute(select(col(Case.case_ref), col(Case.sibling_group))
                                           .where(col(Case.sibling_group).is_not(None))
                                           .order_by(col(Case.case_ref))):
        siblings[group].append(case_ref)
    return CaseNotes(dict(pauses), dict(extensions), dict(siblings),
                     tuple(list_annotations(session=session)),
                     tuple(explanations(session=session, team=team)))
