"""The adoption scorecard (A1, A2, A3, A10): the window, each child's days, the means and the
percentage, against children whose figures were worked out by hand; then `permanence
scorecard` end to end on SQLite and PostgreSQL.

The hand-made set (`CHILDREN`): nine children adopted in the window 2019-04-01 to 2022-03-31,
and one adopted the day before it and one the day after. Per child, in days (A1 from
entering care to moving in; A10 from entering care to fostering by the adopters when
recorded; A2 from placement order to match):

| child | year | A1 | A10 | A2 | A3 (moved in before entered + 14 months) |
| --- | --- | --- | --- | --- | --- |
| C1 | 2019-20 | 600 | 600 | 200 | no (by 2018-07-02, moved in 2018-12-23) |
| C2 | 2019-20 | 733 | 157 | 250 | no |
| C3 | 2020-21 | 300 | 300 | 100 | yes (by 2020-04-01, moved in 2019-11-28) |
| C4 | 2020-21 | 380 | 380 | 150 | yes (by 2020-03-20, moved in 2020-02-04) |
| C5 | 2020-21 | 420 | 420 | 0 (matched 10 days before the order) | yes (by 2020-08-03) |
| C6 | 2021-22 | 431 | 431 | 213 | no (by 2020-10-12, moved in 2020-10-16) |
| C7 | 2021-22 | 432 | 32 | 200 | no |
| C8 | 2021-22 | 432 | 32 | left out: no match date | no |
| C9 | 2021-22 | left out of all four: placed_with_adopters recorded not applicable |

Window: 9 adopted; A1 3728 / 8 = 466; A2 1113 / 7 = 159; A3 3 of 8 = 37.5%; A10 2352 / 8 =
294: the contract's example. 2019-20: A1 1333 / 2 = 666.5, rounded half up to 667 (a
banker's rounding would give 666); A2 450 / 2 = 225; A3 0.0%; A10 757 / 2 = 378.5 -> 379.
2020-21: A1 1100 / 3 = 366.67 -> 367; A2 250 / 3 = 83.33 -> 83; A3 100.0%; A10 367.
2021-22: adopted 4; A1 1295 / 3 = 431.67 -> 432; A2 413 / 2 = 206.5 -> 207; A3 0.0%;
A10 495 / 3 = 165.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import StoreTemplates, text_of
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from permanence.cli import app
from permanence.measures.scorecard import (
    ChildDates,
    Span,
    child_figures,
    default_period_end,
    mean_days,
    percent,
    quarter_of,
    quarters,
    scorecard,
    spans,
    window_start,
)

runner = CliRunner()
D = date.fromisoformat


def child(case_ref: str, entered: str, adopted: str, *, placed: str | None = None,
          fostered: str | None = None, order: str | None = None, matched: str | None = None,
          not_placed: str | None = None, team: str = "north") -> ChildDates:
    def day(text: str | None) -> date | None:
        return D(text) if text else None

    return ChildDates(case_ref=case_ref, team=team, entered_care=D(entered),
                      adoption_order=D(adopted), placed_with_adopters=day(placed),
                      fostered_by_adopters=day(fostered), placement_order=day(order),
                      matched=day(matched), no_adoptive_placement=day(not_placed))


CHILDREN = [
    child("C0", "2017-01-09", "2019-03-31", placed="2017-06-01", order="2017-03-01",
          matched="2017-04-01"),  # the day before the window
    child("C1", "2017-05-02", "2019-06-14", placed="2018-12-23", order="2017-10-29",
          matched="2018-05-17"),
    child("C2", "2017-03-15", "2020-03-31", placed="2019-03-18", fostered="2017-08-19",
          order="2017-10-01", matched="2018-06-08"),
    child("C3", "2019-02-01", "2020-04-01", placed="2019-11-28", order="2019-04-02",
          matched="2019-07-11", team="south"),
    child("C4", "2019-01-20", "2020-09-30", placed="2020-02-04", order="2019-04-20",
          matched="2019-09-17", team="south"),
    child("C5", "2019-06-03", "2021-03-31", placed="2020-07-27", order="2019-10-01",
          matched="2019-09-21"),
    child("C6", "2019-08-12", "2021-04-01", placed="2020-10-16", order="2019-11-20",
          matched="2020-06-20"),
    child("C7", "2019-10-07", "2021-12-01", placed="2020-12-12", fostered="2019-11-08",
          order="2020-03-05", matched="2020-09-21"),
    child("C8", "2019-11-18", "2022-03-31", placed="2021-01-23", fostered="2019-12-20",
          order="2020-04-26"),
    child("C9", "2020-01-06", "2021-06-30", order="2020-06-01", matched="2020-09-01",
          not_placed="2021-05-04"),
    child("C10", "2019-01-07", "2022-04-01", placed="2020-01-06"),  # the day after it
]

CONTRACT_EXAMPLE = {
    "period_end": "2022-03-31", "window_start": "2019-04-01", "team": None, "adopted": 9,
    "A1": {"days": 466, "children": 8, "threshold_days": 426},
    "A2": {"days": 159, "children": 7, "threshold_days": 121},
    "A3": {"percent": 37.5, "children": 8},
    "A10": {"days": 294, "children": 8, "threshold_days": 426},
    "years": {
        "2019-20": {"adopted": 2, "A1": {"days": 667, "children": 2},
                    "A2": {"days": 225, "children": 2},
                    "A3": {"percent": 0.0, "children": 2},
                    "A10": {"days": 379, "children": 2}},
        "2020-21": {"adopted": 3, "A1": {"days": 367, "children": 3},
                    "A2": {"days": 83, "children": 3},
                    "A3": {"percent": 100.0, "children": 3},
                    "A10": {"days": 367, "children": 3}},
        "2021-22": {"adopted": 4, "A1": {"days": 432, "children": 3},
                    "A2": {"days": 207, "children": 2},
                    "A3": {"percent": 0.0, "children": 3},
                    "A10": {"days": 165, "children": 3}}}}


class TestWindow:
    """The window runs from the day after the date three years before the period end to the
    period end; its years are the 12-month spans ending on the period end's day and month."""

    def test_a_31_march_period_end(self) -> None:
        assert window_start(date(2022, 3, 31)) == date(2019, 4, 1)
        assert spans(date(2022, 3, 31)) == [
            Span("2019-20", date(2019, 4, 1), date(2020, 3, 31)),
            Span("2020-21", date(2020, 4, 1), date(2021, 3, 31)),
            Span("2021-22", date(2021, 4, 1), date(2022, 3, 31))]

    def test_29_february_counts_back_to_28_february(self) -> None:
        assert window_start(date(2024, 2, 29)) == date(2021, 3, 1)
        assert spans(date(2024, 2, 29)) == [
            Span("2021-22", date(2021, 3, 1), date(2022, 2, 28)),
            Span("2022-23", date(2022, 3, 1), date(2023, 2, 28)),
            Span("2023-24", date(2023, 3, 1), date(2024, 2, 29))]

    def test_a_span_inside_one_calendar_year_is_labelled_by_it(self) -> None:
        assert [span.label for span in spans(date(2021, 12, 31))] == ["2019", "2020", "2021"]

    def test_default_period_end_is_the_latest_31_march(self) -> None:
        assert default_period_end(date(2026, 12, 6)) == date(2026, 3, 31)
        assert default_period_end(date(2026, 3, 31)) == date(2026, 3, 31)
        assert default_period_end(date(2026, 3, 30)) == date(2025, 3, 31)
        assert default_period_end(date(2026, 1, 1)) == date(2025, 3, 31)

    def test_quarters(self) -> None:
        assert quarter_of(date(2021, 4, 1)) == "2021 Q2"
        assert quarter_of(date(2021, 12, 31)) == "2021 Q4"
        assert quarters(date(2019, 4, 1), date(2020, 3, 31)) == [
            "2019 Q2", "2019 Q3", "2019 Q4", "2020 Q1"]


