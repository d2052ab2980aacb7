"""Benchmarks on synthetic data: evaluation in memory, CSV import into SQLite, the daily check.

    python benchmarks/bench.py [--cases 100000] [--skip-import] [--check]

Targets (2-core machine): 100,000 cases evaluated in memory in under 2 s; 100,000 cases and
300,000 events imported into SQLite in under 30 s; with those in the store and a running Prefect
server (PREFECT_API_URL set), `check --no-notify` for a new day in under 10 s. Not a timed
test: run it and read it.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

from permanence.evaluate import CaseFacts, LeadDirectory, evaluate
from permanence.examples import EXAMPLES_DIR
from permanence.timelines import Timeline, load_timelines

AS_OF = date(2026, 11, 16)
TEAMS = ("north", "south")


def synthetic_cases(count: int, timelines: dict[str, Timeline], *, seed: int = 7,
                    as_of: date = AS_OF) -> list[CaseFacts]:
    """Cases at every stage: each step done on time, late, or not yet, dated up to `as_of`."""
    rng = random.Random(seed)
    names = sorted(timelines)
    cases = []
    for number in range(count):
        timeline = timelines[names[number % len(names)]]
        looked_after_on = as_of - timedelta(days=rng.randint(0, 900))
        done: dict[str, date] = {}
        for milestone in timeline.milestones:
            if milestone.after is None:
                continue
            anchor = done.get(milestone.after, looked_after_on if timeline.milestone(
                milestone.after).is_start else None)  # type: ignore[union-attr]
            if anchor is None or rng.random() < 0.15:
                continue
            day = anchor + timedelta(days=rng.randint(1, 120))
            if day <= as_of:
                done[milestone.id] = day
        team = TEAMS[number % 2]
        cases.append(CaseFacts(f"C-{number:07d}", timeline.name, team, f"sw-{team}-1",
                               looked_after_on, None, done))
    return cases


def sample_leads() -> list[tuple[str, str, str]]:
    with (EXAMPLES_DIR / "leads.csv").open(encoding="utf-8") as handle:
        return [(row["lead_id"], row["role"], row["team"]) for row in csv.DictReader(handle)]


@contextmanager
def timed(label: str) -> Iterator[None]:
    start = time.perf_counter()
    yield
    print(f"{label:<46} {time.perf_counter() - start:7.2f} s")


def bench_evaluate(cases: list[CaseFacts], timelines: dict[str, Timeline]) -> None:
    leads = LeadDirectory(sample_leads())
    with timed(f"evaluate {len(cases):,} cases in memory"):
        result = evaluate(timelines, cases, leads, AS_OF)
    print(f"{'':<46} {len(result.statuses):,} milestone statuses")


def bench_import(cases: list[CaseFacts], folder: Path) -> str:
    from sqlmodel import Session

    from permanence import csvfiles, store

    timelines = load_timelines()
    cases_csv, events_csv = folder / "cases.csv", folder / "events.csv"
    with cases_csv.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(csvfiles.CASE_COLUMNS)
        for case in cases:
            writer.writerow([case.case_ref, case.timeline, case.team, case.social_worker,
                             case.looked_after_on.isoformat()])
    events = 0
    with events_csv.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(csvfiles.EVENT_COLUMNS)
        for case in cases:
            for milestone, day in list(case.completions.items())[:3]:
                writer.writerow([case.case_ref, milestone, day.isoformat()])
                events += 1
    engine = store.make_engine(f"sqlite:///{folder / 'bench.db'}")
    store.init_schema(engine)
    with Session(engine) as session, session.begin():
        store.import_leads(session=session, leads=[
            {"lead_id": lead_id, "name": lead_id, "role": role, "team": team,
             "notify": "json://127.0.0.1/x"} for lead_id, role, team in sample_leads()])
    with timed(f"import {len(cases):,} cases + {events:,} events (SQLite)"):
        with Session(engine) as session, session.begin():
            data = csvfiles.read_csv(cases_csv, csvfiles.CASE_COLUMNS, csvfiles.CASE_OPTIONAL)
            rows = csvfiles.check_cases(data, timelines=timelines,
                                        lead_ids=store.lead_ids(session=session), today=AS_OF)
            store.import_cases(session=session, cases=rows, today=AS_OF, source="import bench")
        with Session(engine) as session, session.begin():
            data = csvfiles.read_csv(events_csv, csvfiles.EVENT_COLUMNS, csvfiles.EVENT_OPTIONAL)
            rows = csvfiles.check_events(data, cases=store.case_index(session=session),
                                         timelines=timelines, today=AS_OF)
            store.record_events(session=session, events=rows, source="import bench")
    with timed("read every case's facts back (SQLite)"), Session(engine) as session:
        facts = store.load_case_facts(session=session, timelines=timelines)
    assert len(facts) == len(cases)
    engine.dispose()
    return f"sqlite:///{folder / 'bench.db'}"


def bench_check(url: str) -> None:
    """`check --no-notify`: the first day stores every case, a new day only what changed; then
    a new day that also writes the HTML report."""
    from permanence.check import run_check
    from permanence.config import CheckConfig

    plain = CheckConfig(db=url, notify=False)
    with_report = CheckConfig(db=url, notify=False, report_dir=Path(url.removeprefix(
        "sqlite:///")).parent / "reports")
    for label, day, config in (
            ("first check (stores every case)", AS_OF, plain),
            ("check for a new day", AS_OF + timedelta(days=1), plain),
            ("check for a new day, writing its report", AS_OF + timedelta(days=2), with_report)):
        start = time.perf_counter()
        summary = run_check(config, day)
        wall = time.perf_counter() - start
        steps = summary.seconds
        prefect = wall - sum(steps.values())
        print(f"{label:<46} {wall:7.2f} s  ({', '.join(f'{k} {v:.2f}' for k, v in steps.items())}"
              f", Prefect and the rest {prefect:.2f}; {summary.changes:,} changes stored)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--skip-import", action="store_true")
    parser.add_argument("--check", action="store_true",
                        help="also time the daily check (needs PREFECT_API_URL)")
    options = parser.parse_args()
    if options.check and not os.environ.get("PREFECT_API_URL"):
        parser.error("--check needs PREFECT_API_URL: start `prefect server start` and export it")
    timelines = load_timelines()
    cases = synthetic_cases(options.cases, timelines)
    bench_evaluate(cases, timelines)
    if not options.skip_import:
        with tempfile.TemporaryDirectory() as folder:
            url = bench_import(cases, Path(folder))
            if options.check:
                bench_check(url)


if __name__ == "__main__":
    main()
