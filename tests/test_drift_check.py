"""The daily drift check, end to end: real flow runs under one Prefect test server, real stores
(SQLite and PostgreSQL), real deliveries to a local HTTP receiver and a local SMTP server.

The rules are the `drift_rules` fixture (conftest). Case C-1 (team north, social worker sw-1)
became looked after on Monday 16 November 2026: its `review` is green until the 22nd, amber
from the 23rd, due Thursday the 26th, red from the 27th, escalated to the team leader on
1 December and to the service manager on 2 December (in Scotland, Monday 30 November, St
Andrew's Day, is not a working day; in England those days would be 30 November and 1
December).
"""

from __future__ import annotations

import csv
import email
import email.policy
import json
import socket
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from aiosmtpd.controller import Controller
from click.testing import Result
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session
from typer.testing import CliRunner

from permanence import csvfiles, row_checks, store
from permanence.check import run_check
from permanence.cli import app
from permanence.config import CHUNK_SIZE, CheckConfig
from permanence.errors import BadInput, CheckRefused
from permanence.flows.artifacts import Listed, NewToday, md, summary_markdown
from permanence.flows.chunks import check_chunk, engine_lent
from permanence.flows.daily_drift_check import queue_digests
from permanence.models import (
    CaseState,
    CheckRun,
    Notice,
    Outbox,
    OutboxState,
    StatusChange,
    utc_now,
)
from permanence.summary import CheckSummary
from permanence.terminal import print_check_summary
from permanence.timelines import Timeline, load_timelines
from permanence.webhook_receiver import JsonReceiver

GREEN_DAY = date(2026, 11, 20)
AMBER_DAY = date(2026, 11, 23)
NEXT_DAY = date(2026, 11, 24)
RED_DAY = date(2026, 11, 27)
ST_ANDREWS_DAY = date(2026, 11, 30)
TIER_1_DAY = date(2026, 12, 1)
TIER_2_DAY = date(2026, 12, 2)
IMPORT_TODAY = date(2026, 12, 31)  # the "today" imports check dates against: fixed, not now()

LEADS = [
    ("sw-1", "Sam Patel", "social_worker", "north"),
    ("sw-2", "Jo Smith", "social_worker", "north"),
    ("tl-north", "Priya Shah", "team_leader", "north"),
    ("sm-all", "Morgan Lee", "service_manager", "*"),
    ("la-all", "Legal Services", "legal_adviser", "*"),
    ("sw-east", "Alex Kerr", "social_worker", "east"),
]
C1 = ("C-1", "drift-test", "north", "sw-1", "2026-11-16", "Ava Thompson", "2019-03-02")

runner = CliRunner()


@dataclass
class Service:
    """One authority's store, rules and leads' receiver, and ways to run the check on it."""

    url: str
    rules: Path
    folder: Path
    receiver: JsonReceiver

    def config(self, *, notify: bool = True) -> CheckConfig:
        return CheckConfig(db=self.url, rules=(self.rules,), notify=notify)

    def check(self, day: date, *, notify: bool = True) -> CheckSummary:
        return run_check(self.config(notify=notify), day)

    def cli(self, *args: str) -> Result:
        return runner.invoke(app, ["--db", self.url, "--rules", str(self.rules), *args],
                             catch_exceptions=False)

    def _csv(self, name: str, header: Sequence[str], rows: Sequence[Sequence[str]]) -> Path:
        path = self.folder / name
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            writer.writerows(rows)
        return path

    def import_leads(self, rows: Sequence[tuple[str, str, str, str]],
                     urls: dict[str, str] | None = None) -> None:
        """Leads reach the receiver at their lead_id, unless `urls` says otherwise."""
        urls = urls or {}
        path = self._csv("leads.csv", csvfiles.LEAD_COLUMNS, [
            (*row, urls.get(row[0], self.receiver.url_for(row[0]))) for row in rows])
        leads = row_checks.check_leads(csvfiles.read_csv(path, csvfiles.LEAD_COLUMNS, ()))
        with self.session() as session, session.begin():
            store.import_leads(session=session, leads=leads)

    def import_cases(self, rows: Sequence[tuple[str, ...]]) -> None:
        """(case_ref, timeline, team, social_worker, looked_after_on, child_name, date_of_birth)."""
        header = (*csvfiles.CASE_COLUMNS, "child_name", "date_of_birth")
        path = self._csv("cases.csv", header, rows)
        data = csvfiles.read_csv(path, csvfiles.CASE_COLUMNS, csvfiles.CASE_OPTIONAL)
        with self.session() as session, session.begin():
            cases = row_checks.check_cases(data, timelines=load_timelines([self.rules]),
                                           lead_ids=store.lead_ids(session=session),
                                           today=IMPORT_TODAY)
            store.import_cases(session=session, cases=cases, today=IMPORT_TODAY,
                               source="import cases.csv")

    def import_events(self, rows: Sequence[tuple[str, str, str]]) -> None:
        path = self._csv("events.csv", csvfiles.EVENT_COLUMNS, rows)
        data = csvfiles.read_csv(path, csvfiles.EVENT_COLUMNS, csvfiles.EVENT_OPTIONAL)
        with self.session() as session, session.begin():
            events = row_checks.check_events(data, cases=store.case_index(session=session),
                                             timelines=load_timelines([self.rules]),
                                             today=IMPORT_TODAY)
            store.record_events(session=session, events=events, source="import events.csv")

    def session(self) -> Session:
        return Session(self._engine)

    def rows(self, *columns: Any, order_by: Any = None) -> list[tuple[Any, ...]]:
        query = select(*columns)
        if order_by is not None:
            query = query.order_by(order_by)
        with self.session() as session:
            return [tuple(row) for row in session.execute(query)]

    def titles(self, lead_id: str) -> list[str]:
        """The titles of the messages a lead received, in order."""
        return [payload["title"] for payload in self.receiver.messages_for(lead_id)]

    def __post_init__(self) -> None:
        self._engine = store.make_engine(self.url)
        store.init_schema(self._engine)
        self.import_leads(LEADS)
        self.import_cases([C1])

    def close(self) -> None:
        self._engine.dispose()


