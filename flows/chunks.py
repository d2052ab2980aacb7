"""The daily check's chunks: one range of cases checked in one transaction, and every chunk
run through the task runner the settings choose.

A chunk is the unit of work, never a case: it reads its range of cases in a few set-based
queries, evaluates them, stores what changed with the notices it causes, and returns a small
summary (`ChunkResult`) that the flow adds up. Everything a chunk takes can travel to another
process, so the same chunk runs in the flow's own process (the default runner, one at a time)
or on Dask workers (PERMANENCE_TASK_RUNNER=dask).
"""

import functools
import heapq
import os
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.client.orchestration import get_client
from prefect.futures import PrefectFuture, as_completed
from prefect.settings import PREFECT_API_URL, get_current_settings, temporary_settings
from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner
from sqlalchemy.engine import Engine
from sqlmodel import Session

from permanence.collector import collector_paused
from permanence.config import CheckConfig
from permanence.drift import all_changes, format_tiers, transitions
from permanence.errors import PermanenceError
from permanence.evaluate import (
    LeadDirectory,
    MilestoneStatus,
    Status,
    UnresolvedRole,
    evaluate,
)
from permanence.flows.artifacts import NEWLY_LIMIT, NEWLY_LISTED, RED_TABLE_LIMIT, most_overdue
from permanence.measures import drift_order
from permanence.models import utc_now
from permanence.store import check_run, reads
from permanence.store.connection import make_engine
from permanence.store.lock import CheckLock, confirm_chunk_turn
from permanence.timelines import Timeline


@dataclass
class ChunkResult:
    """What one chunk found: small, so it travels back to the flow cheaply."""

    cases: int = 0
    by_team: Counter[tuple[str, str]] = field(default_factory=Counter)
    changes: int = 0
    transitions: Counter[str] = field(default_factory=Counter)
    red: list[MilestoneStatus] = field(default_factory=list)
    red_count: int = 0
    newly: dict[str, list[MilestoneStatus]] = field(default_factory=dict)
    """Per kind of news listed in drift-summary (NEWLY_LISTED), its NEWLY_LIMIT most overdue."""
    newly_count: Counter[str] = field(default_factory=Counter)
    unresolved: list[UnresolvedRole] = field(default_factory=list)
    unknown_timelines: dict[str, list[str]] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    def add(self, part: "ChunkResult") -> None:
        """Fold another chunk's result into this one (the flow's total of the run)."""
        self.cases += part.cases
        self.changes += part.changes
        self.by_team.update(part.by_team)
        self.transitions.update(part.transitions)
        self.red.extend(part.red)
        self.red_count += part.red_count
        for kind, rows in part.newly.items():
            self.newly.setdefault(kind, []).extend(rows)
        self.newly_count.update(part.newly_count)
        self.unresolved.extend(part.unresolved)
        for step, seconds in part.seconds.items():
            self.seconds[step] = self.seconds.get(step, 0.0) + seconds
        for name, refs in part.unknown_timelines.items():
            self.unknown_timelines.setdefault(name, []).extend(refs)


@task(cache_policy=NO_CACHE, task_run_name="check cases {first}..{last}")
def check_chunk(store_url: str, timelines: dict[str, Timeline], as_of: date, first: str,
                last: str, notify: bool, flow_run_id: str | None,
                lock_holder: tuple[int, str] | None = None) -> ChunkResult:
    """Evaluate one range of cases and store what changed, with the notices it causes.

    Everything it takes can travel to another process (a Dask worker): the store's URL, not an
    engine; the timelines themselves, not their files' paths. On PostgreSQL, `lock_holder` is
    the session holding this check's lock: the chunk writes only while that session holds it."""
    with collector_paused():
        return _check_chunk(chunk_engine(store_url), timelines, as_of, first, last, notify,
                            flow_run_id, lock_holder)


# The flow's own engine, lent to the chunks that run in the flow's process (the default
# runner), so a check opens no second pool there. Set for one run by `engine_lent`.
_lent_engine: ContextVar[tuple[str, Engine] | None] = ContextVar("permanence_lent_engine",
                                                                  default=None)


@contextmanager
def engine_lent(url: str, engine: Engine) -> Iterator[None]:
    """Chunks run in this process and context (a thread of the default runner copies it) use
    `engine` for `url`."""
    token = _lent_engine.set((url, engine))
    try:
        yield
    finally:
        _lent_engine.reset(token)


