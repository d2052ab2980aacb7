"""One daily check per store at a time."""

from __future__ import annotations

import fcntl
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from permanence.errors import CheckRefused
from permanence.models import CheckRun

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


# A chunk of a check whose process died may still be running on a Dask worker when the next
# check takes the lock. So every chunk on PostgreSQL holds this advisory lock, shared, for its
# transaction, and first makes sure its check's session still holds the check lock; a check,
# once it holds the check lock, takes this one exclusively for a moment: it waits for any chunk
# still writing, and every chunk that starts later finds its check gone and writes nothing.
CHUNK_FENCE_KEY = CHECK_LOCK_KEY + 1

_HOLDS_CHECK_LOCK = text(
    "SELECT l.pid, a.backend_start::text FROM pg_locks l JOIN pg_stat_activity a ON a.pid = "
    "l.pid WHERE l.locktype = 'advisory' AND l.granted AND l.mode = 'ExclusiveLock' AND l.objid "
    "= :key AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())")


def fence_earlier_chunks(engine: Engine) -> tuple[int, str] | None:
    """PostgreSQL, with the check lock held: wait until no chunk of an earlier check is still
    writing, then return (pid, backend start) of the session holding the lock, for the chunks.
    None on SQLite, whose chunks run only in the flow's process."""
    if engine.dialect.name != "postgresql":
        return None
    with engine.connect() as connection:
        holder = connection.execute(_HOLDS_CHECK_LOCK, {"key": CHECK_LOCK_KEY}).one()
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHUNK_FENCE_KEY})
        connection.commit()
    return int(holder.pid), str(holder.backend_start)


def confirm_chunk_turn(session: Session, lock_holder: tuple[int, str]) -> None:
    """Inside a chunk's transaction: the fence held shared, and its check still running."""
    session.execute(text("SELECT pg_advisory_xact_lock_shared(:key)"), {"key": CHUNK_FENCE_KEY})
    holders = session.execute(_HOLDS_CHECK_LOCK, {"key": CHECK_LOCK_KEY}).all()
    if lock_holder not in {(int(row.pid), str(row.backend_start)) for row in holders}:
        raise CheckRefused("this check lost the store's check lock; it stopped so that no two "
                           "checks run at once. Run it again.")
