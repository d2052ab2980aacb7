"""`permanence demo`: the main job, end to end, on the embedded SQLite default.

It makes a store in a folder, imports the sample leads, cases, events, pauses and extensions
through the same checks as `permanence import`, starts a local receiver for apprise's json://
URLs on 127.0.0.1 (so every message is really delivered over HTTP), replays the daily drift
check flow over four weeks of weekdays, takes the receiver down for one morning to show a
failed delivery kept and sent the next day, then shows what each lead received and the RAG
board on the last day, whose run also writes the HTML report.
"""

from __future__ import annotations

import tempfile
from collections import Counter, defaultdict
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

from rich.console import Console
from rich.table import Table
from rich.text import Text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from permanence import csvfiles, row_checks, store
from permanence.caseload import due_on_day, evaluate_known, read_caseload
from permanence.check import prepare_prefect, run_check
from permanence.config import CheckConfig
from permanence.evaluate import Status
from permanence.examples import EXAMPLES_DIR
from permanence.imports import plural
from permanence.measures import drift_order
from permanence.terminal import STATUS_STYLES
from permanence.timelines import load_timelines
from permanence.webhook_receiver import JsonReceiver

FIRST_DAY = date(2026, 10, 26)
LAST_DAY = date(2026, 11, 20)
OUTAGE_DAY = date(2026, 11, 9)
SAMPLE_RECEIVER = "127.0.0.1:8765"
ROUTE_CHANGE_DAY = date(2026, 11, 12)
ROUTE_CHANGE_EXTRACT = EXAMPLES_DIR / "cases-2026-11-12.csv"  # C-1029 leaves the adoption route


def weekdays(first: date, last: date) -> list[date]:
    days = (first + timedelta(days=offset) for offset in range((last - first).days + 1))
    return [day for day in days if day.weekday() < 5]


def import_samples(url: str, folder: Path, receiver: JsonReceiver, today: date) -> None:
    """Import the sample CSVs through the same checks as `permanence import`, with the leads'
    json:// URLs pointed at this run's receiver."""
    leads_csv = folder / "leads.csv"
    text = (EXAMPLES_DIR / "leads.csv").read_text(encoding="utf-8")
    leads_csv.write_text(text.replace(SAMPLE_RECEIVER, f"127.0.0.1:{receiver.port}"),
                         encoding="utf-8")
    timelines = load_timelines()
    engine = store.make_engine(url)
    store.init_schema(engine)
    try:
        with Session(engine) as session, session.begin():
            store.import_leads(session=session, leads=row_checks.check_leads(
                csvfiles.read_csv(leads_csv, csvfiles.LEAD_COLUMNS, ())))
        import_cases(engine, EXAMPLES_DIR / "cases.csv", today)
        with Session(engine) as session, session.begin():
            events = csvfiles.read_csv(EXAMPLES_DIR / "events.csv", csvfiles.EVENT_COLUMNS,
                                       csvfiles.EVENT_OPTIONAL)
            store.record_events(session=session, source="import events.csv",
                                events=row_checks.check_events(
                                    events, cases=store.case_index(session=session),
                                    timelines=timelines, today=today))
        with Session(engine) as session, session.begin():
            pauses = csvfiles.read_csv(EXAMPLES_DIR / "pauses.csv",
                                       ("case_ref", "paused_from", "reason"), ("paused_to",))
            store.record_pauses(session=session, source="import pauses.csv",
                                pauses=row_checks.check_pauses(
                                    pauses, cases=store.case_index(session=session),
                                    today=today))
        with Session(engine) as session, session.begin():
            extensions = csvfiles.read_csv(EXAMPLES_DIR / "extensions.csv",
                                           csvfiles.EXTENSION_COLUMNS, ())
            store.record_extensions(session=session, source="import extensions.csv",
                                    extensions=row_checks.check_extensions(
                                        extensions, cases=store.case_index(session=session),
                                        timelines=timelines,
                                        lead_ids=store.lead_ids(session=session), today=today,
                                        due_on=due_on_day(session, timelines)))
    finally:
        engine.dispose()


def import_cases(engine: Engine, path: Path, today: date) -> list[tuple[str, str, str]]:
    """One cases file, as `permanence import cases` imports it; the route changes it made,
    (case_ref, old timeline, new timeline)."""
    with Session(engine) as session, session.begin():
        cases = csvfiles.read_csv(path, csvfiles.CASE_COLUMNS, csvfiles.CASE_OPTIONAL)
        return store.import_cases(session=session, cases=row_checks.check_cases(
            cases, timelines=load_timelines(), lead_ids=store.lead_ids(session=session),
            today=today), today=today, source=f"import {path.name}")


