"""CSV files: reading (header, BOM, line numbers) and the row checks of an import.

An import is all or nothing: a file with any bad row raises ImportRefused listing every bad row
as `file:line: reason; reason`, then a closing line counting them. The tests spell every line out.
"""

from __future__ import annotations

import unicodedata
from datetime import date
from pathlib import Path
from typing import ClassVar

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from permanence.csvfiles import (
    CASE_COLUMNS,
    CASE_OPTIONAL,
    EVENT_COLUMNS,
    EVENT_OPTIONAL,
    HIDDEN_CATEGORIES,
    LEAD_COLUMNS,
    MULTILINE_ALLOWED,
    MULTILINE_COLUMNS,
    CsvRows,
    defused,
    read_csv,
    stream_csv,
    text_problem,
)
from permanence.errors import ImportRefused
from permanence.row_checks import (
    check_cases,
    check_events,
    check_leads,
)
from permanence.timelines import Timeline

TODAY = date(2026, 11, 23)
CASES_HEADER = "case_ref,timeline,team,social_worker,looked_after_on"
EVENTS_HEADER = "case_ref,milestone,occurred_on"
LEADS_HEADER = "lead_id,name,role,team,notify"


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_text(text, encoding=encoding)
    return path


def refusal(call) -> list[str]:  # type: ignore[no-untyped-def]
    with pytest.raises(ImportRefused) as raised:
        call()
    return raised.value.problems


class TestReadCsv:
    """A header row is required and every required column must be in it; a BOM is accepted;
    unknown columns are ignored with a warning; blank lines are skipped; each row keeps the
    line it starts on."""

    def test_bom_and_spaces(self, tmp_path: Path) -> None:
        path = write(tmp_path / "e.csv", "\ufeffcase_ref, milestone ,occurred_on\n"
                                         "C-1, panel , 2026-01-01 \n")
        data = read_csv(path, EVENT_COLUMNS, EVENT_OPTIONAL)
        assert data == CsvRows(path, [(2, {"case_ref": "C-1", "milestone": "panel",
                                           "occurred_on": "2026-01-01"})], [])

    def test_missing_column(self, tmp_path: Path) -> None:
        path = write(tmp_path / "e.csv", "case_ref,milestone\nC-1,panel\n")
        assert refusal(lambda: read_csv(path, EVENT_COLUMNS, EVENT_OPTIONAL)) == [
            (f"{path}:1: missing column occurred_on; the header must have case_ref, milestone, "
            "occurred_on")]

    def test_missing_columns(self, tmp_path: Path) -> None:
        path = write(tmp_path / "c.csv", "case_ref,timeline,team\nC-1,x,north\n")
        assert refusal(lambda: read_csv(path, CASE_COLUMNS, CASE_OPTIONAL)) == [
            (f"{path}:1: missing columns social_worker, looked_after_on; the header must have "
            "case_ref, timeline, team, social_worker, looked_after_on")]

    @pytest.mark.parametrize("text", ["", "\ufeff"], ids=["empty", "bom-only"])
    def test_empty_file(self, tmp_path: Path, text: str) -> None:
        path = write(tmp_path / "e.csv", text)
        assert refusal(lambda: read_csv(path, EVENT_COLUMNS, EVENT_OPTIONAL)) == [
            (f"{path}: the file is empty; expected a header row with case_ref, milestone, "
            "occurred_on")]

    def test_header_only(self, tmp_path: Path) -> None:
        path = write(tmp_path / "e.csv", EVENTS_HEADER + "\n")
        assert read_csv(path, EVENT_COLUMNS, EVENT_OPTIONAL) == CsvRows(path, [], [])

    def test_unknown_column_warns(self, tmp_path: Path) -> None:
        path = write(tmp_path / "e.csv", "case_ref,milestone,occurred_on,note,colour\n"
                                         "C-1,panel,2026-01-01,n,blue\n")
        data = read_csv(path, EVENT_COLUMNS, EVENT_OPTIONAL)
        assert data.warnings == [f"{path}: column 'colour' is not used and was ignored"]
        assert data.rows[0][1]["note"] == "n"

    def test_blank_lines_and_line_numbers(self, tmp_path: Path) -> None:
        path = write(tmp_path / "e.csv", "case_ref,milestone,occurred_on,note\n"
                                         "\n"
                                         "C-1,panel,2026-01-01,\"two\nlines\"\n"
                                         " , , \n"
                                         ",,,\n"
                                         "C-2,panel,2026-01-02\n")
        data = read_csv(path, EVENT_COLUMNS, EVENT_OPTIONAL)
        assert [(line, row["case_ref"], row["note"]) for line, row in data.rows] == [
            (3, "C-1", "two\nlines"), (7, "C-2", "")]

    def test_crlf_line_numbers(self, tmp_path: Path) -> None:
        path = tmp_path / "e.csv"
        path.write_bytes(b"case_ref,milestone,occurred_on\r\nC-1,a,2026-01-01\r\n\r\n"
                         b"C-2,b,2026-01-02\r\n")
        data = read_csv(path, EVENT_COLUMNS, EVENT_OPTIONAL)
        assert [(line, row["case_ref"]) for line, row in data.rows] == [(2, "C-1"), (4, "C-2")]

    def test_not_utf8(self, tmp_path: Path) -> None:
        path = write(tmp_path / "e.csv", EVENTS_HEADER + "\nC-1,caf\xe9,2026-01-01\n", "latin-1")
        assert refusal(lambda: read_csv(path, EVENT_COLUMNS, EVENT_OPTIONAL)) == [
            f"{path}: is not UTF-8 text; save it as \"CSV UTF-8\" and import it again"]

    def test_missing_file(self, tmp_path: Path) -> None:
        assert refusal(lambda: read_csv(tmp_path / "no.csv", EVENT_COLUMNS, ())) == [
            f"{tmp_path / 'no.csv'}: no such file"]