class TestRounding:
    """Means round half up to a whole day; A3's percentage half up to one decimal, in
    decimal arithmetic (a binary float would make 0.05 cases fall either way)."""

    def test_mean_half_up(self) -> None:
        assert mean_days([666, 667]) == 667  # 666.5
        assert mean_days([1, 2, 2]) == 2  # 1.67
        assert mean_days([1, 1, 2]) == 1  # 1.33
        assert mean_days([]) is None

    def test_percent_half_up(self) -> None:
        assert percent(3, 8) == Decimal("37.5")
        assert percent(1, 3) == Decimal("33.3")
        assert percent(2, 3) == Decimal("66.7")
        assert percent(1, 16) == Decimal("6.3")  # 6.25 up, where round(6.25, 1) gives 6.2
        assert percent(0, 0) is None


class TestChild:
    """One child's days and what the child is left out of."""

    def test_a2_is_0_when_the_match_came_first(self) -> None:
        figures = child_figures(child("X", "2019-06-03", "2021-03-31", placed="2020-07-27",
                                      order="2019-10-01", matched="2019-09-21"))
        assert (figures.a1, figures.a2, figures.a10) == (420, 0, 420)
        assert figures.left_out == ()

    def test_a10_counts_from_fostering_by_the_adopters(self) -> None:
        figures = child_figures(child("X", "2019-10-07", "2021-12-01", placed="2020-12-12",
                                      fostered="2019-11-08", order="2020-03-05",
                                      matched="2020-09-21"))
        assert (figures.a1, figures.a10, figures.a2, figures.a3) == (432, 32, 200, False)

    def test_a3_exactly_14_months_is_not_counted(self) -> None:
        # 31 January 2019 + 14 months = 31 March 2020; moving in that day is not "before".
        on_the_day = child_figures(child("X", "2019-01-31", "2021-01-01", placed="2020-03-31"))
        assert (on_the_day.a3_by, on_the_day.a3, on_the_day.a1) == (date(2020, 3, 31), False,
                                                                    425)
        day_before = child_figures(child("X", "2019-01-31", "2021-01-01", placed="2020-03-30"))
        assert day_before.a3 is True

    def test_a3_clamps_to_the_month_end(self) -> None:
        # 31 December 2018 + 14 months = 29 February 2020 (a leap year).
        figures = child_figures(child("X", "2018-12-31", "2021-01-01", placed="2020-02-29"))
        assert (figures.a3_by, figures.a3) == (date(2020, 2, 29), False)

    def test_no_adoptive_placement(self) -> None:
        figures = child_figures(child("X", "2020-01-06", "2021-06-30", order="2020-06-01",
                                      matched="2020-09-01"))
        reason = "no adoptive placement (no placed_with_adopters recorded)"
        assert [(item.measure, item.reason) for item in figures.left_out] == [
            ("A1", reason), ("A2", reason), ("A3", reason), ("A10", reason)]
        assert (figures.a1, figures.a2, figures.a3, figures.a10) == (None, None, None, None)

    def test_placement_recorded_not_applicable(self) -> None:
        figures = child_figures(CHILDREN[9])
        assert figures.left_out[0].reason == (
            "no adoptive placement (placed_with_adopters recorded not applicable on "
            "2021-05-04)")

    def test_no_placement_order_or_no_match(self) -> None:
        no_order = child_figures(child("X", "2019-01-01", "2021-01-01", placed="2019-06-01",
                                       matched="2019-05-01"))
        assert [(i.measure, i.reason) for i in no_order.left_out] == [
            ("A2", "no placement order (no placement_order recorded)")]
        assert no_order.a1 == 151
        no_match = child_figures(child("X", "2019-01-01", "2021-01-01", placed="2019-06-01",
                                       order="2019-03-01"))
        assert [(i.measure, i.reason) for i in no_match.left_out] == [
            ("A2", "no match date (no matched recorded)")]

    def test_moved_in_before_entering_care_is_a_recording_error(self) -> None:
        figures = child_figures(child("X", "2019-06-01", "2021-01-01", placed="2019-05-01",
                                      order="2019-01-01", matched="2019-02-01"))
        assert {item.measure for item in figures.left_out} == {"A1", "A2", "A3", "A10"}
        assert figures.left_out[0].reason == ("placed_with_adopters 2019-05-01 is before "
                                              "entered_care 2019-06-01: a recording error")


