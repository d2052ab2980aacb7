"""The caseload as evaluation reads it: plain columns, one query per table, tuples rather than
ORM objects."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from permanence.collector import collector_paused
from permanence.evaluate import CaseFacts
from permanence.models import (
    Case,
    CasePause,
    EventKind,
    Extension,
    Lead,
    MilestoneCompletion,
    MilestoneEvent,
)
from permanence.models.snapshots import MissingFromSnapshot
from permanence.timelines import Timeline


def get_case(*, session: Session, case_ref: str) -> Case | None:
    return session.get(Case, case_ref)


def lead_ids(*, session: Session) -> set[str]:
    return set(session.execute(select(col(Lead.lead_id))).scalars())


def lead_names(*, session: Session) -> dict[str, str]:
    return dict(session.execute(select(col(Lead.lead_id), col(Lead.name))).all())


def lead_roles(*, session: Session) -> list[tuple[str, str, str]]:
    """(lead_id, role, team) of every lead, for resolving roles."""
    rows = session.execute(select(Lead.lead_id, Lead.role, Lead.team))  # type: ignore[call-overload]
    return [tuple(row) for row in rows]


def earliest_events(*, session: Session) -> dict[str, tuple[date, str]]:
    """case_ref -> (earliest completion date, its milestone), for checking case updates."""
    earliest: dict[str, tuple[date, str]] = {}
    rows = session.execute(select(MilestoneCompletion.case_ref, MilestoneCompletion.occurred_on,  # type: ignore[call-overload]
                                  MilestoneCompletion.milestone))
    for case_ref, occurred_on, milestone in rows:
        if case_ref not in earliest or occurred_on < earliest[case_ref][0]:
            earliest[case_ref] = (occurred_on, milestone)
    return earliest


def case_index(*, session: Session) -> dict[str, tuple[str, date]]:
    """case_ref -> (timeline, looked_after_on), for checking events."""
    rows = session.execute(select(Case.case_ref, Case.timeline, Case.looked_after_on))  # type: ignore[call-overload]
    return {case_ref: (timeline, looked_after_on) for case_ref, timeline, looked_after_on in rows}


@collector_paused()  # a million rows read: no full collections over them meanwhile
def load_case_facts(*, session: Session, timelines: Mapping[str, Timeline],
                    team: str | None = None, case_refs: Iterable[str] | None = None,
                    between: tuple[str, str] | None = None) -> list[CaseFacts]:
    """Every case (of one team, the named cases, or a case_ref range) with what is recorded
    for its milestones: one query per table, each reading only the columns evaluation needs.
    `timelines` says which milestones recur, whose every occurrence is read."""
    def scoped(query: Any, model: Any) -> Any:
        if between is not None:
            query = query.where(model.case_ref >= between[0], model.case_ref <= between[1])
        if team is not None and model is not Case:
            query = query.join(Case, Case.case_ref == model.case_ref)
        if team is not None:
            query = query.where(Case.team == team)
        if wanted is not None:
            query = query.where(model.case_ref.in_(wanted))
        return query

    wanted = None if case_refs is None else list(case_refs)
    connection = session.connection()

    def run(query: Any) -> Sequence[Any]:
        """Every row, fetched at once, as plain rows: no ORM layer over a million of them."""
        return connection.execute(query).all()

    cases = run(scoped(select(  # type: ignore[call-overload]
        Case.case_ref, Case.timeline, Case.team, Case.social_worker, Case.looked_after_on,
        Case.closed_on, Case.sibling_group), Case).order_by(Case.case_ref))
    recurring_in = {name: {m.id for m in timeline.milestones if m.is_recurring}
                    for name, timeline in timelines.items()}
    recurs = {case_ref: recurring_in.get(timeline, set()) for case_ref, timeline, *_ in cases}
    recurring_ids = set().union(*recurring_in.values()) if recurring_in else set()

    completions: dict[str, dict[str, date]] = defaultdict(dict)
    not_applicable: dict[str, dict[str, date]] = defaultdict(dict)
    for case_ref, milestone, occurred_on, kind in run(scoped(select(  # type: ignore[call-overload]
            MilestoneCompletion.case_ref, MilestoneCompletion.milestone,
            MilestoneCompletion.occurred_on, MilestoneCompletion.kind), MilestoneCompletion)):
        (completions if kind == EventKind.DONE else not_applicable)[case_ref][milestone] = (
            occurred_on)
    occurrences: dict[str, dict[str, list[date]]] = defaultdict(lambda: defaultdict(list))
    planned: dict[str, dict[str, list[tuple[date, date]]]] = defaultdict(
        lambda: defaultdict(list))
    event = MilestoneEvent
    kept = col(event.kind) == EventKind.PLANNED
    if recurring_ids:
        kept |= col(event.milestone).in_(sorted(recurring_ids))
    for case_ref, milestone, occurred_on, kind, noted_on in run(scoped(select(  # type: ignore[call-overload]
            event.case_ref, event.milestone, event.occurred_on, event.kind, event.noted_on)
            .where(kept).order_by(event.id), event)):
        if kind == EventKind.PLANNED:
            planned[case_ref][milestone].append((noted_on, occurred_on))
        elif milestone not in recurs.get(case_ref, ()):
            continue
        elif kind == EventKind.DONE:
            occurrences[case_ref][milestone].append(occurred_on)
        else:  # a recurring step is n/a from its earliest not_applicable row
            standing = not_applicable[case_ref].get(milestone)
            if standing is None or occurred_on < standing:
                not_applicable[case_ref][milestone] = occurred_on
    pauses: dict[str, list[tuple[date, date | None]]] = defaultdict(list)
    for case_ref, paused_from, paused_to in run(scoped(select(  # type: ignore[call-overload]
            CasePause.case_ref, CasePause.paused_from, CasePause.paused_to), CasePause)):
        pauses[case_ref].append((paused_from, paused_to))
    extensions: dict[str, dict[str, list[tuple[date, date]]]] = defaultdict(
        lambda: defaultdict(list))
    for case_ref, milestone, approved_on, extended_to in run(scoped(select(  # type: ignore[call-overload]
            Extension.case_ref, Extension.milestone, Extension.approved_on,
            Extension.extended_to).order_by(Extension.recorded_at), Extension)):
        extensions[case_ref][milestone].append((approved_on, extended_to))
    missing = {case_ref: (snapshot, day) for case_ref, snapshot, day in run(
        scoped(select(  # type: ignore[call-overload]
            MissingFromSnapshot.case_ref, MissingFromSnapshot.snapshot,
            MissingFromSnapshot.snapshot_on), MissingFromSnapshot))}
    empty: dict[str, Any] = {}
    return [CaseFacts(case_ref, timeline, team_name, worker, looked_after_on, closed_on,
                      completions.get(case_ref, empty), not_applicable.get(case_ref, empty),
                      occurrences.get(case_ref, empty), planned.get(case_ref, empty),
                      tuple(pauses.get(case_ref, ())), extensions.get(case_ref, empty),
                      sibling_group, missing.get(case_ref))
            for case_ref, timeline, team_name, worker, looked_after_on, closed_on, sibling_group
            in cases]


def teams(*, session: Session) -> list[str]:
    """Every team that has a case, in order."""
    return list(session.execute(select(col(Case.team)).distinct().order_by(col(Case.team)))
                .scalars())


def case_ref_ranges(*, session: Session, size: int) -> list[tuple[str, str]]:
    """Consecutive (first, last) case_ref ranges of at most `size` cases: the check's chunks."""
    refs = list(session.execute(select(col(Case.case_ref)).order_by(col(Case.case_ref)))
                .scalars())
    return [(refs[start], refs[min(start + size, len(refs)) - 1])
            for start in range(0, len(refs), size)]