@pytest.fixture
def receiver() -> Iterator[JsonReceiver]:
    with JsonReceiver() as running:
        yield running


def _service(url: str, drift_rules: Path, tmp_path: Path,
             receiver: JsonReceiver) -> Iterator[Service]:
    service = Service(url=url, rules=drift_rules, folder=tmp_path, receiver=receiver)
    try:
        yield service
    finally:
        service.close()


@pytest.fixture
def service(prefect_harness: None, db_url: str, drift_rules: Path, tmp_path: Path,
            receiver: JsonReceiver) -> Iterator[Service]:
    """Leads and case C-1 on each backend."""
    yield from _service(db_url, drift_rules, tmp_path, receiver)


@pytest.fixture
def sqlite_service(prefect_harness: None, sqlite_url: str, drift_rules: Path, tmp_path: Path,
                   receiver: JsonReceiver) -> Iterator[Service]:
    """Leads and case C-1 on SQLite, for behaviour that does not depend on the backend."""
    yield from _service(sqlite_url, drift_rules, tmp_path, receiver)


def flow_run_state(summary: CheckSummary) -> tuple[str | None, str | None]:
    """(state type, message) of a run, as Prefect's run history holds it."""
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        state = client.read_flow_run(UUID(summary.flow_run_id)).state
    assert state is not None
    return state.type.value, state.message


