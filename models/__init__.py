"""Store tables: leads, cases, milestone dates, pauses, extensions and the daily check's records.

One family of classes per entity; dates are plain calendar dates, and every timestamp is
timezone-aware UTC. The date standing for a milestone (done, or not applicable) lives in
`milestone_completion` (one row per case and milestone, read in one query for evaluation); every
row ever recorded, corrections and booked dates included, is kept in `milestone_event` with when
and how it was recorded. The schema changes only through `models/migrations`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum

from sqlalchemy import Column, DateTime
from sqlmodel import Field, SQLModel


def utc_now() -> datetime:
    return datetime.now(UTC)


def _timestamp() -> Column[datetime]:
    return Column(DateTime(timezone=True), nullable=False)


class LeadBase(SQLModel):
    lead_id: str = Field(primary_key=True)
    name: str
    role: str = Field(index=True)
    team: str = Field(index=True)
    notify: str


class Lead(LeadBase, table=True):
    """A named person who owns milestones or is escalated to, with the apprise URLs that reach
    them."""

    updated_at: datetime = Field(default_factory=utc_now, sa_column=_timestamp())


class CaseBase(SQLModel):
    case_ref: str = Field(primary_key=True)
    timeline: str = Field(index=True)
    team: str = Field(index=True)
    social_worker: str
    looked_after_on: date
    child_name: str | None = None
    date_of_birth: date | None = None
    closed_on: date | None = None
    sibling_group: str | None = Field(default=None, index=True,
                                      description="children to be placed together share it")


class Case(CaseBase, table=True):
    """One child's journey to permanence on one timeline."""

    updated_at: datetime = Field(default_factory=utc_now, sa_column=_timestamp())


class EventKind(StrEnum):
    """What a recorded date says about a milestone."""

    DONE = "done"  # it was completed on that date
    PLANNED = "planned"  # it is booked for that date (noted on `noted_on`)
    NOT_APPLICABLE = "not_applicable"  # from that date it no longer applies to the case


class MilestoneCompletion(SQLModel, table=True):
    """The row standing for a milestone of a case: `done` and `not_applicable` replace each
    other, the last recorded standing."""

    __tablename__ = "milestone_completion"

    case_ref: str = Field(primary_key=True, foreign_key="case.case_ref")
    milestone: str = Field(primary_key=True)
    occurred_on: date
    note: str | None = None
    recorded_at: datetime = Field(default_factory=utc_now, sa_column=_timestamp())
    kind: str = Field(default=EventKind.DONE, description="an EventKind: done | not_applicable")


class MilestoneEvent(SQLModel, table=True):
    """Every date ever recorded, in order: corrections keep the date they replaced."""

    __tablename__ = "milestone_event"

    id: int | None = Field(default=None, primary_key=True)
    case_ref: str = Field(index=True, foreign_key="case.case_ref")
    milestone: str
    occurred_on: date
    note: str | None = None
    recorded_at: datetime = Field(default_factory=utc_now, sa_column=_timestamp())
    source: str = Field(description="how it was recorded: 'import FILE' or 'record'")
    kind: str = Field(default=EventKind.DONE, description="an EventKind")
    noted_on: date | None = Field(default=None, description="for `planned`: the day the "
                                                            "booking was known")


class CasePause(SQLModel, table=True):
    """A stretch of days when a case's clocks stand still (a hearing adjourned, say); an open
    pause (no `paused_to`) runs until it is closed."""

    __tablename__ = "case_pause"

    case_ref: str = Field(primary_key=True, foreign_key="case.case_ref")
    paused_from: date = Field(primary_key=True)
    paused_to: date | None = None
    reason: str
    recorded_at: datetime = Field(default_factory=utc_now, sa_column=_timestamp())
    source: str = Field(description="how it was recorded: 'import FILE' or 'pause'")


class Extension(SQLModel, table=True):
    """A new due date for one milestone of a case, agreed by a lead; from `approved_on` the
    latest approval stands."""

    case_ref: str = Field(primary_key=True, foreign_key="case.case_ref")
    milestone: str = Field(primary_key=True)
    approved_on: date = Field(primary_key=True)
    extended_to: date
    approved_by: str = Field(description="lead_id of who agreed it")
    reason: str
    recorded_at: datetime = Field(default_factory=utc_now, sa_column=_timestamp())
    source: str = Field(description="how it was recorded: 'import FILE' or 'extend'")


class RouteChange(SQLModel, table=True):
    """A case moved to another timeline: the old route stays in its history."""

    __tablename__ = "route_change"

    id: int | None = Field(default=None, primary_key=True)
    case_ref: str = Field(index=True, foreign_key="case.case_ref")
    old_timeline: str
    new_timeline: str
    changed_on: date = Field(description="the day the import that changed it ran")
    recorded_at: datetime = Field(default_factory=utc_now, sa_column=_timestamp())
    source: str


