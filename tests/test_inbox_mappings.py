"""The inbox with a mapping (PERMANENCE_INBOX_MAP) and snapshots (issue 12, parts 2 to 4):
real intakes on SQLite and PostgreSQL from a local folder and through fsspec's memory file
system, `permanence import inbox --map` and `import cases --snapshot` by hand, the daily check
with a mapped inbox, and the data-quality item a snapshot leaves for a case it did not hold.

The drift-test rules (conftest `drift_rules`): timeline drift-test, milestones looked_after,
review and legal_advice. TODAY is the day the imports check dates against.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from conftest import Inbox
from sqlalchemy.engine import Engine
from sqlmodel import Session
from test_inbox import LEADS, TODAY, rows
from test_inbox_check import Authority, _authority
from typer.testing import CliRunner

from permanence import imports, store
from permanence.cli import app
from permanence.clock import service_today
from permanence.evaluate import CaseFacts
from permanence.flows.artifacts import inbox_lines
from permanence.inbox import take_in
from permanence.intake import ALREADY_IMPORTED, IMPORTED, REFUSED, Intake
from permanence.measures import snapshot_quality
from permanence.measures.quality import QualityItem
from permanence.models import Case, InboxFile, MilestoneEvent
from permanence.models.snapshots import MissingFromSnapshot
from permanence.timelines import Timeline
from permanence.webhook_receiver import JsonReceiver

runner = CliRunner()

MAPPING = """\
source: Test system (inbox)
date_format: dd/mm/yyyy
files:
  cases:
    columns: {case_ref: ID, team: TEAM, social_worker: WORKER, looked_after_on: START,
              closed_on: END}
    fixed: {timeline: drift-test}
    values:
      team: {North: north}
    drop: [NAME]
  events:
    columns: {case_ref: ID, milestone: STEP, occurred_on: DATE}
    values:
      milestone: {REV: review, LEG: legal_advice}
