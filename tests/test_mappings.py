"""Mappings (permanence.mappings): a source system's own export read as the engine's CSV files.

First the pure parts (date forms, mapping files and every error in them, rows translated,
problems said in the source's words), then `permanence import KIND FILE --map MAPPING` end to
end on SQLite and PostgreSQL with the two example mappings in examples/mappings/ and with
files that break each kind of rule.
"""

from __future__ import annotations

import io
import json
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select
from sqlmodel import Session
from typer.testing import CliRunner

from permanence import csvfiles, store
from permanence.cli import app
from permanence.clock import service_today
from permanence.errors import MappingFileError
from permanence.mappings import DateFormat, is_snapshot_name, load_mapping, parse_mapping
from permanence.models import Case, CasePause, Lead, MilestoneEvent
from permanence.translate import in_source_words, read_source, translate

runner = CliRunner()
EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "mappings"
MOSAIC = EXAMPLES / "mosaic-like"
LIQUIDLOGIC = EXAMPLES / "liquidlogic-like"


class TestDateFormat:
    """A date form names the year `yyyy`, the month `mm` (1 or 2 digits) or `mon` (Jan ...
    Dec, any case), the day `dd` (1 or 2 digits), then maybe a time of day (`hh`, `mm`, `ss`,
    read and ignored); anything else is written as it is."""

    @pytest.mark.parametrize(("form", "text", "day"), [
        ("dd/mm/yyyy", "23/11/2026", date(2026, 11, 23)),
        ("dd/mm/yyyy", "1/2/2026", date(2026, 2, 1)),
        ("mm/dd/yyyy", "11/23/2026", date(2026, 11, 23)),
        ("dd-mon-yyyy", "23-Nov-2026", date(2026, 11, 23)),
        ("dd-mon-yyyy", "05-SEP-2025", date(2025, 9, 5)),
        ("dd.mm.yyyy", "23.11.2026", date(2026, 11, 23)),
        ("yyyymmdd", "20261123", date(2026, 11, 23)),
        ("yyyy-mm-dd", "2026-11-23", date(2026, 11, 23)),
        ("dd/mm/yyyy hh:mm", "23/11/2026 14:05", date(2026, 11, 23)),
        ("yyyy-mm-ddThh:mm:ss", "2026-11-23T00:00:00", date(2026, 11, 23)),
    ])
    def test_read(self, form: str, text: str, day: date) -> None:
        assert DateFormat.parse(form).read(text) == day

    @given(st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)),
           st.sampled_from([("dd/mm/yyyy", "%d/%m/%Y"), ("mm/dd/yyyy", "%m/%d/%Y"),
                            ("dd-mon-yyyy", "%d-%b-%Y"), ("yyyymmdd", "%Y%m%d"),
                            ("dd.mm.yyyy hh:mm", "%d.%m.%Y 23:59"),
                            ("yyyy-mm-ddThh:mm:ss", "%Y-%m-%dT00:00:00")]))
    def test_every_day_reads_back(self, day: date, forms: tuple[str, str]) -> None:
        """Any day written in a form (as strftime writes it, C locale) reads back as itself."""
        form, written = forms
        assert DateFormat.parse(form).read(day.strftime(written)) == day

    @pytest.mark.parametrize(("form", "text", "problem"), [
        ("dd/mm/yyyy", "2026-11-23", "is not a date in the form dd/mm/yyyy"),
        ("dd/mm/yyyy", "23/11/26", "is not a date in the form dd/mm/yyyy"),
        ("dd/mm/yyyy", "31/02/2026", "is not a real date"),
        ("dd/mm/yyyy", "23/13/2026", "is not a real date"),
        ("dd-mon-yyyy", "23-Noo-2026", "is not a real date"),
        ("dd/mm/yyyy hh:mm", "23/11/2026", "is not a date in the form dd/mm/yyyy hh:mm"),
        ("dd/mm/yyyy hh:mm", "23/11/2026 25:00", "is not a date in the form dd/mm/yyyy hh:mm"),
    ])
    def test_refused(self, form: str, text: str, problem: str) -> None:
        with pytest.raises(ValueError, match=f"^{problem}$"):
            DateFormat.parse(form).read(text)

    @pytest.mark.parametrize(("form", "problem"), [
        ("dd/mm", "it has no year; e.g. dd/mm/yyyy"),
        ("yyyy", "it has no month or day; e.g. dd/mm/yyyy"),
        ("dd/mm/yy", ("'yy' is not a part of a date; use yyyy, mm or mon, dd (and hh, mm, ss for "
                     "a time of day after them)")),
        ("dd/dd/yyyy", "it gives the day twice"),
        ("mm/mon/dd/yyyy", "it gives the month twice"),
        ("dd/mm/yyyy hh:mm:mm", "'mm' appears twice in the time of day"),
    ])
    def test_bad_forms(self, form: str, problem: str) -> None:
        with pytest.raises(ValueError) as raised:
            DateFormat.parse(form)
        assert str(raised.value) == problem


