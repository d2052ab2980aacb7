"""The inbox in the daily check, end to end: real flow runs under the session's Prefect test
server, real stores (SQLite and PostgreSQL), real inboxes (a local folder, fsspec's memory file
system) and real deliveries to a local HTTP receiver.

The rules are conftest's `drift_rules`: case C-1 (team north, social worker sw-1) became looked
after on 16 November 2026, and its `review` is amber from the 23rd. The data lead is dl-1.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import fsspec
import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session
from test_drift_check import flow_run_state, run_artifacts
from typer.testing import CliRunner

from permanence import store
from permanence.check import run_check
from permanence.cli import app
from permanence.config import CheckConfig
from permanence.models import InboxFile, MilestoneEvent, Outbox
from permanence.store import inbox as records
from permanence.summary import CheckSummary
from permanence.webhook_receiver import JsonReceiver

GREEN_DAY = date(2026, 11, 20)
AMBER_DAY = date(2026, 11, 23)
NEXT_DAY = date(2026, 11, 24)

CASES = ("case_ref,timeline,team,social_worker,looked_after_on\n"
         "C-1,drift-test,north,sw-1,2026-11-16\n")
EVENTS = "case_ref,milestone,occurred_on\nC-1,looked_after,2026-11-16\n"
BAD_PAUSES = ("case_ref,paused_from,paused_to,reason\n"
              "C-9,2026-11-20,2026-11-21,hearing adjourned\n")
REFUSAL = ("the inbox refused 1 file (pauses-2026-11-23.csv): moved to quarantine/ with the "
           "problems beside it; nothing in it was imported")


@dataclass
class Authority:
    """A store, its inbox and the leads' receiver."""

    url: str
    rules: Path
    inbox: str
    receiver: JsonReceiver

    def __post_init__(self) -> None:
        self.engine: Engine = store.make_engine(self.url)
        store.init_schema(self.engine)
        self.fs, self.root = fsspec.core.url_to_fs(self.inbox)
        self.fs.makedirs(self.root, exist_ok=True)

    def leads(self, *, data_lead: bool = True) -> str:
        rows = [("sw-1", "Sam Patel", "social_worker", "north"),
                ("tl-north", "Priya Shah", "team_leader", "north"),
                ("sm-all", "Morgan Lee", "service_manager", "*"),
                ("la-all", "Legal Services", "legal_adviser", "*")]
        if data_lead:
            rows.append(("dl-1", "Dana Lowe", "data_lead", "*"))
        return "lead_id,name,role,team,notify\n" + "".join(
            f"{','.join(row)},{self.receiver.url_for(row[0])}\n" for row in rows)

    def put(self, name: str, text: str) -> None:
        self.fs.pipe_file(f"{self.root}/{name}", text.encode("utf-8"))

    def names(self, folder: str = "") -> list[str]:
        path = f"{self.root}/{folder}".rstrip("/")
        return sorted(entry["name"].rstrip("/").rsplit("/", 1)[-1]
                      for entry in self.fs.ls(path, detail=True) if entry["type"] == "file")

    def check(self, day: date, *, stale_days: int = 2) -> CheckSummary:
        return run_check(CheckConfig(db=self.url, rules=(self.rules,), inbox=self.inbox,
                                     inbox_stale_days=stale_days), day)

    def rows(self, *columns: Any) -> list[tuple[Any, ...]]:
        with Session(self.engine) as session:
            return [tuple(row) for row in session.execute(select(*columns).order_by(*columns))]

    def received_last_on(self, moment: datetime) -> None:
        """Every content held as if it last arrived at `moment`."""
        with Session(self.engine) as session, session.begin():
            for digest in session.execute(select(InboxFile.content_hash)).scalars().all():
                records.record_received_again(session=session, content_hash=digest, at=moment)

    def titles(self, lead_id: str) -> list[str]:
        return [payload["title"] for payload in self.receiver.messages_for(lead_id)]


@pytest.fixture
def receiver() -> Iterator[JsonReceiver]:
    with JsonReceiver() as running:
        yield running


def _authority(url: str, drift_rules: Path, inbox: str,
               receiver: JsonReceiver) -> Iterator[Authority]:
    made = Authority(url, drift_rules, inbox, receiver)
    try:
        yield made
    finally:
        made.engine.dispose()


@pytest.fixture
def authority(prefect_harness: None, db_url: str, drift_rules: Path, tmp_path: Path,
              receiver: JsonReceiver) -> Iterator[Authority]:
    """On each backend, with a local folder as its inbox."""
    yield from _authority(db_url, drift_rules, str(tmp_path / "inbox"), receiver)