def chunk_engine(url: str) -> Engine:
    """The engine a chunk uses: the flow's own when it runs in the flow's process, else this
    process's engine for the store (a Dask worker makes one per store and keeps it)."""
    lent = _lent_engine.get()
    if lent is not None and lent[0] == url:
        return lent[1]
    return _engine_of_this_process(url)


@functools.cache
def _engine_of_this_process(url: str) -> Engine:
    """One engine (one connection pool) per store for the life of a worker process."""
    return make_engine(url)


def _check_chunk(engine: Engine, timelines: dict[str, Timeline], as_of: date, first: str,
                 last: str, notify: bool, flow_run_id: str | None,
                 lock_holder: tuple[int, str] | None) -> ChunkResult:
    result = ChunkResult()
    clock = time.perf_counter()

    def lap(step: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        result.seconds[step] = result.seconds.get(step, 0.0) + now - clock
        clock = now

    with Session(engine) as session, session.begin():
        if lock_holder is not None:
            confirm_chunk_turn(session, lock_holder)
        facts = reads.load_case_facts(session=session, timelines=timelines,
                                      between=(first, last))
        leads = LeadDirectory(reads.lead_roles(session=session))
        stored = check_run.stored_states(session=session, between=(first, last))
        lap("read")
        evaluation = evaluate(timelines, facts, leads, as_of)
        lap("evaluate")
        by_ref = {case.case_ref: case for case in facts}
        changes, new_state = all_changes(evaluation.statuses, stored, timelines, by_ref, leads)
        lap("compare")

        check_run.save_case_states(session=session, states=[
            {"case_ref": ref, "timeline": by_ref[ref].timeline,
             "rules_version": timelines[by_ref[ref].timeline].version, "as_of": as_of,
             "milestones": text} for ref, text in new_state.items()])
        change_rows = [{
            "case_ref": change.row.case_ref, "milestone": change.row.milestone, "as_of": as_of,
            "old_status": change.old_status, "new_status": str(change.row.status),
            "old_tiers": format_tiers(change.old_tiers),
            "new_tiers": format_tiers(change.row.tiers_reached), "due": change.row.due,
            "days_overdue": change.row.days_overdue, "owner": change.row.owner,
            "planned_for": change.row.planned_for, "at_risk": change.row.at_risk,
            "timeline": change.row.timeline,
            "rules_version": timelines[change.row.timeline].version,
            "flow_run_id": flow_run_id, "recorded_at": utc_now()} for change in changes]
        # Only changes that tell someone need their ids back; the rest go in one plain insert.
        pairs = list(zip(change_rows, changes, strict=True))
        telling = [(row, change) for row, change in pairs if notify and change.notices]
        change_ids = check_run.record_status_changes(
            session=session, telling=[row for row, _ in telling],
            quiet=[row for row, change in pairs if not (notify and change.notices)])
        check_run.add_notices(session=session, notices=[
            {"change_id": change_id, "lead_id": notice.lead_id, "reason": notice.reason,
             "tier": notice.tier}
            for (_, change), change_id in zip(telling, change_ids, strict=True)
            for notice in change.notices])
    lap("write")

    result.cases = len({row.case_ref for row in evaluation.statuses})
    result.changes = len(changes)
    newly: dict[str, list[MilestoneStatus]] = defaultdict(list)
    for change in changes:
        news = transitions(change)
        result.transitions.update(news)
        for kind, _ in NEWLY_LISTED:
            if kind in news:
                newly[kind].append(change.row)
    for kind, rows in newly.items():
        result.newly_count[kind] = len(rows)
        result.newly[kind] = most_overdue(rows, NEWLY_LIMIT)
    result.unresolved = evaluation.unresolved
    result.unknown_timelines = evaluation.unknown_timelines
    result.by_team.update((row.team, row.status) for row in evaluation.statuses)
    red = [row for row in evaluation.statuses if row.status is Status.RED]
    result.red_count = len(red)
    result.red = heapq.nsmallest(RED_TABLE_LIMIT, red, key=drift_order)
    lap("summarise")
    return result


def run_chunks(config: CheckConfig, lock: CheckLock,
               chunks: list[dict[str, Any]]) -> list[ChunkResult]:
    """Every chunk through the configured task runner; their results in the chunks' order, so
    that what the flow adds up from them does not depend on which finished first.

    No more chunks are in flight than the runner can run at once, and the check lock is
    confirmed before each is submitted, as it was before each chunk when they ran in turn. When
    the lock is lost or a chunk fails, no further chunk starts; those already running finish
    (each is one transaction) before the error ends the run, so nothing of this check still
    writes once its lock is given up."""
    if not chunks:
        return []  # an empty store: no cluster started for nothing
    results: dict[int, ChunkResult] = {}
    with _server_for_workers(config), chunk_runner(config) as runner:
        capacity = _capacity(config, runner)
        in_flight: dict[PrefectFuture[ChunkResult], int] = {}
        waiting = list(enumerate(chunks))[::-1]
        try:
            while waiting or in_flight:
                while waiting and len(in_flight) < capacity():
                    lock.confirm()
                    place, parameters = waiting.pop()
                    in_flight[runner.submit(check_chunk, parameters)] = place
                finished = as_completed(list(in_flight))
                done = next(finished)
                finished.close()
                results[in_flight.pop(done)] = done.result()
        finally:
            for future in in_flight:
                future.wait()
    return [results[place] for place in range(len(chunks))]


@contextmanager
def _server_for_workers(config: CheckConfig) -> Iterator[None]:
    """Dask workers report their task runs to the Prefect server named in the settings that
    travel with each task. Without PREFECT_API_URL the flow talks to a temporary server Prefect
    started in this process: name it, so that a local cluster's workers use it too rather than
    each starting a server of its own."""
    if config.task_runner != "dask" or get_current_settings().api.url:
        yield
        return
    with get_client(sync_client=True) as client:
        api = str(client.api_url)
    with temporary_settings(updates={PREFECT_API_URL: api}):
        yield


def chunk_runner(config: CheckConfig) -> TaskRunner[Any]:
    """The task runner PERMANENCE_TASK_RUNNER names, not yet started.

    `default`: Prefect's ThreadPoolTaskRunner with one thread, so the chunks run one at a time
    in the flow's process, as they always have: a SQLite store takes one writer at a time, and
    more threads would share one interpreter lock, so they would not evaluate faster.
    `dask`: prefect-dask's DaskTaskRunner, on the scheduler at PERMANENCE_DASK_ADDRESS, else on
    a local cluster of PERMANENCE_DASK_WORKERS single-threaded worker processes (one per CPU)
    started for this run and stopped after it."""
    if config.task_runner != "dask":
        return ThreadPoolTaskRunner(max_workers=1)
    try:
        from prefect_dask import DaskTaskRunner
    except ModuleNotFoundError:
        raise PermanenceError(
            "PERMANENCE_TASK_RUNNER=dask needs prefect-dask, which is not installed here: "
            "pip install 'permanence-tracker[dask]' (with -c constraints.txt), or set "
            "PERMANENCE_TASK_RUNNER=default.") from None
    if config.dask_address:
        return DaskTaskRunner(address=config.dask_address)
    return DaskTaskRunner(cluster_kwargs={
        "n_workers": config.dask_workers or os.cpu_count() or 1, "threads_per_worker": 1,
        "processes": True, "dashboard_address": None,
        # No dashboard; the scheduler's own HTTP server on a free port, not 8787 (taken by any
        # other cluster on the machine, which would cost a warning on every run).
        "scheduler_kwargs": {"dashboard_address": ":0"}})


def _capacity(config: CheckConfig, runner: TaskRunner[Any]) -> Any:
    """How many chunks the runner can run at once, asked afresh before each submission (workers
    may join or leave a Dask cluster during a run); at least 1."""
    if config.task_runner != "dask":
        return lambda: 1
    try:
        client = runner.client  # type: ignore[attr-defined]  # DaskTaskRunner's, made here
    except OSError as error:
        reason = " ".join(str(error).split()) or type(error).__name__
        raise PermanenceError(
            f"the Dask scheduler at {config.dask_address} (PERMANENCE_DASK_ADDRESS) does not "
            f"answer: {reason}. Start it (`dask scheduler`), correct the address, or set "
            "PERMANENCE_TASK_RUNNER=default.") from None
    return lambda: max(1, sum(client.nthreads().values()))
