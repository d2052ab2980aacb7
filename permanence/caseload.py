"""The caseload a command looks at: cases and leads read from the store, and evaluated with
open cases on a timeline no rule file defines refused, not left out (figures without them
would look complete and be wrong).

`status`, `timeline`, `measures`, the report and the demo's board evaluate through here; the
daily check evaluates chunk by chunk and reports such cases as a failure of its run instead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date
from itertools import chain
from typing import NamedTuple

from sqlalchemy.engine import Engine
from sqlmodel import Session

from permanence.errors import BadInput, PermanenceError
from permanence.evaluate import (
    CaseFacts,
    Evaluation,
    LeadDirectory,
    MilestoneStatus,
    each_case,
    evaluate,
)
from permanence.store import reads
from permanence.timelines import Timeline


class Caseload(NamedTuple):
    """Cases with the leads who own them, as the store holds them."""

    facts: list[CaseFacts]
    leads: list[tuple[str, str, str]]
    lead_names: dict[str, str]
    names: dict[str, str] | None


def read_caseload(engine: Engine, timelines: Mapping[str, Timeline], team: str | None = None,
                  with_names: bool = False) -> Caseload:
    """Cases (of one team), leads with their names and, with `with_names`, children's names;
    a team that has no cases is refused, naming the teams there are."""
    with Session(engine) as session:
        facts = reads.load_case_facts(session=session, timelines=timelines, team=team)
        if team is not None and not facts:
            teams = sorted(reads.teams(session=session))
            raise BadInput(f"--team {team!r}: no case is in that team; teams in the store: "
                           f"{', '.join(teams) if teams else '(none: import cases first)'}")
        leads = reads.lead_roles(session=session)
        lead_names = reads.lead_names(session=session)
        names = reads.child_names(session=session, team=team) if with_names else None
    return Caseload(facts, leads, lead_names, names)


def evaluate_known(timelines: Mapping[str, Timeline], facts: Iterable[CaseFacts],
                   leads: Iterable[tuple[str, str, str]], as_of: date) -> Evaluation:
    """evaluate(), refusing open cases on a timeline no rule file defines."""
    return refuse_unknown_timelines(evaluate(timelines, facts, LeadDirectory(leads), as_of))


def evaluate_in_turn(timelines: Mapping[str, Timeline], facts: Iterable[CaseFacts],
                     leads: Iterable[tuple[str, str, str]], as_of: date,
                     ) -> Iterator[MilestoneStatus]:
    """evaluate_known()'s statuses, in the same order, a case at a time as they are asked for:
    a national caseload's million statuses never sit in memory together. Open cases on a
    timeline no rule file defines are refused here, before the first status, so a command that
    streams its output never prints half of it and then fails."""
    cases = list(facts)
    directory = LeadDirectory(leads)
    refuse_unknown_timelines(evaluate(
        timelines, [case for case in cases if case.timeline not in timelines], directory, as_of))
    return chain.from_iterable(each_case(timelines, cases, directory, as_of,
                                         Evaluation(as_of=as_of)))


def refuse_unknown_timelines(evaluation: Evaluation,
                             refusal: type[PermanenceError] = PermanenceError) -> Evaluation:
    """The evaluation, unless it left open cases out for want of their rule file: then
    `refusal`, naming them and the remedy."""
    problem = evaluation.unknown_timeline_problem()
    if problem:
        raise refusal(problem)
    return evaluation


def due_on_day(session: Session, timelines: Mapping[str, Timeline],
               ) -> Callable[[str, str, date], date | None]:
    """`due_on(case_ref, milestone, day)`: the milestone's due date as the store knew it on
    that day (None before its clock started), for checking that an agreed extension moves it
    later. An extension approved that day or later does not count: a new one approved the
    same day replaces it, so importing a file twice is accepted. Each case's facts are read
    once."""
    facts: dict[str, CaseFacts] = {}
    leads = LeadDirectory(reads.lead_roles(session=session))

    def due_on(case_ref: str, milestone: str, day: date) -> date | None:
        if case_ref not in facts:
            facts[case_ref] = reads.load_case_facts(session=session, timelines=timelines,
                                                    case_refs=[case_ref])[0]
        case = facts[case_ref]
        earlier = tuple(extension for extension in case.extensions.get(milestone, ())
                        if extension[0] < day)
        case = case._replace(extensions={**case.extensions, milestone: earlier})
        rows = evaluate(timelines, [case], leads, day).statuses
        return next((row.due for row in rows if row.milestone == milestone), None)

    return due_on