class TestStreamCsv:
    """What an import reads: the header checked at once, the rows read from the file each time
    they are iterated, as `read_csv` would give them."""

    def test_rows_as_read_whole(self, tmp_path: Path) -> None:
        path = write(tmp_path / "e.csv", "case_ref,milestone,occurred_on,note\n"
                                         "C-1,panel,2026-01-01,\"two\nlines\"\n\n"
                                         "C-2,panel,2026-01-02,\n")
        data = stream_csv(path, EVENT_COLUMNS, EVENT_OPTIONAL)
        rows = [(2, {"case_ref": "C-1", "milestone": "panel", "occurred_on": "2026-01-01",
                     "note": "two\nlines"}),
                (5, {"case_ref": "C-2", "milestone": "panel", "occurred_on": "2026-01-02",
                     "note": ""})]
        assert list(data.rows) == rows
        assert list(data.rows) == rows  # read again from the start
        assert read_csv(path, EVENT_COLUMNS, EVENT_OPTIONAL) == CsvRows(path, rows, [])

    def test_header_refused_before_any_row_is_read(self, tmp_path: Path) -> None:
        path = write(tmp_path / "e.csv", "case_ref,milestone\nC-1,panel\n")
        assert refusal(lambda: stream_csv(path, EVENT_COLUMNS, EVENT_OPTIONAL)) == [
            (f"{path}:1: missing column occurred_on; the header must have case_ref, milestone, "
             "occurred_on")]

    def test_a_row_that_is_not_utf8_refused_when_reached(self, tmp_path: Path) -> None:
        path = tmp_path / "e.csv"
        path.write_bytes(("case_ref,milestone,occurred_on\n" + "C-1,panel,2026-01-01\n" * 600)
                         .encode() + b"C-\xff,panel,2026-01-01\n")
        data = stream_csv(path, EVENT_COLUMNS, EVENT_OPTIONAL)
        assert refusal(lambda: list(data.rows)) == [
            f'{path}: is not UTF-8 text; save it as "CSV UTF-8" and import it again']

    def test_a_file_gone_before_its_rows_are_read(self, tmp_path: Path) -> None:
        path = write(tmp_path / "e.csv", "case_ref,milestone,occurred_on\nC-1,panel,2026-01-01\n")
        data = stream_csv(path, EVENT_COLUMNS, EVENT_OPTIONAL)
        path.unlink()
        assert refusal(lambda: list(data.rows)) == [f"{path}: no such file"]