GOOD = """\
source: Test system
date_format: dd/mm/yyyy
files:
  cases:
    snapshot: true
    columns:
      case_ref: PERSON_ID
      team: TEAM
      social_worker: WORKER
      looked_after_on: START
    values:
      team: {North Team: north}
      social_worker: {W1: sw-1}
    unmapped: {social_worker: keep}
    timeline:
      - when: {LEGAL: [E1, D1], PLAN: Adoption}
        timeline: drift-test
      - when: {PLAN: ""}
        timeline: other-test
    drop: [NAME]
  events:
    date_format: yyyy-mm-dd hh:mm
    columns: {case_ref: ID, milestone: STEP, occurred_on: DONE_AT}
    fixed: {note: from the system}
    values:
      milestone: {REV: review, LEG: legal_advice}
    unmapped: {milestone: skip}
"""


class TestMappingFile:
    """A mapping file is read whole and checked whole: every problem names the file, the line
    and the key, and says what was expected."""

    def test_good(self) -> None:
        mapping = parse_mapping(GOOD, "m.yaml")
        assert mapping.source == "Test system"
        assert list(mapping.files) == ["cases", "events"]
        cases = mapping.files["cases"]
        assert cases.snapshot is True
        assert cases.columns == {"case_ref": "PERSON_ID", "team": "TEAM",
                                 "social_worker": "WORKER", "looked_after_on": "START"}
        assert cases.source_columns == ("PERSON_ID", "TEAM", "WORKER", "START", "LEGAL", "PLAN")
        assert [(rule.timeline, dict(rule.when), rule.line) for rule in cases.timeline] == [
            ("drift-test", {"LEGAL": ("E1", "D1"), "PLAN": ("Adoption",)}, 16),
            ("other-test", {"PLAN": ("",)}, 18)]
        assert cases.drop == ("NAME",)
        assert cases.dates.text == "dd/mm/yyyy"
        events = mapping.files["events"]
        assert events.dates.text == "yyyy-mm-dd hh:mm"
        assert events.fixed == {"note": "from the system"}
        assert events.unmapped == {"milestone": "skip"}
        assert events.snapshot is False

    def test_every_problem_with_its_line_and_key(self, tmp_path: Path) -> None:
        path = tmp_path / "bad.yaml"
        path.write_text("""\
source: Test system
colour: blue
date_format: dd/mm/yy
files:
  cases:
    columns:
      case_ref: PERSON_ID
      team: TEAM
      worker: WORKER
      looked_after_on: START
    fixed:
      team: north
    values:
      social_worker: {W1: sw-1}
      team: [north]
    unmapped:
      team: ignore
    drop: [PERSON_ID, NAME]
    timeline:
      - timeline: drift-test
      - when: LEGAL
        timeline: other
      - when: {LEGAL: E1}
    snapshot: yes
  events:
    columns: {case_ref: ID, milestone: STEP, occurred_on: DATE}
    timeline: [{timeline: x}]
    snapshot: true
    date_format: 3
    sorting: none
  children:
    columns: {}
  pauses: none
""", encoding="utf-8")
        with pytest.raises(MappingFileError) as raised:
            load_mapping(path)
        assert raised.value.problems == [f"{path}:{line}: {problem}" for line, problem in [
            (2, "key 'colour': unknown key; expected one of source, note, date_format, files"),
            (3, ("key 'date_format': 'dd/mm/yy' cannot be a date form: 'yy' is not a part of a "
                "date; use yyyy, mm or mon, dd (and hh, mm, ss for a time of day after them)")),
            (5, ("files.cases: no column gives social_worker; map it under columns (or give "
                "every row one value under fixed)")),
            (9, ("files.cases.columns.worker: cases files have no column 'worker'; expected one "
                "of case_ref, timeline, team, social_worker, looked_after_on, child_name, "
                "date_of_birth, closed_on, sibling_group")),
            (12, "files.cases.fixed.team: team is also under columns (line 8); give it one way"),
            (14, ("files.cases.values.social_worker: 'social_worker' is not under columns; a "
                 "value map translates a column read from the source")),
            (15, "files.cases.values.team: expected a mapping, got a list"),
            (17, "files.cases.unmapped.team: expected one of refuse, keep, skip, got 'ignore'"),
            (18, ("files.cases.drop: 'PERSON_ID' is mapped to case_ref under columns; a column "
                 "is either read or dropped")),
            (20, ("files.cases.timeline[1]: a rule without when matches every row, so the rules "
                 "after it are never used; put it last")),
            (21, ("files.cases.timeline[2].when: expected a mapping of the source's columns to "
                 "a value or a list, got 'LEGAL'")),
            (23, "files.cases.timeline[3].timeline: expected a timeline name, got nothing"),
            (24, "files.cases.snapshot: expected true or false, got 'yes'"),
            (27, "files.events.timeline: only a cases file has a timeline"),
            (28, "files.events.snapshot: only a cases file can be a snapshot (every open case)"),
            (29, ("files.events.date_format: expected a date form such as dd/mm/yyyy, got 3 "
                 "(int)")),
            (30, ("files.events, key 'sorting': unknown key; expected one of columns, fixed, "
                 "values, unmapped, drop, date_format, timeline, snapshot")),
            (31, ("files.children: unknown kind of file; expected one of leads, cases, events, "
                 "pauses, extensions")),
            (33, ("files.pauses: expected a mapping with columns (and fixed, values, unmapped, "
                 "drop, date_format, timeline, snapshot), got 'none'")),
        ]]

    @pytest.mark.parametrize(("text", "problem"), [
        ("files: {}\n", [("m.yaml:1: key 'source': missing; name the system the export comes "
                         "from, e.g. source: Mosaic nightly extract"),
                         ("m.yaml:1: key 'files': expected a mapping of leads, cases, events, "
                         "pauses, extensions, got an empty mapping")]),
        ("source: ''\n", [("m.yaml:1: key 'source': expected the name of the source system, got "
                          "''"),
                          ("m.yaml:1: key 'files': missing; describe at least one of leads, "
                          "cases, events, pauses, extensions")]),
        ("- a\n", ["m.yaml:1: file: expected a mapping with source and files, got a list"]),
        ("source: a\nsource: b\n", [("m.yaml:2: YAML: found duplicate key \"source\" with value "
                                    "\"b\" (original value: \"a\")")]),
        ("source: [a\n", ["m.yaml:2: YAML: did not find expected ',' or ']'"]),
        (("source: x\nfiles:\n  pauses:\n    columns: {case_ref: ID}\n"
         "    unmapped: {reason: skip}\n"),
         [("m.yaml:3: files.pauses: no column gives paused_from; map it under columns (or give "
          "every row one value under fixed)"),
          ("m.yaml:3: files.pauses: no column gives reason; map it under columns (or give every "
          "row one value under fixed)"),
          ("m.yaml:5: files.pauses.unmapped.reason: 'reason' has no value map under values; "
          "unmapped says what a value missing from one does")]),
        (("source: x\nfiles:\n  cases:\n    columns: {case_ref: A, timeline: B, team: C, "
         "social_worker: D, looked_after_on: E}\n    timeline: [{timeline: t}]\n"),
         [("m.yaml:5: files.cases.timeline: the timeline is also under columns or fixed; give "
          "it one way")]),
        (("source: x\nfiles:\n  cases:\n    columns: {case_ref: A, team: C, social_worker: D, "
          "looked_after_on: E}\n    timeline: {a: b}\n"),
         [("m.yaml:5: files.cases.timeline: expected a list of rules, each `- when: {COLUMN: "
           "value}` with `timeline: NAME`, got a mapping")]),
    ])
    def test_whole_file_problems(self, text: str, problem: list[str]) -> None:
        with pytest.raises(MappingFileError) as raised:
            parse_mapping(text, "m.yaml")
        assert raised.value.problems == problem

    def test_no_such_file(self, tmp_path: Path) -> None:
        with pytest.raises(MappingFileError) as raised:
            load_mapping(tmp_path / "nothing.yaml")
        assert raised.value.problems == [f"{tmp_path / 'nothing.yaml'}: no such mapping file"]

    def test_a_kind_it_does_not_describe(self) -> None:
        with pytest.raises(MappingFileError) as raised:
            parse_mapping(GOOD, "m.yaml").describe("pauses")
        assert raised.value.problems == [
            ("m.yaml: the mapping describes no pauses file (it describes: cases, events); add "
            "files.pauses, or import the file without --map")]

    def test_the_examples_load(self) -> None:
        mosaic = load_mapping(MOSAIC / "mapping.yaml")
        assert mosaic.source == "Mosaic-like nightly extract (example)"
        assert list(mosaic.files) == ["cases", "events"]
        liquidlogic = load_mapping(LIQUIDLOGIC / "mapping.yaml")
        assert list(liquidlogic.files) == ["leads", "cases", "events", "pauses"]


