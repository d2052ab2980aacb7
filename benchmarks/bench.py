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
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import NamedTuple, cast

from permanence.evaluate import RUNNING, CaseFacts, LeadDirectory, evaluate
from permanence.examples import EXAMPLES_DIR
from permanence.timelines import Timeline, load_timelines

AS_OF = date(2026, 11, 16)
TEAMS = ("north", "south")


def empty_postgres(url: str) -> None:
    """Drop every table of the benchmark's PostgreSQL database: the store's, and any another
    release left there."""
    from sqlalchemy import inspect, text

    from permanence.store.connection import make_engine

    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            for table in inspect(connection).get_table_names():
                connection.execute(text(f'DROP TABLE IF EXISTS "{table}" CASCADE'))
    finally:
        engine.dispose()


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

    from permanence import csvfiles, row_checks, store

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
            rows = row_checks.check_cases(data, timelines=timelines,
                                          lead_ids=store.lead_ids(session=session), today=AS_OF)
            store.import_cases(session=session, cases=rows, today=AS_OF, source="import bench")
        with Session(engine) as session, session.begin():
            data = csvfiles.read_csv(events_csv, csvfiles.EVENT_COLUMNS, csvfiles.EVENT_OPTIONAL)
            rows = row_checks.check_events(data, cases=store.case_index(session=session),
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


# Case lives at national scale, written as the CSVs a user imports -------------------------------

NATIONAL_TEAMS = 20
WORKERS_PER_TEAM = 10
WHOLE_SERVICE = "*"
REVIEW_GAP = (150, 182)  # days between looked after reviews: the rule is 6 months
PAUSE_REASON = "Proof hearing adjourned"
EXTENSION_REASON = "Updated assessment to go with the application"


class CaseLives(NamedTuple):
    """The rows of leads.csv, cases.csv, events.csv, pauses.csv and extensions.csv."""

    leads: list[tuple[str, str, str]]
    cases: list[tuple[str, ...]]
    events: list[tuple[str, ...]]
    pauses: list[tuple[str, ...]]
    extensions: list[tuple[str, ...]]


def national_leads() -> list[tuple[str, str, str]]:
    """(lead_id, role, team): a team leader and social workers in each of NATIONAL_TEAMS teams,
    and the sample's whole-service leads (service manager, legal, panel, decision maker)."""
    leads = []
    for number in range(1, NATIONAL_TEAMS + 1):
        team = f"team-{number:02d}"
        leads.append((f"tl-{team}", "team_leader", team))
        leads += [(f"sw-{team}-{worker}", "social_worker", team)
                  for worker in range(1, WORKERS_PER_TEAM + 1)]
    return leads + [lead for lead in sample_leads() if lead[2] == WHOLE_SERVICE]


def case_lives(count: int, timelines: dict[str, Timeline], *, seed: int = 7,
               as_of: date = AS_OF) -> CaseLives:
    """synthetic_cases() given the rest of a case's life, as a service records it: looked after
    reviews recurring every 5-6 months, some cases closed, children in sibling groups (pairs),
    steps that no longer apply (5%), booked dates (a next step booked, sometimes moved; Scottish
    planning meetings booked before they are held, papers sent ahead of them), pauses (3%, some
    still open) and agreed extensions of a running step (2%, each moving its due date later as
    known on the day it was agreed, as the import requires)."""
    rng = random.Random(seed + 1)
    leads = national_leads()
    directory = LeadDirectory(leads)
    teams = sorted({team for _, _, team in leads if team != WHOLE_SERVICE})
    lives = CaseLives(leads, [], [], [], [])
    sibling_of_next = False
    for number, case in enumerate(synthetic_cases(count, timelines, seed=seed, as_of=as_of)):
        timeline = timelines[case.timeline]
        team = teams[number % len(teams)]
        worker = f"sw-{team}-{number // len(teams) % WORKERS_PER_TEAM + 1}"
        ref, start = case.case_ref, case.looked_after_on
        done = dict(case.completions)
        occurrences: dict[str, list[date]] = {}
        not_applicable: dict[str, date] = {}
        planned: dict[str, list[tuple[date, date]]] = {}
        for milestone in timeline.milestones:
            if milestone.is_recurring and milestone.id in done:
                day, days = done[milestone.id], []
                while day <= as_of:
                    days.append(day)
                    day += timedelta(days=rng.randint(*REVIEW_GAP))
                occurrences[milestone.id] = days
                done[milestone.id] = days[-1]
        open_steps = [m for m in timeline.milestones
                      if not m.is_start and not m.is_recurring and m.id not in done]
        meeting = timeline.milestone("planning_meeting")
        if meeting is not None and meeting.after in done:
            held = done.get(meeting.id)
            if held is not None or rng.random() < 0.5:
                booked_for = held or max(start, as_of + timedelta(days=rng.randint(-10, 60)))
                noted = max(start, min(as_of, booked_for - timedelta(days=rng.randint(20, 45))))
                planned[meeting.id] = [(noted, booked_for)]
                sent = booked_for - timedelta(days=rng.randint(8, 15))
                if start <= sent <= as_of and rng.random() < 0.7:
                    done["papers_to_legal"] = sent
        elif open_steps and rng.random() < 0.12:
            step = next((m for m in open_steps if m.after in done), None)
            if step is not None:
                noted = max(start, as_of - timedelta(days=rng.randint(5, 40)))
                booked_for = as_of + timedelta(days=rng.randint(-20, 60))
                planned[step.id] = [(noted, max(booked_for, start))]
                if rng.random() < 0.25:  # moved later, once
                    planned[step.id].append((min(as_of, noted + timedelta(days=rng.randint(
                        1, 10))), max(booked_for, start) + timedelta(days=rng.randint(7, 28))))
        open_steps = [m for m in open_steps if m.id not in done and m.id not in planned]
        if open_steps and rng.random() < 0.05:
            step = rng.choice(open_steps)
            not_applicable[step.id] = start + timedelta(days=rng.randint(
                0, (as_of - start).days))
        closed = (start + timedelta(days=rng.randint(200, 800))
                  if rng.random() < 0.03 else None)
        if closed is not None and closed > as_of:
            closed = None
        sibling = f"SG-{number - 1:07d}" if sibling_of_next else None
        sibling_of_next = sibling is None and number + 1 < count and rng.random() < 0.04
        if sibling_of_next:
            sibling = f"SG-{number:07d}"
        lives.cases.append((ref, case.timeline, team, worker, start.isoformat(),
                            f"Child {number:07d}", (start - timedelta(days=rng.randint(
                                30, 5000))).isoformat(),
                            closed.isoformat() if closed else "", sibling or ""))
        for milestone in timeline.milestones:
            for day in occurrences.get(milestone.id, [done[milestone.id]]
                                       if milestone.id in done else []):
                lives.events.append((ref, milestone.id, day.isoformat(), "", "", ""))
            for noted, booked_for in planned.get(milestone.id, []):
                lives.events.append((ref, milestone.id, booked_for.isoformat(), "", "planned",
                                     noted.isoformat()))
            if milestone.id in not_applicable:
                lives.events.append((ref, milestone.id, not_applicable[milestone.id].isoformat(),
                                     "Plan changed", "not_applicable", ""))
        chance = rng.random()
        if chance < 0.03:
            paused_from = max(start, as_of - timedelta(days=rng.randint(5, 90)))
            paused_to = (paused_from + timedelta(days=rng.randint(14, 70))
                         if rng.random() < 0.6 else None)
            lives.pauses.append((ref, paused_from.isoformat(),
                                 paused_to.isoformat() if paused_to else "", PAUSE_REASON))
        elif chance < 0.05 and closed is None:
            approved_on = max(start, as_of - timedelta(days=rng.randint(1, 40)))
            facts = CaseFacts(ref, case.timeline, team, worker, start, None, done,
                              not_applicable, occurrences, planned, (), {}, sibling)
            recurring = {m.id for m in timeline.milestones if m.is_recurring}
            running = [(row.milestone, row.due) for row in evaluate(
                timelines, [facts], directory, approved_on).statuses
                if row.status in RUNNING and row.due is not None
                and row.milestone not in recurring]
            if running:
                milestone_id, due = rng.choice(running)
                extended_to = max(due, approved_on) + timedelta(
                    days=rng.randint(14, 56))
                lives.extensions.append((ref, milestone_id, extended_to.isoformat(), "sm-all",
                                         approved_on.isoformat(), EXTENSION_REASON))
    return lives


def write_case_lives(lives: CaseLives, folder: Path, notify: str) -> dict[str, Path]:
    """The five CSVs in `folder`, by kind; each lead is told at `notify` + its lead_id."""
    from permanence import csvfiles

    files = {kind: folder / f"{kind}.csv" for kind in IMPORT_ORDER}
    rows: dict[str, tuple[tuple[str, ...], list[tuple[str, ...]]]] = {
        "leads": (csvfiles.LEAD_COLUMNS, [
            (lead_id, lead_id, role, team, f"{notify}{lead_id}")
            for lead_id, role, team in lives.leads]),
        "cases": ((*csvfiles.CASE_COLUMNS, *csvfiles.CASE_OPTIONAL), lives.cases),
        "events": ((*csvfiles.EVENT_COLUMNS, *csvfiles.EVENT_OPTIONAL), lives.events),
        "pauses": (csvfiles.PAUSE_COLUMNS, lives.pauses),
        "extensions": (csvfiles.EXTENSION_COLUMNS, lives.extensions)}
    for kind, (header, body) in rows.items():
        with files[kind].open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            writer.writerows(body)
    return files


IMPORT_ORDER = ("leads", "cases", "events", "pauses", "extensions")


def read_case_lives(files: dict[str, Path], timelines: dict[str, Timeline], today: date,
                    ) -> tuple[list[CaseFacts], list[tuple[str, str, str]]]:
    """The CSVs through the import's own checks (permanence.csvfiles), read into CaseFacts as
    the store reads them back (store.load_case_facts), with no store: of the done and
    not_applicable rows of a step the last stands, a recurring step keeps every done date,
    booked dates and extensions every row in file order; each extension is checked against the
    due date it replaces, evaluated in memory. The leads as (lead_id, role, team)."""
    from permanence import csvfiles, row_checks

    def read(kind: str, required: tuple[str, ...], optional: tuple[str, ...]) -> csvfiles.CsvRows:
        return csvfiles.read_csv(files[kind], required, optional)

    leads = row_checks.check_leads(read("leads", csvfiles.LEAD_COLUMNS, ()))
    lead_ids = {lead["lead_id"] for lead in leads}
    directory = LeadDirectory([(lead["lead_id"], lead["role"], lead["team"]) for lead in leads])
    cases = row_checks.check_cases(read("cases", csvfiles.CASE_COLUMNS, csvfiles.CASE_OPTIONAL),
                                   timelines=timelines, lead_ids=lead_ids, today=today)
    known = {str(c["case_ref"]): (str(c["timeline"]), cast(date, c["looked_after_on"]))
             for c in cases}
    recurring = {name: {m.id for m in timeline.milestones if m.is_recurring}
                 for name, timeline in timelines.items()}
    standing: dict[str, dict[str, tuple[str, date]]] = defaultdict(dict)
    occurrences: dict[str, dict[str, list[date]]] = defaultdict(dict)
    recurring_na: dict[str, dict[str, date]] = defaultdict(dict)
    planned: dict[str, dict[str, list[tuple[date, date]]]] = defaultdict(dict)
    for event in row_checks.check_events(
            read("events", csvfiles.EVENT_COLUMNS, csvfiles.EVENT_OPTIONAL), cases=known,
            timelines=timelines, today=today):
        ref, milestone, kind = str(event["case_ref"]), str(event["milestone"]), event["kind"]
        on = cast(date, event["occurred_on"])
        if kind == "planned":
            planned[ref].setdefault(milestone, []).append((cast(date, event["noted_on"]), on))
            continue
        standing[ref][milestone] = (str(kind), on)
        if milestone in recurring[known[ref][0]]:
            if kind == "done":
                occurrences[ref].setdefault(milestone, []).append(on)
            else:
                recurring_na[ref][milestone] = min(on, recurring_na[ref].get(milestone, on))
    pauses: dict[str, list[tuple[date, date | None]]] = defaultdict(list)
    for pause in row_checks.check_pauses(read("pauses", ("case_ref", "paused_from", "reason"),
                                            ("paused_to",)), cases=known, today=today):
        pauses[str(pause["case_ref"])].append(
            (cast(date, pause["paused_from"]), cast("date | None", pause["paused_to"])))

    def facts_of(case: dict[str, object],
                 extensions: dict[str, list[tuple[date, date]]]) -> CaseFacts:
        ref = str(case["case_ref"])
        return CaseFacts(
            ref, str(case["timeline"]), str(case["team"]), str(case["social_worker"]),
            cast(date, case["looked_after_on"]), cast("date | None", case["closed_on"]),
            {m: on for m, (kind, on) in standing[ref].items() if kind == "done"},
            {**{m: on for m, (kind, on) in standing[ref].items() if kind == "not_applicable"},
             **recurring_na[ref]},
            occurrences[ref], planned[ref], tuple(pauses[ref]), extensions,
            cast("str | None", case["sibling_group"]))

    by_ref = {str(case["case_ref"]): case for case in cases}

    def due_on(case_ref: str, milestone: str, day: date) -> date | None:
        rows = evaluate(timelines, [facts_of(by_ref[case_ref], {})], directory, day).statuses
        return next((row.due for row in rows if row.milestone == milestone), None)

    extended: dict[str, dict[str, list[tuple[date, date]]]] = defaultdict(dict)
    for extension in row_checks.check_extensions(
            read("extensions", csvfiles.EXTENSION_COLUMNS, ()), cases=known,
            timelines=timelines, lead_ids=lead_ids, today=today, due_on=due_on):
        extended[str(extension["case_ref"])].setdefault(str(extension["milestone"]), []).append(
            (cast(date, extension["approved_on"]), cast(date, extension["extended_to"])))
    facts = [facts_of(case, extended.get(str(case["case_ref"]), {})) for case in cases]
    return facts, [(lead["lead_id"], lead["role"], lead["team"]) for lead in leads]


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
