"""The command line end to end, on SQLite and PostgreSQL: exit codes and whole messages."""

from __future__ import annotations

import csv
import io
import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest
from conftest import load_sample
from sqlmodel import Session, select
from typer.testing import CliRunner

from permanence import store
from permanence.cli import app
from permanence.models import Case, MilestoneEvent
from permanence.timelines import Timeline

runner = CliRunner()
MAPPINGS = ("completions", "not_applicable", "occurrences", "planned", "extensions")


def run(db: str, *args: str, rules: list[Path] | None = None):
    extra = [item for path in rules or [] for item in ("--rules", str(path))]
    return runner.invoke(app, ["--db", db, *extra, *args], catch_exceptions=False)


@contextmanager
def session_on(url: str) -> Iterator[Session]:
    engine = store.make_engine(url)
    try:
        with Session(engine) as session:
            yield session
    finally:
        engine.dispose()


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


class TestHelp:
    """`permanence --help` lists the commands in the order of a day's work, each described in
    a line that is whole at 80 columns."""

    def test_order_and_whole_descriptions(self) -> None:
        from permanence.cli import COMMAND_ORDER

        result = runner.invoke(app, ["--help"], terminal_width=80)
        listed = result.stdout.split("Commands:\n", 1)[1].splitlines()
        names = [line.split()[0] for line in listed if line.strip()]
        assert names[:4] == ["demo", "examples", "init", "import"]
        assert names == [name for name in COMMAND_ORDER if name in names]
        assert {"status", "check", "serve", "web", "user", "report", "purge"} <= set(names)
        assert not [line for line in listed if line.rstrip().endswith("...")]


class TestInit:
    """`init` creates the schema and is safe to run again."""

    def test_twice(self, db_url: str) -> None:
        first, second = run(db_url, "init"), run(db_url, "init")
        assert first.exit_code == second.exit_code == 0
        assert second.stdout.startswith("Store ready: ")

    def test_other_commands_need_it(self, sqlite_url: str) -> None:
        result = run(sqlite_url, "status", "--as-of", "2026-11-16")
        assert result.exit_code == 1
        assert "is not initialised" in result.stderr
        assert result.stderr.rstrip().endswith("run `permanence init` first")

    def test_bad_url(self) -> None:
        result = run("mysql://x/y", "init")
        assert result.exit_code == 1
        assert result.stderr == ("--db 'mysql://x/y': only sqlite:/// and postgresql:// "
                                 "URLs are supported\n")

    @pytest.mark.parametrize("url", ["mysql://root:S3cretPw@db.example.org/permanence",
                                     "postgres//root:S3cretPw@db.example.org/permanence",
                                     "::root:S3cretPw@"])
    def test_refusals_never_show_the_password(self, url: str) -> None:
        result = run(url, "init")
        assert result.exit_code == 1 and result.stderr.startswith("--db")
        assert "S3cretPw" not in result.output

    @pytest.mark.parametrize("spelling", ["postgres", "postgresql", "postgresql+psycopg2",
                                          "postgresql+asyncpg"])
    def test_every_postgresql_spelling_works(self, postgresql_url: str, spelling: str) -> None:
        url = spelling + postgresql_url[postgresql_url.index("://"):]
        result = run(url, "init")
        assert (result.exit_code, result.stderr) == (0, "")
        assert "Store ready: postgresql+psycopg://permanence:***@" in result.stdout


