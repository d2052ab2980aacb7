"""The `explanation` table: why a milestone of a case is drifting, the next action and by when,
as `permanence explain` and the web page's form record them.

Kept in a module of its own, beside the tables in `permanence.models`, and registered in the
same SQLModel metadata: `permanence.store.explanations` imports it, and the store package
imports that, so every schema check and upgrade sees it. The schema changes only through
`models/migrations` (0006 created this table).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Field, SQLModel

from permanence.models import _timestamp, utc_now


class Explanation(SQLModel, table=True):
    """Why one milestone of a case is drifting and what will unblock it. Every explanation is
    kept: the latest (by day given, then as recorded) stands, the earlier ones are its
    history."""

    __tablename__ = "explanation"

    id: int | None = Field(default=None, primary_key=True)
    case_ref: str = Field(index=True, foreign_key="case.case_ref")
    milestone: str
    reason: str
    next_action: str
    next_by: date = Field(description="the day the next action is to be done by")
    explained_on: date = Field(description="the day the explanation was given")
    explained_by: str | None = Field(default=None, description="lead_id of who gave it, when "
                                                               "known")
    source: str = Field(description="how it was recorded: 'explain' or 'web'")
    recorded_at: datetime = Field(default_factory=utc_now, sa_column=_timestamp())
