"""Data-quality items: what the measures leave out, or cannot resolve, said in plain words."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import NamedTuple

from permanence.evaluate import CaseFacts, Evaluation


class QualityItem(NamedTuple):
    """One data-quality problem: what, where, and a plain sentence about it."""

    kind: str
    case_ref: str | None
    team: str | None
    timeline: str | None
    milestone: str | None
    detail: str

    def as_json(self) -> dict[str, object]:
        return self._asdict()


QUALITY_KINDS = {
    "out_of_order": "Milestones recorded out of order",
    "no_anchor": "Milestones recorded before the step they follow",
    "unknown_milestone": "Completions of a milestone the timeline does not have",
    "no_social_worker": "Open cases with no social worker lead",
    "unresolved_role": "Roles that resolve to nobody",
}


def open_case_quality(facts: Iterable[CaseFacts], evaluation: Evaluation,
                      lead_ids: set[str], as_of: date) -> list[QualityItem]:
    """Open cases whose social worker is not a known lead, and every other role that resolves
    to nobody (one item per timeline, team and role, as evaluation reports them)."""
    items = [QualityItem("no_social_worker", case.case_ref, case.team, case.timeline, None,
                         f"social_worker {case.social_worker!r} is not a known lead"
                         if case.social_worker else "no social_worker recorded")
             for case in facts
             if case.looked_after_on <= as_of and (case.closed_on is None or case.closed_on > as_of)
             and case.social_worker not in lead_ids]
    items.sort(key=lambda item: item.case_ref or "")
    items.extend(QualityItem("unresolved_role", None, problem.team, problem.timeline,
                             ",".join(problem.milestones), problem.describe())
                 for problem in evaluation.unresolved if problem.role != "social_worker")
    return items