class TestScorecard:
    """The hand-made set gives the contract's example, each year's figures, and nulls for a
    year without an adoption."""

    def test_the_contract_example(self) -> None:
        card = scorecard(CHILDREN, date(2022, 3, 31))
        assert card.as_json() == CONTRACT_EXAMPLE
        assert list(card.as_json()) == ["period_end", "window_start", "team", "adopted", "A1",
                                        "A2", "A3", "A10", "years"]
        assert list(card.as_json()["years"]["2019-20"]) == ["adopted", "A1", "A2", "A3",
                                                            "A10"]
        assert [c.dates.case_ref for c in card.children] == [
            "C1", "C2", "C3", "C4", "C5", "C6", "C7", "C8", "C9"]

    def test_one_team(self) -> None:
        data = scorecard(CHILDREN, date(2022, 3, 31), team="south").as_json()
        assert (data["team"], data["adopted"]) == ("south", 2)
        assert data["A1"] == {"days": 340, "children": 2, "threshold_days": 426}
        assert data["A2"] == {"days": 125, "children": 2, "threshold_days": 121}
        assert data["A3"] == {"percent": 100.0, "children": 2}
        assert data["years"]["2019-20"] == {
            "adopted": 0, "A1": {"days": None, "children": 0},
            "A2": {"days": None, "children": 0}, "A3": {"percent": None, "children": 0},
            "A10": {"days": None, "children": 0}}

    def test_29_february_period_end(self) -> None:
        children = [child("L1", "2019-01-01", "2021-02-28", placed="2019-07-01"),
                    child("L2", "2019-01-01", "2021-03-01", placed="2019-07-02"),
                    child("L3", "2019-01-01", "2024-02-29", placed="2019-07-03")]
        card = scorecard(children, date(2024, 2, 29))
        assert [(c.dates.case_ref, c.year) for c in card.children] == [
            ("L2", "2021-22"), ("L3", "2023-24")]
        # 2019-01-01 to 2019-07-02 is 182 days, to 2019-07-03 183: 182.5, half up.
        assert card.as_json()["A1"] == {"days": 183, "children": 2, "threshold_days": 426}


