"""The case store: SQLite by default, PostgreSQL in production, through one set of functions.

Data functions are keyword-only and take the session, so one transaction can span a whole
import. Writes are bulk upserts (one executemany per table) and reads select plain columns in
one query per table: evaluation needs tuples, not ORM objects.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, NamedTuple, cast

from sqlalchemy import CursorResult, Executable, func, inspect, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, DatabaseError, DBAPIError
from sqlmodel import Session, SQLModel, col, create_engine

from permanence.errors import BadInput, CheckRefused, PermanenceError
from permanence.evaluate import CaseFacts
from permanence.models import (
    WAITING_TO_SEND,
    Case,
    CasePause,
    CaseState,
    CheckRun,
    EventKind,
    Extension,
    Lead,
    MilestoneCompletion,
    MilestoneEvent,
    Notice,
    Outbox,
    OutboxState,
    RouteChange,
    StatusChange,
    migrations,
    utc_now,
)
from permanence.timelines import Timeline

DEFAULT_DB = "sqlite:///permanence.db"
CHUNK = 5_000


def database_url(explicit: str | None) -> str:
    """--db, then PERMANENCE_DB, then permanence.db in the working directory."""
    return explicit or os.environ.get("PERMANENCE_DB") or DEFAULT_DB


def make_engine(url: str) -> Engine:
    """An engine for a SQLite or PostgreSQL URL, refusing anything else in plain words that
    never show the password. PostgreSQL URLs in any spelling (`postgres://` as hosting
    providers print it, `postgresql://`, or another driver's `+psycopg2`, `+asyncpg`) are
    served by psycopg 3, the driver installed with the project."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        # Not echoed: what cannot be parsed cannot be told apart from its password.
        raise BadInput("--db: the value given is not a database URL; expected sqlite:///PATH "
                       "or postgresql://USER:PASSWORD@HOST/DBNAME") from None
    shown = parsed.render_as_string(hide_password=True)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        database = parsed.database
        if database and database != ":memory:" and not Path(database).parent.exists():
            raise BadInput(f"--db {shown!r}: folder {Path(database).parent} does not exist")
        return create_engine(parsed.set(drivername="sqlite"), connect_args={"timeout": 30})
    if backend in {"postgresql", "postgres"}:
        return create_engine(parsed.set(drivername="postgresql+psycopg"), pool_pre_ping=True)
    raise BadInput(f"--db {shown!r}: only sqlite:/// and postgresql:// URLs are supported")


def init_schema(engine: Engine) -> tuple[str | None, str]:
    """Create the store, or upgrade one written by an earlier release in place, keeping every
    row; returns the (from, to) schema revisions. A SQLite store holds children's names and
    dates of birth, so its file is made readable by its owner only."""
    database = engine.url.database
    if engine.dialect.name == "sqlite" and database and database != ":memory:":
        os.close(os.open(database, os.O_CREAT | os.O_WRONLY, 0o600))
        os.chmod(database, 0o600)
    try:
        return migrations.upgrade(engine)
    except DatabaseError as error:
        raise _cannot_open(engine, error) from None


def purge_personal_data(*, session: Session, closed_before: date) -> int:
    """Forget the names and dates of birth of children whose cases closed before the date,
    keeping every milestone, so measures stay whole; returns how many cases changed."""
    return _changed(session, update(Case).where(
        col(Case.closed_on) < closed_before,
        col(Case.child_name).is_not(None) | col(Case.date_of_birth).is_not(None))
        .values(child_name=None, date_of_birth=None))


def _changed(session: Session, statement: Executable) -> int:
    """How many rows an UPDATE changed."""
    return int(cast(CursorResult[Any], session.execute(statement)).rowcount)


def _cannot_open(engine: Engine, error: DatabaseError) -> PermanenceError:
    reason = " ".join(str(error.orig).split())
    return PermanenceError(f"cannot open the store {engine.url.render_as_string()}: {reason}")


def require_schema(engine: Engine) -> None:
    """Refuse to work on a store that `permanence init` has not prepared, or that an earlier
    release wrote and `permanence init` has not upgraded yet."""
    try:
        with engine.connect() as connection:
            revision = migrations.revision_of(connection)
            tables = set(inspect(connection).get_table_names())
    except DatabaseError as error:
        raise _cannot_open(engine, error) from None
    shown = engine.url.render_as_string()
    migrations.refuse_newer(revision, shown)
    if revision is not None and revision != migrations.head():
        raise PermanenceError(f"the store {shown} was written by an earlier release (schema "
                              f"{revision}, this release needs {migrations.head()}); run "
                              "`permanence init` to upgrade it in place, keeping every row")
    missing = set(SQLModel.metadata.tables) - tables
    if missing:
        raise PermanenceError(f"the store {shown} is not initialised "
                              f"(missing tables: {', '.join(sorted(missing))}); run "
                              "`permanence init` first")


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


def get_case(*, session: Session, case_ref: str) -> Case | None:
    return session.get(Case, case_ref)


def lead_ids(*, session: Session) -> set[str]:
    return set(session.execute(select(col(Lead.lead_id))).scalars())


def lead_roles(*, session: Session) -> list[tuple[str, str, str]]:
    """(lead_id, role, team) of every lead, for resolving roles."""
    rows = session.execute(select(Lead.lead_id, Lead.role, Lead.team))  # type: ignore[call-overload]
    return [tuple(row) for row in rows]


def earliest_events(*, session: Session) -> dict[str, tuple[date, str]]:
    """case_ref -> (earliest completion date, its milestone), for checking case updates."""
    earliest: dict[str, tuple[date, str]] = {}
    rows = session.execute(select(MilestoneCompletion.case_ref, MilestoneCompletion.occurred_on,  # type: ignore[call-overload]
                                  MilestoneCompletion.milestone))
    for case_ref, occurred_on, milestone in rows:
        if case_ref not in earliest or occurred_on < earliest[case_ref][0]:
            earliest[case_ref] = (occurred_on, milestone)
    return earliest


def case_index(*, session: Session) -> dict[str, tuple[str, date]]:
    """case_ref -> (timeline, looked_after_on), for checking events."""
    rows = session.execute(select(Case.case_ref, Case.timeline, Case.looked_after_on))  # type: ignore[call-overload]
    return {case_ref: (timeline, looked_after_on) for case_ref, timeline, looked_after_on in rows}


def load_case_facts(*, session: Session, timelines: Mapping[str, Timeline],
                    team: str | None = None, case_refs: Iterable[str] | None = None,
                    between: tuple[str, str] | None = None) -> list[CaseFacts]:
    """Every case (of one team, the named cases, or a case_ref range) with what is recorded
    for its milestones: one query per table, each reading only the columns evaluation needs.
    `timelines` says which milestones recur, whose every occurrence is read."""
    def scoped(query: Any, model: Any) -> Any:
        if between is not None:
            query = query.where(model.case_ref >= between[0], model.case_ref <= between[1])
        if team is not None and model is not Case:
            query = query.join(Case, Case.case_ref == model.case_ref)
        if team is not None:
            query = query.where(Case.team == team)
        if wanted is not None:
            query = query.where(model.case_ref.in_(wanted))
        return query

    wanted = None if case_refs is None else list(case_refs)
    cases = session.execute(scoped(select(  # type: ignore[call-overload]
        Case.case_ref, Case.timeline, Case.team, Case.social_worker, Case.looked_after_on,
        Case.closed_on, Case.sibling_group), Case).order_by(Case.case_ref)).all()
    recurring_in = {name: {m.id for m in timeline.milestones if m.is_recurring}
                    for name, timeline in timelines.items()}
    recurs = {case_ref: recurring_in.get(timeline, set()) for case_ref, timeline, *_ in cases}
    recurring_ids = set().union(*recurring_in.values()) if recurring_in else set()

    completions: dict[str, dict[str, date]] = defaultdict(dict)
    not_applicable: dict[str, dict[str, date]] = defaultdict(dict)
    for case_ref, milestone, occurred_on, kind in session.execute(scoped(select(  # type: ignore[call-overload]
            MilestoneCompletion.case_ref, MilestoneCompletion.milestone,
            MilestoneCompletion.occurred_on, MilestoneCompletion.kind), MilestoneCompletion)):
        (completions if kind == EventKind.DONE else not_applicable)[case_ref][milestone] = (
            occurred_on)
    occurrences: dict[str, dict[str, list[date]]] = defaultdict(lambda: defaultdict(list))
    planned: dict[str, dict[str, list[tuple[date, date]]]] = defaultdict(
        lambda: defaultdict(list))
    event = MilestoneEvent
    kept = col(event.kind) == EventKind.PLANNED
    if recurring_ids:
        kept |= col(event.milestone).in_(sorted(recurring_ids))
    for case_ref, milestone, occurred_on, kind, noted_on in session.execute(scoped(select(  # type: ignore[call-overload]
            event.case_ref, event.milestone, event.occurred_on, event.kind, event.noted_on)
            .where(kept).order_by(event.id), event)):
        if kind == EventKind.PLANNED:
            planned[case_ref][milestone].append((noted_on, occurred_on))
        elif milestone not in recurs.get(case_ref, ()):
            continue
        elif kind == EventKind.DONE:
            occurrences[case_ref][milestone].append(occurred_on)
        else:  # a recurring step is n/a from its earliest not_applicable row
            standing = not_applicable[case_ref].get(milestone)
            if standing is None or occurred_on < standing:
                not_applicable[case_ref][milestone] = occurred_on
    pauses: dict[str, list[tuple[date, date | None]]] = defaultdict(list)
    for case_ref, paused_from, paused_to in session.execute(scoped(select(  # type: ignore[call-overload]
            CasePause.case_ref, CasePause.paused_from, CasePause.paused_to), CasePause)):
        pauses[case_ref].append((paused_from, paused_to))
    extensions: dict[str, dict[str, list[tuple[date, date]]]] = defaultdict(
        lambda: defaultdict(list))
    for case_ref, milestone, approved_on, extended_to in session.execute(scoped(select(  # type: ignore[call-overload]
            Extension.case_ref, Extension.milestone, Extension.approved_on,
            Extension.extended_to).order_by(Extension.recorded_at), Extension)):
        extensions[case_ref][milestone].append((approved_on, extended_to))
    empty: dict[str, Any] = {}
    return [CaseFacts(case_ref, timeline, team_name, worker, looked_after_on, closed_on,
                      completions.get(case_ref, empty), not_applicable.get(case_ref, empty),
                      occurrences.get(case_ref, empty), planned.get(case_ref, empty),
                      tuple(pauses.get(case_ref, ())), extensions.get(case_ref, empty),
                      sibling_group)
            for case_ref, timeline, team_name, worker, looked_after_on, closed_on, sibling_group
            in cases]


def teams(*, session: Session) -> list[str]:
    """Every team that has a case, in order."""
    return list(session.execute(select(col(Case.team)).distinct().order_by(col(Case.team)))
                .scalars())


def case_ref_ranges(*, session: Session, size: int) -> list[tuple[str, str]]:
    """Consecutive (first, last) case_ref ranges of at most `size` cases: the check's chunks."""
    refs = list(session.execute(select(col(Case.case_ref)).order_by(col(Case.case_ref)))
                .scalars())
    return [(refs[start], refs[min(start + size, len(refs)) - 1])
            for start in range(0, len(refs), size)]


def latest_checked_day(*, session: Session) -> date | None:
    """The latest as-of date a drift check finished for."""
    return session.execute(select(func.max(CheckRun.as_of)).where(
        CheckRun.finished_at.is_not(None))).scalar()  # type: ignore[union-attr]


def rules_of_last_check(*, session: Session) -> list[dict[str, str]] | None:
    """The rules in force (timeline, version, file) the latest finished check recorded, or None
    when no check recorded them."""
    text_ = session.execute(select(CheckRun.summary).where(  # type: ignore[call-overload]
        CheckRun.finished_at.is_not(None)).order_by(CheckRun.id.desc()).limit(1)).scalar()  # type: ignore[union-attr]
    rules = json.loads(text_).get("rules") if text_ else None
    return rules if isinstance(rules, list) else None


def refuse_earlier_day(*, session: Session, day: date) -> None:
    """A check for a day before the latest one checked would tell people about old changes
    again and move stored state backwards: refuse it."""
    latest = latest_checked_day(session=session)
    if latest is not None and day < latest:
        raise CheckRefused(
            f"the store was already checked for {latest}; checking an earlier day ({day}) "
            f"would tell people about old changes again. Use `permanence status --as-of {day}` "
            "to see that day.")


class CaseNotes(NamedTuple):
    """What the report writes beside a case's dates, for every case at once: its pauses with
    their reasons, its agreed extensions with who agreed them and why, and the cases of every
    sibling group."""

    pauses: dict[str, list[tuple[date, date | None, str]]]
    """case_ref -> (paused_from, paused_to or None while open, reason), by first day."""
    extensions: dict[str, list[tuple[str, date, date, str, str]]]
    """case_ref -> (milestone, approved_on, extended_to, approved_by, reason), in the order
    agreed."""
    siblings: dict[str, list[str]]
    """sibling_group -> its case_refs in order, whatever their team."""


def case_notes(*, session: Session, team: str | None = None) -> CaseNotes:
    """Pauses and extensions of every case (of one team), and every sibling group: one query
    each, for the report."""
    def scoped(query: Any, model: Any) -> Any:
        if team is None:
            return query
        return query.join(Case, col(Case.case_ref) == model.case_ref).where(
            col(Case.team) == team)

    pauses: dict[str, list[tuple[date, date | None, str]]] = defaultdict(list)
    for case_ref, paused_from, paused_to, reason in session.execute(scoped(select(  # type: ignore[call-overload]
            CasePause.case_ref, CasePause.paused_from, CasePause.paused_to, CasePause.reason),
            CasePause).order_by(CasePause.case_ref, CasePause.paused_from)):
        pauses[case_ref].append((paused_from, paused_to, reason))
    extensions: dict[str, list[tuple[str, date, date, str, str]]] = defaultdict(list)
    for case_ref, *extension in session.execute(scoped(select(  # type: ignore[call-overload]
            Extension.case_ref, Extension.milestone, Extension.approved_on,
            Extension.extended_to, Extension.approved_by, Extension.reason), Extension)
            .order_by(Extension.case_ref, Extension.approved_on, Extension.recorded_at)):
        extensions[case_ref].append(tuple(extension))
    siblings: dict[str, list[str]] = defaultdict(list)
    for case_ref, group in session.execute(select(col(Case.case_ref), col(Case.sibling_group))
                                           .where(col(Case.sibling_group).is_not(None))
                                           .order_by(col(Case.case_ref))):
        siblings[group].append(case_ref)
    return CaseNotes(dict(pauses), dict(extensions), dict(siblings))


# One check per store at a time ---------------------------------------------------------------

# The PostgreSQL advisory lock key of the daily check ("perm" in ASCII); advisory locks are
# scoped to one database, so two stores on one server do not wait for each other.
CHECK_LOCK_KEY = 0x7065726D
LOCK_POLL_SECONDS = 0.5


@dataclass
class CheckLock:
    """The held check lock: how long the check waited for it, and a way to make sure it is still
    held (a PostgreSQL restart ends the session that holds it) before the check goes on."""

    waited: float
    confirm: Callable[[], None]


@contextmanager
def check_lock(engine: Engine, *, wait: float,
               waiting: Callable[[str], None]) -> Iterator[CheckLock]:
    """Hold the store's check lock for the block: one daily check per store at a time, whoever
    started it (the schedule, a worker, a person at the command line). A check already running
    is waited for, up to `wait` seconds: `waiting` is told once who holds the lock. After that
    the check is refused, saying why.

    PostgreSQL: a session-level advisory lock on a connection of its own; `confirm()` asks the
    server that this session still holds it. SQLite: an exclusive `flock` on
    `<database file>.check-lock` beside the store. Either is released by the server or the
    operating system when the process holding it dies, so a crash never leaves a store locked."""
    started = time.monotonic()

    def until_free(try_lock: Callable[[], bool]) -> float:
        """Seconds waited for the lock: 0 when it was free at once."""
        if try_lock():
            return 0.0
        told = False
        while not try_lock():
            waited = time.monotonic() - started
            if waited >= wait:
                raise CheckRefused(f"{_running_check(engine)} has held the store for over "
                                   f"{wait:.0f} s; this check did not start. Run it again once "
                                   "that one has finished (its result is in the run history).")
            if not told:
                waiting(f"waiting for {_running_check(engine)} to finish: one check of a store "
                        "runs at a time")
                told = True
            time.sleep(LOCK_POLL_SECONDS)
        return time.monotonic() - started

    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            def try_lock() -> bool:
                return bool(connection.execute(text("SELECT pg_try_advisory_lock(:key)"),
                                               {"key": CHECK_LOCK_KEY}).scalar())

            def confirm() -> None:
                held = connection.execute(text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                    "AND pid = pg_backend_pid() AND objid = :key"), {"key": CHECK_LOCK_KEY})
                if not held.scalar():
                    raise CheckRefused("this check lost the store's check lock; it stopped so "
                                       "that no two checks run at once. Run it again.")

            lock = CheckLock(until_free(try_lock), confirm)
            try:
                yield lock
            finally:
                if not connection.invalidated and not connection.closed:
                    with suppress(DBAPIError):  # a server that went away has freed it already
                        connection.execute(text("SELECT pg_advisory_unlock(:key)"),
                                           {"key": CHECK_LOCK_KEY})
        return
    database = engine.url.database
    if not database or database == ":memory:":  # no other process can reach this store
        yield CheckLock(0.0, lambda: None)
        return
    path = Path(database).resolve()
    with open(path.with_name(path.name + ".check-lock"), "a") as handle:
        def try_flock() -> bool:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False
            return True

        lock = CheckLock(until_free(try_flock), lambda: None)  # a held flock cannot be lost
        try:
            yield lock
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _running_check(engine: Engine) -> str:
    """The check that holds the lock, as far as the store knows: the newest unfinished run."""
    with Session(engine) as session:
        running = session.execute(select(CheckRun.as_of, CheckRun.flow_run_id,  # type: ignore[call-overload]
                                         CheckRun.started_at)
                                  .where(CheckRun.finished_at.is_(None))  # type: ignore[union-attr]
                                  .order_by(CheckRun.id.desc()).limit(1)).first()  # type: ignore[union-attr]
    if running is None:
        return "another check of this store"
    run = f", flow run {running.flow_run_id}" if running.flow_run_id else ""
    return (f"the check for {running.as_of}{run} (started "
            f"{running.started_at:%Y-%m-%d %H:%M:%S} UTC)")


