"""An SSDA903 return dropped in the inbox (issue 15, part 2): known by its headers, never by its
names; imported with the engine's own files, after leads and cases and before events, exactly
as `permanence import ssda903` imports it, with the options of PERMANENCE_INBOX_SSDA903_*; never
twice; a child with a bad row left out and the data lead told, or (strict) the whole return
refused. Real intakes on SQLite and PostgreSQL, from a local folder and through fsspec's memory
file system; `permanence import inbox` by hand; the daily check.

The hand-made return: child A1 looked after from 2024-04-01 (still), reviewed on 2024-04-20
and 2024-07-10; child B2 looked after from 2024-05-10 to 2025-03-01 (REC E13). Neither has
adoption evidence, so both take `england-looked-after`: cases A1-20240401 (3 dates:
entered_care, first_review, second_review) and B2-20240510 (1 date: entered_care).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from conftest import Inbox
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session
from test_drift_check import flow_run_state, run_artifacts
from test_inbox import LEADS, TODAY
from test_inbox_check import Authority, _authority
from typer.testing import CliRunner

from permanence.cli import app
from permanence.clock import service_today
from permanence.config import CheckConfig, InboxReturn, inbox_ssda903
from permanence.inbox import take_in
from permanence.intake import (
    ALREADY_IMPORTED,
    IMPORTED,
    REFUSED,
    RETURN,
    Intake,
    data_lead_message,
    header_of,
    intake_order,
    return_files,
)
from permanence.models import Case, InboxFile, MilestoneEvent
from permanence.terminal import inbox_lines as terminal_lines
from permanence.timelines import Timeline
from permanence.webhook_receiver import JsonReceiver

runner = CliRunner()

HEADER = "CHILD,SEX,DOB,ETHNIC\nA1,1,01/01/2020,WBRI\nB2,2,15/06/2021,WBRI\n"
EPISODES = ("CHILD,DECOM,RNE,LS,PLACE,DEC,REC,REASON_PLACE_CHANGE\n"
            "A1,01/04/2024,S,C2,U1,,,\n"
            "B2,10/05/2024,S,C2,U1,01/03/2025,E13,\n")
REVIEWS = "CHILD,REVIEW\nA1,20/04/2024\nA1,10/07/2024\n"
OC2 = "CHILD,DOB,SDQ_SCORE\nA1,01/01/2020,12\n"  # a table the import does not read
BAD_CHILD = "C3,01/06/2024,S,C2,U1,01/05/2024,E13,\n"  # DEC before DECOM: line 4
EVENTS = "case_ref,milestone,occurred_on\nA1-20240401,lac_review,2025-01-08\n"
SETTINGS = InboxReturn(team="north", social_worker="sw-1")
STORED = [("A1-20240401", "england-looked-after", "north", "sw-1", date(2024, 4, 1), None,
           date(2020, 1, 1)),
          ("B2-20240510", "england-looked-after", "north", "sw-1", date(2024, 5, 10),
           date(2025, 3, 1), date(2021, 6, 15))]
DATES = [("A1-20240401", "entered_care", date(2024, 4, 1)),
         ("A1-20240401", "first_review", date(2024, 4, 20)),
         ("A1-20240401", "second_review", date(2024, 7, 10)),
         ("B2-20240510", "entered_care", date(2024, 5, 10))]


def put_return(inbox: Inbox, prefix: str = "ssda903-2024-25", *, episodes: str = EPISODES,
               ) -> list[str]:
    """The return's files, named as a council's export might (no kind at their start)."""
    files = {f"{prefix}-header.csv": HEADER, f"{prefix}-episodes.csv": episodes,
             f"{prefix}-reviews.csv": REVIEWS, f"{prefix}-oc2.csv": OC2}
    for name, text in files.items():
        inbox.put(name, text)
    return sorted(files)


def run(engine: Engine, inbox: Inbox, rules: dict[str, Timeline],
        settings: InboxReturn | None = SETTINGS) -> Intake:
    return take_in(engine, inbox.url, timelines=rules, today=TODAY, as_of=TODAY, stale_after=2,
                   ssda903=settings)


def cases(engine: Engine) -> list[tuple[object, ...]]:
    with Session(engine) as session:
        return [tuple(row) for row in session.execute(select(
            Case.case_ref, Case.timeline, Case.team, Case.social_worker,  # type: ignore[call-overload]
            Case.looked_after_on, Case.closed_on, Case.date_of_birth).order_by(Case.case_ref))]


def dates(engine: Engine) -> list[tuple[object, ...]]:
    with Session(engine) as session:
        return [tuple(row) for row in session.execute(select(
            MilestoneEvent.case_ref, MilestoneEvent.milestone,  # type: ignore[call-overload]
            MilestoneEvent.occurred_on).order_by(MilestoneEvent.case_ref,
                                                 MilestoneEvent.occurred_on))]


def held(engine: Engine) -> list[tuple[object, ...]]:
    with Session(engine) as session:
        return [tuple(row) for row in session.execute(select(
            InboxFile.name, InboxFile.kind, InboxFile.rows).order_by(  # type: ignore[call-overload]
            InboxFile.name))]


class TestRecognisedByHeaders:
    """Pure: which files are a return's, and in which order the intake takes them."""

    def test_header_of(self) -> None:
        assert header_of(b"\xef\xbb\xbfchild, Review \r\nA1,20/04/2024\r\n") == ["CHILD",
                                                                                "REVIEW"]
        assert header_of(b"") == []
        # blank lines (or a line of empty cells) above the header, as import ssda903 reads it
        assert header_of(b"\r\n,,\r\nCHILD,REVIEW\r\nA1,20/04/2024\r\n") == ["CHILD",
                                                                              "REVIEW"]
        assert header_of(b"\n,,\n") == []
        assert header_of(b"\xff\xfeC\x00") == ["\ufffd\ufffdC\x00"]  # not UTF-8: no table

    def test_return_files(self) -> None:
        headers = {"e.csv": ["CHILD", "DECOM", "RNE", "LS", "PLACE", "DEC", "REC"],
                   "oc2.csv": ["CHILD", "DOB", "SDQ_SCORE"],
                   "allocations.csv": ["CHILD", "TEAM", "SOCIAL_WORKER"],
                   "children.csv": ["NAME", "DOB"]}
        assert return_files(headers) == ["e.csv", "oc2.csv"]  # the other table with it
        del headers["e.csv"]
        assert return_files(headers) == []  # a CHILD column alone makes no return

    def test_order(self) -> None:
        names = ["events-1.csv", "x-reviews.csv", "cases-1.csv", "pauses-1.csv",
                 "a-header.csv", "leads.csv", "children.csv", "extensions-1.csv"]
        assert intake_order(names, ["x-reviews.csv", "a-header.csv"]) == [
            "leads.csv", "cases-1.csv", "a-header.csv", "x-reviews.csv", "events-1.csv",
            "pauses-1.csv", "extensions-1.csv", "children.csv"]
        assert intake_order(names)[-3:] == ["a-header.csv", "children.csv", "x-reviews.csv"]