class TestWorkedExample:
    """docs/scorecard.md's worked example, figure by figure."""

    def test_the_documented_figures(self) -> None:
        children = [
            child("K1", "2019-01-31", "2020-10-01", placed="2020-03-31", order="2019-06-03",
                  matched="2019-09-02"),
            child("K2", "2019-06-03", "2021-03-31", placed="2020-07-27", fostered="2019-07-01",
                  order="2019-10-01", matched="2019-09-21"),
            child("K3", "2020-01-06", "2021-06-30", order="2020-06-01", matched="2020-09-01",
                  not_placed="2021-05-04")]
        card = scorecard(children, date(2022, 3, 31))
        k1, k2, k3 = card.children
        assert (k1.a1, k1.a10, k1.a2, k1.a3, k1.a3_by) == (425, 425, 91, False,
                                                           date(2020, 3, 31))
        assert (k2.a1, k2.a10, k2.a2, k2.a3, k2.a3_by) == (420, 28, 0, True, date(2020, 8, 3))
        assert (k3.a1, len(k3.left_out)) == (None, 4)
        data = card.as_json()
        assert [data[key] for key in ("adopted", "A1", "A2", "A3", "A10")] == [
            3, {"days": 423, "children": 2, "threshold_days": 426},
            {"days": 46, "children": 2, "threshold_days": 121},
            {"percent": 50.0, "children": 2},
            {"days": 227, "children": 2, "threshold_days": 426}]
        assert {label: year["adopted"] for label, year in data["years"].items()} == {
            "2019-20": 0, "2020-21": 2, "2021-22": 1}
        assert data["years"]["2021-22"]["A1"] == {"days": None, "children": 0}


dates = st.dates(min_value=date(2000, 1, 1), max_value=date(2030, 12, 31))


class TestProperties:
    """Invariants over any dates."""

    @given(dates, st.integers(0, 3000), st.integers(0, 3000))
    def test_a10_never_exceeds_a1_when_fostering_came_first(self, entered: date, to_foster: int,
                                                           more: int) -> None:
        fostered = entered + timedelta(days=to_foster)
        placed = fostered + timedelta(days=more)
        figures = child_figures(ChildDates("X", "t", entered, placed + timedelta(days=1),
                                           placed_with_adopters=placed,
                                           fostered_by_adopters=fostered))
        assert figures.a1 is not None and figures.a10 is not None
        assert figures.a10 <= figures.a1

    @given(dates, dates, dates)
    def test_a2_is_never_negative(self, order: date, matched: date, placed: date) -> None:
        entered = min(order, matched, placed)
        figures = child_figures(ChildDates("X", "t", entered, placed, placed_with_adopters=placed,
                                           placement_order=order, matched=matched))
        assert figures.a2 is not None and figures.a2 >= 0

    @given(dates, st.lists(dates, max_size=30))
    def test_each_child_counted_falls_in_one_year(self, period_end: date,
                                                  adopted: list[date]) -> None:
        children = [ChildDates(f"X{n}", "t", day - timedelta(days=400), day,
                               placed_with_adopters=day - timedelta(days=100))
                    for n, day in enumerate(adopted)]
        card = scorecard(children, period_end)
        assert card.adopted == sum(window_start(period_end) <= day <= period_end
                                   for day in adopted)
        data = card.as_json()
        assert sum(year["adopted"] for year in data["years"].values()) == card.adopted
        years = card.years
        assert years[0].first == card.window_start and years[-1].last == period_end
        assert all(earlier.last + timedelta(days=1) == later.first
                   for earlier, later in itertools.pairwise(years))

    @given(st.lists(st.integers(0, 5000), min_size=1, max_size=50))
    def test_the_mean_lies_between_the_least_and_the_most(self, values: list[int]) -> None:
        mean = mean_days(values)
        assert mean is not None and min(values) <= mean <= max(values)


# -- the command line, on SQLite and PostgreSQL ----------------------------------------------

LEADS = ("lead_id,name,role,team,notify\n"
         "sw-1,Sam Worker,social_worker,north,json://localhost/\n"
         "sm-all,Sue Manager,service_manager,*,json://localhost/\n")


def _csv_files(tmp_path: Path) -> tuple[Path, Path, Path]:
    """CHILDREN as the leads, cases and events CSV files a council would import, on both
    built-in adoption timelines, some cases open and some closed."""
    cases = ["case_ref,timeline,team,social_worker,looked_after_on,closed_on"]
    events = ["case_ref,milestone,occurred_on,kind"]
    for number, item in enumerate(CHILDREN):
        closed = item.adoption_order.isoformat() if number % 2 else ""  # open and closed
        timeline = "england-adoption" if number % 3 else "england-adoption-return"  # any
        cases.append(f"{item.case_ref},{timeline},{item.team},sw-1,"
                     f"{item.entered_care},{closed}")
        for milestone, day in (("placement_order", item.placement_order),
                               ("matched", item.matched),
                               ("fostered_by_adopters", item.fostered_by_adopters),
                               ("placed_with_adopters", item.placed_with_adopters),
                               ("adoption_order", item.adoption_order)):
            if day is not None:
                events.append(f"{item.case_ref},{milestone},{day},done")
        if item.no_adoptive_placement is not None:
            events.append(f"{item.case_ref},placed_with_adopters,"
                          f"{item.no_adoptive_placement},not_applicable")
    files = []
    for name, text in (("leads", LEADS), ("cases", "\n".join(cases) + "\n"),
                       ("events", "\n".join(events) + "\n")):
        path = tmp_path / f"{name}.csv"
        path.write_text(text, encoding="utf-8")
        files.append(path)
    return files[0], files[1], files[2]


