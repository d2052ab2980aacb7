"""The daily check's chunks on a real Dask cluster give exactly what the default runner gives.

A store on PostgreSQL is filled with copies of the sample case lives (pauses, extensions,
booked dates, steps not applicable, sibling groups), checked on two days with every message
delivered to a local receiver: once with the default runner (one chunk at a time in the flow's
process), once more from scratch with the chunks submitted to a local Dask cluster of two worker
processes. The stored case states, status log, notices, outbox and the messages received are
compared whole, ids, timestamps and flow run ids aside. The day's report is written from the
store by the flow's own process after the chunks, so equal stores give it equal.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from conftest import empty_postgres
from sqlalchemy import select
from sqlmodel import Session
from typer.testing import CliRunner

from permanence import store
from permanence.check import run_check
from permanence.cli import app
from permanence.config import CheckConfig
from permanence.errors import BadInput, CheckRefused
from permanence.examples import EXAMPLES_DIR
from permanence.flows.chunks import check_chunk, engine_lent
from permanence.models import CaseState, Notice, Outbox, StatusChange
from permanence.store.lock import fence_earlier_chunks
from permanence.timelines import load_timelines
from permanence.webhook_receiver import JsonReceiver

COPIES = 6  # of the sample's 41 cases: 246 cases
CHUNK = 40  # cases per chunk: 7 chunks a day
DAYS = (date(2026, 11, 16), date(2026, 11, 23))


def _copy_samples(folder: Path, receiver: JsonReceiver) -> dict[str, Path]:
    """The sample CSVs with every case copied COPIES times under new case refs (and sibling
    groups), and every lead's channel pointed at the receiver."""
    files = {}
    for name in ("leads", "cases", "events", "pauses", "extensions"):
        with (EXAMPLES_DIR / f"{name}.csv").open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
        if name == "leads":
            copied = [{**row, "notify": receiver.url_for(row["lead_id"])} for row in rows]
        else:
            copied = [{**row, "case_ref": f"{row['case_ref']}-{copy}",
                       **({"sibling_group": f"{row['sibling_group']}-{copy}"}
                          if row.get("sibling_group") else {})}
                      for copy in range(COPIES) for row in rows]
        path = files[name] = folder / f"{name}.csv"
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(copied)
    return files


def _checked(url: str, folder: Path, config: CheckConfig,
             receiver: JsonReceiver) -> dict[str, Any]:
    """A fresh store of the copied samples, checked on DAYS with `config`: what it then holds
    and what the leads received (at the same receiver each time, so that the outbox records the
    same URLs)."""
    empty_postgres(url)
    receiver.clear()
    files = _copy_samples(folder, receiver)
    runner = CliRunner()
    for args in (["init"], *(["import", name, str(path)] for name, path in files.items())):
        result = runner.invoke(app, ["--db", url, *args], catch_exceptions=False)
        assert result.exit_code == 0, result.output
    summaries = [run_check(config, day) for day in DAYS]
    received = sorted((path, json.dumps(payload, sort_keys=True))
                      for path, payload in receiver.messages)
    assert all(not summary.failures for summary in summaries)
    engine = store.make_engine(url)
    try:
        with Session(engine) as session:
            def rows(*columns: Any) -> list[tuple[Any, ...]]:
                return sorted(tuple(row) for row in session.execute(select(*columns)))

            changes = [c for c in StatusChange.__table__.columns  # type: ignore[attr-defined]
                       if c.name not in {"id", "recorded_at", "flow_run_id"}]
            outbox = [c for c in Outbox.__table__.columns  # type: ignore[attr-defined]
                      if c.name not in {"id", "created_at", "sent_at", "flow_run_id"}]
            return {
                "chunks": len(store.case_ref_ranges(session=session, size=CHUNK)),
                "summaries": [(s.cases, s.changes, s.by_team, s.transitions, s.red, s.queued,
                               s.delivered, s.configuration_problems) for s in summaries],
                "case_state": rows(*CaseState.__table__.columns),  # type: ignore[attr-defined]
                "status_change": rows(*changes),
                "outbox": rows(*outbox),
                "received": received,
            } | {"notice": sorted(tuple(row) for row in session.execute(
                select(StatusChange.case_ref, StatusChange.milestone, StatusChange.as_of,
                       Notice.lead_id, Notice.reason, Notice.tier, Outbox.title)
                .join(StatusChange, StatusChange.id == Notice.change_id)  # type: ignore[arg-type]
                .join(Outbox, Outbox.id == Notice.outbox_id)))}  # type: ignore[arg-type]
    finally:
        engine.dispose()