class TestReturnInTheInbox:
    def test_beside_the_engines_own_files(self, engine: Engine, inbox: Inbox,
                                          rules: dict[str, Timeline]) -> None:
        """Leads first (the return names sw-1), then the return, then the events naming one
        of its cases; a cases file with an Episodes header stays a cases file (refused)."""
        inbox.put("events-2026-12-05.csv", EVENTS)
        names = put_return(inbox)
        inbox.put("leads.csv", LEADS)
        inbox.put("cases-episodes.csv", EPISODES)
        intake = run(engine, inbox, rules)
        assert [(file.name, file.kind, file.outcome) for file in intake.taken] == [
            ("leads.csv", "leads", IMPORTED), ("cases-episodes.csv", "cases", REFUSED),
            ("ssda903-2024-25-episodes.csv", RETURN, IMPORTED),
            ("ssda903-2024-25-header.csv", RETURN, IMPORTED),
            ("ssda903-2024-25-oc2.csv", RETURN, IMPORTED),
            ("ssda903-2024-25-reviews.csv", RETURN, IMPORTED),
            ("events-2026-12-05.csv", "events", IMPORTED)]
        assert [file.lines for file in intake.taken[2:6]] == [
            ["Read ssda903-2024-25-episodes.csv as Episodes (2 rows)."],
            ["Read ssda903-2024-25-header.csv as Header (2 rows)."],
            [("Ignored ssda903-2024-25-oc2.csv (its header fits none of Header, Episodes, "
              "Reviews, AD1, PlacedAdoption).")],
            ["Read ssda903-2024-25-reviews.csv as Reviews (2 rows).",
             ("Imported 2 children (2 cases: 2 new, 0 changed, 0 unchanged; 4 dates "
              "recorded); 0 children left out.")]]
        assert intake.taken[1].lines == [
            ("cases-episodes.csv:1: missing columns case_ref, timeline, team, social_worker, "
             "looked_after_on; the header must have case_ref, timeline, team, social_worker, "
             "looked_after_on")]
        assert cases(engine) == STORED
        assert dates(engine) == [*DATES[:3], ("A1-20240401", "lac_review", date(2025, 1, 8)),
                                 DATES[3]]
        assert held(engine) == [("events-2026-12-05.csv", "events", 1),
                                ("leads.csv", "leads", 2),
                                ("ssda903-2024-25-episodes.csv", RETURN, 2),
                                ("ssda903-2024-25-header.csv", RETURN, 2),
                                ("ssda903-2024-25-oc2.csv", RETURN, 0),
                                ("ssda903-2024-25-reviews.csv", RETURN, 2)]
        assert inbox.names("archive") == sorted(["events-2026-12-05.csv", "leads.csv", *names])
        assert inbox.names("quarantine") == ["cases-episodes.csv",
                                             "cases-episodes.csv.problems.txt"]
        assert inbox.names() == []
        assert intake.as_json()["files"][2] == {
            "name": "ssda903-2024-25-episodes.csv", "kind": RETURN, "outcome": IMPORTED,
            "moved_to": "archive/ssda903-2024-25-episodes.csv", "problems": 0}

    def test_dropped_twice(self, engine: Engine, inbox: Inbox,
                           rules: dict[str, Timeline]) -> None:
        inbox.put("leads.csv", LEADS)
        put_return(inbox)
        run(engine, inbox, rules)
        names = put_return(inbox, "again")  # the same contents under other names
        intake = run(engine, inbox, rules)
        assert [(file.name, file.outcome) for file in intake.taken] == [
            (name, ALREADY_IMPORTED) for name in names]
        assert intake.taken[0].lines == [
            (f"again-episodes.csv: the same content was imported on {service_today()} (as "
             "ssda903-2024-25-episodes.csv), with every other file of this SSDA903 return; "
             "not imported again")]
        assert intake.stale is None  # the export runs
        assert (cases(engine), dates(engine)) == (STORED, DATES)
        assert len(held(engine)) == 5
        assert inbox.names("archive")[:4] == ["again-episodes.csv", "again-header.csv",
                                              "again-oc2.csv", "again-reviews.csv"]

        # One file new (B2 left care a day later), the others as before: the whole return is
        # read again, and only what differs is written.
        later = EPISODES.replace("01/03/2025,E13", "02/03/2025,E13")
        put_return(inbox, "third", episodes=later)
        intake = run(engine, inbox, rules)
        assert [file.outcome for file in intake.taken] == [IMPORTED] * 4
        assert intake.taken[-1].lines[-1] == (
            "Imported 2 children (2 cases: 0 new, 1 changed, 1 unchanged; 0 dates recorded); "
            "0 children left out.")
        assert cases(engine)[1][5] == date(2025, 3, 2)
        assert len(held(engine)) == 6  # only the new episodes file's content is new

    def test_a_bad_child_is_left_out(self, engine: Engine, inbox: Inbox,
                                     rules: dict[str, Timeline]) -> None:
        inbox.put("leads.csv", LEADS)
        put_return(inbox, episodes=EPISODES + BAD_CHILD)
        intake = run(engine, inbox, rules)
        problem = ("ssda903-2024-25-episodes.csv:4: DEC: 2024-05-01 is before DECOM "
                   "2024-06-01; child C3 left out")
        episodes = intake.taken[1]
        assert (episodes.outcome, episodes.problems, episodes.left_out) == (
            IMPORTED, [problem], 1)
        assert [file.problems for file in intake.taken[2:]] == [[], [], []]
        assert intake.taken[-1].lines[-1] == (
            "Imported 2 children (2 cases: 2 new, 0 changed, 0 unchanged; 4 dates recorded); "
            "1 child left out.")
        assert (cases(engine), dates(engine)) == (STORED, DATES)
        assert inbox.names("archive") == [
            "leads.csv", "ssda903-2024-25-episodes.csv",
            "ssda903-2024-25-episodes.csv.problems.txt", "ssda903-2024-25-header.csv",
            "ssda903-2024-25-oc2.csv", "ssda903-2024-25-reviews.csv"]
        text = inbox.read("archive/ssda903-2024-25-episodes.csv.problems.txt").splitlines()
        assert text[0].startswith("ssda903-2024-25-episodes.csv was imported by the inbox on ")
        assert text[0].endswith(" UTC as part of an SSDA903 return, but each child with a bad "
                                "row below was left out (the rest of the return was imported).")
        assert text[1:] == [
            ("Fix every problem below, then put the whole return (every file of it) back in the "
             "inbox: the next run imports it again, and writes only what changed."), "", problem]
        # Not a failure (a real return carries errors), but the data lead is told.
        assert intake.failures() == []
        assert intake.to_tell() == [
            ("the inbox imported ssda903-2024-25-episodes.csv (an SSDA903 return's file) but left "
            "out 1 child for 1 bad row in it, listed in "
            "archive/ssda903-2024-25-episodes.csv.problems.txt")]
        assert intake.as_json()["files"][1]["problems"] == 1
        assert intake.as_json()["files"][1]["left_out"] == 1
        assert terminal_lines(intake.as_json())[1] == (
            "inbox: imported ssda903-2024-25-episodes.csv, moved to "
            "archive/ssda903-2024-25-episodes.csv; 1 child left out of the return, the problems "
            "in archive/ssda903-2024-25-episodes.csv.problems.txt")
        title, body = data_lead_message(intake, "Dana Lowe", TODAY)
        assert title == "Inbox: 1 child left out of the SSDA903 return"
        assert body == (
            "Hello Dana Lowe,\n\n"
            f"The daily check of 2026-12-06 found a problem with the inbox {inbox.url}:\n\n"
            "- ssda903-2024-25-episodes.csv (an SSDA903 return's file) was imported, but 1 "
            "child with a bad row in it was left out; the rest of the return is in. It is now "
            "archive/ssda903-2024-25-episodes.csv, with every problem by line in "
            "archive/ssda903-2024-25-episodes.csv.problems.txt beside it. Fix them and put the "
            "whole return (every file of it) back in the inbox.\n\n"
            "The check went on with what the store holds.\n")

    def test_strict_refuses_the_whole_return(self, engine: Engine, inbox: Inbox,
                                             rules: dict[str, Timeline]) -> None:
        inbox.put("leads.csv", LEADS)
        names = put_return(inbox, episodes=EPISODES + BAD_CHILD)
        intake = run(engine, inbox, rules, InboxReturn(team="north", social_worker="sw-1",
                                                       strict=True))
        assert [(file.name, file.outcome) for file in intake.taken] == [
            ("leads.csv", IMPORTED), *((name, REFUSED) for name in names)]
        assert intake.taken[1].lines == [
            ("ssda903-2024-25-episodes.csv:4: DEC: 2024-05-01 is before DECOM 2024-06-01; "
             "child C3 left out"),
            "PERMANENCE_INBOX_SSDA903_STRICT: nothing imported; 1 bad row to fix"]
        assert intake.taken[2].lines == [
            ("ssda903-2024-25-header.csv: nothing in it is wrong, but the SSDA903 return it "
             "belongs to was refused whole, for the problems beside "
             "ssda903-2024-25-episodes.csv")]
        assert (cases(engine), dates(engine)) == ([], [])
        assert held(engine) == [("leads.csv", "leads", 2)]
        assert inbox.names("quarantine") == sorted(
            [*names, *(f"{name}.problems.txt" for name in names)])
        assert intake.failures() == [
            ("the inbox refused 4 files (ssda903-2024-25-episodes.csv, "
            "ssda903-2024-25-header.csv, ssda903-2024-25-oc2.csv, ssda903-2024-25-reviews.csv): "
            "moved to quarantine/ with the problems beside them; nothing in them was imported")]

    def test_a_file_not_utf8_refuses_the_return(self, engine: Engine, inbox: Inbox,
                                                 rules: dict[str, Timeline]) -> None:
        inbox.put("leads.csv", LEADS)
        put_return(inbox)
        inbox.fs.pipe_file(f"{inbox.root}/ssda903-2024-25-reviews.csv",
                           "CHILD,REVIEW\nA1,20/04/2024 – ok\n".encode("cp1252"))
        intake = run(engine, inbox, rules)
        assert [file.outcome for file in intake.taken] == [IMPORTED] + [REFUSED] * 4
        assert intake.taken[4].lines == [
            ('ssda903-2024-25-reviews.csv: is not UTF-8 text; save it as "CSV UTF-8" and import '
            "it again; nothing imported")]
        assert cases(engine) == []

    def test_settings_that_cannot_be_used_leave_the_return(
            self, engine: Engine, inbox: Inbox, rules: dict[str, Timeline],
            tmp_path: Path) -> None:
        inbox.put("leads.csv", LEADS)
        names = put_return(inbox)
        intake = run(engine, inbox, rules, None)
        assert [file.name for file in intake.taken] == ["leads.csv"]
        assert intake.unreadable == (
            "the SSDA903 return in the inbox (ssda903-2024-25-episodes.csv, "
            "ssda903-2024-25-header.csv, ssda903-2024-25-oc2.csv, ssda903-2024-25-reviews.csv) "
            "was not imported: set PERMANENCE_INBOX_SSDA903_TEAM and "
            "PERMANENCE_INBOX_SSDA903_SOCIAL_WORKER (or PERMANENCE_INBOX_SSDA903_ALLOCATIONS): "
            "without allocations every child takes the team and social worker given; its files "
            "are left in the inbox for the next run")
        assert inbox.names() == names
        for settings, said in (
                (InboxReturn(team="north", social_worker="sw-9"),
                 ("PERMANENCE_INBOX_SSDA903_SOCIAL_WORKER 'sw-9' is not a known lead_id; import "
                 "the leads first")),
                (InboxReturn(team="north", social_worker="sw-1", timelines="england-adoption"),
                 ("PERMANENCE_INBOX_SSDA903_TIMELINES 'england-adoption' must name two timelines, "
                 "ADOPTION,OTHER (the default is "
                 "england-adoption-return,england-looked-after)")),
                (InboxReturn(allocations=str(tmp_path / "nowhere.csv")),
                 (f"PERMANENCE_INBOX_SSDA903_ALLOCATIONS {tmp_path / 'nowhere.csv'}: no such "
                 "file"))):
            intake = run(engine, inbox, rules, settings)
            assert intake.unreadable is not None
            assert intake.unreadable.split(" was not imported: ")[1] == (
                f"{said}; its files are left in the inbox for the next run")
            assert intake.failures()[0] == intake.unreadable
        assert inbox.names() == names and cases(engine) == []
        assert run(engine, inbox, rules).unreadable is None  # put right: imported
        assert cases(engine) == STORED

    def test_allocations(self, engine: Engine, inbox: Inbox, rules: dict[str, Timeline],
                         tmp_path: Path) -> None:
        """From PERMANENCE_INBOX_SSDA903_ALLOCATIONS's file; one dropped in the inbox is refused
        (it would otherwise be silently ignored beside the return)."""
        allocations = tmp_path / "allocations.csv"
        allocations.write_text("CHILD,team,social_worker\nB2,south,sw-1\n", encoding="utf-8")
        inbox.put("leads.csv", LEADS)
        put_return(inbox)
        inbox.put("allocations.csv", "CHILD,team,social_worker\nA1,south,sw-1\n")
        intake = run(engine, inbox, rules, InboxReturn(allocations=str(allocations),
                                                       team="north", social_worker="sw-1"))
        assert [(file.name, file.outcome) for file in intake.taken][-1] == (
            "allocations.csv", REFUSED)
        assert intake.taken[-1].lines == [
            ("allocations.csv: an allocations file (CHILD, team, social_worker) is not read from "
            "the inbox: put it where PERMANENCE_INBOX_SSDA903_ALLOCATIONS names, outside the "
            "inbox (each return imported reads it)")]
        assert [(ref, team) for ref, _, team, *_ in cases(engine)] == [
            ("A1-20240401", "north"), ("B2-20240510", "south")]


