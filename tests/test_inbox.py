"""The inbox (permanence.inbox): its rules as plain functions, exhaustively, then real intakes on
SQLite and PostgreSQL from a local folder and through fsspec's memory file system, and
`permanence import inbox` by hand.

The drift-test rules (conftest `drift_rules`): case C-1 on timeline drift-test, milestones
looked_after, review and legal_advice.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import Inbox
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session
from typer.testing import CliRunner

from permanence import csvfiles, imports
from permanence.cli import app
from permanence.inbox import take_in
from permanence.intake import (
    ALREADY_IMPORTED,
    IMPORTED,
    REFUSED,
    Intake,
    Taken,
    data_lead_message,
    free_name,
    intake_order,
    is_temporary,
    kind_of,
    problems_text,
    shown_url,
    stale_problem,
)
from permanence.models import Case, InboxFile, Lead, MilestoneEvent
from permanence.store import inbox as records
from permanence.timelines import Timeline

TODAY = date(2026, 12, 6)  # the day imports check dates against, fixed

LEADS = ("lead_id,name,role,team,notify\n"
         "sw-1,Sam Patel,social_worker,north,json://127.0.0.1:9/sw-1\n"
         "dl-1,Dana Lowe,data_lead,*,json://127.0.0.1:9/dl-1\n")
CASES = ("case_ref,timeline,team,social_worker,looked_after_on\n"
         "C-1,drift-test,north,sw-1,2026-11-16\n")
EVENTS = "case_ref,milestone,occurred_on\nC-1,review,2026-11-20\n"
BAD_EVENTS = ("case_ref,milestone,occurred_on\n"
              "C-1,review,2026-11-20\n"
              "C-9,review,2026-11-21\n"
              "C-1,legal_advice,2026-13-01\n")


class TestIsTemporary:
    """A file is complete once it has its final name: a name starting with `.` or ending `.tmp`
    or `.part` (any case) is still being written, and left for the next run."""

    @pytest.mark.parametrize("name", [
        ".cases-2026-11-23.csv", ".hidden", "cases-2026-11-23.csv.tmp",
        "cases-2026-11-23.csv.part", "CASES.CSV.PART", "events.Tmp", ".", "x.part"])
    def test_temporary(self, name: str) -> None:
        assert is_temporary(name)

    @pytest.mark.parametrize("name", [
        "cases-2026-11-23.csv", "cases.csv", "cases.tmp.csv", "cases.partial", "tmp",
        "part", "cases-2026-11-23.csvtmp", "cases.parts"])
    def test_complete(self, name: str) -> None:
        assert not is_temporary(name)


class TestKindOf:
    """A file's kind is the letters its name starts with, in any case; anything else is no
    kind."""

    @pytest.mark.parametrize(("name", "kind"), [
        ("leads.csv", "leads"), ("leads-2026-11-23.csv", "leads"),
        ("cases-2026-11-23.csv", "cases"), ("Cases_2026_11_23.CSV", "cases"),
        ("events.csv", "events"), ("EVENTS-1.csv", "events"), ("pauses 2026.csv", "pauses"),
        ("extensions-2026-11-23.csv", "extensions"), ("cases", "cases"),
        ("cases2026.csv", "cases")])
    def test_kinds(self, name: str, kind: str) -> None:
        assert kind_of(name) == kind

    @pytest.mark.parametrize("name", [
        "case.csv", "casesfile.csv", "2026-cases.csv", "children.csv", "lead.csv",
        "extension.csv", "", "-cases.csv", "readme.txt", "éleads.csv"])
    def test_no_kind(self, name: str) -> None:
        assert kind_of(name) is None


class TestIntakeOrder:
    """Leads, cases, events, pauses, extensions, each by name (dated extracts oldest first);
    names of no kind last; temporary names left out."""

    def test_dependency_order_then_name(self) -> None:
        names = ["extensions-1.csv", "events-2026-11-24.csv", "zz.csv", "cases-2026-11-24.csv",
                 "pauses.csv", "events-2026-11-23.csv", "cases-2026-11-23.csv", "leads.csv",
                 "cases-2026-11-25.csv.part", ".leads.csv", "aa.csv"]
        assert intake_order(names) == [
            "leads.csv", "cases-2026-11-23.csv", "cases-2026-11-24.csv",
            "events-2026-11-23.csv", "events-2026-11-24.csv", "pauses.csv",
            "extensions-1.csv", "aa.csv", "zz.csv"]

    def test_every_kind_in_order(self) -> None:
        assert [kind_of(name) for name in intake_order(
            f"{kind}.csv" for kind in reversed(imports.KINDS))] == list(imports.KINDS)

    def test_nothing(self) -> None:
        assert intake_order([]) == []
        assert intake_order([".a", "b.tmp"]) == []

    @given(st.lists(st.text(alphabet="acdeilnprstxvA.-_0123456789", max_size=14)
                    | st.sampled_from(["leads.csv", "cases-1.csv", "events-2.csv",
                                       "pauses.csv.part", "extensions.csv", ".x"]),
                    max_size=12))
    def test_every_complete_name_once_in_kind_order(self, names: list[str]) -> None:
        """Whatever the names: each complete one exactly once, no temporary one, and the kinds
        never go back in dependency order (names of no kind at the end)."""
        ordered = intake_order(names)
        assert sorted(ordered) == sorted(name for name in names if not is_temporary(name))
        places = [imports.KINDS.index(kind) if (kind := kind_of(name)) else len(imports.KINDS)
                  for name in ordered]
        assert places == sorted(places)


class TestStaleProblem:
    """The data is stale when no extract arrived for more than the limit's days before the
    day checked, or none ever did."""

    @pytest.mark.parametrize("days", [0, 1, 2])
    def test_fresh_up_to_the_limit(self, days: int) -> None:
        assert stale_problem(TODAY - timedelta(days=days), TODAY, 2) is None

    def test_stale_past_the_limit(self) -> None:
        assert stale_problem(date(2026, 12, 3), TODAY, 2) == (
            "no new extract in the inbox for 3 days (the last arrived on 2026-12-03; more "
            "than 2 is stale): the data is stale, so today's statuses may be wrong; check "
            "that the case management system's export still runs")

    def test_limit_counts(self) -> None:
        assert stale_problem(date(2026, 12, 1), TODAY, 5) is None
        assert stale_problem(date(2026, 11, 30), TODAY, 5) is not None

    def test_never(self) -> None:
        assert stale_problem(None, TODAY, 2) == (
            "no extract has ever arrived in the inbox: the store holds only what was imported "
            "by hand, so the data may be stale")

    def test_a_later_arrival_than_the_day_checked_is_fresh(self) -> None:
        """A check of an earlier day, after today's extract, is not stale."""
        assert stale_problem(TODAY, TODAY - timedelta(days=10), 2) is None