def run(db: str, *args: str) -> object:
    return runner.invoke(app, ["--db", db, *args],
                         catch_exceptions=False)


def load_children(db_url: str, tmp_path: Path) -> str:
    """CHILDREN in the store at `db_url`, imported as a council would import them."""
    leads, cases, events = _csv_files(tmp_path)
    assert run(db_url, "init").exit_code == 0  # type: ignore[attr-defined]
    for kind, path in (("leads", leads), ("cases", cases), ("events", events)):
        result = run(db_url, "import", kind, str(path))
        assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    return db_url


@pytest.fixture
def adopted(db_url: str, tmp_path: Path, store_templates: StoreTemplates) -> str:
    """A store holding CHILDREN, on SQLite and on PostgreSQL: a copy of the session's, made
    once by `load_children`."""
    return store_templates.copy(db_url, "adopted", lambda url: load_children(url, tmp_path))


class TestCommand:
    """`permanence scorecard` reads the store and prints the contract's figures."""

    def test_json_is_the_contract_example(self, adopted: str) -> None:
        result = run(adopted, "scorecard", "--period-end", "2022-03-31", "--format", "json")
        assert result.exit_code == 0  # type: ignore[attr-defined]
        assert json.loads(result.stdout) == CONTRACT_EXAMPLE  # type: ignore[attr-defined]

    def test_team(self, adopted: str) -> None:
        result = run(adopted, "scorecard", "--period-end", "2022-03-31", "--format", "json",
                     "--team", "south")
        data = json.loads(result.stdout)  # type: ignore[attr-defined]
        assert (data["adopted"], data["A1"]["days"], data["A2"]["days"]) == (2, 340, 125)

    def test_unknown_team(self, adopted: str) -> None:
        result = run(adopted, "scorecard", "--team", "west")
        assert result.exit_code == 1  # type: ignore[attr-defined]
        assert result.stderr == (  # type: ignore[attr-defined]
            "no case is in team 'west'; the teams are: north, south\n")

    def test_bad_period_end(self, adopted: str) -> None:
        result = run(adopted, "scorecard", "--period-end", "2022-02-30")
        assert result.exit_code == 1  # type: ignore[attr-defined]
        assert result.stderr == (  # type: ignore[attr-defined]
            "--period-end '2022-02-30' is not a real date\n")

    def test_csv(self, adopted: str) -> None:
        result = run(adopted, "scorecard", "--period-end", "2022-03-31", "--format", "csv")
        rows = list(csv.reader(io.StringIO(result.stdout)))  # type: ignore[attr-defined]
        assert rows[0] == ["period_end", "window_start", "team", "year", "from", "to",
                           "adopted", "measure", "days", "percent", "children",
                           "threshold_days"]
        assert rows[1:5] == [
            ["2022-03-31", "2019-04-01", "", "all", "2019-04-01", "2022-03-31", "9", "A1",
             "466", "", "8", "426"],
            ["2022-03-31", "2019-04-01", "", "all", "2019-04-01", "2022-03-31", "9", "A2",
             "159", "", "7", "121"],
            ["2022-03-31", "2019-04-01", "", "all", "2019-04-01", "2022-03-31", "9", "A3",
             "", "37.5", "8", ""],
            ["2022-03-31", "2019-04-01", "", "all", "2019-04-01", "2022-03-31", "9", "A10",
             "294", "", "8", "426"]]
        assert rows[5] == ["2022-03-31", "2019-04-01", "", "2019-20", "2019-04-01",
                           "2020-03-31", "2", "A1", "667", "", "2", "426"]
        assert len(rows) == 1 + 16

    def test_children_csv(self, adopted: str) -> None:
        result = run(adopted, "scorecard", "--period-end", "2022-03-31", "--format", "csv",
                     "--children")
        rows = list(csv.DictReader(io.StringIO(result.stdout)))  # type: ignore[attr-defined]
        assert [row["case_ref"] for row in rows] == [
            "C1", "C2", "C3", "C4", "C5", "C6", "C7", "C8", "C9"]
        assert rows[1] == {
            "case_ref": "C2", "team": "north", "year": "2019-20", "entered_care": "2017-03-15",
            "placement_order": "2017-10-01", "matched": "2018-06-08",
            "fostered_by_adopters": "2017-08-19", "placed_with_adopters": "2019-03-18",
            "adoption_order": "2020-03-31", "A1_days": "733", "A2_days": "250",
            "entered_care_plus_14_months": "2018-05-15", "A3_within_14_months": "no",
            "A10_days": "157", "left_out": ""}
        assert rows[7]["left_out"] == "A2: no match date (no matched recorded)"
        assert rows[8]["left_out"] == (
            "A1, A2, A3, A10: no adoptive placement (placed_with_adopters recorded not "
            "applicable on 2021-05-04)")

    def test_children_json(self, adopted: str) -> None:
        result = run(adopted, "scorecard", "--period-end", "2022-03-31", "--format", "json",
                     "--children")
        data = json.loads(result.stdout)  # type: ignore[attr-defined]
        assert {key: data[key] for key in CONTRACT_EXAMPLE} == CONTRACT_EXAMPLE
        assert data["children"][4] == {
            "case_ref": "C5", "team": "north", "year": "2020-21", "entered_care": "2019-06-03",
            "placement_order": "2019-10-01", "matched": "2019-09-21",
            "fostered_by_adopters": None, "placed_with_adopters": "2020-07-27",
            "adoption_order": "2021-03-31", "A1_days": 420, "A2_days": 0,
            "entered_care_plus_14_months": "2020-08-03", "A3_within_14_months": True,
            "A10_days": 420, "left_out": []}

    def test_table(self, adopted: str) -> None:
        result = run(adopted, "scorecard", "--period-end", "2022-03-31", "--children")
        assert result.exit_code == 0  # type: ignore[attr-defined]
        text = result.stdout  # type: ignore[attr-defined]
        assert text.startswith("Adoption scorecard, 2019-04-01 to 2022-03-31, all teams: 9 "
                               "children adopted\n")
        lines = text.splitlines()
        a1 = next(line for line in lines if line.startswith("│ A1 "))
        assert [cell.strip() for cell in a1.split("│")[1:-1]] == [
            "A1", "days from entering care to moving in with adopters (mean)", "466 (8)",
            "426 days: over", "667 (2)", "367 (3)", "432 (3)"]
        a3 = next(line for line in lines if line.startswith("│ A3 "))
        assert [cell.strip() for cell in a3.split("│")[1:-1]][2:] == [
            "37.5% (8)", "", "0.0% (2)", "100.0% (3)", "0.0% (3)"]
        assert lines[-3:] == [
            "Left out:", "  C8: A2: no match date (no matched recorded)",
            ("  C9: A1, A2, A3, A10: no adoptive placement (placed_with_adopters recorded "
             "not applicable on 2021-05-04)")]

    def test_an_empty_window(self, adopted: str) -> None:
        result = run(adopted, "scorecard", "--period-end", "2012-03-31", "--format", "json")
        data = json.loads(result.stdout)  # type: ignore[attr-defined]
        assert (data["adopted"], data["A1"], data["A3"]) == (
            0, {"days": None, "children": 0, "threshold_days": 426},
            {"percent": None, "children": 0})