class TestImport:
    """Imports are all or nothing and report every bad row with its line."""

    def test_sample_counts(self, loaded: str, examples: Path,
                           timelines: dict[str, Timeline]) -> None:
        with session_on(loaded) as session:
            facts = store.load_case_facts(session=session, timelines=timelines)
        lines = len(list(csv.DictReader(io.StringIO((examples / "cases.csv").read_text()))))
        assert len(facts) == lines

    def test_sample_reads_back_as_the_tests_read_it(self, loaded: str, examples: Path,
                                                    timelines: dict[str, Timeline]) -> None:
        """The snapshot and report tests read the sample CSVs without a store (conftest's
        load_sample); what the imports store must read back the same, kinds, booked dates,
        pauses, extensions and sibling groups included."""
        with session_on(loaded) as session:
            stored = store.load_case_facts(session=session, timelines=timelines)
        read = sorted(load_sample(examples, timelines).facts)
        assert [fact._replace(**{field: dict(getattr(fact, field)) for field in MAPPINGS})
                for fact in stored] == [
            fact._replace(**{field: dict(getattr(fact, field)) for field in MAPPINGS})
            for fact in read]

    def test_bad_rows_change_nothing(self, loaded: str, tmp_path: Path) -> None:
        before = run(loaded, "status", "--as-of", "2026-11-16", "--format", "json").stdout
        bad = write(tmp_path / "events.csv",
                    "case_ref,milestone,occurred_on\n"
                    "C-1002,panel,2026-11-02\n"
                    "C-9999,panel,2026-11-02\n"
                    "C-1002,no_such_step,2026-11-02\n"
                    "C-1002,panel,2026-02-30\n"
                    "C-1002,panel,2099-01-01\n"
                    "C-1002,panel,1999-01-01\n")
        result = run(loaded, "import", "events", str(bad))
        assert result.exit_code == 1
        lines = result.stderr.splitlines()
        assert lines[0] == f"{bad}:3: unknown case 'C-9999'"
        assert lines[1].startswith(f"{bad}:4: unknown milestone 'no_such_step' for timeline ")
        assert lines[2] == f"{bad}:5: occurred_on '2026-02-30' is not a real date"
        assert lines[3].startswith(f"{bad}:6: occurred_on 2099-01-01 is in the future")
        assert lines[4].startswith(f"{bad}:7: occurred_on 1999-01-01 is before case C-1002 "
                                   "became looked after")
        assert lines[5] == f"{bad}: nothing imported; 5 bad rows to fix"
        assert run(loaded, "status", "--as-of", "2026-11-16", "--format", "json").stdout == before

    def test_missing_column(self, loaded: str, tmp_path: Path) -> None:
        bad = write(tmp_path / "cases.csv", "case_ref,timeline,team\nC-1,x,north\n")
        result = run(loaded, "import", "cases", str(bad))
        assert result.exit_code == 1
        assert result.stderr == (f"{bad}:1: missing columns social_worker, looked_after_on; the "
                                 "header must have case_ref, timeline, team, social_worker, "
                                 "looked_after_on\n")

    def test_missing_file(self, loaded: str, tmp_path: Path) -> None:
        result = run(loaded, "import", "leads", str(tmp_path / "nope.csv"))
        assert result.exit_code == 1
        assert result.stderr == f"{tmp_path / 'nope.csv'}: no such file\n"

    def test_cases_refusals(self, loaded: str, tmp_path: Path) -> None:
        bad = write(tmp_path / "cases.csv",
                    "\ufeffcase_ref,timeline,team,social_worker,looked_after_on,date_of_birth,extra\n"
                    "C-2001,scotland-adoption,north,sw-north-1,2026-01-05,2020-01-01,x\n"
                    "C-2001,scotland-adoption,north,sw-north-1,2026-01-05,,\n"
                    "C-2002,mars-route,north,nobody,2026-13-01,,\n"
                    "C-2003,scotland-adoption,north,sw-north-1,2026-01-05,2026-02-01,\n")
        result = run(loaded, "import", "cases", str(bad))
        assert result.exit_code == 1
        assert result.stderr.splitlines() == [
            f"warning: {bad}: column 'extra' is not used and was ignored",
            f"{bad}:3: case_ref 'C-2001' appears twice in this file (first on line 2)",
            (f"{bad}:4: unknown timeline 'mars-route' (known: england-adoption, "
             "england-adoption-return, england-looked-after, scotland-adoption, "
             "scotland-permanence-order); social_worker 'nobody' is not a known lead_id; import "
             "the leads first; looked_after_on '2026-13-01' is not a real date"),
            f"{bad}:5: date_of_birth 2026-02-01 is after looked_after_on 2026-01-05",
            f"{bad}: nothing imported; 3 bad rows to fix",
        ]

    def test_unknown_column_warns(self, loaded: str, tmp_path: Path) -> None:
        good = write(tmp_path / "cases.csv",
                     "case_ref,timeline,team,social_worker,looked_after_on,colour\n"
                     "C-2001,scotland-adoption,north,sw-north-1,2026-01-05,blue\n")
        result = run(loaded, "import", "cases", str(good))
        assert result.exit_code == 0
        assert result.stderr == f"warning: {good}: column 'colour' is not used and was ignored\n"
        assert result.stdout == f"Imported 1 case from {good}.\n"

    def test_existing_case_is_updated(self, loaded: str, tmp_path: Path) -> None:
        update = write(tmp_path / "cases.csv",
                       "case_ref,timeline,team,social_worker,looked_after_on,closed_on\n"
                       "C-1002,scotland-permanence-order,north,sw-north-1,2025-02-03,2026-11-01\n")
        assert run(loaded, "import", "cases", str(update)).exit_code == 0
        rows = json.loads(run(loaded, "status", "--as-of", "2026-11-16", "--format",
                              "json").stdout)
        assert "C-1002" not in {row["case_ref"] for row in rows}


