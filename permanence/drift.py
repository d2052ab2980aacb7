"""Drift: what changed since the last stored evaluation, and who must be told.

Pure functions of (stored state, new statuses, rules, leads). Notifications follow
transitions only: a milestone newly amber tells its owner it is due soon, newly at risk (booked
for after its due date while its clock still runs green or amber) tells its owner so, newly red
tells its owner it is overdue (even if no run saw it amber), and each escalation tier newly
reached tells that tier's lead. Paused and n/a milestones are never told. Comparing with the
stored state, not with yesterday's date, is what makes a re-run for the same day tell nobody
twice.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import NamedTuple

from permanence.evaluate import CaseFacts, LeadDirectory, MilestoneStatus, Status
from permanence.timelines import Timeline

DUE_SOON, AT_RISK, OVERDUE, ESCALATED = "due_soon", "at_risk", "overdue", "escalated"
AT_RISK_MARK = "!"  # after a milestone's stored status: it was at risk


class StoredMilestone(NamedTuple):
    status: str
    tiers: tuple[int, ...]
    at_risk: bool = False


class NoticeItem(NamedTuple):
    """One lead to tell about one change; `tier` is 1-based for escalations."""

    lead_id: str
    reason: str
    tier: int | None


class Change(NamedTuple):
    row: MilestoneStatus
    old_status: str | None
    old_tiers: tuple[int, ...]
    notices: tuple[NoticeItem, ...]
    old_at_risk: bool = False


def newly_at_risk(row: MilestoneStatus, was_at_risk: bool) -> bool:
    """At risk now and not before, while there is still time: a red milestone is told as
    overdue instead."""
    return row.at_risk and not was_at_risk and row.status in (Status.GREEN, Status.AMBER)


def transitions(change: Change) -> Counter[str]:
    """What a change means for the managers' counts, whether or not anyone could be told:
    newly due soon, newly at risk, newly overdue, and each escalation tier newly reached."""
    row, counts = change.row, Counter[str]()
    if row.status is Status.RED:
        if change.old_status != Status.RED:
            counts[OVERDUE] += 1
        counts[ESCALATED] += sum(1 for tier in row.tiers_reached if tier not in change.old_tiers)
    elif row.status is Status.AMBER and change.old_status != Status.AMBER:
        counts[DUE_SOON] += 1
    if newly_at_risk(row, change.old_at_risk):
        counts[AT_RISK] += 1
    return +counts


def encode_state(rows: Sequence[MilestoneStatus], stored: str | None = None) -> str:
    """`id=status[:tier,tier][!];...` (`!`: at risk): short, readable in SQL, and equal text
    means no change. A paused milestone still booked for after its due date keeps the `!` of
    the `stored` state before it: its owner was told it is at risk once, and a pause does not
    make that news again when it ends."""
    before: dict[str, StoredMilestone] | None = None
    parts = []
    for row in rows:
        marked = row.at_risk
        if (row.status is Status.PAUSED and stored and row.planned_for is not None
                and row.due is not None and row.planned_for > row.due):
            before = decode_state(stored) if before is None else before
            marked = row.milestone in before and before[row.milestone].at_risk
        parts.append(f"{row.milestone}={row.status}" + (
            ":" + ",".join(map(str, row.tiers_reached)) if row.tiers_reached else "")
            + (AT_RISK_MARK if marked else ""))
    return ";".join(parts)


def decode_state(text: str) -> dict[str, StoredMilestone]:
    state: dict[str, StoredMilestone] = {}
    for part in text.split(";") if text else ():
        milestone, _, value = part.partition("=")
        at_risk = value.endswith(AT_RISK_MARK)
        status, _, tiers = value.removesuffix(AT_RISK_MARK).partition(":")
        state[milestone] = StoredMilestone(
            status, tuple(int(tier) for tier in tiers.split(",")) if tiers else (), at_risk)
    return state


def format_tiers(tiers: tuple[int, ...]) -> str:
    """Escalation tiers as people count them (1-based), for the change log."""
    return ",".join(str(tier + 1) for tier in tiers)


def case_changes(rows: Sequence[MilestoneStatus], stored: str | None, timeline: Timeline,
                 case: CaseFacts, leads: LeadDirectory) -> list[Change]:
    """Every milestone of one case whose status or tiers differ from the stored state, with
    the leads to tell. A lead is told about a milestone once per change, most urgent reason
    first; a role that resolves to nobody is left out here and reported by evaluation."""
    old = decode_state(stored) if stored is not None else {}
    changes: list[Change] = []
    for row in rows:
        before = old.get(row.milestone)
        old_status, old_tiers, old_at_risk = (
            (before.status, before.tiers, before.at_risk) if before else (None, (), False))
        if (old_status == row.status and old_tiers == row.tiers_reached
                and old_at_risk == row.at_risk):
            continue
        wanted: list[NoticeItem | None] = []
        if row.status is Status.RED:
            if old_status != Status.RED:
                wanted.append(_notice(row.owner, OVERDUE))
            milestone = timeline.milestone(row.milestone)
            assert milestone is not None
            for tier in row.tiers_reached:
                if tier not in old_tiers:
                    lead = leads.resolve(milestone.escalate[tier].to, case.team,
                                         case.social_worker)
                    wanted.append(_notice(lead, ESCALATED, tier + 1))
        else:
            if newly_at_risk(row, old_at_risk):
                wanted.append(_notice(row.owner, AT_RISK))
            if row.status is Status.AMBER and old_status != Status.AMBER:
                wanted.append(_notice(row.owner, DUE_SOON))
        told: set[str] = set()
        notices = []
        for notice in wanted:
            if notice is not None and notice.lead_id not in told:
                told.add(notice.lead_id)
                notices.append(notice)
        changes.append(Change(row, old_status, old_tiers, tuple(notices), old_at_risk))
    return changes


def _notice(lead_id: str | None, reason: str, tier: int | None = None) -> NoticeItem | None:
    return None if lead_id is None else NoticeItem(lead_id, reason, tier)


def all_changes(rows: Sequence[MilestoneStatus], stored: Mapping[str, str],
                timelines: Mapping[str, Timeline], facts: Mapping[str, CaseFacts],
                leads: LeadDirectory) -> tuple[list[Change], dict[str, str]]:
    """Changes across many cases (rows grouped by case, as evaluation returns them), and the
    new state text of every case whose text differs from the stored one."""
    changes: list[Change] = []
    new_state: dict[str, str] = {}
    start = 0
    while start < len(rows):
        case_ref = rows[start].case_ref
        end = start + 1
        while end < len(rows) and rows[end].case_ref == case_ref:
            end += 1
        case_rows = rows[start:end]
        before = stored.get(case_ref)
        text = encode_state(case_rows, before)
        if text != before:
            new_state[case_ref] = text
            case = facts[case_ref]
            changes.extend(case_changes(case_rows, before, timelines[case.timeline], case, leads))
        start = end
    return changes, new_state