@pytest.fixture
def memory_authority(prefect_harness: None, sqlite_url: str, drift_rules: Path,
                     receiver: JsonReceiver) -> Iterator[Authority]:
    """On SQLite, its inbox on fsspec's memory file system (a URL, as an S3 bucket would be)."""
    url = f"memory://inbox-{uuid.uuid4().hex}"
    for made in _authority(sqlite_url, drift_rules, url, receiver):
        try:
            yield made
        finally:
            made.fs.rm(made.root, recursive=True)


class TestRefusedFileBesideGoodOnes:
    """The check imports the good files, quarantines the bad one with its problems, evaluates
    what the store holds, tells everyone as usual and the data lead of the refusal, lists it in
    drift-summary, and ends Failed."""

    def test_run(self, authority: Authority) -> None:
        authority.put("events-2026-11-23.csv", EVENTS)
        authority.put("pauses-2026-11-23.csv", BAD_PAUSES)
        authority.put("cases-2026-11-23.csv", CASES)
        authority.put("leads-2026-11-23.csv", authority.leads())
        summary = authority.check(AMBER_DAY)

        assert summary.failures == [REFUSAL]
        assert flow_run_state(summary) == ("FAILED", REFUSAL)
        assert summary.cases == 1 and summary.transitions == {"due_soon": 1}
        assert authority.titles("sw-1") == ["1 due soon"]
        assert authority.rows(MilestoneEvent.milestone) == [("looked_after",)]
        assert authority.names("archive") == ["cases-2026-11-23.csv", "events-2026-11-23.csv",
                                              "leads-2026-11-23.csv"]
        assert authority.names("quarantine") == ["pauses-2026-11-23.csv",
                                                 "pauses-2026-11-23.csv.problems.txt"]
        problems = authority.fs.cat_file(
            f"{authority.root}/quarantine/pauses-2026-11-23.csv.problems.txt").decode()
        assert problems.splitlines()[3:] == [
            "pauses-2026-11-23.csv:2: unknown case 'C-9'",
            "pauses-2026-11-23.csv: nothing imported; 1 bad row to fix"]

        [told] = authority.receiver.messages_for("dl-1")
        assert told["title"] == "Inbox: 1 file refused"
        assert told["message"] == (
            "Hello Dana Lowe,\n\n"
            f"The daily check of 2026-11-23 found a problem with the inbox {authority.inbox}:\n\n"
            "- pauses-2026-11-23.csv was refused (2 problems): nothing in it was imported. It "
            "is now quarantine/pauses-2026-11-23.csv, with every problem by line in "
            "quarantine/pauses-2026-11-23.csv.problems.txt beside it. Fix it and put the whole "
            "file back in the inbox.\n\n"
            "The check went on with what the store holds.")  # the last line break: apprise's
        assert summary.queued == 2 and summary.delivered == 2

        assert summary.inbox is not None
        assert [(f["name"], f["outcome"]) for f in summary.inbox["files"]] == [
            ("leads-2026-11-23.csv", "imported"), ("cases-2026-11-23.csv", "imported"),
            ("events-2026-11-23.csv", "imported"), ("pauses-2026-11-23.csv", "refused")]
        markdown = {a.key: a for a in run_artifacts(summary)}["drift-summary"].data
        lines = markdown.splitlines()
        inbox_at = lines.index("## Inbox")
        assert inbox_at < lines.index("## New today")
        assert lines[inbox_at + 2:inbox_at + 6] == [
            "- imported: leads-2026-11-23.csv, moved to archive/leads-2026-11-23.csv",
            "- imported: cases-2026-11-23.csv, moved to archive/cases-2026-11-23.csv",
            "- imported: events-2026-11-23.csv, moved to archive/events-2026-11-23.csv",
            ("- **refused**: pauses-2026-11-23.csv, 2 problems; nothing in it imported; moved "
            "to quarantine/pauses-2026-11-23.csv, its problems in "
            "quarantine/pauses-2026-11-23.csv.problems.txt")]

        again = authority.check(AMBER_DAY)  # nothing new: nothing refused, nobody told twice
        assert again.failures == [] and again.queued == 0
        assert flow_run_state(again)[0] == "COMPLETED"
        assert authority.titles("dl-1") == ["Inbox: 1 file refused"]

        authority.put("pauses-2026-11-23-second.csv", BAD_PAUSES)  # a new refusal the same day
        third = authority.check(AMBER_DAY)
        assert third.failures == [REFUSAL.replace("pauses-2026-11-23.csv",
                                                  "pauses-2026-11-23-second.csv")]
        assert authority.titles("dl-1") == ["Inbox: 1 file refused", "Inbox: 1 file refused"]
        assert ("- pauses-2026-11-23-second.csv was refused"
                in authority.receiver.messages_for("dl-1")[1]["message"])