@pytest.fixture
def dask_cluster() -> Iterator[Any]:
    """A real local Dask cluster: a scheduler and two single-threaded worker processes."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None,
                                  scheduler_kwargs={"dashboard_address": ":0"}) as cluster:
        yield cluster


class TestDaskRunner:
    """PERMANENCE_TASK_RUNNER=dask runs the chunks on Dask workers and stores, logs and sends
    exactly what the default runner does."""

    def test_same_store_log_and_messages_as_the_default_runner(
            self, prefect_harness: None, postgresql_url: str, tmp_path: Path,
            dask_cluster: Any) -> None:
        from distributed import Client, get_task_stream

        default = CheckConfig(db=postgresql_url, report_dir=None, chunk_size=CHUNK)
        with JsonReceiver() as receiver:
            expected = _checked(postgresql_url, tmp_path, default, receiver)
            dask = CheckConfig(db=postgresql_url, report_dir=None, chunk_size=CHUNK,
                               task_runner="dask",
                               dask_address=dask_cluster.scheduler_address)
            with Client(dask_cluster) as client, get_task_stream(client) as stream:
                found = _checked(postgresql_url, tmp_path, dask, receiver)
        assert expected["chunks"] >= 5
        assert len(stream.data) == expected["chunks"] * len(DAYS)
        assert len({task["worker"] for task in stream.data}) == 2  # both workers took chunks
        for part in expected:
            assert found[part] == expected[part], part
        assert expected["notice"] and expected["received"]  # the comparison compared something


class TestChunksOfAStoppedCheck:
    """A chunk still queued or running on a Dask worker when its check's process died must not
    write beside the next check: on PostgreSQL a chunk writes only while its check's session
    holds the store's check lock."""

    def test_a_chunk_whose_check_is_gone_writes_nothing(self, postgresql_url: str,
                                                        tmp_path: Path) -> None:
        with JsonReceiver() as receiver:
            files = _copy_samples(tmp_path, receiver)
        for args in (["init"], ["import", "leads", str(files["leads"])],
                     ["import", "cases", str(files["cases"])]):
            result = CliRunner().invoke(app, ["--db", postgresql_url, *args],
                                        catch_exceptions=False)
            assert result.exit_code == 0, result.output
        timelines, day = load_timelines(), DAYS[0]
        engine = store.make_engine(postgresql_url)
        try:
            with Session(engine) as session:
                (first, last), = store.case_ref_ranges(session=session, size=10_000)
            with store.check_lock(engine, wait=0, waiting=print):
                holder = fence_earlier_chunks(engine)
            with engine_lent(postgresql_url, engine), pytest.raises(CheckRefused) as refused:
                check_chunk.fn(postgresql_url, timelines, day, first, last, True, None, holder)
            assert refused.value.problems == [
                ("this check lost the store's check lock; it stopped so that no two checks run "
                "at once. Run it again.")]
            with Session(engine) as session:
                assert session.execute(select(CaseState)).first() is None
            with store.check_lock(engine, wait=0, waiting=print), \
                    engine_lent(postgresql_url, engine):
                holder = fence_earlier_chunks(engine)
                part = check_chunk.fn(postgresql_url, timelines, day, first, last, True, None,
                                      holder)
            with Session(engine) as session:
                stored = len(session.execute(select(CaseState.case_ref)).all())
            assert stored == part.cases > 200  # the same chunk, its check running: stored
        finally:
            engine.dispose()