def run_artifacts(summary: CheckSummary | dict[str, Any]) -> list[Any]:
    """The artifacts a run published (given its summary, or the summary as stored), read back
    from Prefect's API."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    flow_run_id = summary["flow_run_id"] if isinstance(summary, dict) else summary.flow_run_id
    run_id = UUID(flow_run_id)
    by_run = ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[run_id]))
    with get_client(sync_client=True) as client:
        return client.read_artifacts(artifact_filter=by_run, limit=50)


class TestSameDayTwice:
    """Running the check again for the same date notifies nobody twice."""

    def test_second_run_queues_nothing(self, service: Service) -> None:
        first = service.check(AMBER_DAY)
        assert (first.changes, first.queued, first.delivered) == (3, 1, 1)
        assert first.transitions == {"due_soon": 1}
        assert service.titles("sw-1") == ["1 due soon"]

        second = service.check(AMBER_DAY)
        assert (second.changes, second.queued, second.delivered) == (0, 0, 0)
        assert second.undelivered == []
        assert len(service.receiver.messages) == 1
        assert service.rows(func.count(Notice.id)) == [(1,)]
        assert service.rows(func.count(CheckRun.id)) == [(2,)]


class TestFailedDelivery:
    """A delivery that fails is kept and tried again on the next run until it goes through;
    the run still finishes everyone else's work, then ends failed, naming what it could not
    deliver."""

    def test_kept_then_delivered_once(self, service: Service) -> None:
        service.import_cases([C1, ("C-2", "drift-test", "north", "sw-2", "2026-11-16",
                                   "Noah Williams", "2020-01-05")])
        with JsonReceiver() as down:
            down.fail = True
            service.import_leads(LEADS, urls={"sw-1": down.url_for("sw-1")})
            first = service.check(AMBER_DAY)
            assert first.undelivered == [
                (f"sw-1 ({down.url_for('sw-1')}: Failed to send JSON POST notification: "
                "Internal server error, error=500)")]
            assert (first.queued, first.delivered) == (2, 1)
            assert flow_run_state(first) == (
                "FAILED", "could not deliver to sw-1; kept in the outbox for the next run")
            assert service.rows(Outbox.lead_id, Outbox.state, Outbox.attempts,
                                order_by=Outbox.lead_id) == [("sw-1", "failed", 1),
                                                             ("sw-2", "sent", 1)]
            assert service.titles("sw-2") == ["1 due soon"]
            markdown = {a.key: a for a in run_artifacts(first)}["drift-summary"].data
            assert f"- {first.undelivered[0]}" in markdown.splitlines()

            down.fail = False
            second = service.check(NEXT_DAY)
            assert (second.queued, second.delivered, second.undelivered) == (0, 1, [])
            assert flow_run_state(second)[0] == "COMPLETED"
            assert [p["title"] for p in down.messages_for("sw-1")] == ["1 due soon"]
            assert "Status as of 2026-11-23." in down.messages_for("sw-1")[0]["message"]
        assert service.rows(Outbox.lead_id, Outbox.state, Outbox.attempts,
                            order_by=Outbox.lead_id) == [("sw-1", "sent", 2), ("sw-2", "sent", 1)]
        assert service.titles("sw-2") == ["1 due soon"]

    def test_new_items_fold_into_one_message(self, sqlite_service: Service) -> None:
        """A lead whose earlier message failed, with new items today, gets one message; the
        earlier one is superseded, never sent as well, and a milestone appears once, as it
        stands now (overdue, not also 'due soon')."""
        sqlite_service.receiver.fail = True
        assert sqlite_service.check(AMBER_DAY).undelivered
        sqlite_service.receiver.fail = False
        second = sqlite_service.check(RED_DAY)
        assert (second.queued, second.delivered, second.undelivered) == (1, 1, [])
        assert sqlite_service.titles("sw-1") == ["1 overdue"]
        body = sqlite_service.receiver.messages_for("sw-1")[0]["message"]
        assert "C-1 | First review held | due 2026-11-26 | red, 1 day overdue" in body
        assert "| amber" not in body
        assert sqlite_service.rows(Outbox.state, Outbox.attempts, order_by=Outbox.id) == [
            ("superseded", 1), ("sent", 1)]

    def test_retry_skips_the_channel_that_took_it(self, sqlite_service: Service) -> None:
        """A lead with two channels, one down: re-runs retry only the one that failed, so the
        working channel is never told twice."""
        with JsonReceiver() as pager:
            pager.fail = True
            sqlite_service.import_leads(LEADS, urls={"sw-1": " ".join((
                sqlite_service.receiver.url_for("sw-1"), pager.url_for("sw-1")))})
            for _ in range(3):
                assert sqlite_service.check(AMBER_DAY).undelivered
            assert sqlite_service.titles("sw-1") == ["1 due soon"]
            pager.fail = False
            assert sqlite_service.check(AMBER_DAY).undelivered == []
            assert sqlite_service.titles("sw-1") == ["1 due soon"]
            assert [p["title"] for p in pager.messages_for("sw-1")] == ["1 due soon"]

    def test_check_command_exits_1(self, sqlite_service: Service) -> None:
        sqlite_service.receiver.fail = True
        result = sqlite_service.cli("check", "--as-of", AMBER_DAY.isoformat())
        assert result.exit_code == 1
        url = sqlite_service.receiver.url_for("sw-1")
        assert (f"undelivered: sw-1 ({url}: Failed to send JSON POST notification: "
                "Internal server error, error=500)") in result.stderr.splitlines()
        lines = result.stdout.splitlines()
        assert lines[:2] == [
            "2026-11-23: 1 open case; 1 done, 0 late, 1 waiting, 0 green, 1 amber, 0 red",
            "new: 0 overdue, 1 due soon, 0 escalations; 1 message queued, 0 delivered"]
        report = Path(lines[2].removeprefix("report: "))
        assert report.name == "index.html" and report.parent.name == "2026-11-23"
        assert report.is_file()


class TestEscalation:
    """Each escalation tier is reached on the right working day and its lead told once."""

    def test_tiers_across_st_andrews_day(self, sqlite_service: Service) -> None:
        service = sqlite_service
        told: dict[date, list[tuple[str, str]]] = {}
        for day in (RED_DAY, ST_ANDREWS_DAY, TIER_1_DAY, TIER_2_DAY):
            before = len(service.receiver.messages)
            summary = service.check(day)
            assert summary.undelivered == []
            told[day] = [(path, payload["title"])
                         for path, payload in service.receiver.messages[before:]]
        assert told == {
            RED_DAY: [("sw-1", "1 overdue")],
            ST_ANDREWS_DAY: [],
            TIER_1_DAY: [("tl-north", "1 escalated to you")],
            TIER_2_DAY: [("sm-all", "1 escalated to you")],
        }
        [tier_1] = service.receiver.messages_for("tl-north")
        assert tier_1["message"] == (
            "Hello Priya Shah,\n"
            "C-1 | First review held | due 2026-11-26 | red, 5 days overdue"
            " | escalated to you (tier 1), owner Sam Patel | no reason given yet\n"
            "Status as of 2026-12-01.")
        assert "(tier 2), owner Sam Patel" in service.receiver.messages_for("sm-all")[0]["message"]
        assert service.rows(StatusChange.as_of, StatusChange.old_status, StatusChange.new_status,
                            StatusChange.old_tiers, StatusChange.new_tiers,
                            order_by=StatusChange.id)[-3:] == [
            (RED_DAY, None, "red", "", ""),
            (TIER_1_DAY, "red", "red", "", "1"),
            (TIER_2_DAY, "red", "red", "1", "1,2"),
        ]


class TestGreenToRed:
    """A milestone that no run saw amber still tells its owner it is overdue."""

    def test_owner_told_overdue(self, sqlite_service: Service) -> None:
        assert sqlite_service.check(GREEN_DAY).queued == 0
        summary = sqlite_service.check(RED_DAY)
        assert summary.transitions == {"overdue": 1}
        [message] = sqlite_service.receiver.messages_for("sw-1")
        assert message["title"] == "1 overdue"
        assert "C-1 | First review held | due 2026-11-26 | red, 1 day overdue" in (
            message["message"])
        assert sqlite_service.rows(StatusChange.old_status, StatusChange.new_status).count(
            ("green", "red")) == 1


class TestPrivacy:
    """No message ever carries a child's name or date of birth, whoever it goes to."""

    def test_no_name_or_birth_date_in_any_message(self, sqlite_service: Service) -> None:
        children = [("Ava Thompson", "2019-03-02")] + [
            (f"{first} {last}", f"201{n}-0{n % 9 + 1}-1{n}")
            for n, (first, last) in enumerate([
                ("Leo", "O'Neill"), ("Isla", "MacLeod"), ("Oliver", "Brown"), ("Freya", "Reid"),
                ("Harris", "Campbell"), ("Ella", "Fraser"), ("Rory", "Stewart"),
                ("Maisie", "Quinn"), ("Callum", "Duffy")])]
        cases = [C1] + [
            (f"C-{10 + n}", "drift-test", "north", "sw-1" if n % 2 else "sw-2",
             f"2026-11-{10 + n}", name, born)
            for n, (name, born) in enumerate(children[1:])]
        sqlite_service.import_cases(cases)
        sqlite_service.import_events([("C-10", "review", "2026-11-15"),
                                      ("C-11", "review", "2026-11-18")])
        for day in (RED_DAY, TIER_2_DAY):
            assert sqlite_service.check(day).undelivered == []

        messages = [payload for _, payload in sqlite_service.receiver.messages]
        items = [line for payload in messages for line in payload["message"].splitlines()
                 if line.startswith("C-")]
        assert len(messages) >= 8
        assert len(items) >= 20
        reasons = " ".join(payload["title"] for payload in messages)
        assert all(word in reasons for word in ("overdue", "escalated", "due soon"))
        for payload in messages:
            text = f"{payload['title']}\n{payload['message']}"
            for name, born in children:
                day = date.fromisoformat(born)
                for private in (*name.split(), born, day.strftime("%d/%m/%Y"),
                                f"{day.day} {day:%B %Y}"):
                    assert private not in text