def source_rows(text: str, name: str = "export.csv") -> tuple[str, csvfiles.CsvRows]:
    return name, csvfiles.read_csv_text(Path(name), io.StringIO(text), (), ())


class TestTranslate:
    """Rows are translated one by one: columns renamed, dates rewritten ISO, values mapped,
    the timeline picked by the first rule that matches; a row that cannot be is a problem
    naming the source file, its line and its own column."""

    def test_cases(self) -> None:
        mapping = parse_mapping(GOOD, "m.yaml").files["cases"]
        source = csvfiles.read_csv_text(Path("cases.csv"), io.StringIO(
            "PERSON_ID,NAME,TEAM,WORKER,START,LEGAL,PLAN\n"
            "P1,Ari,North Team,W1,23/11/2026,E1,Adoption\n"
            "P2,Bea,North Team,sw-2,1/2/2026,C2,\n"
            "P3,Cal,South Team,W1,2026-11-23,C2,Fostering\n"
            "P4,Dan,North Team,W1,31/11/2026,D1,Adoption\n"),
            mapping.source_columns, mapping.drop)
        done = translate(mapping, source)
        assert done.data.rows == [
            (2, {"case_ref": "P1", "team": "north", "social_worker": "sw-1",
                 "looked_after_on": "2026-11-23", "timeline": "drift-test", "child_name": "",
                 "date_of_birth": "", "closed_on": "", "sibling_group": ""}),
            (3, {"case_ref": "P2", "team": "north", "social_worker": "sw-2",
                 "looked_after_on": "2026-02-01", "timeline": "other-test", "child_name": "",
                 "date_of_birth": "", "closed_on": "", "sibling_group": ""})]
        assert done.problems == [
            ("cases.csv:4: TEAM 'South Team' is not in the mapping's values for team (m.yaml:12);"
             " add it there, or set unmapped: {team: keep} (or skip); START '2026-11-23' is not "
             "a date in the form dd/mm/yyyy; no timeline rule of the mapping matches this row "
             "(LEGAL 'C2', PLAN 'Fostering'); add a rule for it, or a last rule without when "
             "(m.yaml:16)"),
            "cases.csv:5: START '31/11/2026' is not a real date"]
        assert done.data.warnings == []  # NAME is dropped: read, never imported, no warning
        assert done.snapshot is True
        assert done.origins[3]["social_worker"] == ("WORKER", "sw-2")

    def test_events_skip_and_fixed(self) -> None:
        mapping = parse_mapping(GOOD, "m.yaml").files["events"]
        source = csvfiles.read_csv_text(Path("events.csv"), io.StringIO(
            "ID,STEP,DONE_AT,WHO\n"
            "P1,REV,2026-11-20 09:30,x\n"
            "P1,VISIT,2026-11-21 10:00,x\n"
            "P1,CALL,,x\n"
            "P1,LEG,2026-11-22 11:00,x\n"
            "P1,VISIT,2026-11-23 10:00,x\n"
            "P1,VISIT,2026-11-24 10:00,x\n"),
            mapping.source_columns, mapping.drop)
        done = translate(mapping, source)
        assert done.data.rows == [
            (2, {"case_ref": "P1", "milestone": "review", "occurred_on": "2026-11-20",
                 "note": "from the system", "kind": "", "noted_on": ""}),
            (5, {"case_ref": "P1", "milestone": "legal_advice", "occurred_on": "2026-11-22",
                 "note": "from the system", "kind": "", "noted_on": ""})]
        assert done.problems == []
        assert done.skipped == 4
        assert done.data.warnings == [
            "events.csv: column 'WHO' is not used and was ignored",
            ("events.csv: 4 rows left out: STEP not in the mapping's values, as unmapped: skip "
             "says: 'VISIT' (line 3), 'CALL' (line 4), 'VISIT' (line 6) and 1 more")]

    def test_the_import_said_in_the_source_words(self) -> None:
        mapping = parse_mapping(GOOD, "m.yaml").files["events"]
        source = csvfiles.read_csv_text(Path("events.csv"), io.StringIO(
            "ID,STEP,DONE_AT\nP1,REV,2099-01-02 00:00\n,LEG,2026-11-22 11:00\n"),
            mapping.source_columns, mapping.drop)
        done = translate(mapping, source)
        assert in_source_words([
            ("events.csv:2: occurred_on 2099-01-02 is in the future (today is 2026-12-06); "
            "unknown milestone 'review' for timeline drift-test (its milestones: a)"),
            "events.csv:3: case_ref is empty; note contains a control character",
            "events.csv: nothing imported; 2 bad rows to fix",
            "other.csv:2: occurred_on 2099-01-02 is in the future"], done) == [
            ("events.csv:2: DONE_AT '2099-01-02 00:00' (read as 2099-01-02) is in the future "
            "(today is 2026-12-06); unknown STEP 'REV' (read as 'review') for timeline "
            "drift-test (its milestones: a)"),
            "events.csv:3: ID is empty; note contains a control character",
            "events.csv: nothing imported; 2 bad rows to fix",
            "other.csv:2: occurred_on 2099-01-02 is in the future"]

    def test_a_missing_source_column_is_named(self) -> None:
        mapping = parse_mapping(GOOD, "m.yaml").files["events"]
        with pytest.raises(Exception) as raised:
            read_source(mapping, Path("events.csv"), io.StringIO("ID,STEP\nP1,REV\n"))
        assert str(raised.value) == ("events.csv:1: missing column DONE_AT; the header must "
                                     "have ID, STEP, DONE_AT")

    @pytest.mark.parametrize(("name", "snapshot"), [
        ("cases-snapshot-2026-11-23.csv", True), ("Cases_SNAPSHOT.csv", True),
        ("snapshot-cases.csv", True), ("cases-2026-11-23.csv", False),
        ("cases-snapshots.csv", False), ("cases-nosnapshot.csv", False)])
    def test_snapshot_names(self, name: str, snapshot: bool) -> None:
        assert is_snapshot_name(name) is snapshot