def child_names(*, session: Session, team: str | None = None) -> dict[str, str]:
    """Children's names by case_ref (of one team), for pages shown with names."""
    query = select(col(Case.case_ref), col(Case.child_name)).where(
        col(Case.child_name).is_not(None))
    if team is not None:
        query = query.where(col(Case.team) == team)
    return {ref: name for ref, name in session.execute(query).all() if name is not None}


CASE_COLUMNS = ("case_ref", "timeline", "team", "social_worker", "looked_after_on", "closed_on",
                "date_of_birth", "child_name", "sibling_group")


def case_rows(*, session: Session, case_refs: Collection[str]) -> dict[str, dict[str, Any]]:
    """Each stored case among `case_refs`, its columns by name: what a re-import compares its
    own rows with, so it writes only the cases that differ."""
    return {row["case_ref"]: dict(row) for row in session.execute(
        select(*(getattr(Case, name) for name in CASE_COLUMNS))).mappings()
        if row["case_ref"] in case_refs}


def standing_dates(*, session: Session,
                   case_refs: Collection[str]) -> dict[tuple[str, str], tuple[date, str]]:
    """Per (case, milestone) among `case_refs`, the standing date and its kind."""
    return {(case_ref, milestone): (occurred_on, kind)
            for case_ref, milestone, occurred_on, kind in session.execute(select(
                col(MilestoneCompletion.case_ref), col(MilestoneCompletion.milestone),
                col(MilestoneCompletion.occurred_on), col(MilestoneCompletion.kind)))
            if case_ref in case_refs}


def occurrence_dates(*, session: Session, milestone: str,
                     case_refs: Collection[str]) -> dict[str, set[date]]:
    """Per case among `case_refs`, every day a recurring milestone was recorded done."""
    found: dict[str, set[date]] = defaultdict(set)
    for case_ref, occurred_on in session.execute(select(
            col(MilestoneEvent.case_ref), col(MilestoneEvent.occurred_on)).where(
            col(MilestoneEvent.milestone) == milestone,
            col(MilestoneEvent.kind) == EventKind.DONE)):
        if case_ref in case_refs:
            found[case_ref].add(occurred_on)
    return found