class TestRecord:
    """`record` stores a completion; a correction keeps the old date in the history."""

    def test_record_and_correct(self, loaded: str) -> None:
        first = run(loaded, "record", "C-1040", "panel", "--on", "2026-11-10", "--note", "first")
        assert first.exit_code == 0, first.output
        assert first.stdout == "Recorded panel for C-1040 on 2026-11-10.\n"
        second = run(loaded, "record", "C-1040", "panel", "--on", "2026-11-12")
        assert second.stdout == ("Recorded panel for C-1040 on 2026-11-12 (replaces 2026-11-10, "
                                 "kept in the history).\n")
        with session_on(loaded) as session:
            history = session.exec(select(MilestoneEvent.occurred_on, MilestoneEvent.source).where(
                MilestoneEvent.case_ref == "C-1040", MilestoneEvent.milestone == "panel")).all()
        assert [tuple(row) for row in history] == [(date(2026, 11, 10), "record"),
                                                   (date(2026, 11, 12), "record")]

    def test_history_shows_corrections(self, loaded: str) -> None:
        run(loaded, "record", "C-1040", "panel", "--on", "2026-11-10", "--note", "first")
        run(loaded, "record", "C-1040", "panel", "--on", "2026-11-12", "--note", "corrected")
        result = run(loaded, "history", "C-1040", "--milestone", "panel")
        assert result.exit_code == 0, result.output
        lines = [line for line in result.stdout.splitlines() if "│ panel" in line]
        assert ["2026-11-10" in lines[0], "first" in lines[0]] == [True, True]
        assert ["2026-11-12" in lines[1], "corrected" in lines[1]] == [True, True]
        assert "C-1040: no daily check has run on this case yet." in result.stdout

    @pytest.mark.parametrize(("args", "message"), [
        (["C-0000", "panel"], "unknown case 'C-0000'\n"),
        (["C-1040", "moon_landing"], "unknown milestone 'moon_landing' for timeline "),
        (["C-1040", "panel", "--on", "2026-02-30"], "--on '2026-02-30' is not a real date\n"),
        (["C-1040", "panel", "--on", "tomorrow"],
         "--on 'tomorrow' is not a date in the form YYYY-MM-DD\n"),
    ])
    def test_refusals(self, loaded: str, args: list[str], message: str) -> None:
        result = run(loaded, "record", *args)
        assert result.exit_code == 1
        assert result.stderr.startswith(message)
        assert "Traceback" not in result.output


