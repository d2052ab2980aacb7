"""One digest message per recipient per run: the items that changed for them, most urgent first.

The daily drift check calls `render_digest` once for each lead it has something new to tell, and
hands the result to `delivery.deliver`. Rendering is pure: no clock, no network, no store.

Templates
---------
The title and the body are jinja2 templates, `digest_title.txt.j2` and `digest_body.txt.j2`.
They are looked up in order, first match wins:

1. a service's override folder: the `template_dir` argument, or else the folder named by the
   environment variable `PERMANENCE_TEMPLATES`. A service may override one template and keep
   the built-in other; a named folder that does not exist is refused, never silently ignored;
2. the built-in templates shipped in `permanence/notifications/templates/`.

Undefined names are errors (StrictUndefined), so a typo in an override fails loudly instead of
sending a blank line; `trim_blocks` and `lstrip_blocks` are on. Both templates receive:

- `recipient_name` (str), `as_of` (date);
- `items`: the DigestItems already in order: newly overdue by days overdue (most first), then
  newly escalated (most days overdue, then highest tier, first), then newly at risk (booked
  for after the due date; earliest due first), then newly due soon (earliest due first); ties
  by case_ref and milestone title. Within a group, brothers and sisters (one `sibling_group`)
  are listed together, where the most urgent of them stands;
- each item's `why`, `next_action` and `next_by`: for an escalated item, the explanation
  standing for the milestone (`permanence explain`), so whoever it is escalated to reads why
  it is drifting and what is next; None when none is given (and for the other reasons);
- `counts`: a dict with `overdue`, `escalated`, `at_risk` and `due_soon`, the number of items
  per reason.

The title is folded onto one line (it becomes an email subject). The message names a case by
`case_ref` only: a DigestItem has no field for a child's name or date of birth, by design, so no
template, built-in or override, can put them in a message.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import jinja2

from permanence.errors import PermanenceError

TEMPLATES_ENV = "PERMANENCE_TEMPLATES"
BUILTIN_TEMPLATES = Path(__file__).parent / "templates"
TITLE_TEMPLATE = "digest_title.txt.j2"
BODY_TEMPLATE = "digest_body.txt.j2"

# The reasons a milestone is in a digest, in the order the groups are listed.
REASONS: tuple[str, ...] = ("overdue", "escalated", "at_risk", "due_soon")


class DigestTemplateError(PermanenceError):
    """A digest template folder or template cannot be used; nothing was rendered."""


@dataclass(frozen=True, slots=True)
class DigestItem:
    """One milestone that changed for one recipient in this run. Never a child's name or DOB."""

    case_ref: str
    milestone_title: str
    due: date | None
    status: str  # "amber" | "red"
    days_overdue: int | None
    reason: str  # "due_soon" (newly amber), "at_risk" (newly booked late), "overdue" (newly
    # red), "escalated" (new tier)
    tier: int | None = None  # 1-based escalation tier, for reason "escalated"
    owner: str | None = None  # the owning lead's name or id, shown to escalation recipients
    also_told: tuple[str, ...] = ()  # the other people told about this item in this run
    planned_for: date | None = None  # the date it is booked for, for reason "at_risk"
    sibling_group: str | None = None  # children to be placed together share it
    why: str | None = None  # for reason "escalated": the standing explanation's reason, if any
    next_action: str | None = None  # and its next action
    next_by: date | None = None  # and the day it is to be done by


@dataclass(frozen=True, slots=True)
class Digest:
    """A rendered message: a one-line title (email subject) and a plain-text body."""

    title: str
    body: str


def _urgency(item: DigestItem) -> tuple[int, int, int, str, str]:
    """Sort key: reason group, then most urgent first within it, then a stable tie-break."""
    group = REASONS.index(item.reason)  # known: render_digest checks reasons first
    if item.reason == "overdue":
        first, second = -(item.days_overdue or 0), 0
    elif item.reason == "escalated":
        first, second = -(item.days_overdue or 0), -(item.tier or 0)
    else:  # at risk or due soon: the earliest due date first, undated last
        first, second = (item.due or date.max).toordinal(), 0
    return (group, first, second, item.case_ref, item.milestone_title)


def _in_order(items: Sequence[DigestItem]) -> list[DigestItem]:
    """Most urgent first; within a reason, siblings follow the most urgent of them."""
    ordered = sorted(items, key=_urgency)
    leader: dict[tuple[str, str], int] = {}
    for place, item in enumerate(ordered):
        if item.sibling_group is not None:
            leader.setdefault((item.reason, item.sibling_group), place)
    return [item for _, item in sorted(
        enumerate(ordered), key=lambda pair: (
            leader.get((pair[1].reason, pair[1].sibling_group or ""), pair[0])
            if pair[1].sibling_group is not None else pair[0], pair[0]))]


