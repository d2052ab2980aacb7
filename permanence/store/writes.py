"""What imports, `record`, `pause`, `extend` and `purge` write, and the bulk writes the daily
check makes with the same helpers: on SQLite one executemany per table, on PostgreSQL one COPY
(`permanence.store.copy` says why), so one transaction can span a whole import."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from itertools import islice
from typing import TYPE_CHECKING, Any, TypeVar, cast

from sqlalchemy import CursorResult, Executable, Table, update
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

if TYPE_CHECKING:
    from permanence.store.copy import CopyPlan

T = TypeVar("T")

CHUNK = 5_000
IMPORT_BATCH = 50_000
"""Rows of an import written at a time: a national file is checked and written a batch at a
time, all in one transaction, so memory holds one batch, not the file."""


def batches(rows: Iterable[T], size: int) -> Iterator[list[T]]:
    """`rows` in lists of `size` (the last shorter), taken as they come."""
    each = iter(rows)
    while batch := list(islice(each, size)):
        yield batch


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
    if _on_postgres(session):
        return postgresql.insert
    return sqlite.insert


def _on_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def upsert(session: Session, model: type[SQLModel], rows: Sequence[dict[str, Any]],
           keys: Sequence[str]) -> None:
    """Insert rows, updating every other column where the key already exists; of rows with
    the same key, the last stands."""
    if not rows:
        return
    table = model.__table__  # type: ignore[attr-defined]
    copy = _copy_plan(session, table, rows)
    if copy is not None:
        copy.upsert(session, rows, keys)
        return
    insert = _insert(session)
    statement = insert(table)
    columns = [name for name in rows[0] if name not in keys]
    statement = statement.on_conflict_do_update(
        index_elements=list(keys), set_={name: statement.excluded[name] for name in columns})
    for start in range(0, len(rows), CHUNK):
        session.execute(statement, list(rows[start:start + CHUNK]))


def insert_rows(session: Session, model: type[SQLModel], rows: Sequence[dict[str, Any]]) -> None:
    """Plain bulk insert."""
    if not rows:
        return
    table = model.__table__  # type: ignore[attr-defined]
    copy = _copy_plan(session, table, rows)
    if copy is not None:
        copy.insert(session, rows)
        return
    for start in range(0, len(rows), CHUNK):
        session.execute(table.insert(), list(rows[start:start + CHUNK]))


def insert_returning_ids(session: Session, model: type[SQLModel],
                         rows: Sequence[dict[str, Any]]) -> list[int]:
    """Insert rows and return their new ids, in the order of the rows (ascending, as the
    table's sequence gives them)."""
    if not rows:
        return []
    table = model.__table__  # type: ignore[attr-defined]
    copy = _copy_plan(session, table, rows)
    if copy is not None:
        return copy.insert_with_ids(session, rows)
    statement = table.insert().returning(table.c.id, sort_by_parameter_order=True)
    ids: list[int] = []
    for start in range(0, len(rows), CHUNK):
        ids.extend(session.execute(statement, list(rows[start:start + CHUNK])).scalars())
    return ids


def _copy_plan(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> CopyPlan | None:
    """On PostgreSQL, the COPY of these rows; None on SQLite, and for a table with a column
    left out whose default is not a plain value (SQLAlchemy's executemany writes those)."""
    dialect = session.get_bind().dialect
    if (dialect.name, dialect.driver) != ("postgresql", "psycopg"):
        return None
    from permanence.store.copy import CopyPlan  # psycopg: imported by PostgreSQL stores only

    given = [table.c[key] for key in rows[0] if key in table.c]
    if not given:
        return None
    defaulted = [column for column in table.columns
                 if column.key not in rows[0] and column.default is not None]
    if any(not column.default.is_scalar for column in defaulted):  # type: ignore[union-attr]
        return None
    return CopyPlan(table, given, defaulted, dialect)


def import_leads(*, session: Session, leads: Sequence[dict[str, str]]) -> None:
    now = utc_now()
    upsert(session, Lead, [{**lead, "updated_at": now} for lead in leads], ["lead_id"])


def import_cases(*, session: Session, cases: Iterable[dict[str, Any]], today: date,
                 source: str) -> list[tuple[str, str, str]]:
    """Insert or replace each case whole (a case_ref at most once); a case moved to another
    timeline is a route change, kept in the case's history. Returns the route changes as
    (case_ref, old, new)."""
    now = utc_now()
    routes = case_index(session=session)
    changes: list[tuple[str, str, str]] = []
    for batch in batches(cases, IMPORT_BATCH):
        changed = [(case["case_ref"], routes[case["case_ref"]][0], case["timeline"])
                   for case in batch if case["case_ref"] in routes
                   and routes[case["case_ref"]][0] != case["timeline"]]
        upsert(session, Case, [{**case, "updated_at": now} for case in batch], ["case_ref"])
        insert_rows(session, RouteChange, [
            {"case_ref": case_ref, "old_timeline": old, "new_timeline": new, "changed_on": today,
             "recorded_at": now, "source": source} for case_ref, old, new in changed])
        changes += changed
    return changes


def record_events(*, session: Session, events: Iterable[dict[str, Any]], source: str,
                  recorded_at: datetime | None = None) -> None:
    """Keep every row in the history; per case and milestone, the last `done` or
    `not_applicable` row becomes the one standing (batches are written in order, so a later
    one replaces an earlier). Booked (`planned`) dates stay in the history only: which one
    stands depends on the day asked about."""
    recorded_at = recorded_at or utc_now()
    for batch in batches(events, IMPORT_BATCH):
        history = [{"kind": EventKind.DONE, "noted_on": None, **event,
                    "recorded_at": recorded_at, "source": source} for event in batch]
        insert_rows(session, MilestoneEvent, history)
        latest = {(event["case_ref"], event["milestone"]): event for event in history
                  if event["kind"] != EventKind.PLANNED}
        upsert(session, MilestoneCompletion,
               [{"case_ref": event["case_ref"], "milestone": event["milestone"],
                 "occurred_on": event["occurred_on"], "note": event["note"],
                 "kind": event["kind"], "recorded_at": recorded_at}
                for event in latest.values()],
               ["case_ref", "milestone"])


def record_pauses(*, session: Session, pauses: Iterable[dict[str, Any]], source: str) -> None:
    """Insert or replace pauses by (case, first paused day): closing an open pause is
    recording it again with its end."""
    now = utc_now()
    for batch in batches(pauses, IMPORT_BATCH):
        upsert(session, CasePause, [{**pause, "recorded_at": now, "source": source}
                                    for pause in batch], ["case_ref", "paused_from"])


def record_extensions(*, session: Session, extensions: Sequence[dict[str, Any]],
                      source: str) -> None:
    """Insert or replace agreed extensions by (case, milestone, day approved)."""
    now = utc_now()
    upsert(session, Extension, [{**extension, "recorded_at": now, "source": source}
                                for extension in extensions],
           ["case_ref", "milestone", "approved_on"])
