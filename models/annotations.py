"""The `annotation` table: the improvement changes `permanence annotate` records.

Kept in a module of its own, beside the tables in `permanence.models`, and registered in the
same SQLModel metadata: `permanence.store.annotations` imports it, and the store package
imports that, so every schema check and upgrade sees it. The schema changes only through
`models/migrations` (0004 created this table).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Field, SQLModel

from permanence.models import _timestamp, utc_now


class Annotation(SQLModel, table=True):
    """An improvement change (a PDSA cycle's test, a new way of working) on the day it was
    made, recorded with `permanence annotate` and drawn on every run chart."""

    __tablename__ = "annotation"

    id: int | None = Field(default=None, primary_key=True)
    changed_on: date = Field(index=True)
    text: str
    recorded_at: datetime = Field(default_factory=utc_now, sa_column=_timestamp())