def run_demo(out: Console, folder: Path | None, today: date) -> int:
    """Run the demo; returns the exit code (0 when every message was finally delivered)."""
    environment = CheckConfig.from_environment()
    folder = folder or Path(tempfile.mkdtemp(prefix="permanence-demo-"))
    folder.mkdir(parents=True, exist_ok=True)
    database = folder / "permanence.db"
    if database.exists():
        database.unlink()
    url = f"sqlite:///{database}"
    prepare_prefect()
    with JsonReceiver() as receiver:
        out.print(f"[bold]Permanence tracker demo[/bold]: store {database}, messages delivered "
                  f"to a json:// receiver on 127.0.0.1:{receiver.port}")
        import_samples(url, folder, receiver, today)
        out.print("Imported the sample leads, cases, events, pauses and extensions "
                  "(examples/). Replaying the "
                  f"daily drift check, {FIRST_DAY} to {LAST_DAY}, weekdays:")
        # Only the last day's run writes its report: one per replayed day would double the
        # demo's time and show nothing more.
        config = replace(environment, db=url, rules=(), notify=True,
                         report_dir=None)
        arrived: dict[str, list[tuple[date, dict[str, object]]]] = defaultdict(list)
        seen = 0
        for day in weekdays(FIRST_DAY, LAST_DAY):
            receiver.fail = day == OUTAGE_DAY
            if day == ROUTE_CHANGE_DAY:
                _import_the_later_extract(out, url, day)
            summary = run_check(replace(config, report_dir=folder / "reports")
                                if day == LAST_DAY else config, day)
            moves = summary.transitions
            note = ""
            if summary.undelivered:
                undelivered = len(summary.undelivered)
                note = f"  [red]{undelivered} undelivered (receiver down), kept[/red]"
            at_risk = (f", {moves['at_risk']} newly at risk (booked after the due date)"
                       if moves.get("at_risk") else "")
            out.print(f"  {day:%a %d %b}: {moves.get('overdue', 0)} newly overdue, "
                      f"{moves.get('due_soon', 0)} due soon, "
                      f"{plural(moves.get('escalated', 0), 'escalation')}{at_risk}; "
                      f"{plural(summary.delivered, 'message')} delivered{note}")
            for path, payload in receiver.messages[seen:]:
                arrived[path.strip("/").rsplit("/", 1)[-1]].append((day, payload))
            seen = len(receiver.messages)
        receiver.fail = False
    show_messages(out, arrived)
    show_board(out, url, LAST_DAY)
    page = folder / "reports" / LAST_DAY.isoformat() / "index.html"
    out.print(f"\nThe report for {LAST_DAY}: {page} (open it in a browser)")
    out.print(f"\nThe store is kept in {folder}. Look around with, for example:\n"
              f"  permanence --db {url} timeline C-1006 --as-of {LAST_DAY}\n"
              f"  permanence --db {url} status --as-of {LAST_DAY} --team north\n"
              "Real case lives in the sample (examples/README.md tells each story): a paused "
              "case (C-1014), an agreed extension (C-1013), a planning meeting moved past its "
              "due date (C-1016, at risk), steps that no longer apply after a change of plan "
              "(C-1038), a route change (C-1029, from 12 November: `history C-1029`), "
              "siblings (C-1035 and C-1041) and recurring looked after reviews (C-1024's is "
              "overdue).")
    return 0


def _import_the_later_extract(out: Console, url: str, day: date) -> None:
    """A cases file that arrives mid-way, as a new extract would: one child's route changes."""
    engine = store.make_engine(url)
    try:
        changes = import_cases(engine, ROUTE_CHANGE_EXTRACT, day)
    finally:
        engine.dispose()
    for case_ref, old, new in changes:
        out.print(f"  {day:%a %d %b}: imported {ROUTE_CHANGE_EXTRACT.name}: {case_ref} moves "
                  f"from {old} to {new} (the old route stays in its history)", markup=False)


def show_messages(out: Console, arrived: dict[str, list[tuple[date, dict[str, object]]]]) -> None:
    out.print("\n[bold]What each lead received[/bold] (as delivered over HTTP, title then body)")
    for lead_id in sorted(arrived):
        messages = arrived[lead_id]
        out.rule(f"{lead_id}: {len(messages)} message{'s' if len(messages) != 1 else ''}")
        for day, payload in messages:
            out.print(Text(f"{day:%a %d %b}  {payload.get('title')}", style="bold"))
            out.print(Text(str(payload.get("message", ""))), highlight=False)


def show_board(out: Console, url: str, day: date) -> None:
    """The RAG board: counts per team and every red milestone, oldest drift first."""
    engine = store.make_engine(url)
    timelines = load_timelines()
    try:
        caseload = read_caseload(engine, timelines)
    finally:
        engine.dispose()
    rows = evaluate_known(timelines, caseload.facts, caseload.leads, day).statuses
    counts: Counter[tuple[str, Status]] = Counter((row.team, row.status) for row in rows)
    board = Table(title=f"RAG board, {day}", title_justify="left")
    board.add_column("team")
    for status in (Status.GREEN, Status.AMBER, Status.RED):
        board.add_column(str(status), justify="right", style=STATUS_STYLES[status])
    for team in sorted({row.team for row in rows}):
        board.add_row(team, *(str(counts[(team, s)]) for s in (Status.GREEN, Status.AMBER,
                                                               Status.RED)))
    out.print()
    out.print(board)
    red = sorted((row for row in rows if row.status is Status.RED), key=drift_order)
    table = Table(title="Red milestones, oldest drift first", title_justify="left")
    for column in ("case", "team", "milestone", "due", "days over", "owner", "escalated to"):
        table.add_column(column)
    for row in red:
        table.add_row(row.case_ref, row.team, row.title, str(row.due), str(row.days_overdue),
                      row.owner or "(nobody)", ", ".join(row.escalated_to))
    out.print(table)