class TestStatus:
    """`status` lists every open case's milestones in case then rule-file order."""

    def test_json_is_written_as_one_indented_document(self, loaded: str) -> None:
        """Written a row at a time, the text is still what json.dumps(indent=1) gives."""
        for day in ("2026-11-16", "2025-01-20"):
            text = run(loaded, "status", "--as-of", day, "--format", "json").stdout
            assert text == json.dumps(json.loads(text), indent=1) + "\n"
        empty = run(loaded, "status", "--as-of", "2025-01-01", "--format", "json").stdout
        assert empty == "[]\n"

    def test_json_matches_contract(self, loaded: str, timelines) -> None:
        result = run(loaded, "status", "--as-of", "2026-11-16", "--format", "json")
        assert result.exit_code == 0
        rows = json.loads(result.stdout)
        assert set(rows[0]) == {"case_ref", "team", "timeline", "milestone", "title", "status",
                                "due", "completed_on", "days_overdue", "owner", "escalated_to",
                                "at_risk", "original_due", "sibling_group"}
        refs = [row["case_ref"] for row in rows]
        assert refs == sorted(refs)
        for ref in set(refs):
            mine = [row for row in rows if row["case_ref"] == ref]
            assert [row["milestone"] for row in mine] == list(
                timelines[mine[0]["timeline"]].milestone_ids)
        red = [row for row in rows if row["status"] == "red"]
        assert red and all(row["days_overdue"] > 0 for row in red)
        assert any(row["escalated_to"] for row in red)

    def test_team_filter_and_formats_agree(self, loaded: str) -> None:
        as_json = json.loads(run(loaded, "status", "--as-of", "2026-11-16", "--team", "south",
                                 "--format", "json").stdout)
        as_csv = list(csv.DictReader(io.StringIO(run(
            loaded, "status", "--as-of", "2026-11-16", "--team", "south", "--format",
            "csv").stdout)))
        assert {row["team"] for row in as_json} == {"south"}
        assert [(r["case_ref"], r["milestone"], r["status"]) for r in as_json] == [
            (r["case_ref"], r["milestone"], r["status"]) for r in as_csv]

    def test_table(self, loaded: str) -> None:
        result = run(loaded, "status", "--as-of", "2026-11-16")
        assert result.exit_code == 0
        assert "Permanence milestones as of 2026-11-16" in result.stdout
        assert "open cases:" in result.stdout

    def test_red_and_amber_only(self, loaded: str) -> None:
        """On 16 November the sample has 17 red and 5 amber milestones on 19 cases."""
        rows = json.loads(run(loaded, "status", "--as-of", "2026-11-16", "--status",
                              "red, amber", "--format", "json").stdout)
        assert sorted(row["status"] for row in rows) == ["amber"] * 5 + ["red"] * 17
        assert len({row["case_ref"] for row in rows}) == 19
        table = run(loaded, "status", "--as-of", "2026-11-16", "--status", "red,amber").stdout
        assert table.rstrip().endswith("19 cases shown: 5 amber, 17 red")

    def test_one_leads_red_milestones_by_title_and_name(self, loaded: str) -> None:
        """Fraser Demo (tl-north) is escalated to on nine red milestones, on eight cases: the
        table names the steps and people; JSON keeps the ids."""
        rows = json.loads(run(loaded, "status", "--as-of", "2026-11-16", "--status", "red",
                              "--lead", "tl-north", "--format", "json").stdout)
        assert [(row["case_ref"], row["milestone"]) for row in rows] == [
            ("C-1006", "legal_advice"), ("C-1008", "panel"), ("C-1010", "health_assessment"),
            ("C-1012", "permanence_recommendation"), ("C-1018", "consent_certificate_returned"),
            ("C-1022", "panel"), ("C-1024", "lac_review"), ("C-1033", "matched"),
            ("C-1033", "placed_with_adopters")]
        assert all("tl-north" in row["escalated_to"] for row in rows)
        table = run(loaded, "status", "--as-of", "2026-11-16", "--status", "red", "--lead",
                    "tl-north").stdout
        assert "Child moved in with the adoptive family" in table
        assert "Fraser Demo, Niamh Demo" in table and "tl-north" not in table
        assert table.rstrip().endswith("8 cases shown: 9 red")

    def test_bad_status_and_lead(self, loaded: str) -> None:
        result = run(loaded, "status", "--status", "red,purple")
        assert (result.exit_code, result.stderr) == (1, (
            "--status 'red,purple': expected statuses separated by commas, from: done, late, "
            "waiting, green, amber, red, paused, n/a\n"))
        result = run(loaded, "status", "--lead", "tl-nowhere")
        assert (result.exit_code, result.stderr) == (
            1, "--lead 'tl-nowhere': no lead has that id\n")

    def test_bad_as_of(self, loaded: str) -> None:
        result = run(loaded, "status", "--as-of", "16/11/2026")
        assert result.exit_code == 1
        assert result.stderr == "--as-of '16/11/2026' is not a date in the form YYYY-MM-DD\n"

    def test_user_rules_replace_builtin(self, loaded: str, tmp_path: Path) -> None:
        rules = write(tmp_path / "po.yaml", """\
timeline: scotland-permanence-order
title: Local permanence order route
jurisdiction: scotland
version: "local-1"
milestones:
  - id: looked_after
    title: Looked after
  - id: permanence_recommendation
    title: Permanence recommended
    after: looked_after
    within: 9 months
""")
        rows = json.loads(run(loaded, "status", "--as-of", "2026-11-16", "--format", "json",
                              rules=[rules]).stdout)
        po = {row["milestone"] for row in rows if row["timeline"] == "scotland-permanence-order"}
        assert po == {"looked_after", "permanence_recommendation"}