"""
SOURCE_CASES = ("ID,NAME,TEAM,WORKER,START,END\n"
                "C-1,Ari Sample,North,sw-1,16/11/2026,\n"
                "C-2,Bea Sample,North,sw-1,17/11/2026,\n")
SOURCE_EVENTS = "ID,STEP,DATE\nC-1,REV,20/11/2026\n"
BAD_SOURCE_EVENTS = "ID,STEP,DATE\nC-1,REV,20/11/2026\nC-1,VISIT,21/11/2026\nC-2,LEG,2026-11-22\n"
CASES = ("case_ref,timeline,team,social_worker,looked_after_on,closed_on\n"
         "C-1,drift-test,north,sw-1,2026-11-16,\n"
         "C-2,drift-test,north,sw-1,2026-11-17,\n"
         "C-3,drift-test,north,sw-1,2026-11-18,2026-11-30\n")
SNAPSHOT_OF_C1 = ("case_ref,timeline,team,social_worker,looked_after_on\n"
                  "C-1,drift-test,north,sw-1,2026-11-16\n")
MISSING_C2 = ("1 open case in the store is not in this snapshot: C-2; listed under data quality "
              "until a snapshot holds it or it is closed (closed_on), never closed here.")


@pytest.fixture
def mapping(tmp_path: Path) -> Path:
    path = tmp_path / "mapping.yaml"
    path.write_text(MAPPING, encoding="utf-8")
    return path


def run(engine: Engine, inbox: Inbox, rules: dict[str, Timeline],
        mapping: Path | None = None) -> Intake:
    return take_in(engine, inbox.url, timelines=rules, today=TODAY, as_of=TODAY, stale_after=2,
                   mapping=str(mapping) if mapping else None)


def quality(engine: Engine, rules: dict[str, Timeline], as_of: date = TODAY) -> list[QualityItem]:
    with Session(engine) as session:
        facts = store.load_case_facts(session=session, timelines=rules)
    return snapshot_quality(facts, as_of)


class TestMappedInbox:
    """With a mapping, each file of a kind it describes is read through it; other kinds are
    the engine's CSV files. Everything else is as without one."""

    def test_mapped_files_import(self, engine: Engine, inbox: Inbox,
                                 rules: dict[str, Timeline], mapping: Path) -> None:
        inbox.put("leads.csv", LEADS)  # a kind the mapping does not describe: the engine's CSV
        inbox.put("cases-2026-12-05.csv", SOURCE_CASES)
        inbox.put("events-2026-12-05.csv", SOURCE_EVENTS)
        intake = run(engine, inbox, rules, mapping)
        assert [(file.name, file.outcome, file.lines, file.warnings)
                for file in intake.taken] == [
            ("leads.csv", IMPORTED, ["Imported 2 leads from leads.csv."], []),
            ("cases-2026-12-05.csv", IMPORTED,
             ["Imported 2 cases from cases-2026-12-05.csv."], []),
            ("events-2026-12-05.csv", IMPORTED,
             ["Imported 1 event from events-2026-12-05.csv."], [])]
        assert intake.failures() == []
        assert rows(engine, Case.case_ref, Case.team, Case.looked_after_on, Case.child_name) == [
            ("C-1", "north", date(2026, 11, 16), None), ("C-2", "north", date(2026, 11, 17), None)]
        assert rows(engine, MilestoneEvent.milestone, MilestoneEvent.occurred_on,
                    MilestoneEvent.source) == [
            ("review", date(2026, 11, 20), "inbox events-2026-12-05.csv")]
        assert inbox.read("archive/cases-2026-12-05.csv") == SOURCE_CASES  # as it came

    def test_refused_in_the_source_words_beside_a_good_file(
            self, engine: Engine, inbox: Inbox, rules: dict[str, Timeline],
            mapping: Path) -> None:
        inbox.put("leads.csv", LEADS)
        inbox.put("cases.csv", SOURCE_CASES)
        inbox.put("events-2026-12-05.csv", BAD_SOURCE_EVENTS)
        inbox.put("pauses-2026-12-05.csv",
                  "case_ref,paused_from,paused_to,reason\nC-1,2026-11-25,2026-11-27,hearing\n")
        intake = run(engine, inbox, rules, mapping)
        assert [(file.name, file.outcome) for file in intake.taken] == [
            ("leads.csv", IMPORTED), ("cases.csv", IMPORTED),
            ("events-2026-12-05.csv", REFUSED), ("pauses-2026-12-05.csv", IMPORTED)]
        assert intake.refused[0].lines == [
            (f"events-2026-12-05.csv:3: STEP 'VISIT' is not in the mapping's values for "
             f"milestone ({mapping}:14); add it there, or set unmapped: {{milestone: keep}} "
             "(or skip)"),
            "events-2026-12-05.csv:4: DATE '2026-11-22' is not a date in the form dd/mm/yyyy",
            "events-2026-12-05.csv: nothing imported; 2 bad rows to fix"]
        problems = inbox.read("quarantine/events-2026-12-05.csv.problems.txt").splitlines()
        assert problems[3:] == intake.refused[0].lines
        assert rows(engine, MilestoneEvent.id) == []  # all or nothing: not even line 2

    def test_fixed_in_the_mapping_then_put_back_unchanged(
            self, engine: Engine, inbox: Inbox, rules: dict[str, Timeline], mapping: Path) -> None:
        """A code the mapping did not know refuses the export; once the mapping knows it, the
        same export put back is imported (a refused content is not held as imported)."""
        export = "ID,STEP,DATE\nC-1,REVIEW_HELD,20/11/2026\n"
        inbox.put("leads.csv", LEADS)
        inbox.put("cases.csv", SOURCE_CASES)
        inbox.put("events-2026-12-05.csv", export)
        first = run(engine, inbox, rules, mapping)
        assert [file.outcome for file in first.taken] == [IMPORTED, IMPORTED, REFUSED]
        mapping.write_text(MAPPING.replace("{REV: review,", "{REVIEW_HELD: review, REV: review,"),
                           encoding="utf-8")
        inbox.put("events-2026-12-05.csv", export)
        second = run(engine, inbox, rules, mapping)
        assert [(file.outcome, file.moved_to) for file in second.taken] == [
            (IMPORTED, "archive/events-2026-12-05.csv")]
        assert rows(engine, MilestoneEvent.milestone, MilestoneEvent.occurred_on) == [
            ("review", date(2026, 11, 20))]

    def test_dropped_twice_and_being_written(self, engine: Engine, inbox: Inbox,
                                             rules: dict[str, Timeline], mapping: Path) -> None:
        """A mapped extract dropped again is known by its content; one under a temporary name
        waits for the next run."""
        inbox.put("leads.csv", LEADS)
        inbox.put("cases.csv", SOURCE_CASES)
        inbox.put("events-2026-12-05.csv", SOURCE_EVENTS)
        inbox.put("events-2026-12-06.csv.tmp", SOURCE_EVENTS[:12])
        first = run(engine, inbox, rules, mapping)
        assert first.left == ["events-2026-12-06.csv.tmp"]
        inbox.put("events-2026-12-06.csv.tmp", SOURCE_EVENTS)
        inbox.rename("events-2026-12-06.csv.tmp", "events-2026-12-06.csv")
        second = run(engine, inbox, rules, mapping)
        assert [(file.name, file.outcome, file.moved_to) for file in second.taken] == [
            ("events-2026-12-06.csv", ALREADY_IMPORTED, "archive/events-2026-12-06.csv")]
        assert rows(engine, MilestoneEvent.milestone) == [("review",)]

    def test_a_broken_mapping_leaves_every_file(self, engine: Engine, inbox: Inbox,
                                                rules: dict[str, Timeline],
                                                tmp_path: Path) -> None:
        broken = tmp_path / "broken.yaml"
        broken.write_text("source: x\nfiles:\n  events:\n    columns: {case_ref: ID}\n",
                          encoding="utf-8")
        inbox.put("events-2026-12-05.csv", SOURCE_EVENTS)
        intake = run(engine, inbox, rules, broken)
        assert intake.taken == []
        assert intake.unreadable == (
            f"the inbox's mapping {broken} (PERMANENCE_INBOX_MAP) cannot be used, so no file "
            f"was taken in: {broken}:3: files.events: no column gives milestone; map it under "
            f"columns (or give every row one value under fixed); {broken}:3: files.events: no "
            "column gives occurred_on; map it under columns (or give every row one value under "
            "fixed)")
        assert intake.failures()[0] == intake.unreadable
        assert inbox.names() == ["events-2026-12-05.csv"]  # left for a run with a good mapping


