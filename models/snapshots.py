"""The `missing_from_snapshot` table: open cases that the latest snapshot (a cases extract
holding every open case) did not hold.

Kept in a module of its own, beside the tables in `permanence.models`, and registered in the
same SQLModel metadata: `permanence.store.snapshots` imports it, and the store package imports
that, so every schema check and upgrade sees it. The schema changes only through
`models/migrations` (0007 created this table).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Field, SQLModel

from permanence.models import _timestamp, utc_now


class MissingFromSnapshot(SQLModel, table=True):
    """An open case that the latest snapshot did not hold: a data-quality item until a snapshot
    holds it again or it is closed, never closed silently. Each snapshot replaces every row."""

    __tablename__ = "missing_from_snapshot"

    case_ref: str = Field(primary_key=True, foreign_key="case.case_ref")
    snapshot: str = Field(description="the snapshot that did not hold it: 'import FILE' or "
                                      "'inbox FILE'")
    snapshot_on: date = Field(description="the day that snapshot was imported")
    recorded_at: datetime = Field(default_factory=utc_now, sa_column=_timestamp())
