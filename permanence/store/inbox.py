"""The inbox's own records: which file contents were imported, so that none is imported twice,
and when an extract last arrived, so that stale data is noticed."""

from __future__ import annotations

from datetime import date, datetime
from typing import NamedTuple

from sqlalchemy import func, select, update
from sqlmodel import Session, col

from permanence.models import InboxFile, Outbox


class HeldFile(NamedTuple):
    """A content the inbox imported before: under which name, and when."""

    name: str
    imported_at: datetime


def imported_file(*, session: Session, content_hash: str) -> HeldFile | None:
    """The file with this content the inbox imported, or None."""
    row = session.execute(select(col(InboxFile.name), col(InboxFile.imported_at)).where(
        col(InboxFile.content_hash) == content_hash)).first()
    return None if row is None else HeldFile(row[0], row[1])


def record_imported(*, session: Session, content_hash: str, kind: str, name: str, rows: int,
                    at: datetime) -> None:
    """Record a file imported, in the transaction of its import."""
    session.execute(InboxFile.__table__.insert(), {  # type: ignore[attr-defined]
        "content_hash": content_hash, "kind": kind, "name": name, "rows": rows,
        "imported_at": at, "last_received_at": at})


def record_received_again(*, session: Session, content_hash: str, at: datetime) -> None:
    """A file with a content already imported arrived again: not imported, but the extract
    came, so the data is as fresh as it was."""
    session.execute(update(InboxFile).where(col(InboxFile.content_hash) == content_hash)
                    .values(last_received_at=at))


def last_received(*, session: Session) -> datetime | None:
    """When an extract last arrived that was imported or already held; None before any."""
    return session.execute(select(func.max(InboxFile.last_received_at))).scalar()


def message_queued(*, session: Session, lead_id: str, as_of: date, title: str,
                   body: str) -> bool:
    """Whether this lead already has this very message for this day (a re-run of the day with
    nothing new tells nobody twice)."""
    return session.execute(select(col(Outbox.id)).where(
        col(Outbox.lead_id) == lead_id, col(Outbox.as_of) == as_of,
        col(Outbox.title) == title, col(Outbox.body) == body).limit(1)).first() is not None