class TestSnapshots:
    """A cases file marked as a snapshot holds every open case: an open case in the store that
    it does not hold is listed as a data-quality item, never closed."""

    def test_a_snapshot_with_a_missing_case(self, engine: Engine, inbox: Inbox,
                                            rules: dict[str, Timeline]) -> None:
        inbox.put("leads.csv", LEADS)
        inbox.put("cases.csv", CASES)
        run(engine, inbox, rules)
        assert quality(engine, rules) == []

        inbox.put("cases-snapshot-2026-12-06.csv", SNAPSHOT_OF_C1)
        intake = run(engine, inbox, rules)
        assert [(file.outcome, file.lines) for file in intake.taken] == [
            (IMPORTED, ["Imported 1 case from cases-snapshot-2026-12-06.csv.", MISSING_C2])]
        assert intake.failures() == []  # a data-quality item, not a refusal
        assert intake.as_json()["files"] == [{
            "name": "cases-snapshot-2026-12-06.csv", "kind": "cases", "outcome": IMPORTED,
            "moved_to": "archive/cases-snapshot-2026-12-06.csv", "problems": 0,
            "missing_from_snapshot": 1}]
        assert inbox_lines(intake.as_json()) == [
            ("- imported: cases-snapshot-2026-12-06.csv, moved to "
             "archive/cases-snapshot-2026-12-06.csv; a snapshot without 1 open case of the "
             "store, listed under data quality")]
        # C-2 is still open; C-3 closed on 30 November, so a snapshot need not hold it.
        assert rows(engine, Case.case_ref, Case.closed_on) == [
            ("C-1", None), ("C-2", None), ("C-3", date(2026, 11, 30))]
        assert rows(engine, MissingFromSnapshot.case_ref, MissingFromSnapshot.snapshot,
                    MissingFromSnapshot.snapshot_on) == [
            ("C-2", "inbox cases-snapshot-2026-12-06.csv", TODAY)]
        item = QualityItem(
            "missing_from_snapshot", "C-2", "north", "drift-test", None,
            "open here, but missing from the snapshot of every open case imported on 2026-12-06 "
            "(inbox cases-snapshot-2026-12-06.csv): if the child has left care, import the case "
            "with its closed_on; if not, check the extract")
        assert quality(engine, rules) == [item]
        assert quality(engine, rules, date(2026, 12, 5)) == []  # before that snapshot

        inbox.put("cases-2026-12-07.csv", CASES.replace("2026-11-17,", "2026-11-17,2026-12-01"))
        run(engine, inbox, rules)  # not a snapshot: C-2 closed, so it is no longer listed
        assert quality(engine, rules) == []
        assert rows(engine, MissingFromSnapshot.case_ref) == [("C-2",)]

    def test_the_next_snapshot_replaces_the_list(self, engine: Engine, inbox: Inbox,
                                                 rules: dict[str, Timeline]) -> None:
        inbox.put("leads.csv", LEADS)
        inbox.put("cases.csv", CASES)
        inbox.put("cases-snapshot-1.csv", SNAPSHOT_OF_C1)
        run(engine, inbox, rules)
        inbox.put("cases-snapshot-2.csv", CASES.replace("2026-11-18,2026-11-30",
                                                        "2026-11-18,"))
        intake = run(engine, inbox, rules)
        assert intake.taken[0].lines == [
            "Imported 3 cases from cases-snapshot-2.csv.",
            "Snapshot: every open case in the store is in it."]
        assert intake.as_json()["files"][0]["missing_from_snapshot"] == 0
        assert inbox_lines(intake.as_json()) == [
            "- imported: cases-snapshot-2.csv, moved to archive/cases-snapshot-2.csv"]
        assert rows(engine, MissingFromSnapshot.case_ref) == []
        assert quality(engine, rules) == []

    def test_a_snapshot_by_the_mapping(self, engine: Engine, inbox: Inbox,
                                       rules: dict[str, Timeline], tmp_path: Path) -> None:
        mapping = tmp_path / "snapshots.yaml"
        mapping.write_text(MAPPING.replace("  cases:\n", "  cases:\n    snapshot: true\n"),
                           encoding="utf-8")
        inbox.put("leads.csv", LEADS)
        inbox.put("cases.csv", CASES)
        run(engine, inbox, rules)
        inbox.put("cases-2026-12-06.csv", "ID,NAME,TEAM,WORKER,START,END\n"
                                          "C-1,Ari Sample,North,sw-1,16/11/2026,\n")
        intake = run(engine, inbox, rules, mapping)
        assert intake.taken[0].lines == ["Imported 1 case from cases-2026-12-06.csv.",
                                         MISSING_C2]
        assert [item.case_ref for item in quality(engine, rules)] == ["C-2"]

    def test_only_a_cases_file_is_a_snapshot(self, engine: Engine, inbox: Inbox,
                                             rules: dict[str, Timeline]) -> None:
        inbox.put("leads.csv", LEADS)
        inbox.put("cases.csv", CASES)
        inbox.put("events-snapshot.csv", "case_ref,milestone,occurred_on\n"
                                         "C-1,review,2026-11-20\n")
        intake = run(engine, inbox, rules)
        assert [(file.name, file.outcome, file.lines) for file in intake.refused] == [
            ("events-snapshot.csv", REFUSED,
             [("events-snapshot.csv: only a cases file can be a snapshot (every open case), "
              "not a file of events")])]