def claim_message(*, session: Session, outbox_id: int) -> bool:
    """Mark a waiting message as being sent by this check; False when it is no longer waiting
    (another sender has it, or it went out), so no message is ever sent by two senders."""
    return _changed(session, update(Outbox).where(
        col(Outbox.id) == outbox_id, col(Outbox.state).in_(WAITING_TO_SEND))
        .values(state=OutboxState.SENDING)) == 1


def release_interrupted_sends(*, session: Session) -> int:
    """Messages a check claimed but never recorded a result for: that check died while sending
    (only the lock holder sends, so none is still running). They go back to waiting and are
    sent again: a duplicate is preferred to a loss."""
    return _changed(session, update(Outbox).where(
        col(Outbox.state) == OutboxState.SENDING).values(
        state=OutboxState.FAILED, last_error="the check sending it stopped before it could "
                                             "record the result; sent again"))


def milestone_history(*, session: Session, case_ref: str,
                      milestone: str | None = None) -> list[MilestoneEvent]:
    """Every date recorded for a case (or one of its milestones), oldest first."""
    query = select(MilestoneEvent).where(col(MilestoneEvent.case_ref) == case_ref)
    if milestone is not None:
        query = query.where(col(MilestoneEvent.milestone) == milestone)
    return list(session.execute(query.order_by(col(MilestoneEvent.id))).scalars())