def test_the_example_return_as_import_ssda903_imports_it(engine: Engine, tmp_path: Path,
                                                         rules: dict[str, Timeline],
                                                         examples: Path) -> None:
    """The synthetic return of examples/ssda903 (seven annual returns, a folder each), dropped
    in the inbox as one flat folder (`2019-20-header.csv` ...: the same reading order as the
    command's sorted folders), gives what `permanence import ssda903 examples/ssda903` gives:
    80 children in 88 cases with 489 dates (tests/test_examples_command.py)."""
    inbox = Inbox(str(tmp_path / "inbox"))
    inbox.put("leads.csv", (examples / "leads.csv").read_text(encoding="utf-8"))
    for table in sorted((examples / "ssda903").glob("*/*.csv")):
        inbox.put(f"{table.parent.name}-{table.name}", table.read_text(encoding="utf-8"))
    intake = run(engine, inbox, rules, InboxReturn(team="north", social_worker="sw-north-1"))
    assert len(intake.taken) == 1 + 35
    assert {file.outcome for file in intake.taken} == {IMPORTED}
    assert intake.taken[-1].lines[-1] == (
        "Imported 80 children (88 cases: 88 new, 0 changed, 0 unchanged; 489 dates recorded); "
        "0 children left out.")
    assert len(cases(engine)) == 88 and len(dates(engine)) == 489