class TestTimeline:
    """`timeline` shows one child's milestones in order."""

    def test_shows_every_milestone(self, loaded: str, timelines) -> None:
        result = run(loaded, "timeline", "C-1001", "--as-of", "2026-11-16")
        assert result.exit_code == 0
        assert result.stdout.startswith("C-1001  ")
        for milestone in timelines["scotland-permanence-order"].milestones:
            assert milestone.title.split()[0] in result.stdout

    def test_unknown_case(self, loaded: str) -> None:
        result = run(loaded, "timeline", "C-0000")
        assert result.exit_code == 1
        assert result.stderr == "unknown case 'C-0000'\n"


class TestRulesValidate:
    """`rules validate` exits 0 for good files, else one line per problem."""

    def test_builtins_are_valid(self) -> None:
        from permanence.rules import BUILTIN_RULES_DIR
        result = runner.invoke(app, ["rules", "validate", str(BUILTIN_RULES_DIR)])
        assert result.exit_code == 0
        assert result.stdout.count(": ok (") == 5
        assert ("england-adoption-return.yaml: ok (england-adoption-return 2026.3, "
                "10 milestones, 5 record-only)\n") in result.stdout
        assert "england-looked-after.yaml: ok (england-looked-after 2026.3, 4 milestones)\n" \
            in result.stdout

    def test_bad_file(self, tmp_path: Path) -> None:
        bad = write(tmp_path / "bad.yaml", """\
timeline: x
title: X
jurisdiction: wales
version: "1"
milestones:
  - id: start
    title: Start
  - id: next
    title: Next
    after: start
    within: 8 dayz
""")
        result = runner.invoke(app, ["rules", "validate", str(bad)])
        assert result.exit_code == 1
        assert result.stderr.splitlines() == [
            (f"{bad}:3: field 'jurisdiction': expected one of scotland | england-and-wales | "
            "northern-ireland, got 'wales'"),
            (f"{bad}:11: milestone 'next', field 'within': expected a duration like '8 days', "
            "'10 working days', '6 weeks' or '6 months', got '8 dayz'"),
        ]