class TestSettings:
    """The runner, the Dask cluster and the chunk size come from the environment; a value that
    cannot be used is refused in one sentence naming the setting."""

    def test_from_the_environment(self, monkeypatch: pytest.MonkeyPatch) -> None:
        config = CheckConfig.from_environment()
        assert (config.task_runner, config.dask_address, config.dask_workers,
                config.chunk_size) == ("default", None, None, 20_000)
        monkeypatch.setenv("PERMANENCE_TASK_RUNNER", "Dask")
        monkeypatch.setenv("PERMANENCE_DASK_ADDRESS", " tcp://10.0.0.5:8786 ")
        monkeypatch.setenv("PERMANENCE_DASK_WORKERS", "4")
        monkeypatch.setenv("PERMANENCE_CHUNK_SIZE", "5000")
        config = CheckConfig.from_environment()
        assert (config.task_runner, config.dask_address, config.dask_workers,
                config.chunk_size) == ("dask", "tcp://10.0.0.5:8786", 4, 5000)

    @pytest.mark.parametrize(("variable", "value", "problem"), [
        ("PERMANENCE_TASK_RUNNER", "ray", "PERMANENCE_TASK_RUNNER='ray': expected default or dask"),
        ("PERMANENCE_DASK_WORKERS", "0",
         "PERMANENCE_DASK_WORKERS='0': expected a whole number from 1 to 1024"),
        ("PERMANENCE_CHUNK_SIZE", "lots",
         "PERMANENCE_CHUNK_SIZE='lots': expected a whole number from 1 to 1000000"),
    ])
    def test_refused(self, monkeypatch: pytest.MonkeyPatch, variable: str, value: str,
                     problem: str) -> None:
        monkeypatch.setenv(variable, value)
        with pytest.raises(BadInput) as refused:
            CheckConfig.from_environment()
        assert refused.value.problems == [problem]

    def test_dask_on_sqlite_is_refused_before_anything_runs(self, sqlite_url: str) -> None:
        """Dask workers write at the same time, from other processes or machines: a SQLite file
        cannot take that, so the check refuses before Prefect starts or the store is opened."""
        with pytest.raises(BadInput) as refused:
            run_check(CheckConfig(db=sqlite_url, task_runner="dask"), date(2026, 11, 16))
        assert refused.value.problems == [(
            "PERMANENCE_TASK_RUNNER=dask needs the store on PostgreSQL (a SQLite file takes one "
            "writer at a time, on one machine): set PERMANENCE_DB to a postgresql:// URL, or "
            "PERMANENCE_TASK_RUNNER=default.")]

    DASK_ON_SQLITE = (
        "PERMANENCE_TASK_RUNNER=dask needs the store on PostgreSQL (a SQLite file takes one "
        "writer at a time, on one machine): set PERMANENCE_DB to a postgresql:// URL, or "
        "PERMANENCE_TASK_RUNNER=default.")

    @pytest.mark.parametrize("given_by", ["--db", "PERMANENCE_DB"])
    def test_serve_refuses_dask_on_sqlite_at_start(self, monkeypatch: pytest.MonkeyPatch,
                                                   sqlite_url: str, given_by: str) -> None:
        """`serve` refuses it at start-up with the sentence `check` gives, before it asks for a
        Prefect server, rather than at 07:00 when the first run would fail on it."""
        monkeypatch.setenv("PERMANENCE_TASK_RUNNER", "dask")
        monkeypatch.delenv("PREFECT_API_URL", raising=False)
        if given_by == "--db":
            monkeypatch.delenv("PERMANENCE_DB", raising=False)
            args = ["--db", sqlite_url, "serve"]
        else:
            monkeypatch.setenv("PERMANENCE_DB", sqlite_url)
            args = ["serve"]
        result = CliRunner().invoke(app, args)
        assert (result.exit_code, result.stdout, result.stderr) == (
            1, "", self.DASK_ON_SQLITE + "\n")
