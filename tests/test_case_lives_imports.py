"""The CSV checks of version 2: event kinds and booked dates, pauses, agreed extensions and
sibling groups. Every refusal is spelt out whole, with its file and line."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from permanence.csvfiles import (
    CASE_COLUMNS,
    CASE_OPTIONAL,
    EVENT_COLUMNS,
    EVENT_OPTIONAL,
    EXTENSION_COLUMNS,
    PAUSE_COLUMNS,
    read_csv,
    years_ahead,
)
from permanence.errors import ImportRefused
from permanence.row_checks import (
    check_cases,
    check_events,
    check_extensions,
    check_pauses,
)
from permanence.timelines import Timeline

TODAY = date(2026, 11, 23)
CASES = {"C-1": ("scotland-adoption", date(2026, 1, 5))}


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def refusal(call) -> list[str]:  # type: ignore[no-untyped-def]
    with pytest.raises(ImportRefused) as raised:
        call()
    return raised.value.problems


class TestEventKinds:
    """`kind` is done (or empty), planned or not_applicable; a planned row may lie up to three
    years ahead and is noted on `noted_on` (default: the day of the import)."""

    def events(self, tmp_path: Path, rows: str, timelines: dict[str, Timeline]) -> list[dict]:
        path = write(tmp_path / "e.csv", "case_ref,milestone,occurred_on,kind,noted_on\n" + rows)
        return check_events(read_csv(path, EVENT_COLUMNS, EVENT_OPTIONAL), cases=CASES,
                            timelines=timelines, today=TODAY)

    def test_good(self, tmp_path: Path, timelines: dict[str, Timeline]) -> None:
        assert self.events(tmp_path, "C-1,panel,2026-03-01,,\n"
                                     "C-1,panel,2027-02-01,planned,2026-11-20\n"
                                     "C-1,panel,2029-11-23,planned,\n"
                                     "C-1,legal_advice,2026-04-01,not_applicable,\n",
                           timelines) == [
            {"case_ref": "C-1", "milestone": "panel", "occurred_on": date(2026, 3, 1),
             "note": None, "kind": "done", "noted_on": None},
            {"case_ref": "C-1", "milestone": "panel", "occurred_on": date(2027, 2, 1),
             "note": None, "kind": "planned", "noted_on": date(2026, 11, 20)},
            {"case_ref": "C-1", "milestone": "panel", "occurred_on": date(2029, 11, 23),
             "note": None, "kind": "planned", "noted_on": TODAY},
            {"case_ref": "C-1", "milestone": "legal_advice", "occurred_on": date(2026, 4, 1),
             "note": None, "kind": "not_applicable", "noted_on": None},
        ]

    def test_refused(self, tmp_path: Path, timelines: dict[str, Timeline]) -> None:
        path = tmp_path / "e.csv"
        assert refusal(lambda: self.events(tmp_path, (
            "C-1,panel,2026-03-01,booked,\n"
            "C-1,panel,2029-11-24,planned,\n"
            "C-1,panel,2026-12-01,,\n"
            "C-1,panel,2026-03-01,done,2026-02-01\n"
            "C-1,looked_after,2026-03-01,not_applicable,\n"
            "C-1,panel,2027-01-01,planned,2026-11-24\n"), timelines)) == [
            (f"{path}:2: kind 'booked' is not one of done, planned, not_applicable (empty means "
            "done)"),
            (f"{path}:3: occurred_on 2029-11-24 is more than 3 years ahead (the latest is "
             "2029-11-23)"),
            f"{path}:4: occurred_on 2026-12-01 is in the future (today is 2026-11-23)",
            (f"{path}:5: noted_on is only for planned rows (the day a booking was known); leave "
            "it empty"),
            (f"{path}:6: looked_after starts timeline scotland-adoption; a start milestone always "
            "applies, so it cannot be not_applicable"),
            f"{path}:7: noted_on 2026-11-24 is in the future (today is 2026-11-23)",
            f"{path}: nothing imported; 6 bad rows to fix",
        ]


class TestPauses:
    """A pause starts on a real day no later than today and not before the child became looked
    after; its end may be empty (it lasts) or booked ahead; one start per case per file."""

    def pauses(self, tmp_path: Path, rows: str) -> list[dict]:
        path = write(tmp_path / "p.csv", ",".join(PAUSE_COLUMNS) + "\n" + rows)
        return check_pauses(read_csv(path, PAUSE_COLUMNS[:2] + PAUSE_COLUMNS[3:],
                                     PAUSE_COLUMNS[2:3]), cases=CASES, today=TODAY)

    def test_good(self, tmp_path: Path) -> None:
        assert self.pauses(tmp_path, "C-1,2026-03-01,2026-03-14,hearing adjourned\n"
                                     "C-1,2026-11-01,,child in hospital\n"
                                     "C-1,2026-11-20,2027-01-10,court adjourned to January\n") == [
            {"case_ref": "C-1", "paused_from": date(2026, 3, 1), "paused_to": date(2026, 3, 14),
             "reason": "hearing adjourned"},
            {"case_ref": "C-1", "paused_from": date(2026, 11, 1), "paused_to": None,
             "reason": "child in hospital"},
            {"case_ref": "C-1", "paused_from": date(2026, 11, 20),
             "paused_to": date(2027, 1, 10), "reason": "court adjourned to January"},
        ]

    def test_refused(self, tmp_path: Path) -> None:
        path = tmp_path / "p.csv"
        assert refusal(lambda: self.pauses(tmp_path, (
            "C-9,2026-03-01,,x\n"
            "C-1,2025-12-01,,x\n"
            "C-1,2026-03-10,2026-03-01,x\n"
            "C-1,2026-11-24,,x\n"
            "C-1,2026-03-10,,\n"
            "C-1,2026-03-10,,again\n"))) == [
            f"{path}:2: unknown case 'C-9'",
            (f"{path}:3: paused_from 2025-12-01 is before case C-1 became looked after "
            "(2026-01-05)"),
            f"{path}:4: paused_to 2026-03-01 is before paused_from 2026-03-10",
            f"{path}:5: paused_from 2026-11-24 is in the future (today is 2026-11-23)",
            (f"{path}:6: reason is empty; case C-1 has a pause from 2026-03-10 twice in this "
            "file (first on line 4)"),
            (f"{path}:7: case C-1 has a pause from 2026-03-10 twice in this file (first on "
            "line 4)"),
            f"{path}: nothing imported; 6 bad rows to fix",
        ]


class TestExtensions:
    """An extension names a lead who agreed it, a clocked milestone that does not recur, and a
    new date after the due date it replaces as known on the day it was approved."""

    def extensions(self, tmp_path: Path, rows: str, timelines: dict[str, Timeline]) -> list:
        path = write(tmp_path / "x.csv", ",".join(EXTENSION_COLUMNS) + "\n" + rows)
        due = {("C-1", "panel", date(2026, 6, 1)): date(2026, 6, 30)}
        return check_extensions(read_csv(path, EXTENSION_COLUMNS, ()), cases=CASES,
                                timelines=timelines, lead_ids={"tl-north"}, today=TODAY,
                                due_on=lambda case_ref, milestone, day: due.get(
                                    (case_ref, milestone, day)))

    def test_good(self, tmp_path: Path, timelines: dict[str, Timeline]) -> None:
        assert self.extensions(tmp_path, (
            "C-1,panel,2026-07-15,tl-north,2026-06-01,panel postponed\n"
            "C-1,legal_advice,2026-04-01,tl-north,2026-02-01,before the clock started\n"),
            timelines) == [
            {"case_ref": "C-1", "milestone": "panel", "extended_to": date(2026, 7, 15),
             "approved_by": "tl-north", "approved_on": date(2026, 6, 1),
             "reason": "panel postponed"},
            {"case_ref": "C-1", "milestone": "legal_advice", "extended_to": date(2026, 4, 1),
             "approved_by": "tl-north", "approved_on": date(2026, 2, 1),
             "reason": "before the clock started"},
        ]

    def test_refused(self, tmp_path: Path, timelines: dict[str, Timeline]) -> None:
        path = tmp_path / "x.csv"
        recurring = next(m.id for m in timelines["scotland-adoption"].milestones
                         if m.is_recurring)
        assert refusal(lambda: self.extensions(tmp_path, (
            "C-1,panel,2026-06-30,tl-north,2026-06-01,no later\n"
            "C-1,panel,2026-07-15,nobody,2026-06-01,x\n"
            "C-1,looked_after,2026-07-15,tl-north,2026-06-01,x\n"
            f"C-1,{recurring},2026-07-15,tl-north,2026-06-01,x\n"
            "C-1,moon,2026-07-15,tl-north,2026-06-01,x\n"
            "C-1,panel,2026-07-15,tl-north,2026-12-01,x\n"), timelines)) == [
            (f"{path}:2: extended_to 2026-06-30 is not after the due date it would replace, "
            "2026-06-30 (as on 2026-06-01)"),
            f"{path}:3: approved_by 'nobody' is not a known lead_id",
            (f"{path}:4: looked_after starts timeline scotland-adoption and has no due date to "
            "extend"),
            (f"{path}:5: {recurring} recurs (every 6 months); a recurring milestone cannot be "
            "extended"),
            (f"{path}:6: unknown milestone 'moon' for timeline scotland-adoption (its "
            f"milestones: {', '.join(timelines['scotland-adoption'].milestone_ids)})"),
            f"{path}:7: approved_on 2026-12-01 is in the future (today is 2026-11-23)",
            f"{path}: nothing imported; 6 bad rows to fix",
        ]

    def test_rows_of_one_file_see_each_other(self, tmp_path: Path,
                                             timelines: dict[str, Timeline]) -> None:
        """A second agreement of one step in the file must move its date on from the first
        (2026-07-15, agreed 2026-06-01), and one day cannot agree the step twice."""
        path = tmp_path / "x.csv"
        assert refusal(lambda: self.extensions(tmp_path, (
            "C-1,panel,2026-07-15,tl-north,2026-06-01,panel postponed\n"
            "C-1,panel,2026-07-10,tl-north,2026-06-20,earlier again\n"
            "C-1,panel,2026-08-01,tl-north,2026-06-01,same day\n"
            "C-1,panel,2026-08-01,tl-north,2026-06-21,later still\n"), timelines)) == [
            (f"{path}:3: extended_to 2026-07-10 is not after 2026-07-15, agreed on 2026-06-01 "
             "(line 2 of this file)"),
            (f"{path}:4: case C-1 has an extension of panel approved on 2026-06-01 twice in "
             "this file (first on line 2)"),
            f"{path}: nothing imported; 2 bad rows to fix",
        ]


class TestSiblingGroups:
    def test_optional_column_and_blank_clears(self, tmp_path: Path,
                                              timelines: dict[str, Timeline]) -> None:
        path = write(tmp_path / "c.csv", ",".join(CASE_COLUMNS) + ",sibling_group\n"
                     "C-1,scotland-adoption,north,sw,2026-01-05,S-1\n"
                     "C-2,scotland-adoption,north,sw,2026-01-05,\n")
        cases = check_cases(read_csv(path, CASE_COLUMNS, CASE_OPTIONAL), timelines=timelines,
                            lead_ids={"sw"}, today=TODAY)
        assert [case["sibling_group"] for case in cases] == ["S-1", None]


def test_years_ahead_keeps_the_day_or_the_end_of_february() -> None:
    assert years_ahead(date(2026, 11, 23), 3) == date(2029, 11, 23)
    assert years_ahead(date(2028, 2, 29), 3) == date(2031, 2, 28)