def cli(db_url: str, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["--db", db_url, *args])
    return result.exit_code, result.stdout, result.stderr


class TestExamplesEndToEnd:
    """The two example mappings import their sample exports through every check, on SQLite
    and PostgreSQL: names dropped, dates and codes translated, timelines picked."""

    def test_mosaic_like(self, db_url: str) -> None:
        assert cli(db_url, "init")[0] == 0
        assert cli(db_url, "import", "leads", str(EXAMPLES.parent / "leads.csv"))[0] == 0
        mapping = str(MOSAIC / "mapping.yaml")
        cases = MOSAIC / "cases-2026-11-23.csv"
        assert cli(db_url, "import", "cases", str(cases), "--map", mapping) == (
            0, (f"Imported 3 cases from {cases}.\nSnapshot: every open case in the store is in "
               "it.\n"), "")
        events = MOSAIC / "events-2026-11-23.csv"
        assert cli(db_url, "import", "events", str(events), "--map", mapping) == (
            0, f"Imported 8 events from {events}.\n",
            (f"warning: {events}: 1 row left out: STEP_CODE not in the mapping's values, as "
            "unmapped: skip says: 'VISIT' (line 4)\n"))
        engine = store.make_engine(db_url)
        with Session(engine) as session:
            assert [tuple(row) for row in session.execute(select(
                Case.case_ref, Case.timeline, Case.team, Case.social_worker,
                Case.looked_after_on, Case.date_of_birth, Case.child_name).order_by(
                Case.case_ref))] == [
                ("100234", "scotland-permanence-order", "north", "sw-north-1",
                 date(2025, 1, 13), date(2019, 6, 2), None),
                ("100235", "scotland-adoption", "south", "sw-south-1", date(2025, 2, 3),
                 date(2023, 11, 20), None),
                ("100236", "scotland-permanence-order", "north", "sw-north-2",
                 date(2026, 9, 1), date(2021, 3, 14), None)]
            assert [tuple(row) for row in session.execute(select(
                MilestoneEvent.case_ref, MilestoneEvent.milestone, MilestoneEvent.occurred_on,
                MilestoneEvent.source).order_by(MilestoneEvent.id))] == [
                ("100234", "health_assessment", date(2025, 2, 4), "import events-2026-11-23.csv"),
                ("100234", "first_review", date(2025, 2, 21), "import events-2026-11-23.csv"),
                ("100234", "second_review", date(2025, 5, 19), "import events-2026-11-23.csv"),
                ("100234", "permanence_recommendation", date(2025, 5, 19),
                 "import events-2026-11-23.csv"),
                ("100234", "legal_referral", date(2025, 5, 30), "import events-2026-11-23.csv"),
                ("100235", "health_assessment", date(2025, 2, 25),
                 "import events-2026-11-23.csv"),
                ("100235", "first_review", date(2025, 3, 10), "import events-2026-11-23.csv"),
                ("100236", "first_review", date(2026, 10, 8), "import events-2026-11-23.csv")]
        engine.dispose()
        code, out, _ = cli(db_url, "status", "--as-of", "2025-06-01", "--format", "json")
        rows = {(row["case_ref"], row["milestone"]): row for row in json.loads(out)}
        assert code == 0
        # legal_referral: 10 working days after the recommendation of Monday 19 May 2025; the
        # 26th is a Scottish bank holiday, so Tuesday 3 June; it was sent on 30 May, in time.
        assert (rows[("100234", "legal_referral")]["status"],
                rows[("100234", "legal_referral")]["due"]) == ("done", "2025-06-03")
        assert rows[("100234", "legal_referral")]["owner"] == "sw-north-1"

    def test_liquidlogic_like(self, db_url: str) -> None:
        assert cli(db_url, "init")[0] == 0
        mapping = str(LIQUIDLOGIC / "mapping.yaml")
        said = []
        for kind in ("leads", "cases", "events", "pauses"):
            path = LIQUIDLOGIC / f"{kind}-2026-11-23.csv"
            code, out, err = cli(db_url, "import", kind, str(path), "--map", mapping)
            assert (code, err) == (0, "")
            said.append(out)
        assert said == [
            f"Imported 4 leads from {LIQUIDLOGIC / 'leads-2026-11-23.csv'}.\n",
            f"Imported 2 cases from {LIQUIDLOGIC / 'cases-2026-11-23.csv'}.\n",
            f"Imported 10 events from {LIQUIDLOGIC / 'events-2026-11-23.csv'}.\n",
            f"Imported 1 pause from {LIQUIDLOGIC / 'pauses-2026-11-23.csv'}.\n"]
        engine = store.make_engine(db_url)
        with Session(engine) as session:
            assert [tuple(row) for row in session.execute(select(
                Lead.lead_id, Lead.role, Lead.team).order_by(Lead.lead_id))] == [
                ("SM-3", "service_manager", "*"), ("SW-204", "social_worker", "north"),
                ("SW-311", "social_worker", "south"), ("TM-12", "team_leader", "north")]
            assert [tuple(row) for row in session.execute(select(
                Case.case_ref, Case.timeline, Case.team, Case.looked_after_on, Case.child_name)
                .order_by(Case.case_ref))] == [
                ("LL-5001", "england-adoption", "north", date(2025, 6, 2), None),
                ("LL-5002", "england-adoption", "south", date(2026, 1, 15), None)]
            assert [tuple(row) for row in session.execute(select(
                MilestoneEvent.milestone, MilestoneEvent.kind, MilestoneEvent.occurred_on,
                MilestoneEvent.note).where(MilestoneEvent.case_ref == "LL-5001",
                                           MilestoneEvent.milestone.in_(  # type: ignore[attr-defined]
                                               ["permanence_plan", "matched"]))
                .order_by(MilestoneEvent.id))] == [
                ("permanence_plan", "done", date(2025, 9, 18),
                 "Plan of adoption agreed at the second review"),
                ("matched", "planned", date(2027, 1, 15), None)]
            assert [tuple(row) for row in session.execute(select(
                CasePause.case_ref, CasePause.paused_from, CasePause.paused_to))] == [
                ("LL-5002", date(2026, 3, 2), date(2026, 3, 16))]
        engine.dispose()