class CaseLife(NamedTuple):
    """What moved a case off a straight line, as recorded: for `timeline` and `history`."""

    pauses: list[CasePause]
    extensions: list[Extension]
    routes: list[RouteChange]
    siblings: list[str]  # the other cases of its sibling group


def case_life(*, session: Session, case_ref: str, milestone: str | None = None) -> CaseLife:
    """A case's pauses (by first day), extensions (of one milestone, when given; in the order
    agreed), route changes and brothers and sisters."""
    extensions = select(Extension).where(col(Extension.case_ref) == case_ref)
    if milestone is not None:
        extensions = extensions.where(col(Extension.milestone) == milestone)
    group = session.execute(select(col(Case.sibling_group)).where(
        col(Case.case_ref) == case_ref)).scalar()
    return CaseLife(
        pauses=list(session.execute(select(CasePause).where(
            col(CasePause.case_ref) == case_ref).order_by(col(CasePause.paused_from)))
            .scalars()),
        extensions=list(session.execute(extensions.order_by(
            col(Extension.approved_on), col(Extension.recorded_at))).scalars()),
        routes=list(session.execute(select(RouteChange).where(
            col(RouteChange.case_ref) == case_ref).order_by(col(RouteChange.id))).scalars()),
        siblings=[] if group is None else list(session.execute(select(col(Case.case_ref)).where(
            col(Case.sibling_group) == group, col(Case.case_ref) != case_ref)
            .order_by(col(Case.case_ref))).scalars()))