class TestSnapshotLines:
    """The import names at most ten of the open cases a snapshot did not hold (data quality
    lists every one)."""

    def test_named(self) -> None:
        done = imports.Imported("cases", 1, missing=["C-1", "C-2"])
        assert done.lines("s.csv") == [
            "Imported 1 case from s.csv.",
            ("2 open cases in the store are not in this snapshot: C-1, C-2; listed under data "
             "quality until a snapshot holds them or they are closed (closed_on), never closed "
             "here.")]

    def test_at_most_ten(self) -> None:
        done = imports.Imported("cases", 3, missing=[f"C-{n:02}" for n in range(1, 13)])
        assert done.lines("s.csv")[1] == (
            "12 open cases in the store are not in this snapshot: C-01, C-02, C-03, C-04, C-05, "
            "C-06, C-07, C-08, C-09, C-10 and 2 more; listed under data quality until a "
            "snapshot holds them or they are closed (closed_on), never closed here.")

    def test_not_a_snapshot(self) -> None:
        assert imports.Imported("cases", 3).lines("c.csv") == ["Imported 3 cases from c.csv."]


class TestSnapshotQuality:
    """The item is about the as-of date: from the snapshot's day, while the case is open."""

    def facts(self, closed_on: date | None = None) -> CaseFacts:
        return CaseFacts("C-7", "drift-test", "south", "sw-2", date(2026, 1, 5), closed_on,
                         {}, missing_from_snapshot=("import cases.csv", date(2026, 3, 2)))

    @pytest.mark.parametrize(("as_of", "closed_on", "listed"), [
        (date(2026, 3, 1), None, False), (date(2026, 3, 2), None, True),
        (date(2027, 1, 1), None, True), (date(2026, 4, 1), date(2026, 4, 1), False),
        (date(2026, 3, 31), date(2026, 4, 1), True)])
    def test_listed(self, as_of: date, closed_on: date | None, listed: bool) -> None:
        assert bool(snapshot_quality([self.facts(closed_on)], as_of)) is listed

    def test_not_missing(self) -> None:
        assert snapshot_quality([self.facts()._replace(missing_from_snapshot=None)],
                                date(2026, 6, 1)) == []