def test_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in (("TEAM", " north "), ("SOCIAL_WORKER", "sw-1"),
                        ("ALLOCATIONS", "/etc/permanence/allocations.csv"),
                        ("TIMELINES", "england-adoption,england-looked-after"),
                        ("STRICT", "Yes")):
        monkeypatch.setenv(f"PERMANENCE_INBOX_SSDA903_{name}", value)
    assert inbox_ssda903() == InboxReturn(
        allocations="/etc/permanence/allocations.csv", team="north", social_worker="sw-1",
        timelines="england-adoption,england-looked-after", strict=True)
    monkeypatch.setenv("PERMANENCE_INBOX_SSDA903_STRICT", "0")
    monkeypatch.setenv("PERMANENCE_INBOX_SSDA903_TEAM", "")
    assert (inbox_ssda903().strict, inbox_ssda903().team) == (False, None)
    assert CheckConfig.from_environment().inbox_ssda903 == inbox_ssda903()


class TestImportInboxByHand:
    def test_prints_and_reads_the_environment(self, sqlite_url: str, tmp_path: Path) -> None:
        folder = tmp_path / "inbox"
        folder.mkdir()
        (folder / "leads.csv").write_text(LEADS, encoding="utf-8")
        (folder / "903-header.csv").write_text(HEADER, encoding="utf-8")
        (folder / "903-episodes.csv").write_text(EPISODES + BAD_CHILD, encoding="utf-8")
        assert runner.invoke(app, ["--db", sqlite_url, "init"]).exit_code == 0
        result = runner.invoke(app, ["--db", sqlite_url, "import", "inbox", str(folder)], env={
            "PERMANENCE_INBOX_SSDA903_TEAM": "north",
            "PERMANENCE_INBOX_SSDA903_SOCIAL_WORKER": "sw-1"})
        assert result.exit_code == 0
        assert result.stdout.splitlines() == [
            "Imported 2 leads from leads.csv.", "leads.csv: moved to archive/leads.csv",
            "Read 903-episodes.csv as Episodes (3 rows).",
            ("903-episodes.csv: moved to archive/903-episodes.csv, its problems in "
             "archive/903-episodes.csv.problems.txt"),
            "Read 903-header.csv as Header (2 rows).",
            ("Imported 2 children (2 cases: 2 new, 0 changed, 0 unchanged; 2 dates recorded); "
             "1 child left out."),
            "903-header.csv: moved to archive/903-header.csv"]
        assert result.stderr == ("903-episodes.csv:4: DEC: 2024-05-01 is before DECOM "
                                 "2024-06-01; child C3 left out\n")


