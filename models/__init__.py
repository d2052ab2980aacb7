"""Store tables: leads, cases, milestone completions and the history of every recorded date.

One family of classes per entity; dates are plain calendar dates, and every timestamp is
timezone-aware UTC. The current completion of a milestone lives in `milestone_completion` (one row
per case and milestone, read in one query for evaluation); every date ever recorded, corrections
included, is kept in `milestone_event` with when and how it was recorded.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import Column, DateTime
from sqlmodel import Field, SQLModel


def utc_now() -> datetime:
    return datetime.now(UTC)


def _timestamp() -> Column:  # type: ignore[type-arg]
    return Column(DateTime(timezone=True), nullable=False)


class LeadBase(SQLModel):
    lead_id: str = Field(primary_key=True)
    name: str
    role: str = Field(index=True)
    team: str = Field(index=True)
    notify: str


class Lead(LeadBase, table=True):
    """A named person who owns milestones or is escalated to, with the apprise URLs that reach them."""

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


class Case(CaseBase, table=True):
    """One child's journey to permanence on one timeline."""

    updated_at: datetime = Field(default_factory=utc_now, sa_column=_timestamp())


class MilestoneCompletion(SQLModel, table=True):
    """The date a milestone of a case is currently recorded as completed."""

    __tablename__ = "milestone_completion"

    case_ref: str = Field(primary_key=True, foreign_key="case.case_ref")
    milestone: str = Field(primary_key=True)
    occurred_on: date
    note: str | None = None
    recorded_at: datetime = Field(default_factory=utc_now, sa_column=_timestamp())


class MilestoneEvent(SQLModel, table=True):
    """Every completion date ever recorded, in order: corrections keep the date they replaced."""

    __tablename__ = "milestone_event"

    id: int | None = Field(default=None, primary_key=True)
    case_ref: str = Field(index=True, foreign_key="case.case_ref")
    milestone: str
    occurred_on: date
    note: str | None = None
    recorded_at: datetime = Field(default_factory=utc_now, sa_column=_timestamp())
    source: str = Field(description="how it was recorded: 'import FILE' or 'record'")