class TestFreeName:
    """A moved file never replaces an earlier one of the same name."""

    def test_free(self) -> None:
        assert free_name("cases.csv", {"events.csv"}) == "cases.csv"

    def test_numbered(self) -> None:
        assert free_name("cases.csv", {"cases.csv"}) == "cases.2.csv"
        assert free_name("cases.csv", {"cases.csv", "cases.2.csv"}) == "cases.3.csv"

    def test_no_extension(self) -> None:
        assert free_name("cases", {"cases"}) == "cases.2"


class TestShownUrl:
    """A password in the inbox's URL is never shown."""

    def test_password_masked(self) -> None:
        assert shown_url("sftp://council:s3cret@files.example.org/extracts") == (
            "sftp://council:***@files.example.org/extracts")

    @pytest.mark.parametrize("url", ["/srv/inbox", "s3://bucket/extracts", "memory://inbox",
                                     "sftp://council@files.example.org/x"])
    def test_unchanged(self, url: str) -> None:
        assert shown_url(url) == url


class TestMessages:
    """The problems file lists every problem; the data lead's message says where each file and
    its problems are, never the problems themselves (they may quote a date of birth)."""

    def test_problems_text(self) -> None:
        when = datetime(2026, 12, 6, 6, 59, tzinfo=UTC)
        assert problems_text("cases.csv", ["cases.csv:2: a", "cases.csv:3: b"], when) == (
            "cases.csv was refused by the inbox on 2026-12-06 at 06:59 UTC; nothing in it was "
            "imported.\nFix every problem below, then put the whole file back in the inbox "
            "(under a new name, or this one): the next run imports it.\n\n"
            "cases.csv:2: a\ncases.csv:3: b\n")

    def test_data_lead_message(self) -> None:
        intake = Intake("/srv/inbox", taken=[
            Taken("cases-1.csv", "cases", IMPORTED, ["Imported 1 case from cases-1.csv."],
                  "archive/cases-1.csv"),
            Taken("events-1.csv", "events", REFUSED,
                  ["events-1.csv:3: date_of_birth '2019-13-01' is not a real date",
                   "events-1.csv: nothing imported; 1 bad row to fix"],
                  "quarantine/events-1.csv")],
            stale="no new extract in the inbox for 3 days")
        title, body = data_lead_message(intake, "Dana Lowe", TODAY)
        assert title == "Inbox: 1 file refused; the data is stale"
        assert body == (
            "Hello Dana Lowe,\n\n"
            "The daily check of 2026-12-06 found a problem with the inbox /srv/inbox:\n\n"
            "- events-1.csv was refused (2 problems): nothing in it was imported. It is now "
            "quarantine/events-1.csv, with every problem by line in "
            "quarantine/events-1.csv.problems.txt beside it. Fix it and put the whole file "
            "back in the inbox.\n"
            "- No new extract in the inbox for 3 days.\n\n"
            "The check went on with what the store holds.\n")
        assert "2019-13-01" not in body

    def test_failures(self) -> None:
        assert Intake("x").failures() == []
        refused = [Taken(f"{kind}.csv", kind, REFUSED, ["p"], f"quarantine/{kind}.csv")
                   for kind in ("cases", "events")]
        assert Intake("x", taken=refused, unreadable="the inbox x does not exist").failures() == [
            "the inbox x does not exist",
            ("the inbox refused 2 files (cases.csv, events.csv): moved to quarantine/ with the "
            "problems beside them; nothing in them was imported")]