def _environment(template_dir: Path | None) -> jinja2.Environment:
    override: Path | None = template_dir
    source = "template_dir"
    if override is None and os.environ.get(TEMPLATES_ENV):
        override, source = Path(os.environ[TEMPLATES_ENV]), TEMPLATES_ENV
    if override is not None and not override.is_dir():
        raise DigestTemplateError(
            f"template folder {override} (from {source}) is not a folder; "
            "create it or point it at the folder holding your digest templates"
        )
    return _environment_of(override)


@functools.lru_cache(maxsize=16)
def _environment_of(override: Path | None) -> jinja2.Environment:
    """One environment per template folder, so a check compiles each template once rather than
    once per lead's digest (Jinja still reloads a template whose file changed)."""
    loaders: list[jinja2.BaseLoader] = []
    if override is not None:
        loaders.append(jinja2.FileSystemLoader(override))
    loaders.append(jinja2.FileSystemLoader(BUILTIN_TEMPLATES))
    return jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # plain text; channels that need HTML escape it themselves
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )


def _render(env: jinja2.Environment, name: str, context: dict[str, object]) -> str:
    try:
        template = env.get_template(name)
        return template.render(context)
    except jinja2.TemplateSyntaxError as error:
        where = error.filename or name
        raise DigestTemplateError(f"{where}, line {error.lineno}: {error.message}") from error
    except jinja2.TemplateError as error:
        raise DigestTemplateError(f"{_filename(env, name)}: {error}") from error


def _filename(env: jinja2.Environment, name: str) -> str:
    """The file a template name resolves to, for error messages."""
    if env.loader is None:
        return name
    try:
        return env.loader.get_source(env, name)[1] or name
    except jinja2.TemplateNotFound:
        return name


def render_digest(
    *,
    recipient_name: str,
    items: Sequence[DigestItem],
    as_of: date,
    template_dir: Path | None = None,
) -> Digest:
    """Render one recipient's digest; `items` must not be empty (no news means no message)."""
    if not items:
        raise ValueError("render_digest needs at least one item: with nothing new, send nothing")
    unknown = sorted({item.reason for item in items} - set(REASONS))
    if unknown:
        raise ValueError(f"unknown digest reason(s) {unknown}; expected one of {list(REASONS)}")
    ordered = _in_order(items)
    counts = {reason: sum(1 for item in items if item.reason == reason) for reason in REASONS}
    context: dict[str, object] = {
        "recipient_name": recipient_name,
        "as_of": as_of,
        "items": ordered,
        "counts": counts,
    }
    env = _environment(template_dir)
    title = " ".join(_render(env, TITLE_TEMPLATE, context).split())
    body_lines = _render(env, BODY_TEMPLATE, context).strip().splitlines()
    body = "\n".join(line.rstrip() for line in body_lines)
    return Digest(title=title, body=body)


def fit_body(body: str, limit: int) -> str:
    """The body cut at a line break to at most `limit` characters, for a channel that refuses
    longer messages (Teams takes 1,000, Discord 2,000): the first lines as they stand, then
    how many lines were left out and where to see them, then the body's last line (the as-of
    date). Never refused whole: a lead always hears that there is something."""
    if len(body) <= limit:
        return body
    lines = body.rstrip("\n").split("\n")
    head, footer = lines[:-1], lines[-1]
    # Worked out once, not per line: a national lead's digest runs to a hundred thousand lines.
    written_from = [0] * (len(head) + 1)  # lines with text from each line on
    for number in range(len(head) - 1, -1, -1):
        written_from[number] = written_from[number + 1] + bool(head[number].strip())
    kept: list[str] = []
    kept_length = 0  # of "\n".join(kept)
    for number, line in enumerate(head):
        left_out = written_from[number]
        note = (f"... and {left_out} more line{'s' if left_out != 1 else ''} not shown here "
                f"(this channel takes {limit:,} characters): see them with `permanence "
                "status` or in today's report.")
        candidate_length = kept_length + (1 if kept else 0) + len(line)
        if candidate_length + len(note) + len(footer) + 4 > limit:
            while kept and not kept[-1].strip():
                kept.pop()
            text = "\n".join([*kept, "", note, "", footer]).lstrip("\n")
            return text if len(text) <= limit else text[:limit]
        kept.append(line)
        kept_length = candidate_length
    return body[:limit]
