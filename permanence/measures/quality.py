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
    "unexplained_red": "Red for more than 10 working days with no reason given",
    "missing_from_snapshot": "Open cases missing from the latest snapshot",
}


def open_case_quality(facts: Iterable[CaseFacts], evaluation: Evaluation,
                      lead_ids: set[str], as_of: date) -> list[QualityItem]:
    """Open cases whose social worker is not a known lead, every other role that resolves to
    nobody (one item per timeline, team and role, as evaluation reports them), and open cases
    missing from the latest snapshot."""
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
    items.extend(snapshot_quality(facts, as_of))
    return items


def snapshot_quality(facts: Iterable[CaseFacts], as_of: date) -> list[QualityItem]:
    """Cases open on `as_of` that the latest snapshot (a cases extract of every open case,
    imported on or before `as_of`) did not hold: perhaps closed in the source system but not
    here, perhaps left out of the extract by mistake. Never closed silently."""
    items = []
    for case in facts:
        if (case.missing_from_snapshot is None or case.missing_from_snapshot[1] > as_of
                or case.looked_after_on > as_of
                or (case.closed_on is not None and case.closed_on <= as_of)):
            continue
        snapshot, day = case.missing_from_snapshot
        items.append(QualityItem(
            "missing_from_snapshot", case.case_ref, case.team, case.timeline, None,
            f"open here, but missing from the snapshot of every open case imported on {day} "
            f"({snapshot}): if the child has left care, import the case with its closed_on; "
            "if not, check the extract"))
    return sorted(items, key=lambda item: item.case_ref or "")