def status_history(*, session: Session, case_ref: str,
                   milestone: str | None = None) -> list[StatusChange]:
    """Every change of status the daily check stored for a case, oldest first."""
    query = select(StatusChange).where(col(StatusChange.case_ref) == case_ref)
    if milestone is not None:
        query = query.where(col(StatusChange.milestone) == milestone)
    return list(session.execute(query.order_by(col(StatusChange.id))).scalars())


# The daily check's reads and writes, in the order a run makes them.

def start_check_run(*, session: Session, as_of: date, flow_run_id: str | None) -> int:
    """Record that a check of `as_of` began (unfinished until `finish_check_run`)."""
    table = CheckRun.__table__  # type: ignore[attr-defined]
    return int(session.execute(table.insert().returning(table.c.id), {
        "as_of": as_of, "flow_run_id": flow_run_id, "started_at": utc_now()}).scalar_one())


def stored_states(*, session: Session, between: tuple[str, str]) -> dict[str, str]:
    """The milestone states the last check stored (JSON text) for a range of case_refs."""
    first, last = between
    return dict(session.execute(
        select(col(CaseState.case_ref), col(CaseState.milestones)).where(
            col(CaseState.case_ref) >= first, col(CaseState.case_ref) <= last)).all())


def save_case_states(*, session: Session, states: Sequence[dict[str, Any]]) -> None:
    upsert(session, CaseState, states, ["case_ref"])