class TestReportPage:
    """The report's scorecard page: the window ending on the latest 31 March on or before
    the as-of date, its years and teams, and a run chart per measure; the overview links it."""

    def test_every_team(self, adopted: str, tmp_path: Path) -> None:
        out = tmp_path / "report"
        result = run(adopted, "report", "--as-of", "2022-05-10", "--out", str(out))
        assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
        html = (out / "scorecard.html").read_text(encoding="utf-8")
        page = text_of(html)
        assert "1 Apr 2019 to 31 Mar 2022 · all teams · 9 children adopted" in page
        assert ("A1 Days from entering care to moving in with the adoptive family (mean) "
                "466 days (8) 426 days over 667 days (2) 367 days (3) 432 days (3)") in page
        assert ("A3 Children who moved in within 14 months of entering care (share of A1's "
                "children) 37.5% (8) 0.0% (2) 100.0% (3) 0.0% (3)") in page
        # north: C1, C2, C5 to C9. A1 3048 / 6 = 508; A2 863 / 5 = 172.6; A3 1 of 6;
        # A10 1672 / 6 = 278.67.
        assert ("north 7 508 days (6) over 173 days (5) over 16.7% (6) 279 days (6) "
                "within") in page
        assert "south 2 340 days (2) within 125 days (2) over 100.0% (2) 340 days (2) within" \
            in page
        assert html.count('aria-label="Run chart: ') == 4
        assert 'aria-label="Run chart: A2 by quarter of adoption"' in html
        assert '<a href="scorecard.html">Adoption scorecard</a>' in (
            out / "index.html").read_text(encoding="utf-8")

    def test_one_team(self, adopted: str, tmp_path: Path) -> None:
        out = tmp_path / "report"
        result = run(adopted, "report", "--as-of", "2022-05-10", "--team", "south", "--out",
                     str(out))
        assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
        page = text_of((out / "scorecard.html").read_text(encoding="utf-8"))
        assert "1 Apr 2019 to 31 Mar 2022 · team south · 2 children adopted" in page
        assert "north" not in page

    def test_a_window_without_adoptions(self, adopted: str, tmp_path: Path) -> None:
        out = tmp_path / "report"
        assert run(adopted, "report", "--as-of", "2026-11-16", "--out",  # type: ignore[attr-defined]
                   str(out)).exit_code == 0
        page = text_of((out / "scorecard.html").read_text(encoding="utf-8"))
        assert "1 Apr 2023 to 31 Mar 2026 · all teams · 0 children adopted" in page
        assert "No child was adopted in the period." in page
        assert page.count("No child counted.") == 4


