"""`permanence explain`: why a milestone of a case is drifting, the next action and by when.
Every explanation is kept; the latest stands and is shown in the red table, the digests and
on the child's timeline."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer

from permanence import csvfiles, row_checks
from permanence.cli.records import _date_option, _refuse_event
from permanence.cli.settings import Settings, plain_errors, session_for
from permanence.clock import service_today
from permanence.errors import BadInput
from permanence.explanations import (
    by_problem,
    explanation_problem,
    said,
    standing,
    text_problem,
)
from permanence.store import reads
from permanence.store.explanations import add_explanation, explanations
from permanence.terminal import out


@plain_errors
def explain(
    ctx: typer.Context,
    case_ref: Annotated[str, typer.Argument(metavar="CASE_REF")],
    milestone: Annotated[str, typer.Argument(metavar="MILESTONE")],
    reason: Annotated[str | None, typer.Option(
        "--reason", metavar="TEXT", help="Why the step is drifting, in a sentence.")] = None,
    next_action: Annotated[str | None, typer.Option(
        "--next", metavar="TEXT", help="The next action that will unblock it.")] = None,
    by: Annotated[str | None, typer.Option(
        "--by", metavar="DATE", help="The day the next action is to be done by, YYYY-MM-DD: "
                                     "that day or later, up to 3 years ahead.")] = None,
    on: Annotated[str | None, typer.Option(
        "--on", metavar="DATE", help="The day the explanation was given (default today).")]
        = None,
    given_by: Annotated[str | None, typer.Option(
        "--given-by", metavar="LEAD_ID", help="Who gives it, a known lead_id (default: not "
                                              "recorded).")] = None,
) -> None:
    """Record why a milestone of a case is drifting (--reason), the next action (--next) and
    by when (--by), all three required; it replaces the milestone's last explanation, which is
    kept in the history. With none of them, list the milestone's explanations, oldest first."""
    settings: Settings = ctx.obj
    given = {"--reason": reason, "--next": next_action, "--by": by}
    if all(value is None for value in given.values()):
        if on is not None or given_by is not None:
            raise BadInput("--on and --given-by go with an explanation: permanence explain "
                           "CASE_REF MILESTONE --reason TEXT --next TEXT --by DATE")
        _list(settings, case_ref, milestone)
        return
    missing = [option for option, value in given.items() if value is None]
    if missing:
        raise BadInput(f"{' and '.join(missing)} missing: an explanation says why (--reason), "
                       "what is next (--next) and by when (--by), all three")
    assert reason is not None and next_action is not None and by is not None
    for option, text in (("--reason", reason), ("--next", next_action)):
        if (problem := text_problem(option, text)) is not None:
            raise BadInput(problem)
    today = service_today()
    day = today if on is None else _date_option(on, "--on", today)
    next_by = _date_option(by, "--by", today, csvfiles.PLANNED_YEARS_AHEAD)
    if (problem := by_problem(next_by, day)) is not None:
        raise BadInput(f"--by {problem}")
    timelines = settings.timelines()
    with session_for(settings) as session:
        if given_by is not None and given_by not in reads.lead_ids(session=session):
            raise BadInput(f"--given-by {given_by!r} is not a known lead_id")
        cases = reads.case_index(session=session)
        facts = None
        if case_ref in cases and cases[case_ref][0] in timelines:
            facts = reads.load_case_facts(session=session, timelines=timelines,
                                          case_refs=[case_ref])[0]
        _refuse_event(explanation_problem(case_ref, milestone, day, cases, timelines, facts))
        before = explanations(session=session, case_refs=[case_ref], milestone=milestone)
        made = add_explanation(session=session, case_ref=case_ref, milestone=milestone,
                               reason=reason, next_action=next_action, next_by=next_by,
                               explained_on=day, explained_by=given_by, source="explain")
    stands = standing([*before, made])[(case_ref, milestone)]
    replaces = ("" if not before else f" It replaces the explanation of "
                f"{standing(before)[(case_ref, milestone)].explained_on}, kept in the history."
                if stands == made else f" The explanation of {stands.explained_on} still stands "
                "(it was given later); this one is kept in its history.")
    out.print(f"Explained {milestone} of {case_ref} on {day}: {said(made)}.{replaces}",
              markup=False, soft_wrap=True)


def _list(settings: Settings, case_ref: str, milestone: str) -> None:
    timelines = settings.timelines()
    with session_for(settings) as session:
        cases = reads.case_index(session=session)
        _refuse_event(row_checks.check_event(case_ref, milestone, date.max, cases, timelines))
        given = explanations(session=session, case_refs=[case_ref], milestone=milestone)
    if not given:
        out.print(f"No explanation recorded for {milestone} of {case_ref}: permanence explain "
                  f"{case_ref} {milestone} --reason TEXT --next TEXT --by DATE", markup=False,
                  soft_wrap=True)
        return
    stands = standing(given)[(case_ref, milestone)]
    for explanation in given:
        who = f" by {explanation.explained_by}" if explanation.explained_by else ""
        mark = "  (stands)" if explanation == stands else ""
        out.print(f"{explanation.explained_on}{who}: {said(explanation)}{mark}", markup=False,
                  soft_wrap=True)