def record_status_changes(*, session: Session, quiet: Sequence[dict[str, Any]],
                          telling: Sequence[dict[str, Any]]) -> list[int]:
    """Store status changes: those that tell nobody in one plain insert, those that tell
    someone with their ids returned, in order, for their notices."""
    insert_rows(session, StatusChange, quiet)
    table = StatusChange.__table__  # type: ignore[attr-defined]
    statement = table.insert().returning(table.c.id, sort_by_parameter_order=True)
    ids: list[int] = []
    for start in range(0, len(telling), CHUNK):
        ids.extend(session.execute(statement, list(telling[start:start + CHUNK])).scalars())
    return ids


def add_notices(*, session: Session, notices: Sequence[dict[str, Any]]) -> None:
    insert_rows(session, Notice, notices)


NOTICE_COLUMNS = (Notice.id, Notice.change_id, Notice.lead_id, Notice.reason, Notice.tier,
                  StatusChange.case_ref, StatusChange.milestone, StatusChange.timeline,
                  StatusChange.new_status, StatusChange.due, StatusChange.days_overdue,
                  StatusChange.owner, StatusChange.planned_for, Case.sibling_group)


def notices_to_send(*, session: Session) -> list[Any]:
    """Every notice in no message yet, with the notices of each such lead's earlier message
    that reached none of its URLs: that message is superseded, its items go in the new
    digest (one message per lead per run). Oldest first; empty when nothing is new."""
    def notices(*where: Any) -> list[Any]:
        return list(session.execute(select(*NOTICE_COLUMNS).join(  # type: ignore[call-overload]
            StatusChange, col(StatusChange.id) == col(Notice.change_id)).join(
            Case, col(Case.case_ref) == col(StatusChange.case_ref)).where(*where)).all())

    fresh = notices(col(Notice.outbox_id).is_(None))
    if not fresh:
        return []
    folded = list(session.execute(select(col(Outbox.id)).where(
        col(Outbox.state).in_(WAITING_TO_SEND), col(Outbox.delivered_to) == "",
        col(Outbox.lead_id).in_({row.lead_id for row in fresh}))).scalars())
    pending = sorted([*fresh, *notices(col(Notice.outbox_id).in_(folded))],
                     key=lambda row: row.id)
    if folded:
        session.execute(update(Outbox).where(col(Outbox.id).in_(folded))
                        .values(state=OutboxState.SUPERSEDED))
    return pending