class CaseState(SQLModel, table=True):
    """The last stored evaluation of a case: each milestone's status and escalation tiers.

    One row per case, milestones encoded as `id=status[:tier,tier];...`, so a day's check
    reads 100,000 short rows rather than a million and skips every case whose text is unchanged.
    """

    __tablename__ = "case_state"

    case_ref: str = Field(primary_key=True, foreign_key="case.case_ref")
    timeline: str
    rules_version: str
    as_of: date
    milestones: str


class StatusChange(SQLModel, table=True):
    """One change of a milestone's status or escalation tiers, on the as-of day it was seen."""

    __tablename__ = "status_change"

    id: int | None = Field(default=None, primary_key=True)
    case_ref: str = Field(index=True, foreign_key="case.case_ref")
    milestone: str
    as_of: date = Field(index=True)
    old_status: str | None = None
    new_status: str
    old_tiers: str = ""
    new_tiers: str = ""
    due: date | None = None
    days_overdue: int | None = None
    owner: str | None = Field(default=None, description="lead_id of the owner on that day")
    planned_for: date | None = Field(default=None, description="the booked date, as known "
                                                               "that day")
    at_risk: bool = False
    timeline: str
    rules_version: str
    flow_run_id: str | None = None
    recorded_at: datetime = Field(default_factory=utc_now, sa_column=_timestamp())


class Notice(SQLModel, table=True):
    """One item a lead must be told about, written with the change that caused it and put into
    an outbox message later: a crash in between leaves it pending, never lost."""

    id: int | None = Field(default=None, primary_key=True)
    change_id: int = Field(foreign_key="status_change.id")
    lead_id: str = Field(index=True)
    reason: str = Field(description="due_soon | at_risk | overdue | escalated")
    tier: int | None = None
    outbox_id: int | None = Field(default=None, index=True, foreign_key="outbox.id")


class OutboxState(StrEnum):
    """Where a digest is on its way to a lead."""

    PENDING = "pending"  # queued, not tried yet
    SENDING = "sending"  # claimed by the running check, which is sending it now
    SENT = "sent"  # every URL of the lead took it
    FAILED = "failed"  # some URL did not take it; tried again on the next run
    SUPERSEDED = "superseded"  # its items went into a later digest to the same lead


WAITING_TO_SEND = (OutboxState.PENDING, OutboxState.FAILED)


class Outbox(SQLModel, table=True):
    """A digest for one lead: pending until every URL of the lead accepted it."""

    id: int | None = Field(default=None, primary_key=True)
    lead_id: str = Field(index=True)
    as_of: date
    title: str
    body: str
    state: str = Field(default="pending", index=True,
                       description="an OutboxState: pending | sending | sent | failed | "
                                   "superseded")
    attempts: int = 0
    last_error: str | None = None
    delivered_to: str = Field(default="", description="fingerprints of the URLs that took it, "
                                                      "space-separated: a retry skips them")
    flow_run_id: str | None = None
    created_at: datetime = Field(default_factory=utc_now, sa_column=_timestamp())
    sent_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))


class CheckRun(SQLModel, table=True):
    """One daily drift check: when, for which day, and what it found (JSON summary)."""

    __tablename__ = "check_run"

    id: int | None = Field(default=None, primary_key=True)
    as_of: date = Field(index=True)
    flow_run_id: str | None = None
    started_at: datetime = Field(default_factory=utc_now, sa_column=_timestamp())
    finished_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    summary: str | None = None


class WebAccount(SQLModel, table=True):
    """A lead who may sign in to the web page: what they see follows their lead row (team `*`
    sees every team); children's names only with `with_names`, as `report --with-names`
    shows them. No password (None) means single sign-on only."""

    __tablename__ = "web_account"

    lead_id: str = Field(primary_key=True, foreign_key="lead.lead_id")
    password_hash: str | None = Field(default=None, description="argon2id, PHC string")
    with_names: bool = False
    created_at: datetime = Field(default_factory=utc_now, sa_column=_timestamp())
    updated_at: datetime = Field(default_factory=utc_now, sa_column=_timestamp())


class WebSession(SQLModel, table=True):
    """A signed-in browser: only the SHA-256 of its cookie's token is kept, so a copy of the
    store signs nobody in. It ends when idle too long, when too old, or on signing out."""

    __tablename__ = "web_session"

    token_hash: str = Field(primary_key=True)
    lead_id: str = Field(index=True, foreign_key="web_account.lead_id")
    csrf_token: str = Field(description="sent back with every form of this session")
    created_at: datetime = Field(sa_column=_timestamp())
    last_seen_at: datetime = Field(sa_column=_timestamp())


class InboxFile(SQLModel, table=True):
    """A file the inbox imported, known by its content: a file with the same content (the same
    extract dropped twice, or under another name) is never imported again."""

    __tablename__ = "inbox_file"

    content_hash: str = Field(primary_key=True, description="SHA-256 of the file's bytes, hex")
    kind: str = Field(description="leads | cases | events | pauses | extensions | ssda903")
    name: str = Field(description="the file's name when it was imported")
    rows: int
    imported_at: datetime = Field(sa_column=_timestamp())
    last_received_at: datetime = Field(
        sa_column=_timestamp(), description="when this content last arrived: imported, or "
                                            "dropped again; the inbox is stale from it")