@pytest.fixture
def receiver() -> Iterator[JsonReceiver]:
    with JsonReceiver() as running:
        yield running


class TestDailyCheck:
    """The check takes the return in first, with CheckConfig.inbox_ssda903 (read from
    PERMANENCE_INBOX_SSDA903_*); a child left out does not fail the run, but the data lead is
    told and drift-summary says so."""

    def test_a_return_with_a_bad_child(self, prefect_harness: None, db_url: str,
                                       drift_rules: Path, tmp_path: Path,
                                       receiver: JsonReceiver) -> None:
        from permanence.check import run_check

        authority: Authority
        for authority in _authority(db_url, drift_rules, str(tmp_path / "inbox"), receiver):
            authority.put("leads.csv", authority.leads())
            authority.put("ssda903-header.csv", HEADER)
            authority.put("ssda903-episodes.csv", EPISODES + BAD_CHILD)
            authority.put("ssda903-reviews.csv", REVIEWS)
            config = CheckConfig(db=db_url, rules=(drift_rules,), inbox=authority.inbox,
                                 inbox_ssda903=InboxReturn(team="north", social_worker="sw-1"))
            summary = run_check(config, date(2026, 11, 23))
            assert summary.failures == []
            assert flow_run_state(summary)[0] == "COMPLETED"
            assert authority.rows(Case.case_ref) == [("A1-20240401",), ("B2-20240510",)]
            assert authority.titles("dl-1") == ["Inbox: 1 child left out of the SSDA903 return"]
            assert summary.inbox is not None
            assert [(file["name"], file["outcome"], file["problems"])
                    for file in summary.inbox["files"]] == [
                ("leads.csv", IMPORTED, 0), ("ssda903-episodes.csv", IMPORTED, 1),
                ("ssda903-header.csv", IMPORTED, 0), ("ssda903-reviews.csv", IMPORTED, 0)]
            markdown = {a.key: a for a in run_artifacts(summary)}["drift-summary"].data
            assert ("- imported: ssda903-episodes.csv, moved to archive/ssda903-episodes.csv; "
                    "**1 child left out** of the SSDA903 return for bad rows, listed in "
                    "archive/ssda903-episodes.csv.problems.txt") in markdown.splitlines()
            again = run_check(config, date(2026, 11, 23))  # nothing new: nobody told twice
            assert again.queued == 0
            assert authority.titles("dl-1") == ["Inbox: 1 child left out of the SSDA903 return"]