class TestWebPage:
    """The web page serves the scorecard page in each board's folder, as the report names it:
    a lead sees their own team's, a lead with team `*` every team's."""

    def test_per_team(self, adopted: str) -> None:
        import warnings

        with warnings.catch_warnings():  # as tests/test_web.py: httpx2 is not installed
            warnings.filterwarnings("ignore", message="Using `httpx` with")
            from starlette.testclient import TestClient
        from sqlmodel import Session

        from permanence import store
        from permanence.timelines import load_timelines
        from permanence.web.auth import hash_password
        from permanence.web.server import web_app
        from permanence.web.settings import WebSettings

        engine = store.make_engine(adopted)
        try:
            with Session(engine) as session, session.begin():
                for lead_id in ("sw-1", "sm-all"):
                    store.save_account(session=session, lead_id=lead_id,
                                       password_hash=hash_password(f"{lead_id}-password"),
                                       with_names=False)
            for lead_id, seen in (("sw-1", "team north · 7 children"),
                                  ("sm-all", "all teams · 9 children")):
                with TestClient(web_app(engine, load_timelines(), WebSettings()),
                                follow_redirects=False) as client:
                    form = client.get("/sign-in").text
                    token = form.split('name="csrf" value="', 1)[1].split('"', 1)[0]
                    assert client.post("/sign-in", data={
                        "csrf": token, "lead_id": lead_id,
                        "password": f"{lead_id}-password"}).status_code == 303
                    board = client.get("/days/2022-05-10/scorecard.html")
                    assert board.status_code == 200
                    assert f"1 Apr 2019 to 31 Mar 2022 · {seen} adopted" in text_of(board.text)
                    south = client.get("/days/2022-05-10/teams/south/scorecard.html")
                    if lead_id == "sw-1":
                        assert south.status_code == 404
                    else:
                        assert "team south · 2 children adopted" in text_of(south.text)
        finally:
            engine.dispose()


class TestInChromium:
    """The scorecard page loads in headless Chromium with no console error and no request
    other than its own file, and nothing runs past its column or the page."""

    @pytest.mark.parametrize("width", [1024, 1400])
    def test_loads_cleanly(self, sqlite_url: str, tmp_path: Path, width: int) -> None:
        from test_report import Browser, chromium

        adopted = load_children(sqlite_url, tmp_path)
        out = tmp_path / "report"
        assert run(adopted, "report", "--as-of", "2022-05-10", "--out",  # type: ignore[attr-defined]
                   str(out)).exit_code == 0
        url = (out / "scorecard.html").as_uri()
        browser = Browser(chromium(), tmp_path / "chromium-profile")
        try:
            browser.open(url, width=width)
            assert browser.problems() == []
            assert browser.requests() == [url]
            found = browser.call("Runtime.evaluate", session=True, returnByValue=True,
                                 expression=(
                "(() => { const page = document.documentElement.clientWidth; return [...document"
                ".querySelectorAll('table, figure, .chart, .tile')].filter(el => { const right ="
                " el.getBoundingClientRect().right; return right > page + 1 || right >"
                " el.parentElement.getBoundingClientRect().right + 1; }).map(el => el.tagName);"
                " })()"))["result"]["value"]
            assert found == []
        finally:
            browser.close()


