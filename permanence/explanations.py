"""Explanations: why a milestone of a case is drifting, the next action and by when.

The core of `permanence explain` and the web page's form, with no I/O: what an explanation is,
which one stands (the latest given; the earlier ones stay as its history), and the checks of
what a user typed, each refusal a plain sentence naming the field.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

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