def run(engine: Engine, inbox: Inbox, rules: dict[str, Timeline],
        as_of: date = TODAY) -> Intake:
    return take_in(engine, inbox.url, timelines=rules, today=TODAY, as_of=as_of, stale_after=2)


def rows(engine: Engine, *columns: Any) -> list[tuple[Any, ...]]:
    with Session(engine) as session:
        return [tuple(row) for row in session.execute(select(*columns).order_by(*columns))]


class TestIntake:
    """At each run, every complete file is imported in dependency order, all or nothing, no
    content twice; imported files go to archive/, refused ones to quarantine/ with their
    problems beside them."""

    def test_dependency_order_in_one_run(self, engine: Engine, inbox: Inbox,
                                         rules: dict[str, Timeline]) -> None:
        """Dropped events first and leads last in time, they still import: leads, cases,
        events."""
        inbox.put("events-2026-12-05.csv", EVENTS)
        inbox.put("cases-2026-12-05.csv", CASES)
        inbox.put("leads-2026-12-05.csv", LEADS)
        intake = run(engine, inbox, rules)
        assert [(file.name, file.outcome, file.lines, file.moved_to) for file in intake.taken] == [
            ("leads-2026-12-05.csv", IMPORTED, ["Imported 2 leads from leads-2026-12-05.csv."],
             "archive/leads-2026-12-05.csv"),
            ("cases-2026-12-05.csv", IMPORTED, ["Imported 1 case from cases-2026-12-05.csv."],
             "archive/cases-2026-12-05.csv"),
            ("events-2026-12-05.csv", IMPORTED,
             ["Imported 1 event from events-2026-12-05.csv."], "archive/events-2026-12-05.csv")]
        assert intake.failures() == [] and intake.stale is None
        assert inbox.names() == []
        assert inbox.names("archive") == ["cases-2026-12-05.csv", "events-2026-12-05.csv",
                                          "leads-2026-12-05.csv"]
        assert inbox.read("archive/cases-2026-12-05.csv") == CASES
        assert rows(engine, Case.case_ref) == [("C-1",)]
        assert rows(engine, MilestoneEvent.milestone, MilestoneEvent.source) == [
            ("review", "inbox events-2026-12-05.csv")]
        assert [row[:3] for row in rows(engine, InboxFile.kind, InboxFile.name, InboxFile.rows)
                ] == [("cases", "cases-2026-12-05.csv", 1), ("events", "events-2026-12-05.csv", 1),
                      ("leads", "leads-2026-12-05.csv", 2)]

    def test_same_file_dropped_twice(self, engine: Engine, inbox: Inbox,
                                     rules: dict[str, Timeline]) -> None:
        """The same content, under the same name or another, is archived and never imported
        again: the event's history has one row."""
        inbox.put("leads.csv", LEADS)
        inbox.put("cases.csv", CASES)
        inbox.put("events-2026-12-04.csv", EVENTS)
        run(engine, inbox, rules)
        inbox.put("events-2026-12-04.csv", EVENTS)
        inbox.put("events-2026-12-05.csv", EVENTS)
        again = run(engine, inbox, rules)
        assert [(file.name, file.outcome, file.moved_to) for file in again.taken] == [
            ("events-2026-12-04.csv", ALREADY_IMPORTED, "archive/events-2026-12-04.2.csv"),
            ("events-2026-12-05.csv", ALREADY_IMPORTED, "archive/events-2026-12-05.csv")]
        said = again.taken[1].lines[0]
        assert said.startswith("events-2026-12-05.csv: the same content was imported on ")
        assert said.endswith(" (as events-2026-12-04.csv); not imported again")
        assert again.failures() == []
        assert rows(engine, MilestoneEvent.milestone) == [("review",)]
        assert inbox.names("archive") == ["cases.csv", "events-2026-12-04.2.csv",
                                          "events-2026-12-04.csv", "events-2026-12-05.csv",
                                          "leads.csv"]

    def test_file_being_written_is_left_for_the_next_run(self, engine: Engine, inbox: Inbox,
                                                         rules: dict[str, Timeline]) -> None:
        """A writer's temporary name is left where it is; once renamed, the next run takes it."""
        inbox.put("leads.csv", LEADS)
        inbox.put("cases.csv", CASES)
        inbox.put("events-2026-12-05.csv.part", EVENTS[:20])  # half written
        inbox.put(".events-2026-12-06.csv", EVENTS)
        first = run(engine, inbox, rules)
        assert [file.name for file in first.taken] == ["leads.csv", "cases.csv"]
        assert first.left == [".events-2026-12-06.csv", "events-2026-12-05.csv.part"]
        assert inbox.names() == [".events-2026-12-06.csv", "events-2026-12-05.csv.part"]
        assert rows(engine, MilestoneEvent.milestone) == []

        inbox.put("events-2026-12-05.csv.part", EVENTS)  # finished writing, then renamed
        inbox.rename("events-2026-12-05.csv.part", "events-2026-12-05.csv")
        second = run(engine, inbox, rules)
        assert [(file.name, file.outcome) for file in second.taken] == [
            ("events-2026-12-05.csv", IMPORTED)]
        assert rows(engine, MilestoneEvent.milestone) == [("review",)]

    def test_refused_file_beside_a_good_one(self, engine: Engine, inbox: Inbox,
                                            rules: dict[str, Timeline]) -> None:
        """The bad file changes nothing and goes to quarantine with every problem by line; the
        good one beside it is imported."""
        inbox.put("leads.csv", LEADS)
        inbox.put("cases.csv", CASES)
        inbox.put("events-2026-12-05.csv", BAD_EVENTS)
        inbox.put("pauses-2026-12-05.csv",
                  "case_ref,paused_from,paused_to,reason\nC-1,2026-11-25,2026-11-27,hearing\n")
        intake = run(engine, inbox, rules)
        refused = intake.refused
        assert [(file.name, file.moved_to) for file in refused] == [
            ("events-2026-12-05.csv", "quarantine/events-2026-12-05.csv")]
        assert refused[0].lines == [
            "events-2026-12-05.csv:3: unknown case 'C-9'",
            "events-2026-12-05.csv:4: occurred_on '2026-13-01' is not a real date",
            "events-2026-12-05.csv: nothing imported; 2 bad rows to fix"]
        assert inbox.names("quarantine") == ["events-2026-12-05.csv",
                                             "events-2026-12-05.csv.problems.txt"]
        problems = inbox.read("quarantine/events-2026-12-05.csv.problems.txt").splitlines()
        assert problems[0].startswith("events-2026-12-05.csv was refused by the inbox on ")
        assert problems[3:] == refused[0].lines
        assert inbox.read("quarantine/events-2026-12-05.csv") == BAD_EVENTS
        assert rows(engine, MilestoneEvent.milestone) == []  # all or nothing: not even line 2
        assert [file.name for file in intake.taken if file.outcome == IMPORTED] == [
            "leads.csv", "cases.csv", "pauses-2026-12-05.csv"]
        assert [row[0] for row in rows(engine, InboxFile.name)] == [
            "cases.csv", "leads.csv", "pauses-2026-12-05.csv"]
        assert intake.as_json()["files"][2] == {
            "name": "events-2026-12-05.csv", "kind": "events", "outcome": REFUSED,
            "moved_to": "quarantine/events-2026-12-05.csv", "problems": 3}

        inbox.put("events-2026-12-05.csv", BAD_EVENTS.replace("C-9", "C-1").replace(
            "2026-13-01", "2026-11-30"))  # fixed and dropped again
        fixed = run(engine, inbox, rules)
        assert [(file.outcome, file.moved_to) for file in fixed.taken] == [
            (IMPORTED, "archive/events-2026-12-05.csv")]
        assert len(rows(engine, MilestoneEvent.id)) == 3

    def test_a_name_of_no_kind_is_refused(self, engine: Engine, inbox: Inbox,
                                          rules: dict[str, Timeline]) -> None:
        inbox.put("children-2026-12-05.csv", CASES)
        intake = run(engine, inbox, rules)
        assert [(file.kind, file.outcome, file.lines) for file in intake.taken] == [
            (None, REFUSED, [("children-2026-12-05.csv: the name does not say what the file "
                             "holds; it must start with leads, cases, events, pauses, "
                             "extensions (e.g. cases-2026-11-23.csv), or its header be one of "
                             "the SSDA903 return's tables (Header, Episodes, Reviews, AD1, "
                             "PlacedAdoption)")])]
        assert inbox.names("quarantine") == ["children-2026-12-05.csv",
                                             "children-2026-12-05.csv.problems.txt"]

    def test_stale(self, engine: Engine, inbox: Inbox, rules: dict[str, Timeline]) -> None:
        """Stale before any extract; fresh after one; stale again once the last arrived more
        than the limit's days before the day checked."""
        assert run(engine, inbox, rules).stale == stale_problem(None, TODAY, 2)
        inbox.put("leads.csv", LEADS)
        assert run(engine, inbox, rules).stale is None
        with Session(engine) as session, session.begin():
            [digest] = session.execute(select(InboxFile.content_hash)).scalars()
            records.record_received_again(session=session, content_hash=digest,
                                          at=datetime(2026, 12, 1, 12, tzinfo=UTC))
        assert run(engine, inbox, rules, as_of=date(2026, 12, 3)).stale is None
        assert run(engine, inbox, rules, as_of=date(2026, 12, 4)).stale == stale_problem(
            date(2026, 12, 1), date(2026, 12, 4), 2)

    def test_a_file_system_failing_mid_way_is_said_not_raised(
            self, engine: Engine, tmp_path: Path, rules: dict[str, Timeline]) -> None:
        """A file imported but not moved (here `archive` is a file, not a folder) stays in the
        inbox with the files after it; the next run archives it without importing it again."""
        inbox = Inbox(str(tmp_path / "inbox"))
        inbox.put("leads.csv", LEADS)
        inbox.put("cases.csv", CASES)
        inbox.put("archive", "in the way")
        intake = run(engine, inbox, rules)
        assert intake.taken == []
        assert intake.unreadable is not None and intake.unreadable.startswith(
            f"could not finish with leads.csv in the inbox {inbox.url}: ")
        assert intake.unreadable.endswith("; it and the files after it are left for the next run")
        assert intake.failures()[0] == intake.unreadable
        assert rows(engine, Lead.lead_id) == [("dl-1",), ("sw-1",)]
        assert inbox.names() == ["archive", "cases.csv", "leads.csv"]

        (tmp_path / "inbox" / "archive").unlink()
        again = run(engine, inbox, rules)
        assert [(file.name, file.outcome) for file in again.taken] == [
            ("leads.csv", ALREADY_IMPORTED), ("cases.csv", IMPORTED)]

    def test_a_missing_inbox_is_said_not_raised(self, engine: Engine, tmp_path: Path,
                                                rules: dict[str, Timeline]) -> None:
        intake = take_in(engine, str(tmp_path / "nowhere"), timelines=rules, today=TODAY,
                         as_of=TODAY, stale_after=2)
        assert intake.unreadable == (f"the inbox {tmp_path / 'nowhere'} (PERMANENCE_INBOX) "
                                     "does not exist; create it or correct the variable")
        assert intake.failures()[0] == intake.unreadable