class TestMappedErrorsEndToEnd:
    """Whatever refuses a mapped file, the mapping's own checks or the import's, every bad row
    is said with the source file, its line and the source's own column; nothing is
    imported."""

    @pytest.fixture
    def loaded(self, sqlite_url: str) -> str:
        assert cli(sqlite_url, "init")[0] == 0
        mapping = str(LIQUIDLOGIC / "mapping.yaml")
        for kind in ("leads", "cases"):
            path = LIQUIDLOGIC / f"{kind}-2026-11-23.csv"
            assert cli(sqlite_url, "import", kind, str(path), "--map", mapping)[0] == 0
        return sqlite_url

    def test_events(self, loaded: str, tmp_path: Path) -> None:
        path = tmp_path / "events.csv"
        path.write_text(
            "LCS_ID,FORM,FORM_STATUS,FORM_DATE,NOTES\n"
            "LL-5001,CLA Review 1,Completed,27-Jun-2025,\n"
            "LL-9999,CLA Review 1,Completed,27-Jun-2025,\n"
            "LL-5001,Home Visit,Completed,01-Jul-2025,\n"
            "LL-5001,CLA Review 2,Completed,31-Sep-2025,\n"
            "LL-5001,CLA Review 2,Completed,2025-09-18,\n"
            "LL-5001,CLA Review 2,Completed,18-Sep-2099,\n"
            "LL-5001,CLA Review 2,Done,18-Sep-2025,\n"
            ",CLA Review 2,Completed,18-Sep-2025,\n"
            "LL-5001,CLA Review 1,Completed,01-Jan-2025,\n", encoding="utf-8")
        mapping = LIQUIDLOGIC / "mapping.yaml"
        code, out, err = cli(loaded, "import", "events", str(path), "--map", str(mapping))
        assert (code, out) == (1, "")
        assert err.splitlines() == [
            f"{path}:3: unknown case 'LL-9999'",
            (f"{path}:4: FORM 'Home Visit' is not in the mapping's values for milestone "
             f"({mapping}:57); add it there, or set unmapped: {{milestone: keep}} (or skip)"),
            f"{path}:5: FORM_DATE '31-Sep-2025' is not a real date",
            f"{path}:6: FORM_DATE '2025-09-18' is not a date in the form dd-mon-yyyy",
            (f"{path}:7: FORM_DATE '18-Sep-2099' (read as 2099-09-18) is in the future (today "
             f"is {service_today()})"),
            (f"{path}:8: FORM_STATUS 'Done' is not in the mapping's values for kind "
             f"({mapping}:67); add it there, or set unmapped: {{kind: keep}} (or skip)"),
            f"{path}:9: LCS_ID is empty",
            (f"{path}:10: FORM_DATE '01-Jan-2025' (read as 2025-01-01) is before case LL-5001 "
             "became looked after (2025-06-02)"),
            f"{path}: nothing imported; 8 bad rows to fix"]
        engine = store.make_engine(loaded)
        with Session(engine) as session:
            assert session.execute(select(MilestoneEvent.id)).first() is None
        engine.dispose()

    def test_cases(self, loaded: str, tmp_path: Path) -> None:
        path = tmp_path / "cases.csv"
        path.write_text(
            "LCS_ID,CHILD_FULL_NAME,DOB,CLA_START,CLA_END,LEGAL_STATUS,CARE_PLAN,TEAM,"
            "KEY_WORKER_ID\n"
            "LL-5003,Cy Example,01-Jan-2024,02-Jun-2025,,C2,Long-term fostering,North "
            "Locality,SW-204\n"
            "LL-5004,Di Example,01-Jan-2024,02-Jun-2025,,E1,Adoption,West Locality,SW-204\n"
            "LL-5005,Ed Example,01-Jul-2025,02-Jun-2025,,E1,Adoption,North Locality,SW-999\n",
            encoding="utf-8")
        mapping = LIQUIDLOGIC / "mapping.yaml"
        code, out, err = cli(loaded, "import", "cases", str(path), "--map", str(mapping))
        assert (code, out) == (1, "")
        assert err.splitlines() == [
            (f"{path}:2: no timeline rule of the mapping matches this row (LEGAL_STATUS 'C2', "
             "CARE_PLAN 'Long-term fostering'); add a rule for it, or a last rule without "
             f"when ({mapping}:43)"),
            (f"{path}:3: TEAM 'West Locality' is not in the mapping's values for team "
             f"({mapping}:39); add it there, or set unmapped: {{team: keep}} (or skip)"),
            (f"{path}:4: KEY_WORKER_ID 'SW-999' is not a known lead_id; import the leads "
             "first; DOB '01-Jul-2025' (read as 2025-07-01) is after CLA_START '02-Jun-2025' "
             "(read as 2025-06-02)"),
            f"{path}: nothing imported; 3 bad rows to fix"]

    def test_a_missing_column(self, loaded: str, tmp_path: Path) -> None:
        path = tmp_path / "pauses.csv"
        path.write_text("LCS_ID,SUSPENDED_FROM,REASON\nLL-5002,02-Mar-2026,x\n",
                        encoding="utf-8")
        code, _, err = cli(loaded, "import", "pauses", str(path), "--map",
                           str(LIQUIDLOGIC / "mapping.yaml"))
        assert code == 1
        assert err == (f"{path}:1: missing columns SUSPENDED_TO, SUSPENSION_REASON; the header "
                       "must have LCS_ID, SUSPENDED_FROM, SUSPENDED_TO, SUSPENSION_REASON\n")

    def test_a_broken_mapping_file(self, loaded: str, tmp_path: Path) -> None:
        mapping = tmp_path / "mapping.yaml"
        mapping.write_text("source: x\nfiles:\n  events:\n    columns: {case_ref: ID}\n",
                           encoding="utf-8")
        code, _, err = cli(loaded, "import", "events", str(LIQUIDLOGIC / "events-2026-11-23.csv"),
                           "--map", str(mapping))
        assert code == 1
        assert err.splitlines() == [
            (f"{mapping}:3: files.events: no column gives {name}; map it under columns (or "
             "give every row one value under fixed)") for name in ("milestone", "occurred_on")]

    def test_a_kind_the_mapping_does_not_describe(self, loaded: str) -> None:
        mapping = MOSAIC / "mapping.yaml"
        code, _, err = cli(loaded, "import", "pauses",
                           str(LIQUIDLOGIC / "pauses-2026-11-23.csv"), "--map", str(mapping))
        assert code == 1
        assert err == (f"{mapping}: the mapping describes no pauses file (it describes: cases, "
                       "events); add files.pauses, or import the file without --map\n")