class TestDailyCheck:
    """The daily check publishes the `scorecard` artifact when its period end (the latest
    31 March on or before its day) differs from that of the check before it; not on a store's
    first check (nothing has moved), nor on the days between."""

    def test_when_due(self) -> None:
        from permanence.flows.scorecard import scorecard_due

        assert not scorecard_due(None, date(2022, 3, 30))
        assert scorecard_due(date(2022, 3, 30), date(2022, 3, 31))
        assert not scorecard_due(date(2022, 3, 31), date(2022, 4, 1))
        assert not scorecard_due(date(2021, 4, 1), date(2022, 3, 30))
        assert scorecard_due(date(2021, 3, 1), date(2022, 4, 5))  # checks a year apart

    def test_published_when_the_period_end_moves(self, prefect_harness: None, sqlite_url: str,
                                                 tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
        from test_drift_check import run_artifacts

        from permanence.check import run_check
        from permanence.config import CheckConfig

        monkeypatch.setenv("PERMANENCE_WEB_URL", "https://permanence.example.org")
        load_children(sqlite_url, tmp_path)
        config = CheckConfig(db=sqlite_url, rules=(), notify=False)
        published = {}
        for day in (date(2022, 3, 30), date(2022, 3, 31), date(2022, 4, 1)):
            artifacts = {a.key: a for a in run_artifacts(run_check(config, day))}
            published[day] = artifacts.get("scorecard")
        first, moved, after = published.values()
        assert first is None and after is None
        assert moved is not None
        lines = moved.data.splitlines()
        assert lines[:2] == ["# Adoption scorecard, 2019-04-01 to 2022-03-31", ""]
        assert lines[4:7] == ["| measure | three years | threshold | 2019-20 | 2020-21 | 2021-22 |",
                              "|---|---:|---:|---:|---:|---:|",
                              "| adopted | 9 | | 2 | 3 | 4 |"]
        assert lines[7] == ("| A1 | 466 days (8) | 426 days: **over** | 667 days (2) | "
                            "367 days (3) | 432 days (3) |")
        assert lines[9] == "| A3 | 37.5% (8) |  | 0.0% (2) | 100.0% (3) | 0.0% (3) |"
        assert "| south | 2 | 340 days (2) | 125 days (2) | 100.0% (2) | 340 days (2) |" in lines
        assert lines[-1] == ("[The scorecard page]"
                             "(https://permanence.example.org/days/2022-03-31/scorecard.html)")
        assert moved.description == "Adoption scorecard, period ending 2022-03-31"


RETURN = {
    "header.csv": "CHILD,SEX,DOB,ETHNIC\n1001,1,01/01/2015,WBRI\n1002,2,03/04/2016,WBRI\n",
    "episodes.csv": ("CHILD,DECOM,RNE,LS,PLACE,DEC,REC\n"
                     "1001,10/01/2018,S,C2,U1,01/09/2018,X1\n"
                     "1001,01/09/2018,L,E1,U1,10/01/2019,X1\n"
                     "1001,10/01/2019,P,E1,A5,01/07/2019,E11\n"
                     "1002,05/03/2019,S,C2,U1,01/08/2019,X1\n"
                     "1002,01/08/2019,L,E1,U1,01/02/2020,X1\n"
                     "1002,01/02/2020,T,E1,A3,15/10/2020,E12\n"),
    "ad1.csv": ("CHILD,DATE_INT,DATE_MATCH,FOSTER_CARE\n"
                "1001,01/10/2018,01/12/2018,0\n1002,01/09/2019,15/11/2019,1\n"),
    "placed.csv": ("CHILD,DATE_PLACED,DATE_PLACED_CEASED\n"
                   "1001,15/06/2018,\n1002,20/07/2019,\n"),
}


class TestFromTheReturn:
    """The scorecard of children loaded from an SSDA903 return onto the built-in timelines
    (no rule file of our own): 1001 placed for adoption (A5) and adopted (E11); 1002 fostered
    (U1) from entering care by the carers who adopted them (A3, E12, FOSTER_CARE 1), so its
    A10 counts from its first day in care.

    1001: entered 2018-01-10, placement order (LS E1) 2018-09-01, matched 2018-12-01, moved
    in 2019-01-10, adopted 2019-07-01: A1 365, A2 91, A3 yes (by 2019-03-10), A10 365.
    1002: entered 2019-03-05, order 2019-08-01, matched 2019-11-15, fostered by the adopters
    2019-03-05, moved in 2020-02-01, adopted 2020-10-15: A1 333, A2 106, A3 yes, A10 0."""

    def test_scorecard(self, db_url: str, tmp_path: Path) -> None:
        def cli(*args: str) -> object:
            return runner.invoke(app, ["--db", db_url, *args], catch_exceptions=False)

        (tmp_path / "leads.csv").write_text(LEADS, encoding="utf-8")
        for name, text in RETURN.items():
            (tmp_path / name).write_text(text, encoding="utf-8")
        assert cli("init").exit_code == 0  # type: ignore[attr-defined]
        assert cli("import", "leads", str(tmp_path / "leads.csv")).exit_code == 0  # type: ignore[attr-defined]
        result = cli("import", "ssda903", *(str(tmp_path / name) for name in RETURN),
                     "--team", "north", "--social-worker", "sw-1")
        assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
        result = cli("scorecard", "--period-end", "2021-03-31", "--format", "json",
                     "--children")
        data = json.loads(result.stdout)  # type: ignore[attr-defined]
        assert [(c["case_ref"], c["year"], c["A1_days"], c["A2_days"],
                 c["A3_within_14_months"], c["A10_days"]) for c in data["children"]] == [
            ("1001-20180110", "2019-20", 365, 91, True, 365),
            ("1002-20190305", "2020-21", 333, 106, True, 0)]
        # A1 (365 + 333) / 2 = 349; A2 (91 + 106) / 2 = 98.5 -> 99; A10 365 / 2 = 182.5 -> 183.
        assert [data[key] for key in ("adopted", "A1", "A2", "A3", "A10")] == [
            2, {"days": 349, "children": 2, "threshold_days": 426},
            {"days": 99, "children": 2, "threshold_days": 121},
            {"percent": 100.0, "children": 2},
            {"days": 183, "children": 2, "threshold_days": 426}]