class TestStaleData:
    """No extract for more than PERMANENCE_INBOX_STALE_DAYS days: the run says so loudly (its
    summary, drift-summary in bold, the data lead), ends Failed, and a re-run of the day tells
    the data lead nothing new."""

    def test_stale(self, authority: Authority) -> None:
        authority.put("leads.csv", authority.leads())
        authority.put("cases.csv", CASES)
        authority.put("events.csv", EVENTS)
        first = authority.check(GREEN_DAY)
        assert first.failures == [] and authority.titles("dl-1") == []

        authority.received_last_on(datetime(2026, 11, 19, 23, 30, tzinfo=UTC))  # the 19th in London
        summary = authority.check(AMBER_DAY)
        stale = ("no new extract in the inbox for 4 days (the last arrived on 2026-11-19; more "
                 "than 2 is stale): the data is stale, so today's statuses may be wrong; check "
                 "that the case management system's export still runs")
        assert summary.failures == [stale]
        assert flow_run_state(summary) == ("FAILED", stale)
        assert summary.transitions == {"due_soon": 1}  # the store is still evaluated and told
        assert authority.titles("sw-1") == ["1 due soon"]
        assert authority.titles("dl-1") == ["Inbox: the data is stale"]
        markdown = {a.key: a for a in run_artifacts(summary)}["drift-summary"].data
        assert f"**{stale}**" in markdown.splitlines()

        assert authority.check(AMBER_DAY).failures == [stale]
        assert authority.titles("dl-1") == ["Inbox: the data is stale"]
        assert authority.check(AMBER_DAY, stale_days=5).failures == []

    def test_no_data_lead_is_a_configuration_problem(self, authority: Authority) -> None:
        authority.put("leads.csv", authority.leads(data_lead=False))
        authority.put("cases.csv", CASES)
        authority.put("pauses-2026-11-23.csv", BAD_PAUSES)
        summary = authority.check(AMBER_DAY)
        assert summary.failures == [REFUSAL]
        assert summary.configuration_problems[0] == {
            "team": "*", "role": "data_lead",
            "text": f"no lead has role data_lead, so nobody was told that {REFUSAL}"}
        assert authority.rows(Outbox.lead_id) == [("sw-1",)]


class TestMemoryInbox:
    """An fsspec URL works as a folder does: a file being written (a temporary name) is left
    for the next run, which takes it once renamed; the same file dropped again is archived,
    not imported twice."""

    def test_written_then_renamed_then_dropped_again(self, memory_authority: Authority) -> None:
        authority = memory_authority
        authority.put("leads.csv", authority.leads())
        authority.put("cases.csv", CASES)
        authority.put("events-2026-11-23.csv.part", EVENTS[:30])
        first = authority.check(GREEN_DAY)
        assert first.failures == []
        assert first.inbox is not None and first.inbox["left"] == ["events-2026-11-23.csv.part"]
        assert authority.rows(MilestoneEvent.milestone) == []

        authority.fs.rm(f"{authority.root}/events-2026-11-23.csv.part")
        authority.put("events-2026-11-23.csv", EVENTS)
        second = authority.check(AMBER_DAY)
        assert second.inbox is not None
        assert [(f["name"], f["outcome"]) for f in second.inbox["files"]] == [
            ("events-2026-11-23.csv", "imported")]
        assert authority.rows(MilestoneEvent.milestone) == [("looked_after",)]

        authority.put("events-2026-11-24.csv", EVENTS)
        third = authority.check(NEXT_DAY)
        assert third.inbox is not None
        assert [(f["name"], f["outcome"], f["moved_to"]) for f in third.inbox["files"]] == [
            ("events-2026-11-24.csv", "already imported", "archive/events-2026-11-24.csv")]
        assert third.failures == []
        assert authority.rows(MilestoneEvent.milestone) == [("looked_after",)]


class TestCheckCommand:
    """`permanence check` with PERMANENCE_INBOX prints what went in and what was refused, and
    exits 1 on a refusal."""

    def test_prints_and_exits_1(self, prefect_harness: None, sqlite_url: str, drift_rules: Path,
                                tmp_path: Path, receiver: JsonReceiver,
                                monkeypatch: pytest.MonkeyPatch) -> None:
        for made in _authority(sqlite_url, drift_rules, str(tmp_path / "inbox"), receiver):
            made.put("leads.csv", made.leads())
            made.put("cases.csv", CASES)
            made.put("pauses-2026-11-23.csv", BAD_PAUSES)
            monkeypatch.setenv("PERMANENCE_INBOX", made.inbox)
            result = CliRunner().invoke(app, ["--db", sqlite_url, "--rules", str(drift_rules),
                                              "check", "--as-of", AMBER_DAY.isoformat()])
            assert result.exit_code == 1
            assert "inbox: imported leads.csv, moved to archive/leads.csv" in (
                result.stdout.splitlines())
            assert ("inbox: refused pauses-2026-11-23.csv (2 problems), moved to "
                    "quarantine/pauses-2026-11-23.csv; its problems in "
                    "quarantine/pauses-2026-11-23.csv.problems.txt") in result.stderr.splitlines()