class TestCheckLeads:
    """Every lead column is required; a lead_id appears once per file; a role is a role name;
    notify holds apprise URLs separated by spaces; `*` is a team."""

    def test_good(self, tmp_path: Path) -> None:
        path = write(tmp_path / "l.csv", LEADS_HEADER + "\n"
                     "lw,Legal,legal_adviser,*,mailto://u:p@example.org   json://h/inbox\n")
        assert check_leads(read_csv(path, LEAD_COLUMNS, ())) == [
            {"lead_id": "lw", "name": "Legal", "role": "legal_adviser", "team": "*",
             "notify": "mailto://u:p@example.org json://h/inbox"}]

    def test_every_bad_row(self, tmp_path: Path) -> None:
        path = write(tmp_path / "l.csv", LEADS_HEADER + "\n"
                     "a,A,social_worker,north,json://h/a\n"
                     "a,B,Team Leader,north,json://h/b nope\n"
                     "b,,team_leader,,\n"
                     "c,C,team-leader,north,www.example.org\n")
        assert refusal(lambda: check_leads(read_csv(path, LEAD_COLUMNS, ()))) == [
            (f"{path}:3: lead_id 'a' appears twice in this file (first on line 2); role 'Team "
            "Leader' is not a role name (lower-case letters, digits and '_', e.g. team_leader); "
            "notify value 2 is not an apprise URL such as mailto://user:pass@example.org or "
            "json://host/path"),
            f"{path}:4: name is empty; team is empty; notify is empty",
            (f"{path}:5: role 'team-leader' is not a role name (lower-case letters, digits and "
            "'_', e.g. team_leader); notify value 1 is not an apprise URL such as "
            "mailto://user:pass@example.org or json://host/path"),
            f"{path}: nothing imported; 3 bad rows to fix",
        ]

    def test_one_bad_row(self, tmp_path: Path) -> None:
        path = write(tmp_path / "l.csv", LEADS_HEADER + "\n,A,social_worker,north,json://h/a\n")
        assert refusal(lambda: check_leads(read_csv(path, LEAD_COLUMNS, ()))) == [
            f"{path}:2: lead_id is empty", f"{path}: nothing imported; 1 bad row to fix"]


class TestCheckCases:
    """Cases need a known timeline, a known social_worker lead, real dates not in the future, a
    case_ref once per file, a date of birth not after looked_after_on and a closed_on not before
    it."""

    def test_good(self, tmp_path: Path, timelines: dict[str, Timeline]) -> None:
        path = write(tmp_path / "c.csv", CASES_HEADER + ",child_name,date_of_birth,closed_on\n"
                     "C-1,scotland-adoption,north,sw,2026-01-05,Ari,2020-01-01,2026-01-05\n"
                     "C-2,england-adoption,south,sw,2026-01-05,,,\n")
        cases = check_cases(read_csv(path, CASE_COLUMNS, CASE_OPTIONAL), timelines=timelines,
                            lead_ids={"sw"}, today=TODAY)
        assert cases == [
            {"case_ref": "C-1", "timeline": "scotland-adoption", "team": "north",
             "social_worker": "sw", "looked_after_on": date(2026, 1, 5), "child_name": "Ari",
             "date_of_birth": date(2020, 1, 1), "closed_on": date(2026, 1, 5),
             "sibling_group": None},
            {"case_ref": "C-2", "timeline": "england-adoption", "team": "south",
             "social_worker": "sw", "looked_after_on": date(2026, 1, 5), "child_name": None,
             "date_of_birth": None, "closed_on": None, "sibling_group": None},
        ]

    def test_every_reason(self, tmp_path: Path, timelines: dict[str, Timeline]) -> None:
        path = write(tmp_path / "c.csv", CASES_HEADER + ",date_of_birth,closed_on\n"
                     "C-1,scotland-adoption,north,sw,2026-01-05,,\n"
                     "C-1,scotland-adoption,north,sw,2026-01-05,,\n"
                     "C-2,mars-route,north,nobody,2026-13-01,,\n"
                     "C-3,scotland-adoption,north,sw,2026/01/05,,\n"
                     "C-4,scotland-adoption,north,sw,2026-11-24,,\n"
                     "C-5,scotland-adoption,north,sw,2026-01-05,2026-02-01,2025-12-31\n"
                     ",,north,sw,2026-01-05,,\n")
        assert refusal(lambda: check_cases(read_csv(path, CASE_COLUMNS, CASE_OPTIONAL),
                                           timelines=timelines, lead_ids={"sw"},
                                           today=TODAY)) == [
            f"{path}:3: case_ref 'C-1' appears twice in this file (first on line 2)",
            (f"{path}:4: unknown timeline 'mars-route' (known: england-adoption, "
            "england-adoption-return, england-looked-after, "
            "scotland-adoption, scotland-permanence-order); social_worker 'nobody' is not a "
            "known lead_id; import the leads first; looked_after_on '2026-13-01' is not a real "
            "date"),
            f"{path}:5: looked_after_on '2026/01/05' is not a date in the form YYYY-MM-DD",
            f"{path}:6: looked_after_on 2026-11-24 is in the future (today is 2026-11-23)",
            (f"{path}:7: date_of_birth 2026-02-01 is after looked_after_on 2026-01-05; closed_on "
            "2025-12-31 is before the child became looked after (2026-01-05)"),
            f"{path}:8: case_ref is empty; timeline is empty",
            f"{path}: nothing imported; 6 bad rows to fix",
        ]


