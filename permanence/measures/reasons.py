"""Red milestones left without a reason: a data-quality item once a milestone has been red
for more than UNEXPLAINED_AFTER working days with no explanation (`permanence explain`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date

from permanence.dates import working_days
from permanence.evaluate import CaseFacts, MilestoneStatus, Status
from permanence.explanations import Explanation, explains, standing_on
from permanence.measures.quality import QualityItem
from permanence.timelines import Timeline

UNEXPLAINED_AFTER = 10
"""Working days a milestone may be red without a reason before it is a data-quality item."""


def unexplained_red(statuses: Iterable[MilestoneStatus], facts: Iterable[CaseFacts],
                    timelines: Mapping[str, Timeline], explanations: Iterable[Explanation],
                    as_of: date) -> list[QualityItem]:
    """Red milestones with no reason after UNEXPLAINED_AFTER working days red: from the 11th
    working day after the due date (weekends and the timeline's jurisdiction's bank holidays not
    counted), a red milestone with no explanation given on or before `as_of` (after its last
    completion, for a recurring one) is a data-quality item, by case and milestone."""
    given = standing_on(explanations, as_of)
    by_ref = {case.case_ref: case for case in facts}
    items = []
    for row in statuses:
        if row.status is not Status.RED or row.due is None or row.timeline not in timelines:
            continue
        calendar = working_days(timelines[row.timeline].jurisdiction)
        since = calendar.add(row.due, UNEXPLAINED_AFTER + 1)
        if since > as_of or explains(given.get((row.case_ref, row.milestone)),
                                     by_ref.get(row.case_ref)):
            continue
        items.append(QualityItem(
            "unexplained_red", row.case_ref, row.team, row.timeline, row.milestone,
            f"{row.title}: red for more than {UNEXPLAINED_AFTER} working days (due {row.due}, "
            f"{row.days_overdue} days overdue) with no reason given: permanence explain "
            f"{row.case_ref} {row.milestone} --reason TEXT --next TEXT --by DATE"))
    return sorted(items, key=lambda item: (item.case_ref or "", item.milestone or ""))