class TestReviewedMistakes:
    """Mistakes found by trying the tool as a new user: each ends in one plain sentence."""

    def test_store_that_is_not_a_database(self, tmp_path: Path) -> None:
        junk = write(tmp_path / "junk.db", "hello")
        result = run(f"sqlite:///{junk}", "init")
        assert result.exit_code == 1
        assert result.stderr == f"cannot open the store sqlite:///{junk}: file is not a database\n"

    def test_cases_on_an_unloaded_timeline_are_not_dropped(self, loaded: str,
                                                           tmp_path: Path) -> None:
        rules = write(tmp_path / "local.yaml", """\
timeline: local-route
jurisdiction: scotland
version: "1"
milestones:
  - id: start
    title: Start
  - id: plan
    title: Plan
    after: start
    within: 4 weeks
""")
        cases = write(tmp_path / "cases.csv",
                      "case_ref,timeline,team,social_worker,looked_after_on\n"
                      "L-1,local-route,north,sw-north-1,2026-10-01\n")
        assert run(loaded, "import", "cases", str(cases), rules=[rules]).exit_code == 0
        assert run(loaded, "status", "--as-of", "2026-11-16", rules=[rules]).exit_code == 0
        result = run(loaded, "status", "--as-of", "2026-11-16")
        assert result.exit_code == 1
        assert result.stderr == (
            "open cases are on timelines no rule file defines, so they were not evaluated: "
            "local-route (1 case: L-1); pass their rule files with --rules or "
            "PERMANENCE_RULES\n")

    def test_unknown_team(self, loaded: str) -> None:
        result = run(loaded, "status", "--team", "North")
        assert result.exit_code == 1
        assert result.stderr == "no case is in team 'North'; the teams are: north, south\n"

    def test_timeline_of_a_case_never_open(self, loaded: str, tmp_path: Path) -> None:
        cases = write(tmp_path / "cases.csv",
                      "case_ref,timeline,team,social_worker,looked_after_on,closed_on\n"
                      "Z-1,scotland-adoption,north,sw-north-1,2026-11-02,2026-11-02\n")
        assert run(loaded, "import", "cases", str(cases)).exit_code == 0
        result = run(loaded, "timeline", "Z-1", "--as-of", "2026-11-10")
        assert result.exit_code == 1
        assert result.stderr == ("case Z-1 was closed on 2026-11-02, the day it became looked "
                                 "after: it was never open, so it has no timeline\n")

    def test_notify_url_apprise_cannot_use(self, loaded: str, tmp_path: Path) -> None:
        leads = write(tmp_path / "leads.csv", "lead_id,name,role,team,notify\n"
                      "x-1,X,team_leader,east,foo://bar\n")
        result = run(loaded, "import", "leads", str(leads))
        assert result.exit_code == 1
        assert result.stderr.splitlines()[0].startswith(
            f"{leads}:2: notify URL 1 cannot be used: ")

    def test_case_update_cannot_strand_its_events(self, loaded: str, tmp_path: Path) -> None:
        cases = write(tmp_path / "cases.csv",
                      "case_ref,timeline,team,social_worker,looked_after_on\n"
                      "C-1006,scotland-permanence-order,north,sw-north-1,2026-07-01\n")
        result = run(loaded, "import", "cases", str(cases))
        assert result.exit_code == 1
        assert result.stderr.splitlines()[0] == (
            f"{cases}:2: case C-1006 already has health_assessment recorded on 2026-05-29, before "
            "the new looked_after_on 2026-07-01; correct that event first")

    def test_check_for_a_future_day(self, loaded: str) -> None:
        result = run(loaded, "check", "--as-of", "2062-11-17", "--no-notify")
        assert result.exit_code == 1
        assert result.stderr.startswith("--as-of 2062-11-17 is in the future (today is ")

    def test_year_typo_in_a_csv_date(self, loaded: str, tmp_path: Path) -> None:
        events = write(tmp_path / "events.csv", "case_ref,milestone,occurred_on\n"
                       "C-1006,panel,0206-11-02\n")
        result = run(loaded, "import", "events", str(events))
        assert result.exit_code == 1
        assert result.stderr.splitlines()[0] == (
            f"{events}:2: occurred_on 0206-11-02 is before 1900; check the year")