class TestCheckEvents:
    """An event names a known case, a milestone of that case's timeline, and a real ISO date
    that is neither in the future nor before the child became looked after. A second row for
    the same case and milestone is kept (it replaces the date on import)."""

    CASES: ClassVar = {"C-1": ("scotland-adoption", date(2026, 1, 5)),
                       "C-9": ("gone", date(2026, 1, 5))}

    def check(self, path: Path, timelines: dict[str, Timeline]) -> list[dict[str, object]]:
        return check_events(read_csv(path, EVENT_COLUMNS, EVENT_OPTIONAL), cases=self.CASES,
                            timelines=timelines, today=TODAY)

    def test_good(self, tmp_path: Path, timelines: dict[str, Timeline]) -> None:
        path = write(tmp_path / "e.csv", EVENTS_HEADER + ",note\n"
                     "C-1,panel,2026-01-05,first\n"
                     "C-1,panel,2026-11-23,\n")
        assert self.check(path, timelines) == [
            {"case_ref": "C-1", "milestone": "panel", "occurred_on": date(2026, 1, 5),
             "note": "first", "kind": "done", "noted_on": None},
            {"case_ref": "C-1", "milestone": "panel", "occurred_on": date(2026, 11, 23),
             "note": None, "kind": "done", "noted_on": None},
        ]

    def test_every_reason(self, tmp_path: Path, timelines: dict[str, Timeline]) -> None:
        path = write(tmp_path / "e.csv", EVENTS_HEADER + "\n"
                     "C-1,panel,2026-02-01\n"
                     "C-2,panel,2026-02-01\n"
                     "C-1,moon_landing,2026-02-01\n"
                     "C-1,panel,01/02/2026\n"
                     "C-1,panel,2026-02-30\n"
                     "C-1,panel,2026-11-24\n"
                     "C-1,panel,2026-01-04\n"
                     "C-9,panel,2026-02-01\n"
                     "C-1,panel,\n"
                     "C-2,moon_landing,2026-02-30\n")
        milestones = ", ".join(timelines["scotland-adoption"].milestone_ids)
        assert refusal(lambda: self.check(path, timelines)) == [
            f"{path}:3: unknown case 'C-2'",
            (f"{path}:4: unknown milestone 'moon_landing' for timeline scotland-adoption (its "
            f"milestones: {milestones})"),
            f"{path}:5: occurred_on '01/02/2026' is not a date in the form YYYY-MM-DD",
            f"{path}:6: occurred_on '2026-02-30' is not a real date",
            f"{path}:7: occurred_on 2026-11-24 is in the future (today is 2026-11-23)",
            (f"{path}:8: occurred_on 2026-01-04 is before case C-1 became looked after "
            "(2026-01-05)"),
            f"{path}:9: case C-9 is on timeline 'gone', which no rule file defines",
            f"{path}:10: occurred_on is empty",
            f"{path}:11: occurred_on '2026-02-30' is not a real date; unknown case 'C-2'",
            f"{path}: nothing imported; 9 bad rows to fix",
        ]

    def test_missing_column(self, tmp_path: Path) -> None:
        path = write(tmp_path / "e.csv", "case_ref,occurred_on\nC-1,2026-02-01\n")
        assert refusal(lambda: read_csv(path, EVENT_COLUMNS, EVENT_OPTIONAL)) == [
            (f"{path}:1: missing column milestone; the header must have case_ref, milestone, "
            "occurred_on")]


