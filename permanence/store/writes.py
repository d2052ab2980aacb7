"""What imports, `record`, `pause`, `extend` and `purge` write: bulk upserts, one executemany
per table, so one transaction can span a whole import."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Executable, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, SQLModel, col

from permanence.models import (
    Case,
    CasePause,
    EventKind,
    Extension,
    Lead,
    MilestoneCompletion,
    MilestoneEvent,
    RouteChange,
    utc_now,
)
from permanence.store.reads import case_index

CHUNK = 5_000


def purge_personal_data(*, session: Session, closed_before: date) -> int:
    """Forget the names and dates of birth of children whose cases closed before the date,
    keeping every milestone, so measures stay whole; returns how many cases changed."""
    return rows_changed(session, update(Case).where(
        col(Case.closed_on) < closed_before,
        col(Case.child_name).is_not(None) | col(Case.date_of_birth).is_not(None))
        .values(child_name=None, date_of_birth=None))


def rows_changed(session: Session, statement: Executable) -> int:
    """How many rows an UPDATE changed."""
    return int(cast(CursorResult[Any], session.execute(statement)).rowcount)


def _insert(session: Session) -> Any:
    """The dialect's INSERT, which has ON CONFLICT (upserts)."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert
    return sqlite.insert


def upsert(session: Session, model: type[SQLModel], rows: Sequence[dict[str, Any]],
           keys: Sequence[str]) -> None:
    """Insert rows, updating every other column where the key already exists."""
    if not rows:
        return
    insert = _insert(session)
    table = model.__table__  # type: ignore[attr-defined]
    statement = insert(table)
    columns = [name for name in rows[0] if name not in keys]
    statement = statement.on_conflict_do_update(
        index_elements=list(keys), set_={name: statement.excluded[name] for name in columns})
    for start in range(0, len(rows), CHUNK):
        session.execute(statement, list(rows[start:start + CHUNK]))


def insert_rows(session: Session, model: type[SQLModel], rows: Sequence[dict[str, Any]]) -> None:
    """Plain bulk insert in chunks."""
    table = model.__table__  # type: ignore[attr-defined]
    for start in range(0, len(rows), CHUNK):
        session.execute(table.insert(), list(rows[start:start + CHUNK]))


def import_leads(*, session: Session, leads: Sequence[dict[str, str]]) -> None:
    now = utc_now()
    upsert(session, Lead, [{**lead, "updated_at": now} for lead in leads], ["lead_id"])


def import_cases(*, session: Session, cases: Sequence[dict[str, Any]], today: date,
                 source: str) -> list[tuple[str, str, str]]:
    """Insert or replace each case whole; a case moved to another timeline is a route change,
    kept in the case's history. Returns the route changes as (case_ref, old, new)."""
    now = utc_now()
    routes = case_index(session=session)
    changed = [(case["case_ref"], routes[case["case_ref"]][0], case["timeline"])
               for case in cases
               if case["case_ref"] in routes and routes[case["case_ref"]][0] != case["timeline"]]
    upsert(session, Case, [{**case, "updated_at": now} for case in cases], ["case_ref"])
    insert_rows(session, RouteChange, [
        {"case_ref": case_ref, "old_timeline": old, "new_timeline": new, "changed_on": today,
         "recorded_at": now, "source": source} for case_ref, old, new in changed])
    return changed


def record_events(*, session: Session, events: Sequence[dict[str, Any]], source: str,
                  recorded_at: datetime | None = None) -> None:
    """Keep every row in the history; per case and milestone, the last `done` or
    `not_applicable` row becomes the one standing. Booked (`planned`) dates stay in the
    history only: which one stands depends on the day asked about."""
    recorded_at = recorded_at or utc_now()
    history = [{"kind": EventKind.DONE, "noted_on": None, **event, "recorded_at": recorded_at,
                "source": source} for event in events]
    insert_rows(session, MilestoneEvent, history)
    latest = {(event["case_ref"], event["milestone"]): event for event in history
              if event["kind"] != EventKind.PLANNED}
    upsert(session, MilestoneCompletion,
           [{"case_ref": event["case_ref"], "milestone": event["milestone"],
             "occurred_on": event["occurred_on"], "note": event["note"], "kind": event["kind"],
             "recorded_at": recorded_at} for event in latest.values()],
           ["case_ref", "milestone"])


def record_pauses(*, session: Session, pauses: Sequence[dict[str, Any]], source: str) -> None:
    """Insert or replace pauses by (case, first paused day): closing an open pause is
    recording it again with its end."""
    now = utc_now()
    upsert(session, CasePause, [{**pause, "recorded_at": now, "source": source}
                                for pause in pauses], ["case_ref", "paused_from"])


def record_extensions(*, session: Session, extensions: Sequence[dict[str, Any]],
                      source: str) -> None:
    """Insert or replace agreed extensions by (case, milestone, day approved)."""
    now = utc_now()
    upsert(session, Extension, [{**extension, "recorded_at": now, "source": source}
                                for extension in extensions],
           ["case_ref", "milestone", "approved_on"])