class TestSpreadsheetFormulas:
    """A case_ref or team that a spreadsheet would run as a formula comes out of every CSV the
    system writes as text, with a leading `'`: status, measures and the report's measures.csv."""

    CASE_REF = "+cmd|' /C calc'!A0"
    TEAM = '=HYPERLINK("http://example.org","x")'

    def test_every_csv_output_is_defused(self, sqlite_url: str, examples: Path,
                                         tmp_path: Path) -> None:
        assert run(sqlite_url, "init").exit_code == 0
        assert run(sqlite_url, "import", "leads", str(examples / "leads.csv")).exit_code == 0
        cases = tmp_path / "cases.csv"
        with cases.open("w", newline="") as handle:
            csv.writer(handle).writerows([
                ("case_ref", "timeline", "team", "social_worker", "looked_after_on"),
                (self.CASE_REF, "scotland-adoption", self.TEAM, "sw-north-1", "2026-01-05")])
        result = run(sqlite_url, "import", "cases", str(cases))
        assert result.exit_code == 0, result.output
        status = run(sqlite_url, "status", "--as-of", "2026-11-16", "--format", "csv")
        rows = list(csv.DictReader(io.StringIO(status.stdout)))
        assert {(row["case_ref"], row["team"]) for row in rows} == {
            ("'" + self.CASE_REF, "'" + self.TEAM)}
        measures = run(sqlite_url, "measures", "--as-of", "2026-11-16", "--format", "csv")
        assert self.TEAM not in measures.stdout.replace("'" + self.TEAM, "")
        assert run(sqlite_url, "report", "--as-of", "2026-11-16", "--out",
                   str(tmp_path / "report")).exit_code == 0
        written = (tmp_path / "report" / "measures.csv").read_text(encoding="utf-8")
        assert self.TEAM not in written.replace("'" + self.TEAM, "")
        cells = [cell for row in csv.reader(io.StringIO(written)) for cell in row]
        assert [cell for cell in cells if cell.startswith(("=", "+", "@"))] == []


class TestPersonalData:
    """The store holds children's names and dates of birth: a SQLite store is readable by its
    owner only, and `purge` forgets them for cases closed before a date, keeping milestones."""

    def test_init_makes_the_store_private(self, tmp_path: Path) -> None:
        path = tmp_path / "permanence.db"
        assert run(f"sqlite:///{path}", "init").exit_code == 0
        assert path.stat().st_mode & 0o777 == 0o600

    def test_purge_keeps_milestones(self, sqlite_url: str, examples: Path,
                                    tmp_path: Path) -> None:
        assert run(sqlite_url, "init").exit_code == 0
        assert run(sqlite_url, "import", "leads", str(examples / "leads.csv")).exit_code == 0
        cases = write(tmp_path / "cases.csv",
                      "case_ref,timeline,team,social_worker,looked_after_on,child_name,"
                      "date_of_birth,closed_on\n"
                      "P-1,scotland-adoption,north,sw-north-1,2025-01-06,Ann A,2020-01-01,"
                      "2026-03-01\n"
                      "P-2,scotland-adoption,north,sw-north-1,2025-01-06,Ben B,2020-01-01,"
                      "2026-09-01\n"
                      "P-3,scotland-adoption,north,sw-north-1,2025-01-06,Cat C,2020-01-01,\n")
        assert run(sqlite_url, "import", "cases", str(cases)).exit_code == 0
        assert run(sqlite_url, "record", "P-1", "health_assessment", "--on",
                   "2025-01-20").exit_code == 0
        result = run(sqlite_url, "purge", "--closed-before", "2026-06-01")
        assert (result.exit_code, result.stdout) == (0, (
            "Removed the names and dates of birth of 1 child whose cases closed before "
            "2026-06-01; their milestones are kept.\n"))
        with session_on(sqlite_url) as session:
            rows = session.exec(select(Case.case_ref, Case.child_name, Case.date_of_birth)
                                .order_by(Case.case_ref)).all()
            events = session.exec(select(MilestoneEvent.case_ref)).all()
        assert rows == [("P-1", None, None), ("P-2", "Ben B", date(2020, 1, 1)),
                        ("P-3", "Cat C", date(2020, 1, 1))]
        assert events == ["P-1"]
        again = run(sqlite_url, "purge", "--closed-before", "2026-06-01")
        assert again.stdout.startswith("Removed the names and dates of birth of 0 children")
        bad = run(sqlite_url, "purge", "--closed-before", "June")
        assert (bad.exit_code, bad.stderr) == (
            1, "--closed-before 'June' is not a date in the form YYYY-MM-DD\n")


