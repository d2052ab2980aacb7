"""Snapshots: a cases extract that holds every open case. An open case it does not hold is
remembered here, to be listed as a data-quality item, never closed silently."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import delete, or_, select
from sqlmodel import Session, col

from permanence.models import Case, utc_now
from permanence.models.snapshots import MissingFromSnapshot


def record_snapshot(*, session: Session, held: Iterable[str], source: str,
                    day: date) -> list[str]:
    """After a snapshot's cases are written: every case open on `day` that it did not hold,
    remembered in place of the previous snapshot's (in the caller's transaction); returns
    their case_refs, in order."""
    present = set(held)
    open_refs = session.execute(select(col(Case.case_ref)).where(or_(
        col(Case.closed_on).is_(None), col(Case.closed_on) > day)).order_by(
        col(Case.case_ref))).scalars()
    missing = [case_ref for case_ref in open_refs if case_ref not in present]
    session.execute(delete(MissingFromSnapshot))
    now = utc_now()
    if missing:
        session.execute(MissingFromSnapshot.__table__.insert(), [  # type: ignore[attr-defined]
            {"case_ref": case_ref, "snapshot": source, "snapshot_on": day, "recorded_at": now}
            for case_ref in missing])
    return missing


def missing_from_snapshot(*, session: Session) -> dict[str, tuple[str, date]]:
    """case_ref -> (the snapshot that did not hold it, the day it was imported)."""
    return {case_ref: (snapshot, day) for case_ref, snapshot, day in session.execute(select(
        col(MissingFromSnapshot.case_ref), col(MissingFromSnapshot.snapshot),
        col(MissingFromSnapshot.snapshot_on)))}
