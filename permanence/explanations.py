"""Explanations: why a milestone of a case is drifting, the next action and by when.

The core of `permanence explain` and the web page's form, with no I/O: what an explanation is,
which one stands (the latest given; the earlier ones stay as its history), and the checks of
what a user typed, each refusal a plain sentence naming the field.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from permanence.evaluate import CaseFacts, LeadDirectory, Status
from permanence.row_checks import check_event
from permanence.timelines import Milestone, Timeline

CLOSED_STEPS = (Status.DONE, Status.LATE, Status.NOT_APPLICABLE)
"""Statuses of a step whose explanation is history: nothing about it is drifting any more."""

REASON_CHARACTERS = 500
"""At most this many characters in a reason or a next action: a sentence or two, as the red
table and the digests print them whole."""


@dataclass(frozen=True)
class Explanation:
    """Why one milestone of a case is drifting (`reason`), what will unblock it
    (`next_action`) and by when (`next_by`), given on `explained_on` by `explained_by` (a
    lead_id, None when not known)."""

    case_ref: str
    milestone: str
    reason: str
    next_action: str
    next_by: date
    explained_on: date
    explained_by: str | None = None
    number: int = 0
    """Its number in the store, in the order recorded."""


def said(explanation: Explanation) -> str:
    """An explanation in one line, as the command line, the digests and the red table's text
    give it: `reason "…"; next "…" by DATE`."""
    return (f'reason "{explanation.reason}"; next "{explanation.next_action}" by '
            f"{explanation.next_by}")


def standing(explanations: Iterable[Explanation]) -> dict[tuple[str, str], Explanation]:
    """The explanation that stands for each (case_ref, milestone): the one given on the latest
    day, of one day the last recorded. The others are its history."""
    latest: dict[tuple[str, str], Explanation] = {}
    for explanation in explanations:
        key = (explanation.case_ref, explanation.milestone)
        held = latest.get(key)
        if held is None or (explanation.explained_on, explanation.number) > (
                held.explained_on, held.number):
            latest[key] = explanation
    return latest


def text_problem(field: str, value: str) -> str | None:
    """What is wrong with a reason or next action as typed, or None: it must say something, on
    one line, in at most REASON_CHARACTERS characters."""
    if not value.strip():
        return f"{field} is empty; say it in a sentence"
    for index, character in enumerate(value, start=1):
        if character in "\r\n" or (ord(character) < 32 and character != "\t") or \
                ord(character) == 127:
            return (f"{field} contains a control character or line break (U+{ord(character):04X}, "
                    f"character {index}); write it on one line")
    if len(value.strip()) > REASON_CHARACTERS:
        return (f"{field} has {len(value.strip())} characters; at most {REASON_CHARACTERS}, as "
                f"the red table and the digests print it whole")
    return None


def by_problem(next_by: date, explained_on: date) -> str | None:
    """A next action is due on or after the day it is given: one due earlier has already been
    missed, and saying so belongs in the reason."""
    if next_by < explained_on:
        return (f"{next_by} is before the day the explanation is given ({explained_on}); a next "
                f"action is due that day or later")
    return None


def explanation_problem(case_ref: str, milestone: str, explained_on: date,
                        cases: Mapping[str, tuple[str, date]],
                        timelines: Mapping[str, Timeline],
                        facts: CaseFacts | None) -> str | None:
    """Why a milestone of a case cannot be explained on `explained_on`, or None: the case and
    the milestone must exist (the same words as `record`), and the milestone must still be
    open: not done, not applicable, nor its case closed. `cases` maps case_ref to (timeline,
    looked_after_on)."""
    if (reason := check_event(case_ref, milestone, explained_on, cases, timelines)) is not None:
        return reason.replace("occurred_on", "the explanation's day")
    if facts is None:
        return None
    rule = timelines[facts.timeline].milestone(milestone)
    if rule is not None and rule.is_start:
        return (f"{milestone} starts timeline {facts.timeline}: it was done when case {case_ref} "
                f"became looked after ({facts.looked_after_on}); only an open step can be "
                "drifting")
    if facts.closed_on is not None and facts.closed_on <= explained_on:
        return f"case {case_ref} closed on {facts.closed_on}; nothing of it is drifting"
    done = facts.completions.get(milestone)
    if done is not None and done <= explained_on and not facts.occurrences.get(milestone):
        return (f"{milestone} of {case_ref} was done on {done}; only an "
                f"open step can be drifting")
    not_applicable = facts.not_applicable.get(milestone)
    if not_applicable is not None and not_applicable <= explained_on:
        return (f"{milestone} of {case_ref} does not apply from "
                f"{not_applicable}; only an open step can be drifting")
    return None

def standing_on(explanations: Iterable[Explanation],
                day: date) -> dict[tuple[str, str], Explanation]:
    """The explanation standing for each (case_ref, milestone) on `day`: of those given on or
    before it, the latest."""
    return standing(explanation for explanation in explanations
                    if explanation.explained_on <= day)


def explains(explanation: Explanation | None, facts: CaseFacts | None) -> bool:
    """Whether an explanation speaks for the milestone's open clock: given after its last
    completion (a recurring milestone's earlier cycle does not count)."""
    if explanation is None:
        return False
    if facts is None:
        return True
    done = [*facts.occurrences.get(explanation.milestone, ()),
            *((facts.completions[explanation.milestone],)
              if explanation.milestone in facts.completions else ())]
    return not done or explanation.explained_on > max(done)


def who_may_explain(rule: Milestone, facts: CaseFacts,
                    directory: LeadDirectory) -> tuple[str, ...]:
    """The leads who may explain a milestone of a case from the web page: its owner (the
    case's lead for the owner role) and their managers, the leads the milestone escalates to,
    tier by tier (each role resolved as evaluation resolves it: the case's team, else team
    `*`). Lowest tier first, each once; a role that resolves to nobody adds no one."""
    roles = [*([rule.owner] if rule.owner else []), *(tier.to for tier in rule.escalate)]
    leads: list[str] = []
    for role in roles:
        lead = directory.resolve(role, facts.team, facts.social_worker)
        if lead is not None and lead not in leads:
            leads.append(lead)
    return tuple(leads)