def lead_names(*, session: Session) -> dict[str, str]:
    return dict(session.execute(select(col(Lead.lead_id), col(Lead.name))).all())


def leads_told(*, session: Session, change_ids: Iterable[int]) -> dict[int, list[str]]:
    """For each status change, every lead a notice of it went to, in notice order."""
    told: dict[int, list[str]] = defaultdict(list)
    for change_id, lead_id in session.execute(
            select(col(Notice.change_id), col(Notice.lead_id))
            .where(col(Notice.change_id).in_(set(change_ids))).order_by(col(Notice.id))):
        told[change_id].append(lead_id)
    return told


def queue_message(*, session: Session, lead_id: str, as_of: date, title: str, body: str,
                  flow_run_id: str | None, notice_ids: Sequence[int]) -> int:
    """Put one digest in the outbox, waiting to be sent, and tie its notices to it."""
    table = Outbox.__table__  # type: ignore[attr-defined]
    outbox_id = int(session.execute(table.insert().returning(table.c.id), {
        "lead_id": lead_id, "as_of": as_of, "title": title, "body": body,
        "state": OutboxState.PENDING, "attempts": 0, "flow_run_id": flow_run_id,
        "created_at": utc_now()}).scalar_one())
    session.execute(update(Notice).where(col(Notice.id).in_(notice_ids))
                    .values(outbox_id=outbox_id))
    return outbox_id