class TestByHand:
    """`permanence import cases FILE --snapshot`, `import inbox --map`, and the item in
    `permanence measures`."""

    def test_import_cases_snapshot_and_measures(self, db_url: str, drift_rules: Path,
                                                tmp_path: Path) -> None:
        base = ["--db", db_url, "--rules", str(drift_rules)]
        for name, text in (("leads.csv", LEADS), ("cases.csv", CASES),
                           ("snapshot.csv", SNAPSHOT_OF_C1)):
            (tmp_path / name).write_text(text, encoding="utf-8")
        assert runner.invoke(app, [*base, "init"]).exit_code == 0
        assert runner.invoke(app, [*base, "import", "leads", str(tmp_path / "leads.csv")]
                             ).exit_code == 0
        assert runner.invoke(app, [*base, "import", "cases", str(tmp_path / "cases.csv")]
                             ).exit_code == 0
        result = runner.invoke(app, [*base, "import", "cases", str(tmp_path / "snapshot.csv"),
                                     "--snapshot"])
        assert (result.exit_code, result.stderr) == (0, "")
        assert result.stdout.replace("\n", " ").split() == (
            f"Imported 1 case from {tmp_path / 'snapshot.csv'}. {MISSING_C2}").split()
        measured = runner.invoke(app, [*base, "measures", "--as-of", TODAY.isoformat(),
                                       "--format", "json"])
        assert measured.exit_code == 0
        assert [item for item in json.loads(measured.stdout)["data_quality"]
                if item["kind"] == "missing_from_snapshot"] == [{
            "kind": "missing_from_snapshot", "case_ref": "C-2", "team": "north",
            "timeline": "drift-test", "milestone": None,
            "detail": ("open here, but missing from the snapshot of every open case imported "
                       f"on {service_today()} (import snapshot.csv): if the child has left "
                       "care, import the case with its closed_on; if not, check the extract")}]
        refused = runner.invoke(app, [*base, "import", "events", str(tmp_path / "cases.csv"),
                                      "--snapshot"])
        assert refused.exit_code == 2  # no such option for events

    def test_import_inbox_with_map(self, sqlite_url: str, drift_rules: Path, tmp_path: Path,
                                   mapping: Path) -> None:
        folder = tmp_path / "inbox"
        folder.mkdir()
        (folder / "leads.csv").write_text(LEADS, encoding="utf-8")
        (folder / "cases-1.csv").write_text(SOURCE_CASES, encoding="utf-8")
        base = ["--db", sqlite_url, "--rules", str(drift_rules)]
        assert runner.invoke(app, [*base, "init"]).exit_code == 0
        result = runner.invoke(app, [*base, "import", "inbox", str(folder), "--map",
                                     str(mapping)])
        assert (result.exit_code, result.stderr) == (0, "")
        assert result.stdout.splitlines() == [
            "Imported 2 leads from leads.csv.", "leads.csv: moved to archive/leads.csv",
            "Imported 2 cases from cases-1.csv.", "cases-1.csv: moved to archive/cases-1.csv"]
        (folder / "events-1.csv").write_text(SOURCE_EVENTS, encoding="utf-8")
        by_environment = runner.invoke(app, [*base, "import", "inbox", str(folder)],
                                       env={"PERMANENCE_INBOX_MAP": str(mapping)})
        assert by_environment.stdout.splitlines()[0] == "Imported 1 event from events-1.csv."


@pytest.fixture
def receiver() -> Iterator[JsonReceiver]:
    with JsonReceiver() as running:
        yield running


class TestDailyCheck:
    """The check reads PERMANENCE_INBOX_MAP's mapping (CheckConfig.inbox_map) for its inbox."""

    def test_mapped_inbox_in_the_check(self, prefect_harness: None, sqlite_url: str,
                                       drift_rules: Path, tmp_path: Path, mapping: Path,
                                       receiver: JsonReceiver) -> None:
        from permanence.check import run_check
        from permanence.config import CheckConfig

        authority: Authority
        for authority in _authority(sqlite_url, drift_rules, str(tmp_path / "inbox"),
                                    receiver):
            authority.put("leads.csv", authority.leads())
            authority.put("cases-2026-11-20.csv", SOURCE_CASES)
            authority.put("events-2026-11-20.csv", SOURCE_EVENTS)
            summary = run_check(CheckConfig(db=sqlite_url, rules=(drift_rules,),
                                            inbox=authority.inbox, inbox_map=str(mapping)),
                                date(2026, 11, 23))
            assert summary.inbox is not None
            assert [(file["name"], file["outcome"]) for file in summary.inbox["files"]] == [
                ("leads.csv", IMPORTED), ("cases-2026-11-20.csv", IMPORTED),
                ("events-2026-11-20.csv", IMPORTED)]
            assert authority.rows(InboxFile.kind) == [("cases",), ("events",), ("leads",)]