class _Mailbox:
    """An aiosmtpd handler that keeps each message it accepts."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        message = email.message_from_bytes(envelope.content,  # type: ignore[attr-defined]
                                           policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[int, _Mailbox]]:
    """A real SMTP server on 127.0.0.1: no TLS, no authentication."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    mailbox = _Mailbox()
    # aiosmtpd 1.4's Controller cannot take port 0 (it connects to itself to check it is up).
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, mailbox
    finally:
        controller.stop()


class TestEmail:
    """A lead reached by mailto:// gets the digest by email, its title as the subject."""

    def test_digest_by_email(self, sqlite_service: Service,
                             smtp: tuple[int, _Mailbox]) -> None:
        port, mailbox = smtp
        url = f"mailto://127.0.0.1:{port}?from=tracker@example.org&to=sw@example.org"
        sqlite_service.import_leads(LEADS, urls={"sw-1": url})
        assert sqlite_service.check(AMBER_DAY).delivered == 1
        [message] = mailbox.messages
        assert message["Subject"] == "1 due soon"
        plain = message.get_body(preferencelist=("plain",))
        assert plain is not None
        body = plain.get_content().replace("\r\n", "\n").strip()
        assert body == ("Hello Sam Patel,\n"
                        "C-1 | First review held | due 2026-11-26 | amber\n"
                        "Status as of 2026-11-23.")