def messages_waiting(*, session: Session) -> list[Any]:
    """Every message waiting to be sent (new, or failed before), oldest first."""
    return list(session.execute(
        select(col(Outbox.id), col(Outbox.lead_id), col(Outbox.title), col(Outbox.body),
               col(Outbox.delivered_to))
        .where(col(Outbox.state).in_(WAITING_TO_SEND)).order_by(col(Outbox.id))).all())


def lead_urls(*, session: Session) -> dict[str, str]:
    return dict(session.execute(select(col(Lead.lead_id), col(Lead.notify))).all())


def record_attempt(*, session: Session, outbox_id: int, delivered_to: str,
                   failures: Sequence[str]) -> None:
    """One more try at a message: sent, or failed with its reasons, and the URLs that took it."""
    values: dict[str, Any] = {"attempts": Outbox.attempts + 1, "delivered_to": delivered_to}
    if failures:
        values.update(state=OutboxState.FAILED, last_error="; ".join(failures))
    else:
        values.update(state=OutboxState.SENT, sent_at=utc_now(), last_error=None)
    session.execute(update(Outbox).where(col(Outbox.id) == outbox_id).values(**values))


def finish_check_run(*, session: Session, check_run_id: int, summary: dict[str, Any]) -> None:
    session.execute(update(CheckRun).where(col(CheckRun.id) == check_run_id).values(
        finished_at=utc_now(), summary=json.dumps(summary)))


def child_names(*, session: Session, team: str | None = None) -> dict[str, str]:
    """Children's names by case_ref (of one team), for pages shown with names."""
    query = select(col(Case.case_ref), col(Case.child_name)).where(
        col(Case.child_name).is_not(None))
    if team is not None:
        query = query.where(col(Case.team) == team)
    return {ref: name for ref, name in session.execute(query).all() if name is not None}
