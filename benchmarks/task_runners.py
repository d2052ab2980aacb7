"""One daily check at N cases on PostgreSQL: the default runner against Dask with local workers.

    python benchmarks/task_runners.py --db postgresql+psycopg://USER:PASSWORD@HOST/DBNAME \\
        [--cases 100000] [--workers 2] [--chunk-size 20000] [--report]

Three runners: the default (the chunks one at a time in the flow's process); Dask with a local
cluster the run starts and stops (PERMANENCE_DASK_WORKERS, its start-up paid by every check);
and Dask on a cluster already running (PERMANENCE_DASK_ADDRESS, as a deployment's scheduler and
workers are), here a local one started beforehand. The database is emptied and filled with the
same synthetic cases (bench.synthetic_cases) before each runner's turn; then the first check
(every case's initial state stored) and a next-day check (only what changed) are timed, without
notifications, and with the day's report only if --report is given (the flow's own process
writes it either way). Prefect: the server at PREFECT_API_URL, else a temporary one started
here. Issue 10's target: on a 2-core machine at 100,000 cases, Dask with 2 workers faster than
one process. Not a timed test: run it and read the table (wall-clock seconds of `run_check`,
one run each).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from bench import AS_OF, empty_postgres, sample_leads, synthetic_cases

from permanence.config import CHUNK_SIZE, CheckConfig
from permanence.evaluate import CaseFacts
from permanence.timelines import load_timelines


def fill_store(url: str, cases: list[CaseFacts], folder: Path) -> None:
    """The store at `url` emptied, then the cases and up to three events each imported as the
    CSV imports would (checked, then stored)."""
    import csv

    from sqlmodel import Session

    from permanence import csvfiles, row_checks, store

    timelines = load_timelines()
    cases_csv, events_csv = folder / "cases.csv", folder / "events.csv"
    with cases_csv.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(csvfiles.CASE_COLUMNS)
        writer.writerows([case.case_ref, case.timeline, case.team, case.social_worker,
                          case.looked_after_on.isoformat()] for case in cases)
    with events_csv.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(csvfiles.EVENT_COLUMNS)
        writer.writerows([case.case_ref, milestone, day.isoformat()] for case in cases
                         for milestone, day in list(case.completions.items())[:3])
    empty_postgres(url)
    engine = store.make_engine(url)
    try:
        store.init_schema(engine)
        with Session(engine) as session, session.begin():
            store.import_leads(session=session, leads=[
                {"lead_id": lead_id, "name": lead_id, "role": role, "team": team,
                 "notify": "json://127.0.0.1/x"} for lead_id, role, team in sample_leads()])
        with Session(engine) as session, session.begin():
            data = csvfiles.read_csv(cases_csv, csvfiles.CASE_COLUMNS, csvfiles.CASE_OPTIONAL)
            rows = row_checks.check_cases(data, timelines=timelines,
                                          lead_ids=store.lead_ids(session=session), today=AS_OF)
            store.import_cases(session=session, cases=rows, today=AS_OF, source="benchmark")
        with Session(engine) as session, session.begin():
            data = csvfiles.read_csv(events_csv, csvfiles.EVENT_COLUMNS, csvfiles.EVENT_OPTIONAL)
            rows = row_checks.check_events(data, cases=store.case_index(session=session),
                                           timelines=timelines, today=AS_OF)
            store.record_events(session=session, events=rows, source="benchmark")
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True, help="a PostgreSQL URL; its store is replaced")
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--chunk-size", type=int, default=CHUNK_SIZE)
    parser.add_argument("--report", action="store_true", help="each check writes its report")
    args = parser.parse_args()

    from prefect.testing.utilities import prefect_test_harness

    from permanence.check import prepare_prefect, run_check

    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    timelines = load_timelines()
    cases = synthetic_cases(args.cases, timelines)
    folder = Path(tempfile.mkdtemp(prefix="permanence-distributed-"))
    base = CheckConfig(db=args.db, notify=False, chunk_size=args.chunk_size,
                       report_dir=folder / "reports" if args.report else None)
    workers = f"{args.workers} worker{'' if args.workers == 1 else 's'}"
    runners = {"default": base,
               f"dask, {workers} started per run": replace(
                   base, task_runner="dask", dask_workers=args.workers),
               f"dask, {workers} running": replace(base, task_runner="dask")}
    days = {"first check": AS_OF, "next-day check": AS_OF + timedelta(days=1)}
    seconds: dict[str, dict[str, float]] = {}

    def measure() -> None:
        from distributed import LocalCluster

        prepare_prefect()
        cluster = LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                               dashboard_address=None,
                               scheduler_kwargs={"dashboard_address": ":0"})
        names = list(runners)
        runners[names[2]] = replace(runners[names[2]], dask_address=cluster.scheduler_address)
        try:
            run_each()
        finally:
            cluster.close()

    def run_each() -> None:
        for name, config in runners.items():
            print(f"{name}: filling the store with {args.cases:,} cases ...", flush=True)
            fill_store(args.db, cases, folder)
            for step, day in days.items():
                start = time.perf_counter()
                summary = run_check(config, day)
                seconds.setdefault(step, {})[name] = time.perf_counter() - start
                steps = ", ".join(f"{part} {value:.1f}" for part, value in summary.seconds.items())
                print(f"  {step}: {seconds[step][name]:.1f} s ({summary.changes:,} changes; "
                      f"chunks' own seconds, summed over workers: {steps})", flush=True)

    if os.environ.get("PREFECT_API_URL"):
        measure()
    else:
        with prefect_test_harness(server_startup_timeout=120):
            measure()

    names = list(runners)
    print(f"\n{args.cases:,} cases, chunks of {args.chunk_size:,}, {os.cpu_count()} CPUs, "
          f"PostgreSQL, notifications off, report {'on' if args.report else 'off'}\n")
    print(f"| step | {' | '.join(names)} |")
    print(f"| --- | {' | '.join('---:' for _ in names)} |")
    for step, by_runner in seconds.items():
        default = by_runner[names[0]]
        cells = " | ".join(f"{by_runner[name]:.1f} s" + (
            f" ({by_runner[name] / default:.2f}x)" if name != names[0] else "")
            for name in names)
        print(f"| {step} | {cells} |")


if __name__ == "__main__":
    main()