class TestHostileFiles:
    """Text that is not plain text is refused with its line, column and code point (never
    echoed); a header is unambiguous; every CSV written for people is defused."""

    def test_control_characters_in_identifiers_refused(self, tmp_path: Path) -> None:
        path = write(tmp_path / "c.csv", CASES_HEADER + "\n"
                     '"C-1\nForged line",drift,north,sw-1,2026-01-05\n'
                     "C-2,drift,nor\x1b[31mth,sw-1,2026-01-05\n"
                     "C-3,drift,north,sw\u202e1,2026-01-05\n")
        timelines = {"drift": Timeline(name="drift", title="d", jurisdiction="scotland",
                                       version="1", milestones=())}
        problems = refusal(lambda: check_cases(read_csv(path, CASE_COLUMNS, CASE_OPTIONAL),
                                               timelines=timelines, lead_ids={"sw-1"},
                                               today=TODAY))
        assert problems[0] == (f"{path}:2: case_ref contains a line break (U+000A, character "
                               "4); it must be plain text on one line")
        assert problems[1].startswith(f"{path}:4: team contains a control character (U+001B, "
                                      "character 4)")
        assert problems[2].startswith(f"{path}:5: social_worker contains a control character "
                                      "(U+202E, character 3)")
        assert "\x1b" not in "".join(problems)

    def test_leads_and_events_too(self, tmp_path: Path) -> None:
        leads = write(tmp_path / "l.csv", LEADS_HEADER + "\n"
                      "sw\x07-1,Sam,social_worker,north,json://h/a\n")
        assert refusal(lambda: check_leads(read_csv(leads, LEAD_COLUMNS, ())))[0] == (
            f"{leads}:2: lead_id contains a control character (U+0007, character 3); it must "
            "be plain text on one line")
        events = write(tmp_path / "e.csv", "case_ref,milestone,occurred_on,note\n"
                       'C-1,panel,2026-01-05,"two\nlines, fine"\n'
                       "C-1,panel,2026-01-05,bell\x07\n")
        problems = refusal(lambda: check_events(
            read_csv(events, EVENT_COLUMNS, EVENT_OPTIONAL), cases={}, timelines={},
            today=TODAY))
        assert problems[0] == f"{events}:2: unknown case 'C-1'"
        assert problems[1] == (f"{events}:4: note contains a control character (U+0007, "
                               "character 5); only text, tabs and line breaks are allowed; "
                               "unknown case 'C-1'")

    @pytest.mark.parametrize(("header", "problem"), [
        ("case_ref,milestone,occurred_on,case_ref",
         "column 'case_ref' appears twice in the header (columns 1 and 4); keep one"),
        ("case_ref,,milestone,occurred_on",
         "column 2 of the header has no name; name it or delete the column"),
    ])
    def test_ambiguous_header_refused(self, tmp_path: Path, header: str, problem: str) -> None:
        path = write(tmp_path / "e.csv", header + "\nC-1,x,panel,2026-01-05\n")
        assert refusal(lambda: read_csv(path, EVENT_COLUMNS, EVENT_OPTIONAL)) == [
            f"{path}:1: {problem}", f"{path}: nothing imported"]

    @pytest.mark.parametrize(("cell", "written"), [
        ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"), ("\rx", "'\rx"),
        ("C-1001", "C-1001"), ("", ""), (-3, -3), (None, None),
    ])
    def test_formula_cells_defused(self, cell: object, written: object) -> None:
        assert defused(cell) == written


def text_problem_by_hand(column: str, value: str) -> str | None:
    """The oracle: `text_problem` as it was, every character's Unicode category looked up."""
    allowed = MULTILINE_ALLOWED if column in MULTILINE_COLUMNS else frozenset()
    for position, character in enumerate(value, start=1):
        if character not in allowed and unicodedata.category(character) in HIDDEN_CATEGORIES:
            kind = "line break" if character in "\n\r\u2028\u2029" else "control character"
            return (f"{column} contains a {kind} (U+{ord(character):04X}, character "
                    f"{position}); it must be plain text on one line"
                    if column not in MULTILINE_COLUMNS else
                    f"{column} contains a control character (U+{ord(character):04X}, character "
                    f"{position}); only text, tabs and line breaks are allowed")
    return None


# Characters near every boundary the fast paths draw: ASCII controls, the line breaks a note may
# hold, DEL, C1 controls (U+0085 is a line break to some), format characters (a bidirectional
# override, a zero-width space, a BOM), separators that are unprintable but allowed (no-break
# space), the line and paragraph separators, a lone surrogate, an unassigned code point.
AWKWARD = ("\x00\t\n\x0b\x0c\r\x1b\x1f \x7f\x80\x85\xa0\xad\u200b\u202e\u2028\u2029\u3000\ufeff"
           "\ud800\U000e0001\U0010ffff\u0378é")


class TestTextProblem:
    """`text_problem` settles printable and ASCII text without walking it character by
    character, and says exactly what the walk says, on any text in any column."""

    @settings(max_examples=3000, deadline=None)
    @given(column=st.sampled_from(["case_ref", "note", "reason", "column 2 of the header"]),
           value=st.text(st.one_of(st.characters(exclude_categories=()),
                                   st.characters(max_codepoint=127),
                                   st.sampled_from(AWKWARD))))
    @example(column="note", value="two\r\nlines\tand a tab")
    @example(column="case_ref", value="C-1\u202e")
    @example(column="note", value="réunion\nreportée\x07")
    def test_same_answer_as_the_walk(self, column: str, value: str) -> None:
        assert text_problem(column, value) == text_problem_by_hand(column, value)