class TestManagersView:
    """Managers see each run in Prefect's run history: a markdown summary naming every
    configuration problem (a role that resolves to nobody), and a table of red milestones."""

    def test_report_written_and_linked(self, sqlite_service: Service, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
        """With PERMANENCE_WEB_URL, drift-report links the day's page of the web page."""
        monkeypatch.setenv("PERMANENCE_WEB_URL", "https://permanence.example.org/tracker/")
        config = replace(sqlite_service.config(), report_dir=tmp_path / "reports")
        summary = run_check(config, RED_DAY)
        report = tmp_path / "reports" / "2026-11-27" / "index.html"
        assert summary.report == str(report) and report.is_file()
        assert "C-1" in report.read_text(encoding="utf-8")
        assert set(summary.seconds) == {"read", "evaluate", "compare", "write", "summarise",
                                        "queue", "send", "report"}  # the benchmarks' account
        assert summary.seconds["report"] > 0
        artifacts = {a.key: a for a in run_artifacts(summary)}
        link = artifacts["drift-report"]  # Prefect keeps a link as markdown
        assert link.data == ("[Permanence report, 2026-11-27]"
                             "(https://permanence.example.org/tracker/days/2026-11-27/)")
        assert f"Report: {report}" in artifacts["drift-summary"].data

    def test_report_without_a_web_page_is_not_a_dead_link(self, sqlite_service: Service,
                                                          tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
        """Without PERMANENCE_WEB_URL, drift-report says where the report is on the server and
        how to link it: never a file:// link, which a browser will not open from Prefect's UI."""
        monkeypatch.delenv("PERMANENCE_WEB_URL", raising=False)
        config = replace(sqlite_service.config(), report_dir=tmp_path / "reports")
        summary = run_check(config, RED_DAY)
        artifact = {a.key: a for a in run_artifacts(summary)}["drift-report"]
        report = tmp_path / "reports" / "2026-11-27" / "index.html"
        assert artifact.data.splitlines()[:3] == [
            "# Permanence report, 2026-11-27", "",
            f"Written on the server that ran the check: {md(report)}"]
        assert r"set PERMANENCE\_WEB\_URL to that web page's address" in " ".join(
            artifact.data.split())
        assert "file:" not in artifact.data

    def test_a_web_address_that_is_not_one_is_refused_first(self, sqlite_service: Service,
                                                            monkeypatch: pytest.MonkeyPatch
                                                            ) -> None:
        monkeypatch.setenv("PERMANENCE_WEB_URL", "file:///srv/permanence")
        with pytest.raises(BadInput) as refused:
            sqlite_service.check(RED_DAY)
        assert refused.value.problems == [
            ("PERMANENCE_WEB_URL='file:///srv/permanence': expected the web page's address, "
             "http:// or https://, e.g. https://permanence.example.org")]
        assert sqlite_service.rows(CheckRun.as_of) == []

    def test_configuration_problem_and_artifacts(self, sqlite_service: Service) -> None:
        sqlite_service.import_cases([C1, ("E-1", "drift-test", "east", "sw-east", "2026-11-16",
                                          "Ruby Kerr", "2018-06-07")])
        summary = sqlite_service.check(TIER_1_DAY)
        problem = ("no lead has role 'team_leader' in team 'east' or team '*' (timeline "
                   "drift-test, milestones review; 1 case(s): E-1)")
        assert summary.configuration_problems == [
            {"team": "east", "role": "team_leader", "text": problem}]
        # The east team leader cannot be told; everyone else is.
        assert sorted(path for path, _ in sqlite_service.receiver.messages) == [
            "sw-1", "sw-east", "tl-north"]

        by_key = {artifact.key: artifact for artifact in run_artifacts(summary)}
        assert set(by_key) == {"drift-summary", "red-milestones", "drift-over-time"}
        markdown = by_key["drift-summary"]
        assert markdown.type == "markdown"
        # Quoted as text: markdown's `_` and `*` escaped, so they show as written.
        assert f"- team east: {md(problem)}" in markdown.data.splitlines()
        assert md(problem) == problem.replace("_", r"\_").replace("*", r"\*")
        table = by_key["red-milestones"]
        assert table.type == "table"
        red = json.loads(table.data) if isinstance(table.data, str) else table.data
        # Seven short columns, human headers, titles and names rather than ids; no reason given.
        assert red == [
            {"Case": "C-1", "Step": "First review held", "Due": "2026-11-26", "Days over": 5,
             "Owner": "Sam Patel", "Escalated to": "Priya Shah", "Next by": "no reason"},
            {"Case": "E-1", "Step": "First review held", "Due": "2026-11-26", "Days over": 5,
             "Owner": "Alex Kerr", "Escalated to": "", "Next by": "no reason"}]


def flow_run_name(summary: CheckSummary) -> str:
    """The name of a run in Prefect's run history."""
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        return client.read_flow_run(UUID(summary.flow_run_id)).name


class TestRunsNamedByDay:
    """Each run is named in Prefect's run history by the day it checks; a day checked again is
    told apart by how many checks of it the store already holds."""

    def test_first_run_then_re_runs(self, service: Service) -> None:
        names = [flow_run_name(service.check(AMBER_DAY, notify=False)) for _ in range(3)]
        names.append(flow_run_name(service.check(NEXT_DAY, notify=False)))
        assert names == ["check 2026-11-23", "check 2026-11-23 (re-run 1)",
                         "check 2026-11-23 (re-run 2)", "check 2026-11-24"]

    def test_checks_of_a_day_counts_unfinished_ones(self, sqlite_service: Service) -> None:
        """A run that stopped part-way (no finish time) is still a run of that day."""
        with sqlite_service.session() as session, session.begin():
            store.check_run.start_check_run(session=session, as_of=AMBER_DAY, flow_run_id=None)
        with sqlite_service.session() as session:
            assert store.check_run.checks_of_day(session=session, day=AMBER_DAY) == 1
            assert store.check_run.checks_of_day(session=session, day=NEXT_DAY) == 0


class TestRunNameWithoutAStore:
    """A run whose store cannot be read is still named by its day, and refuses in its words."""

    def test_uninitialised_store(self, prefect_harness: None, tmp_path: Path,
                                 drift_rules: Path) -> None:
        from permanence.config import configured
        from permanence.flows.daily_drift_check import daily_drift_check

        url = f"sqlite:///{tmp_path / 'empty.db'}"
        with configured(CheckConfig(db=url, rules=(drift_rules,))):
            state = daily_drift_check(as_of=AMBER_DAY, return_state=True)
        assert state.is_failed() and "is not initialised" in state.message
        from prefect.client.orchestration import get_client

        with get_client(sync_client=True) as client:
            assert client.read_flow_run(state.state_details.flow_run_id).name == (
                "check 2026-11-23")


class TestRedTableText:
    """The red table's text is kept short so its columns fit at 1400 px."""

    def test_titles_cut_at_a_word(self) -> None:
        from permanence.flows.artifacts import short

        title = "Application for a permanence order with authority to adopt lodged with the court"
        assert short(title) == "Application for a permanence…"
        assert len(short(title)) <= 29
        assert short("Health assessment completed") == "Health assessment completed"

    def test_long_names_as_first_name_and_initial(self) -> None:
        from permanence.flows.artifacts import short_name

        assert short_name("Priya Shah") == "Priya Shah"
        assert short_name("Alexandra Montgomery-Smith") == "Alexandra M."
        assert short_name("Maximilianopoulos Papadopoulos") == "Maximiliano…"
        assert short_name("Christopher Wolstenholme") == "Christopher…"


class TestNewToday:
    """drift-summary names the cases behind its counts: newly red, newly escalated and newly
    amber, each most overdue first, NEWLY_LIMIT (20) at most, then how many more."""

    def test_lists_capped_most_overdue_first(self, sqlite_service: Service) -> None:
        # 25 reviews red on 27 November, 25 to 1 days overdue; two amber, due 28 and 30.
        red = [(f"R-{n:02d}", "drift-test", "north", "sw-1" if n % 2 else "sw-2",
                date.fromordinal(date(2026, 10, 23).toordinal() + n - 1).isoformat(), "", "")
               for n in range(1, 26)]
        amber = [("A-1", "drift-test", "north", "sw-2", "2026-11-20", "", ""),
                 ("A-2", "drift-test", "north", "sw-1", "2026-11-18", "", "")]
        sqlite_service.import_cases([C1, *red, *amber])
        summary = sqlite_service.check(RED_DAY, notify=False)
        markdown = {a.key: a for a in run_artifacts(summary)}["drift-summary"].data
        lines = markdown.splitlines()

        def section(heading: str) -> list[str]:
            start = lines.index(heading) + 2
            return lines[start:lines.index("", start)]

        newly_red = section("## Newly red")
        assert newly_red[:2] == [
            "- R-01, First review held: 25 days overdue (due 2026-11-02); owner Sam Patel",
            "- R-02, First review held: 24 days overdue (due 2026-11-03); owner Jo Smith"]
        assert len(newly_red) == 20
        assert newly_red[-1] == ("- R-20, First review held: 6 days overdue (due 2026-11-21); "
                                 "owner Jo Smith")
        after = lines.index(newly_red[-1])
        assert lines[after + 1:after + 3] == ["", "and 6 more."]  # R-21..R-25 and C-1

        assert section("## Newly escalated")[0] == (
            "- R-01, First review held: 25 days overdue (due 2026-11-02); owner Sam Patel; "
            "escalated to Priya Shah, Morgan Lee")

        assert section("## Newly amber") == [
            "- A-2, First review held: due 2026-11-28 (in 1 day); owner Sam Patel",
            "- A-1, First review held: due 2026-11-30 (in 3 days); owner Jo Smith"]

        # The next day no review is newly red or amber (some reach a tier): the lists say so.
        again = sqlite_service.check(date(2026, 11, 28), notify=False)
        later = {a.key: a for a in run_artifacts(again)}["drift-summary"].data.splitlines()
        assert [later[later.index(heading) + 2] for heading in ("## Newly red",
                                                               "## Newly amber")] == [
            "None.", "None."]


class TestCrashRecovery:
    """Notices are stored with the state that caused them, so a crash between evaluating and
    queueing loses nothing: the next run for the same day delivers them."""

    @staticmethod
    def evaluate_only(service: Service, engine: Engine) -> dict[str, Timeline]:
        """What a run does before it dies: every chunk evaluated and stored, notices kept."""
        with Session(engine) as session:
            ranges = store.case_ref_ranges(session=session, size=CHUNK_SIZE)
        timelines = load_timelines([service.rules])
        with engine_lent(service.url, engine):
            for first, last in ranges:
                check_chunk.fn(service.url, timelines, AMBER_DAY, first, last, True, None)
        return timelines

    def test_notices_left_behind_are_delivered(self, service: Service) -> None:
        engine = store.make_engine(service.url)
        try:
            self.evaluate_only(service, engine)
        finally:
            engine.dispose()
        assert service.rows(Notice.lead_id, Notice.reason, Notice.outbox_id) == [
            ("sw-1", "due_soon", None)]
        assert service.receiver.messages == []

        summary = service.check(AMBER_DAY)
        assert (summary.changes, summary.queued, summary.delivered) == (0, 1, 1)
        assert service.titles("sw-1") == ["1 due soon"]
        assert service.rows(func.count(Notice.id)) == [(1,)]

    def test_a_send_interrupted_by_a_crash_is_sent_again(self, service: Service) -> None:
        """The process died after claiming a message and before recording what happened: the
        next run (the only sender, holding the lock) sends it again: a duplicate, not a loss."""
        engine = store.make_engine(service.url)
        try:
            timelines = self.evaluate_only(service, engine)
            assert queue_digests.fn(engine, timelines, AMBER_DAY, None, None) == 1
            with Session(engine) as session, session.begin():
                (outbox_id,) = session.execute(select(Outbox.id)).scalars()  # type: ignore[call-overload]
                assert store.claim_message(session=session, outbox_id=outbox_id)
        finally:
            engine.dispose()
        assert service.receiver.messages == []

        summary = service.check(AMBER_DAY)
        assert (summary.queued, summary.delivered, summary.undelivered) == (0, 1, [])
        assert service.titles("sw-1") == ["1 due soon"]
        assert service.rows(Outbox.state, Outbox.attempts) == [("sent", 1)]


def run_logs(flow_run_id: str, containing: str, timeout: float = 20) -> list[str]:
    """The messages of a run's log as Prefect's API holds them, once `containing` is among them
    (logs reach the server in batches, a moment after the run)."""
    import time

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId

    by_run = LogFilter(flow_run_id=LogFilterFlowRunId(any_=[UUID(flow_run_id)]))
    deadline = time.monotonic() + timeout
    with get_client(sync_client=True) as client:
        while True:
            messages = [log.message for log in client.read_logs(log_filter=by_run)]
            if any(containing in message for message in messages) or time.monotonic() > deadline:
                return messages
            time.sleep(0.2)


class TestSecretsNeverShown:
    """A run whose delivery fails shows the channel's URL only in apprise's privacy form: its
    tokens are in none of the check's output, Prefect's run log, the artifacts, the outbox or
    the stored summary."""

    SLACK = "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ/#general"
    TOKENS = ("T1JJ3T3L2", "A1BRTD4JD", "TIiajkdnlazkcOXrIdevi7FQ")

    def test_failing_run_prints_no_token(self, sqlite_service: Service) -> None:
        sqlite_service.import_leads(LEADS, urls={"sw-1": self.SLACK})
        result = sqlite_service.cli("check", "--as-of", AMBER_DAY.isoformat())
        assert result.exit_code == 1
        [(summary_text, flow_run_id)] = sqlite_service.rows(CheckRun.summary, CheckRun.flow_run_id)
        summary = json.loads(summary_text)
        shown = "slack://T...2/A...D/T...Q/#general"
        assert summary["undelivered"][0].startswith(f"sw-1 ({shown}: ")
        artifacts = run_artifacts(summary)
        texts = {
            "output": result.output,
            "stored summary": summary_text,
            "outbox": " ".join(str(error) for (error,) in sqlite_service.rows(Outbox.last_error)),
            "run log": "\n".join(run_logs(flow_run_id, "could not deliver")),
            "artifacts": " ".join(f"{a.data} {a.description}" for a in artifacts),
        }
        assert shown in texts["run log"]
        assert {where: [token for token in self.TOKENS if token in text]
                for where, text in texts.items()} == {where: [] for where in texts}


class TestOutboxClaims:
    """A message is claimed before it is sent, so two senders can never send it both."""

    def test_claimed_once(self, service: Service) -> None:
        with service.session() as session, session.begin():
            outbox_id = session.execute(Outbox.__table__.insert().returning(  # type: ignore[attr-defined]
                Outbox.__table__.c.id), {  # type: ignore[attr-defined]
                "lead_id": "sw-1", "as_of": AMBER_DAY, "title": "t", "body": "b",
                "state": OutboxState.FAILED, "attempts": 1, "created_at": utc_now()}).scalar_one()
        with service.session() as session, session.begin():
            assert store.claim_message(session=session, outbox_id=outbox_id)
        with service.session() as session, session.begin():
            assert not store.claim_message(session=session, outbox_id=outbox_id)
        assert service.rows(Outbox.state) == [("sending",)]


class TestEarlierDayRefused:
    """Checking an earlier as-of date than the latest finished check is refused in plain
    words, and changes nothing."""

    def test_command_and_flow_refuse(self, sqlite_service: Service) -> None:
        sqlite_service.check(NEXT_DAY)
        message = ("the store was already checked for 2026-11-24; checking an earlier day "
                   "(2026-11-23) would tell people about old changes again. Use `permanence "
                   "status --as-of 2026-11-23` to see that day.")
        result = sqlite_service.cli("check", "--as-of", AMBER_DAY.isoformat())
        assert (result.exit_code, result.stdout, result.stderr) == (1, "", message + "\n")

        with pytest.raises(CheckRefused) as refused:
            sqlite_service.check(AMBER_DAY)
        assert refused.value.problems == [message]
        assert sqlite_service.rows(CheckRun.as_of) == [(NEXT_DAY,)]

    def test_a_future_day_is_refused_by_the_flow_itself(self, sqlite_service: Service) -> None:
        """A scheduled or deployment run given a future as_of (not through `permanence check`)
        is refused too: once stored, it would block the check of every day before it."""
        from permanence.config import configured
        from permanence.flows.daily_drift_check import daily_drift_check

        with configured(sqlite_service.config()):
            state = daily_drift_check(as_of=date(2999, 1, 1), return_state=True)
        assert state.is_failed()
        assert state.message.startswith("as_of 2999-01-01 is in the future (today is ")
        assert sqlite_service.rows(CheckRun.as_of) == []


class TestNoNotify:
    """--no-notify evaluates and stores, and tells nobody; a later run tells only what changed
    after it."""

    def test_then_a_notify_run(self, sqlite_service: Service) -> None:
        result = sqlite_service.cli("check", "--as-of", AMBER_DAY.isoformat(), "--no-notify")
        assert result.exit_code == 0, result.output
        assert result.stdout.splitlines()[1].endswith("; notifications off (--no-notify)")
        assert sqlite_service.rows(CaseState.case_ref, CaseState.as_of, CaseState.milestones) == [
            ("C-1", AMBER_DAY, "looked_after=done;review=amber;legal_advice=waiting")]
        assert sqlite_service.rows(func.count(StatusChange.id)) == [(3,)]
        assert sqlite_service.rows(func.count(Notice.id)) == [(0,)]
        assert sqlite_service.rows(func.count(Outbox.id)) == [(0,)]
        assert sqlite_service.receiver.messages == []

        summary = sqlite_service.check(RED_DAY)
        assert summary.transitions == {"overdue": 1}
        assert [path for path, _ in sqlite_service.receiver.messages] == ["sw-1"]
        assert sqlite_service.titles("sw-1") == ["1 overdue"]

        history = sqlite_service.cli("history", "C-1", "--milestone", "review").stdout
        changes = [line for line in history.splitlines() if "│ review" in line]
        assert [("2026-11-23" in line, "(first check)" in line, "amber" in line) for line in
                changes[:1]] == [(True, True, True)]
        assert ("2026-11-27" in changes[1], "amber" in changes[1], "red" in changes[1]) == (
            True, True, True)


    def test_summary_still_counts_what_changed(self, sqlite_service: Service) -> None:
        summary = sqlite_service.check(AMBER_DAY, notify=False)
        assert summary.changes == 3
        assert summary.transitions == {"due_soon": 1}


class TestRulesMissingFromTheRun:
    """A case whose timeline the run cannot find is not dropped silently: the run still
    checks everyone else, lists it as a configuration problem and ends Failed."""

    def test_unloaded_timeline_fails_the_run(self, sqlite_service: Service) -> None:
        summary = run_check(CheckConfig(db=sqlite_service.url, notify=True), AMBER_DAY)
        problem = ("open cases are on timelines no rule file defines, so they were not "
                   "evaluated: drift-test (1 case: C-1); pass their rule files with --rules or "
                   "PERMANENCE_RULES")
        assert summary.failures == [problem]
        assert summary.configuration_problems[0]["text"] == problem
        assert flow_run_state(summary) == ("FAILED", problem)


class TestNotifySetting:
    """PERMANENCE_NOTIFY=0 tells nobody, as --no-notify does."""

    def test_environment_switches_notifications_off(self, sqlite_service: Service,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("PERMANENCE_NOTIFY", "0")
        result = sqlite_service.cli("check", "--as-of", AMBER_DAY.isoformat())
        assert result.exit_code == 0, result.output
        assert "notifications off" in result.stdout
        assert sqlite_service.receiver.messages == []


class TestSummaryMarkdown:
    """Team names, problems and undelivered lines are quoted into the drift-summary as text: a
    `|` cannot break the table, HTML and markdown show as written."""

    def test_quoted_values_are_escaped(self) -> None:
        team = "north|<img src=x onerror=alert(1)> *team*"
        markdown = summary_markdown(CheckSummary(
            as_of=date(2026, 11, 23), cases=1, changes=0, by_team={team: {"red": 1}},
            transitions={}, red=1, queued=0, delivered=0, notify=True,
            undelivered=["sw-1 (json://h/x: [link](http://evil))"],
            configuration_problems=[{"team": team, "role": "team_leader",
                                     "text": "no team_leader\nforged line"}],
            flow_run_id=None, report=None, report_error=None, failures=[], waited_seconds=0))
        rows = [line for line in markdown.splitlines() if line.startswith("| north")]
        assert rows == [(r"| north\|\<img src=x onerror=alert(1)\> \*team\* | 0 | 0 | 0 | 0 | 0 "
                        r"| 1 | 0 | 0 |")]
        assert r"- sw-1 (json://h/x: \[link\](http://evil))" in markdown.splitlines()
        assert (r"- team north\|\<img src=x onerror=alert(1)\> \*team\*: no team\_leader "
                "forged line") in markdown.splitlines()

    def test_names_in_the_new_today_lists_are_escaped(self) -> None:
        markdown = summary_markdown(CheckSummary(
            as_of=date(2026, 11, 23), cases=1, changes=1, by_team={}, transitions={}, red=1,
            queued=0, delivered=0, notify=True, undelivered=[], configuration_problems=[],
            flow_run_id=None, report=None, report_error=None, failures=[], waited_seconds=0),
            {"overdue": NewToday([Listed("C|1", "Step *one*", date(2026, 11, 20), 3,
                                         "<b>Sam</b>", ())], 1)})
        assert (r"- C\|1, Step \*one\*: 3 days overdue (due 2026-11-20); owner \<b\>Sam\</b\>"
                in markdown.splitlines())
        assert markdown.splitlines()[markdown.splitlines().index("## Newly amber") + 2] == (
            "None.")


class TestConfiguration:
    """Waiting and delivery limits come from the environment, refused plainly when wrong."""

    def test_seconds_from_the_environment(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from permanence.config import CheckConfig
        from permanence.errors import BadInput

        monkeypatch.setenv("PERMANENCE_DELIVERY_TIMEOUT", "2.5")
        monkeypatch.setenv("PERMANENCE_CHECK_WAIT", "0")
        config = CheckConfig.from_environment()
        assert (config.delivery_timeout, config.lock_wait) == (2.5, 0.0)
        monkeypatch.setenv("PERMANENCE_DELIVERY_TIMEOUT", "soon")
        with pytest.raises(BadInput) as refused:
            CheckConfig.from_environment()
        assert refused.value.problems == [
            "PERMANENCE_DELIVERY_TIMEOUT='soon': expected a number of seconds, from 0 to 86399"]


class TestRulesChangeSaid:
    """Each check records the rules it used; a change since the last check (it moves due dates)
    is said in the summary, the drift-summary artifact and the check's output."""

    def test_a_new_version_between_two_checks(self, sqlite_service: Service,
                                              tmp_path: Path) -> None:
        first = sqlite_service.check(AMBER_DAY)
        assert first.rules_changed == []
        assert {"timeline": "drift-test", "version": "test.1",
                "file": str(sqlite_service.rules)} in first.rules
        bumped = tmp_path / "bumped" / "drift-test.yaml"
        bumped.parent.mkdir()
        bumped.write_text(sqlite_service.rules.read_text().replace('"test.1"', '"test.2"'))
        result = runner.invoke(app, ["--db", sqlite_service.url, "--rules", str(bumped),
                                     "check", "--as-of", NEXT_DAY.isoformat()])
        line = f"drift-test: test.1 ({sqlite_service.rules}) -> test.2 ({bumped})"
        assert f"rules changed since the last check (due dates move): {line}" in result.stderr
        [(summary_text,)] = sqlite_service.rows(CheckRun.summary, order_by=CheckRun.id)[1:]
        summary = json.loads(summary_text)
        assert summary["rules_changed"] == [line]
        markdown = {a.key: a for a in run_artifacts(summary)}["drift-summary"].data
        assert f"- {md(line)}" in markdown.splitlines()


class TestCaseLives:
    """Version 2 through real runs of the flow: a booking after the due date is told once as
    at risk, before the step is late; a paused case and steps that no longer apply are never
    told. C-1's review is due 26 November; C-2 (sw-2) is paused from the 20th, no end given;
    C-3 (sw-2) no longer needs either step."""

    def test_told_once_at_risk_then_as_usual_and_never_while_paused_or_n_a(
            self, sqlite_service: Service, capsys: pytest.CaptureFixture[str]) -> None:
        service = sqlite_service
        service.import_cases([C1, ("C-2", "drift-test", "north", "sw-2", "2026-11-16", "", ""),
                              ("C-3", "drift-test", "north", "sw-2", "2026-11-16", "", "")])
        for args in (["record", "C-1", "review", "--planned", "--on", "2026-11-30",
                      "--noted-on", "2026-11-19"],
                     ["pause", "C-2", "--from", "2026-11-20", "--reason", "proof adjourned"],
                     ["record", "C-3", "review", "--not-applicable", "--on", "2026-11-17"],
                     ["record", "C-3", "legal_advice", "--not-applicable", "--on", "2026-11-17"]):
            assert service.cli(*args).exit_code == 0
        green = service.check(GREEN_DAY)
        assert green.transitions == {"at_risk": 1}
        [told] = service.receiver.messages_for("sw-1")
        assert told["title"] == "1 at risk"
        assert "at risk: booked for 2026-11-30, due 2026-11-26" in told["message"]
        capsys.readouterr()
        print_check_summary(green)
        assert ("new: 0 overdue, 0 due soon, 1 at risk, 0 escalations; 1 message queued, 1 "
                "delivered") in capsys.readouterr().out

        assert service.check(date(2026, 11, 21)).queued == 0  # still at risk: not told again
        amber = service.check(AMBER_DAY)
        assert amber.transitions == {"due_soon": 1}
        red = service.check(RED_DAY)
        assert red.transitions == {"overdue": 1}
        assert service.titles("sw-1") == ["1 at risk", "1 due soon", "1 overdue"]
        assert service.titles("sw-2") == []
        review = [row[2:] for row in service.rows(
            StatusChange.case_ref, StatusChange.milestone, StatusChange.as_of,
            StatusChange.new_status, StatusChange.at_risk, StatusChange.planned_for,
            order_by=StatusChange.id) if row[:2] == ("C-1", "review")]
        booked = date(2026, 11, 30)  # after the due date on every day: at risk throughout
        assert review == [(GREEN_DAY, "green", True, booked), (AMBER_DAY, "amber", True, booked),
                          (RED_DAY, "red", True, booked)]
        states = dict(service.rows(CaseState.case_ref, CaseState.milestones))
        assert states["C-2"] == "looked_after=done;review=paused;legal_advice=waiting"
        assert states["C-3"] == "looked_after=done;review=n/a;legal_advice=n/a"