class TestTerminalOutput:
    """A store that already holds an escape sequence (written before imports refused them, or by
    hand) never sends it to the terminal raw: status, timeline and history show it escaped."""

    def test_stored_escape_sequences_are_shown_escaped(self, sqlite_url: str,
                                                       examples: Path) -> None:
        assert run(sqlite_url, "init").exit_code == 0
        for kind in ("leads", "cases", "events"):
            assert run(sqlite_url, "import", kind, str(examples / f"{kind}.csv")).exit_code == 0
        hostile = "\x1b]2;owned\x07north\u202e"
        with session_on(sqlite_url) as session:
            case = session.get(Case, "C-1001")
            assert case is not None
            case.team = hostile
            session.add(case)
            session.commit()
        outputs = [run(sqlite_url, "status", "--as-of", "2026-11-16", "--team", hostile),
                   run(sqlite_url, "timeline", "C-1001", "--as-of", "2026-11-16"),
                   run(sqlite_url, "history", "C-1001")]
        for result in outputs:
            assert result.exit_code == 0, result.output
            assert "\x1b" not in result.output and "\u202e" not in result.output
        assert r"\x1b]2;owned\x07north\u202e" in outputs[1].output


class TestCalendarEdges:
    """Every command that takes a date answers in one plain line across the whole calendar,
    never a traceback: inside the range it works, outside it says the range."""

    @pytest.mark.parametrize("day", ["0001-01-01", "1899-12-31", "1900-01-01", "2026-02-28",
                                     "9899-12-31", "9900-01-01", "9999-12-31"])
    @pytest.mark.parametrize("command", [["status"], ["measures"], ["timeline", "C-1001"],
                                         ["report", "--out", "{tmp}"], ["check", "--no-notify"]])
    def test_every_command_every_date(self, prefect_harness: None, sample_store: str,
                                      tmp_path: Path, day: str,
                                      command: list[str]) -> None:
        args = [part.replace("{tmp}", str(tmp_path / "report")) for part in command]
        result = runner.invoke(app, ["--db", sample_store, *args, "--as-of", day])
        assert result.exception is None or isinstance(result.exception, SystemExit), (
            result.exception)
        assert result.exit_code in (0, 1)
        if result.exit_code == 1:
            assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        if not "1900-01-01" <= day <= "9899-12-31":
            assert result.stderr == (f"--as-of {day} is outside the dates this tool works with "
                                     "(1900-01-01 to 9899-12-31); check the year\n")


@pytest.fixture(scope="module")
def sample_store(tmp_path_factory: pytest.TempPathFactory, sample_sqlite: Path) -> str:
    """A copy of the sample's SQLite store for the module's read-mostly tests."""
    path = tmp_path_factory.mktemp("sample") / "permanence.db"
    shutil.copy2(sample_sqlite, path)
    return f"sqlite:///{path}"