class TestImportCommandUnchanged:
    """`permanence import KIND FILE` goes through the same function as the inbox."""

    def test_import_rows_is_the_import(self, engine: Engine, tmp_path: Path,
                                       rules: dict[str, Timeline]) -> None:
        path = tmp_path / "leads.csv"
        path.write_text(LEADS, encoding="utf-8")
        with Session(engine) as session, session.begin():
            done = imports.import_rows("leads", imports.read_file("leads", path),
                                       session=session, timelines=rules, today=TODAY,
                                       source="import leads.csv")
        assert done.lines(path) == [f"Imported 2 leads from {path}."]
        assert rows(engine, Lead.lead_id) == [("dl-1",), ("sw-1",)]

    def test_columns_are_the_csv_contract(self) -> None:
        assert imports.COLUMNS["cases"] == (csvfiles.CASE_COLUMNS, csvfiles.CASE_OPTIONAL)
        assert list(imports.COLUMNS) == list(imports.KINDS)


runner = CliRunner()


class TestInboxCommand:
    """`permanence import inbox [URL]` runs the same intake by hand and says what it did; a
    refusal exits 1."""

    def test_by_hand(self, sqlite_url: str, drift_rules: Path, tmp_path: Path) -> None:
        folder = tmp_path / "inbox"
        folder.mkdir()
        (folder / "leads.csv").write_text(LEADS, encoding="utf-8")
        (folder / "cases.csv").write_text(CASES, encoding="utf-8")
        (folder / "events-1.csv").write_text(BAD_EVENTS, encoding="utf-8")
        (folder / "events-2.csv.part").write_text(EVENTS, encoding="utf-8")
        base = ["--db", sqlite_url, "--rules", str(drift_rules)]
        assert runner.invoke(app, [*base, "init"]).exit_code == 0
        result = runner.invoke(app, [*base, "import", "inbox", str(folder)])
        assert result.exit_code == 1
        assert result.stdout.splitlines() == [
            "Imported 2 leads from leads.csv.", "leads.csv: moved to archive/leads.csv",
            "Imported 1 case from cases.csv.", "cases.csv: moved to archive/cases.csv",
            "events-2.csv.part: left for the next run (a temporary name: still being written)"]
        assert result.stderr.splitlines() == [
            "events-1.csv:3: unknown case 'C-9'",
            "events-1.csv:4: occurred_on '2026-13-01' is not a real date",
            "events-1.csv: nothing imported; 2 bad rows to fix",
            ("events-1.csv: refused, nothing imported; moved to quarantine/events-1.csv, its "
            "problems in quarantine/events-1.csv.problems.txt")]
        assert (folder / "quarantine" / "events-1.csv.problems.txt").is_file()

        again = runner.invoke(app, [*base, "import", "inbox"],
                              env={"PERMANENCE_INBOX": str(folder)})
        assert again.exit_code == 0
        assert again.stdout.splitlines() == [
            "events-2.csv.part: left for the next run (a temporary name: still being written)",
            f"No new file in the inbox {folder}."]
        assert again.stderr == ""

    def test_no_inbox_named(self, sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.delenv("PERMANENCE_INBOX", raising=False)
        assert runner.invoke(app, ["--db", sqlite_url, "init"]).exit_code == 0
        result = runner.invoke(app, ["--db", sqlite_url, "import", "inbox"])
        assert result.exit_code == 1
        assert result.stderr == ("name the inbox: permanence import inbox URL, or set "
                                 "PERMANENCE_INBOX to its folder or fsspec URL\n")
