"""Measures: the report's figures against small cases worked out by hand.

The timeline `t` used throughout: `start` (the day the child became looked after), `step` due
10 days after it, and `next` due 5 days after `step`. `next` is the timeline's last milestone,
so a journey runs from `start` to `next`.
"""

from __future__ import annotations

import itertools
import statistics
from datetime import date, timedelta
from fractions import Fraction
from math import comb
from typing import ClassVar

import pytest
from hypothesis import given
from hypothesis import strategies as st

from permanence.evaluate import (
    CaseFacts,
    Evaluation,
    LeadDirectory,
    MilestoneStatus,
    Status,
    UnresolvedRole,
    evaluate,
)
from permanence.measures import (
    CSV_COLUMNS,
    ExtensionMeasure,
    JourneyMeasure,
    MonthMeasure,
    QualityItem,
    RagRow,
    WorkloadRow,
    csv_rows,
    drift,
    extension_counts,
    forecast,
    history_measures,
    measure,
    median,
    month_of,
    open_case_quality,
    paused_within,
    percentile,
    rag_counts,
    run_chart,
)
from permanence.measures.stats import RUNS_LIMITS
from permanence.report.layout import Projector, Step
from permanence.timelines import parse_rule_text

RULES = {"t": parse_rule_text("""\
timeline: t
title: T
jurisdiction: scotland
version: "1"
milestones:
  - id: start
    title: Start
  - id: step
    title: Step
    after: start
    within: 10 days
    escalate:
      - {after: 1 day, to: team_leader}
  - id: next
    title: Next
    after: step
    within: 5 days
""", "t.yaml")}
LEADS = [("sw-1", "social_worker", "north"), ("sw-2", "social_worker", "south"),
         ("tl-north", "team_leader", "north")]
AS_OF = date(2026, 3, 31)


def case(ref: str, looked_after_on: date, *, team: str = "north", worker: str = "sw-1",
         closed_on: date | None = None, **completions: date) -> CaseFacts:
    return CaseFacts(ref, "t", team, worker, looked_after_on, closed_on, completions)


def d(month: int, day: int) -> date:
    return date(2026, month, day)


# Hand-worked: `step` is due 10 days after looked_after_on, `next` 5 days after `step`.
#   C-1  start 01-05  step 01-10 ( 5 d, due 01-15, on time)  next 01-20 (10 d, due 01-15, late)
#   C-2  start 01-12  step 01-31 (19 d, due 01-22, late)
#   C-3  start 01-20  step 02-02 (13 d, due 01-30, late)
#   C-4  start 01-25  step 02-04 (10 d, due 02-04, on time: on the due date)
#                                  next 02-09 ( 5 d, due 02-09, on time)
#   C-5  closed 03-01, still counted: start 02-01  step 02-06 (5 d, on time)
#   C-6  looked after after the as-of date: not counted
#   C-7  step dated after the as-of date: ignored
WORKED = [
    case("C-1", d(1, 5), step=d(1, 10), next=d(1, 20)),
    case("C-2", d(1, 12), step=d(1, 31)),
    case("C-3", d(1, 20), step=d(2, 2)),
    case("C-4", d(1, 25), step=d(2, 4), next=d(2, 9)),
    case("C-5", d(2, 1), closed_on=d(3, 1), step=d(2, 6)),
    case("C-6", d(4, 2), step=d(4, 3)),
    case("C-7", d(3, 20), step=d(4, 1)),
]


class TestMedian:
    """The middle value; the mean of the two middle values for an even count."""

    @pytest.mark.parametrize(("values", "expected"), [
        ([7], 7.0), ([3, 1, 2], 2.0), ([5, 19], 12.0), ([13, 10], 11.5),
        ([4, 1, 3, 2], 2.5), ([10, 10, 10, 40], 10.0)])
    def test_worked(self, values: list[int], expected: float) -> None:
        assert median(values) == expected

    def test_empty_is_refused(self) -> None:
        with pytest.raises(ValueError, match="median of no values"):
            median([])


class TestPercentile:
    """Nearest rank: the value at position ceil(p * n) of the sorted values (1-based)."""

    @pytest.mark.parametrize(("values", "expected"), [
        ([42], 42),                         # n=1: rank 1
        ([5, 19], 19),                      # ceil(1.8) = 2
        (list(range(1, 11)), 9),            # ceil(9.0) = 9: exactly 90% are <= 9
        (list(range(1, 12)), 10),           # ceil(9.9) = 10
        (list(range(20, 0, -1)), 18),       # unsorted input; ceil(18.0) = 18
        ([1, 1, 1, 1, 1, 1, 1, 1, 1, 100], 1),
        ([1, 1, 1, 1, 1, 1, 1, 1, 100, 100], 100)])
    def test_worked(self, values: list[int], expected: int) -> None:
        assert percentile(values, 0.9) == expected

    def test_median_rank(self) -> None:
        assert percentile([1, 2, 3, 4], 0.5) == 2

    @given(st.lists(st.integers(min_value=0, max_value=3000), min_size=1, max_size=60))
    def test_is_a_value_with_at_least_90_percent_at_or_below(self, values: list[int]) -> None:
        p90 = percentile(values, 0.9)
        assert p90 in values
        assert sum(v <= p90 for v in values) >= 0.9 * len(values)
        assert sum(v < p90 for v in values) < 0.9 * len(values)


class TestMonthOf:
    """The calendar month a completion falls in."""

    def test_month(self) -> None:
        assert month_of(date(2026, 1, 31)) == "2026-01"
        assert month_of(date(2026, 12, 1)) == "2026-12"


class TestRunChart:
    """The centre line is the median of the points; six or more consecutive points on one side
    of it are a shift, and points on the line neither break nor extend a run."""

    def test_centre(self) -> None:
        assert run_chart([3, 1, 2]).centre == 2.0
        assert run_chart([]).centre == 0.0

    def test_six_below_then_six_above_is_two_shifts(self) -> None:
        points = [1, 1, 1, 1, 1, 1, 9, 9, 9, 9, 9, 9]
        chart = run_chart(points)
        assert chart.centre == 5.0
        assert chart.shift_points == tuple(range(12))

    def test_five_is_not_a_shift(self) -> None:
        assert run_chart([1, 1, 1, 1, 1, 9, 9, 9, 9, 9]).shift_points == ()

    def test_points_on_the_line_are_skipped(self) -> None:
        # centre 5: the 5s neither count nor break the run of six below
        points = [1, 2, 5, 1, 2, 5, 1, 2, 9, 9, 9, 8, 5, 5]
        chart = run_chart(points)
        assert chart.centre == 5.0
        assert chart.shift_points == (0, 1, 3, 4, 6, 7)


class TestRunChartRules:
    """Trend: five or more points each higher (or each lower) than the one before, like values
    skipped; runs: the number of runs of useful observations against the table for their
    number; astronomical: further from the centre line than 3.145 median moving ranges, with
    ten points or more."""

    @pytest.mark.parametrize(("points", "expected"), [
        ([1, 2, 3, 4, 5], (0, 1, 2, 3, 4)),
        ([1, 2, 3, 4], ()),                                # four is not a trend
        ([1, 2, 2, 3, 4, 5], (0, 1, 2, 3, 4, 5)),          # the second 2 neither makes nor breaks
        ([1, 2, 2, 3, 4], ()),                             # only four distinct steps
        ([5, 4, 3, 3, 2, 1], (0, 1, 2, 3, 4, 5)),
        ([1, 2, 3, 4, 5, 4, 3, 2, 1], tuple(range(9))),    # up to 5, then down from it
        ([3, 1, 2, 3, 4, 5, 5], (1, 2, 3, 4, 5, 6)),
    ])
    def test_trend(self, points: list[float], expected: tuple[int, ...]) -> None:
        assert run_chart(points).trend_points == expected

    def test_too_many_runs(self) -> None:
        # centre 5; ten useful observations alternating: ten runs, the table allows 3 to 9
        chart = run_chart([1, 9] * 5)
        assert (chart.centre, chart.useful, chart.runs, chart.runs_expected) == (
            5.0, 10, 10, (3, 9))
        assert chart.runs_signal == "too many runs"

    def test_too_few_runs(self) -> None:
        chart = run_chart([1, 1, 1, 1, 1, 9, 9, 9, 9, 9])
        assert (chart.runs, chart.runs_signal) == (2, "too few runs")

    def test_runs_within_the_table(self) -> None:
        # 1 1 | 9 9 | 1 1 | 9 9 | 1 | 9: six runs, inside 3 to 9
        chart = run_chart([1, 1, 9, 9, 1, 1, 9, 9, 1, 9])
        assert (chart.runs, chart.runs_expected, chart.runs_signal) == (6, (3, 9), None)

    def test_runs_not_judged_under_ten_useful_observations(self) -> None:
        # eleven points, the median (5) among them twice: nine useful observations
        chart = run_chart([1, 9, 5, 1, 9, 5, 1, 9, 1, 9, 1])
        assert (chart.useful, chart.runs_expected, chart.runs_signal) == (9, None, None)

    def test_astronomical_point(self) -> None:
        # sorted 10 10 10 11 11 12 12 13 13 40: centre 11.5; moving ranges 2 1 2 3 2 1 2 3 30,
        # median 2, so the bound is 3.145 * 2 = 6.29 from the centre: only 40 (28.5 away)
        chart = run_chart([10, 12, 11, 13, 10, 12, 11, 13, 10, 40])
        assert chart.centre == 11.5
        assert chart.limit == pytest.approx(6.29)
        assert chart.astronomical_points == (9,)

    def test_astronomical_needs_ten_points_and_a_spread(self) -> None:
        assert run_chart([10, 12, 11, 13, 10, 12, 11, 13, 40]).limit is None
        # median moving range 0: no spread to judge by
        flat = run_chart([5, 5, 5, 5, 5, 5, 5, 5, 5, 9])
        assert (flat.limit, flat.astronomical_points) == (None, ())

    def test_runs_table_is_swed_and_eisenhart_at_five_percent(self) -> None:
        """Each row of RUNS_LIMITS recomputed from the chance of each number of runs: by
        counting every arrangement of n // 2 points above and the rest below up to 16 useful
        observations, and by Swed and Eisenhart's closed form beyond."""
        def counts_by_enumeration(n: int) -> dict[int, int]:
            found: dict[int, int] = {}
            for above in itertools.combinations(range(n), n // 2):
                sides = [index in above for index in range(n)]
                runs = 1 + sum(a != b for a, b in itertools.pairwise(sides))
                found[runs] = found.get(runs, 0) + 1
            return found

        def counts_by_formula(n: int) -> dict[int, int]:
            n1, n2 = n // 2, n - n // 2
            found = {}
            for runs in range(2, n + 1):
                k = runs // 2
                found[runs] = (2 * comb(n1 - 1, k - 1) * comb(n2 - 1, k - 1) if runs % 2 == 0
                               else comb(n1 - 1, k) * comb(n2 - 1, k - 1)
                               + comb(n1 - 1, k - 1) * comb(n2 - 1, k))
            return found

        assert set(RUNS_LIMITS) == set(range(10, 61))
        for n, limits in RUNS_LIMITS.items():
            counts = counts_by_enumeration(n) if n <= 16 else counts_by_formula(n)
            total = sum(counts.values())
            assert total == comb(n, n // 2)
            tail = Fraction(1, 40)  # 2.5% each side
            fewest = min(r for r in counts
                         if Fraction(sum(c for s, c in counts.items() if s <= r), total) > tail)
            most = max(r for r in counts
                       if Fraction(sum(c for s, c in counts.items() if s >= r), total) > tail)
            assert limits == (fewest, most), n

    @given(st.lists(st.integers(min_value=0, max_value=6), max_size=24))
    def test_rules_against_brute_force(self, points: list[int]) -> None:
        chart = run_chart(points)
        if not points:
            return
        centre = statistics.median(points)
        sides = [(value > centre) - (value < centre) for value in points]
        shift = set()
        for index, side in enumerate(sides):  # same-side points each way until the other side
            if side == 0:
                continue
            count = 1
            for step in (-1, 1):
                other = index + step
                while 0 <= other < len(sides) and sides[other] != -side:
                    count += sides[other] == side
                    other += step
            if count >= 6:
                shift.add(index)
        trend = set()
        for first in range(len(points)):
            for last in range(first + 1, len(points)):
                span = [v for i, v in enumerate(points[first:last + 1])
                        if i == 0 or v != points[first + i - 1]]
                pairs = list(itertools.pairwise(span))
                if len(span) >= 5 and (all(a < b for a, b in pairs)
                                       or all(a > b for a, b in pairs)):
                    trend.update(range(first, last + 1))
        useful = [side for side in sides if side]
        runs = sum(1 for i, side in enumerate(useful) if i == 0 or side != useful[i - 1])
        assert chart.centre == centre
        assert set(chart.shift_points) == shift
        assert set(chart.trend_points) == trend
        assert (chart.useful, chart.runs) == (len(useful), runs)


class TestFellDue:
    """The on-time share counts every clock that fell due in the month: its due date (as
    evaluation gives it on A) is in the month and before A; done on time, done late, or still
    open (not n/a, and, for a closed case, due before it closed)."""

    def test_done_early_is_not_due_yet(self) -> None:
        # step due 4 Apr, done 28 Mar: a completion in March (3 days, on time) but no clock
        # fell due by 31 Mar, so no share; `next`, due 2 Apr, has not fallen due either
        milestones, _, _ = history_measures(RULES, [case("C-1", d(3, 25), step=d(3, 28))], AS_OF)
        assert milestones == [
            MonthMeasure("t", "step", "Step", "2026-03", 1, 3.0, 3, 1, None, 0, 0, 0, 0, 0)]

    def test_open_on_its_due_date_has_not_fallen_due(self) -> None:
        # step due 31 Mar: on 31 Mar it can still be done on time; from 1 Apr it is open past it
        facts = [case("C-1", d(3, 21))]
        assert history_measures(RULES, facts, AS_OF)[0] == []
        assert history_measures(RULES, facts, d(4, 1))[0] == [
            MonthMeasure("t", "step", "Step", "2026-03", 0, None, None, 0, 0.0, 0, 1, 0, 0, 1)]

    def test_late_completion_counts_in_its_due_month(self) -> None:
        # step due 4 Feb, done 10 Mar (44 days: 25 Jan to 25 Feb is 31, then 13): late, in
        # February's share; March has the completion but no clock due; next due 15 Mar is open
        milestones, _, _ = history_measures(RULES, [case("C-1", d(1, 25), step=d(3, 10))], AS_OF)
        assert [(m.milestone, m.month, m.n, m.median_days, m.share_on_time, m.due, m.due_late,
                 m.due_open) for m in milestones] == [
            ("step", "2026-02", 0, None, 0.0, 1, 1, 0),
            ("step", "2026-03", 1, 44.0, None, 0, 0, 0),
            ("next", "2026-03", 0, None, 0.0, 1, 0, 1)]

    def test_closed_case_counts_what_fell_due_while_open(self) -> None:
        # step due 15 Jan, never done: closed 14 Jan, before it was due, it is not counted;
        # closed 16 Jan, it fell due while the child was in care and counts as open
        assert history_measures(RULES, [case("C-1", d(1, 5), closed_on=d(1, 14))], AS_OF)[0] == []
        [row] = history_measures(RULES, [case("C-1", d(1, 5), closed_on=d(1, 16))], AS_OF)[0]
        assert (row.month, row.due, row.due_open) == ("2026-01", 1, 1)

    def test_not_applicable_is_not_due(self) -> None:
        # step n/a from 10 Jan: not counted; next counts from step's own anchor (5 Jan), due
        # 10 Jan, never done: open
        case_ = life("C-N", not_applicable={"step": d(1, 10)})
        assert due_of([case_], "step") == []
        assert due_of([case_], "next") == [("2026-01", 0, 1, 0, 0, 1, 0.0)]

    def test_open_clock_due_date_moved_by_extension_and_pause(self) -> None:
        # step due 15 Jan; an extension to 10 Apr agreed on 12 Jan: not due by 31 Mar
        extended = life("C-E", extensions={"step": [(d(1, 12), d(4, 10))]})
        assert due_of([extended], "step") == []
        # replayed on 11 Jan (before the approval) it was not due yet either; on 20 Jan with
        # an approval only on 25 Jan, the rule's 15 Jan stands and it is open past it
        assert due_of([extended], "step", d(1, 11)) == []
        later = life("C-E", extensions={"step": [(d(1, 25), d(4, 10))]})
        assert due_of([later], "step", d(1, 20)) == [("2026-01", 0, 1, 0, 0, 1, 0.0)]
        # paused 8-12 Jan: due 15 + 5 = 20 Jan; not fallen due on 20 Jan, open on 21 Jan
        paused = life("C-P", pauses=((d(1, 8), d(1, 12)),))
        assert due_of([paused], "step", d(1, 20)) == []
        assert due_of([paused], "step", d(1, 21)) == [("2026-01", 0, 1, 0, 0, 1, 0.0)]

    def test_recurring_next_occurrence_overdue(self) -> None:
        # review held 20 Jan (due 25 Jan, on time); the next due 20 Feb, not held: open
        held = life("C-R", occurrences={"review": [d(1, 20)]}, completions={"review": d(1, 20)})
        assert due_of([held], "review") == [("2026-01", 1, 1, 1, 0, 0, 1.0),
                                            ("2026-02", 0, 1, 0, 0, 1, 0.0)]
        # marked n/a from 1 Mar: the held one still counts, the next one is not due
        marked = held._replace(not_applicable={"review": d(3, 1)})
        assert due_of([marked], "review") == [("2026-01", 1, 1, 1, 0, 0, 1.0)]


class TestHistoryMeasures:
    """Per milestone and month of completion: n, median and p90 days from the anchor and how
    many were on time; per month of due date, the clocks that fell due and the share of them
    on time; closed cases count, completions after the as-of date do not."""

    def test_worked_example(self) -> None:
        milestones, journeys, quality = history_measures(RULES, WORKED, AS_OF)
        # Completions (n, median, p90, on time) by month of completion, as before; the clocks
        # that fell due by month of due date (before A, 31 Mar):
        #   step Jan: C-1 due 01-15 on time, C-2 due 01-22 late, C-3 due 01-30 late: 1 of 3
        #   step Feb: C-4 due 02-04 on time, C-5 due 02-11 on time: 2 of 2
        #   step Mar: C-7 due 03-30, its completion (04-01) is after A: open, 0 of 1
        #   next Jan: C-1 due 01-15, done 01-20 late: 0 of 1
        #   next Feb: C-4 due 02-09 on time; C-2 due 02-05 and C-3 due 02-07 never done; C-5
        #     due 02-11, closed 03-01 without it (it fell due while the child was in care):
        #     1 of 4
        assert milestones == [
            MonthMeasure("t", "step", "Step", "2026-01", 2, 12.0, 19, 1, 0.3333, 0, 3, 1, 2, 0),
            MonthMeasure("t", "step", "Step", "2026-02", 3, 10.0, 13, 2, 1.0, 0, 2, 2, 0, 0),
            MonthMeasure("t", "step", "Step", "2026-03", 0, None, None, 0, 0.0, 0, 1, 0, 0, 1),
            MonthMeasure("t", "next", "Next", "2026-01", 1, 10.0, 10, 0, 0.0, 0, 1, 0, 1, 0),
            MonthMeasure("t", "next", "Next", "2026-02", 1, 5.0, 5, 1, 0.25, 0, 4, 1, 0, 3),
        ]
        assert journeys == [
            JourneyMeasure("t", "next", "Next", "2026-01", 1, 15.0, 15),
            JourneyMeasure("t", "next", "Next", "2026-02", 1, 15.0, 15),
        ]
        assert quality == []

    def test_earlier_as_of_date_replays_the_past(self) -> None:
        milestones, _, _ = history_measures(RULES, WORKED, d(1, 31))
        # on 31 Jan C-3's step (due 30 Jan) was still open: it fell due and was not done yet
        assert [(m.milestone, m.month, m.n, m.due, m.due_open) for m in milestones] == [
            ("step", "2026-01", 2, 3, 1), ("next", "2026-01", 1, 1, 0)]

    def test_month_is_the_completion_month_not_the_anchor_month(self) -> None:
        # (`next`, due 6 Feb and never done, has a February row of its own: n 0, 1 open)
        row, after = history_measures(RULES, [case("C-1", d(1, 30), step=d(2, 1))], AS_OF)[0]
        assert (row.month, row.median_days) == ("2026-02", 2.0)
        assert (after.milestone, after.n, after.due_open) == ("next", 0, 1)

    def test_out_of_order_is_data_quality_not_a_measure(self) -> None:
        facts = [case("C-9", d(1, 5), step=d(1, 12), next=d(1, 10))]
        milestones, journeys, quality = history_measures(RULES, facts, AS_OF)
        assert [m.milestone for m in milestones] == ["step"]
        # the journey (start to `next`) is still measured: its own dates are in order
        assert journeys == [JourneyMeasure("t", "next", "Next", "2026-01", 1, 5.0, 5)]
        assert quality == [QualityItem("out_of_order", "C-9", "north", "t", "next",
                                       "next completed 2026-01-10, before step (2026-01-12)")]

    def test_completed_without_its_anchor_is_data_quality(self) -> None:
        facts = [case("C-9", d(1, 5), next=d(1, 20))]
        milestones, journeys, quality = history_measures(RULES, facts, AS_OF)
        # `step` itself, due 15 Jan and not recorded, is open past its due date
        assert milestones == [
            MonthMeasure("t", "step", "Step", "2026-01", 0, None, None, 0, 0.0, 0, 1, 0, 0, 1)]
        assert journeys == [JourneyMeasure("t", "next", "Next", "2026-01", 1, 15.0, 15)]
        assert quality == [QualityItem("no_anchor", "C-9", "north", "t", "next",
                                       "next completed 2026-01-20, but step, which it follows, "
                                       "has no date")]

    def test_unknown_milestone(self) -> None:
        facts = [case("C-9", d(1, 5), gone=d(1, 7))]
        _, _, quality = history_measures(RULES, facts, AS_OF)
        assert quality == [QualityItem("unknown_milestone", "C-9", "north", "t", "gone",
                                       "gone completed 2026-01-07, but timeline t has no such "
                                       "milestone")]

    def test_unknown_timeline_is_skipped(self) -> None:
        facts = [CaseFacts("C-9", "other", "north", "sw-1", d(1, 5), None, {"step": d(1, 6)})]
        assert history_measures(RULES, facts, AS_OF) == ([], [], [])

    def test_recorded_start_date_is_the_anchor(self) -> None:
        row, _ = history_measures(  # and `next`, never done, is open past its due date
            RULES, [case("C-1", d(1, 5), start=d(1, 8), step=d(1, 10))], AS_OF)[0]
        assert row.median_days == 2.0

    def test_working_day_clock_decides_on_time(self) -> None:
        rules = {"w": parse_rule_text(
            'timeline: w\ntitle: W\njurisdiction: scotland\nversion: "1"\nmilestones:\n'
            "  - id: start\n    title: Start\n"
            "  - id: step\n    title: Step\n    after: start\n    within: 1 working day\n",
            "w.yaml")}
        # Friday 27 Nov 2026 + 1 working day skips the weekend and Monday 30 November, St
        # Andrew's Day (a Scottish bank holiday): due Tuesday 1 December.
        facts = [CaseFacts("C-1", "w", "north", "sw-1", date(2026, 11, 27), None,
                           {"step": date(2026, 12, 1)}),
                 CaseFacts("C-2", "w", "north", "sw-1", date(2026, 11, 27), None,
                           {"step": date(2026, 12, 2)})]
        [row], _, _ = history_measures(rules, facts, date(2026, 12, 31))
        assert (row.n, row.on_time, row.median_days, row.p90_days) == (2, 1, 4.5, 5)


def status_row(ref: str, status: Status, due: date | None, *, team: str = "north",
               owner: str | None = "sw-1", days_overdue: int | None = None,
               completed_on: date | None = None, milestone: str = "step") -> MilestoneStatus:
    return MilestoneStatus(ref, team, "t", milestone, milestone.title(), status, due, completed_on,
                           days_overdue, owner, (), ())


class TestForecast:
    """Open clocks (green or amber) due in the 28 days starting on the as-of date, per team and
    per owner, in four weeks: week 1 is the as-of date to six days after it."""

    def test_weeks_and_edges(self) -> None:
        rows = [
            status_row("C-1", Status.AMBER, AS_OF),                        # week 1, first day
            status_row("C-2", Status.GREEN, AS_OF + timedelta(days=6)),    # week 1, last day
            status_row("C-3", Status.GREEN, AS_OF + timedelta(days=7)),    # week 2
            status_row("C-4", Status.GREEN, AS_OF + timedelta(days=27)),   # week 4, last day
            status_row("C-5", Status.GREEN, AS_OF + timedelta(days=28)),   # outside
            status_row("C-6", Status.RED, AS_OF - timedelta(days=1), days_overdue=1),
            status_row("C-7", Status.DONE, AS_OF + timedelta(days=3), completed_on=AS_OF),
            status_row("C-8", Status.WAITING, None),
            status_row("C-9", Status.GREEN, AS_OF + timedelta(days=8), team="south",
                       owner=None),
        ]
        by_team, by_lead = forecast(rows, AS_OF)
        assert by_team == [WorkloadRow("north", None, (2, 1, 0, 1)),
                           WorkloadRow("south", None, (0, 1, 0, 0))]
        assert by_lead == [WorkloadRow("north", "sw-1", (2, 1, 0, 1)),
                           WorkloadRow("south", "(nobody)", (0, 1, 0, 0))]
        assert by_team[0].total == 4


class TestBoard:
    """RAG counts per team and per owner count open clocks only; drift lists red by days
    overdue, most first, then amber by due date."""

    ROWS: ClassVar[list[MilestoneStatus]] = [
        status_row("C-1", Status.RED, d(3, 1), days_overdue=30),
        status_row("C-2", Status.RED, d(3, 21), days_overdue=10, owner="sw-2"),
        status_row("C-3", Status.AMBER, d(4, 3)),
        status_row("C-4", Status.AMBER, d(4, 1), owner="sw-2"),
        status_row("C-5", Status.GREEN, d(5, 1), team="south", owner=None),
        status_row("C-6", Status.RED, d(1, 1), days_overdue=89, team="south"),
        status_row("C-7", Status.LATE, d(1, 1), days_overdue=3, completed_on=d(1, 4)),
        status_row("C-8", Status.DONE, d(1, 1), completed_on=d(1, 1)),
        status_row("C-9", Status.WAITING, None),
    ]

    def test_counts(self) -> None:
        by_team, by_lead = rag_counts(self.ROWS)
        assert by_team == [RagRow("north", None, 0, 2, 2), RagRow("south", None, 1, 0, 1)]
        assert by_lead == [RagRow("north", "sw-1", 0, 1, 1), RagRow("north", "sw-2", 0, 1, 1),
                           RagRow("south", "sw-1", 0, 0, 1), RagRow("south", "(nobody)", 1, 0, 0)]

    def test_by_lead_most_red_first(self) -> None:
        rows = [status_row("C-1", Status.GREEN, d(5, 1), owner="a"),
                status_row("C-2", Status.RED, d(3, 1), owner="b", days_overdue=1)]
        _, by_lead = rag_counts(rows)
        assert [row.lead for row in by_lead] == ["b", "a"]

    def test_drift_oldest_first(self) -> None:
        assert [row.case_ref for row in drift(self.ROWS)] == ["C-6", "C-1", "C-2", "C-4", "C-3"]


class TestOpenCaseQuality:
    """Open cases whose social worker is not a lead; other roles that resolve to nobody."""

    def test_items(self) -> None:
        facts = [case("C-1", d(1, 5)), case("C-2", d(1, 5), worker="sw-gone"),
                 case("C-3", d(1, 5), worker="sw-gone", closed_on=d(2, 1)),
                 case("C-4", d(1, 5), team="south", worker="sw-2", step=d(1, 6))]
        evaluation = Evaluation(AS_OF, [], [
            UnresolvedRole("t", "north", "social_worker", ("step",), ("C-2",)),
            UnresolvedRole("t", "south", "team_leader", ("step",), ("C-9",))])
        items = open_case_quality(facts, evaluation, {"sw-1", "sw-2"}, AS_OF)
        assert items == [
            QualityItem("no_social_worker", "C-2", "north", "t", None,
                        "social_worker 'sw-gone' is not a known lead"),
            QualityItem("unresolved_role", None, "south", "t", "step",
                        "no lead has role 'team_leader' in team 'south' or team '*' "
                        "(timeline t, milestones step; 1 case(s): C-9)")]


class TestMeasure:
    """measure() puts it all together; with a team, only that team's cases and rows."""

    def test_team_filter(self) -> None:
        facts = [*WORKED, case("C-8", d(1, 5), team="south", worker="sw-2", step=d(1, 7))]
        evaluation = evaluate(RULES, facts, LeadDirectory(LEADS), AS_OF)
        everyone = measure(timelines=RULES, facts=facts, evaluation=evaluation,
                           lead_ids={"sw-1", "sw-2", "tl-north"}, as_of=AS_OF)
        south = measure(timelines=RULES, facts=facts, evaluation=evaluation,
                        lead_ids={"sw-1", "sw-2", "tl-north"}, as_of=AS_OF, team="south")
        # (March: C-7's step, open past its due date)
        assert [(m.month, m.n) for m in everyone.milestones if m.milestone == "step"] == [
            ("2026-01", 3), ("2026-02", 3), ("2026-03", 0)]
        # C-8's `next`, due 12 Jan and never done, is the south's other row
        assert [(m.milestone, m.month, m.n, m.median_days) for m in south.milestones] == [
            ("step", "2026-01", 1, 2.0), ("next", "2026-01", 0, None)]
        assert {row.team for row in south.rag_by_team} == {"south"}
        assert south.team == "south"
        # the south case has no team leader for `step`'s escalation: not reached, so nothing;
        # its `next`, red since 13 January with no reason given, is (issue 11, part 3)
        assert [(item.kind, item.case_ref, item.milestone) for item in south.quality] == [
            ("unexplained_red", "C-8", "next")]

    def test_json_and_csv(self) -> None:
        evaluation = evaluate(RULES, WORKED, LeadDirectory(LEADS), AS_OF)
        measured = measure(timelines=RULES, facts=WORKED, evaluation=evaluation,
                           lead_ids={"sw-1", "sw-2", "tl-north"}, as_of=AS_OF)
        data = measured.as_json()
        assert data["milestones"][0] == {
            "measure": "milestone", "timeline": "t", "milestone": "step", "title": "Step",
            "month": "2026-01", "n": 2, "median_days": 12.0, "p90_days": 19, "on_time": 1,
            "share_on_time": 0.3333, "extended": 0, "due": 3, "due_on_time": 1, "due_late": 2,
            "due_open": 0}
        assert data["forecast"]["weeks"][0] == {"from": "2026-03-31", "to": "2026-04-06"}
        rows = csv_rows(measured)
        assert all(len(row) == len(CSV_COLUMNS) for row in rows)
        assert rows[-1] == ["journey", "t", "next", "Next", "2026-02", 1, 15.0, 15, "", "", "",
                            "", "", ""]
        assert rows[2] == ["milestone", "t", "step", "Step", "2026-03", 0, "", "", 0, 0.0, 1, 0,
                           0, 1]


class TestProjector:
    """A waiting step is projected as if every earlier step still to come is done on its due
    date, or on the as-of date if it is already overdue."""

    def steps(self, facts: CaseFacts, as_of: date) -> list[Step]:
        rows = evaluate(RULES, [facts], LeadDirectory(LEADS), as_of).statuses
        return Projector(RULES, as_of).steps("t", rows)

    def test_waiting_step_projected_from_the_due_date(self) -> None:
        start, step, after = self.steps(case("C-1", d(1, 5)), d(1, 10))
        assert (start.status, start.completed_on, start.anchor) == (Status.DONE, d(1, 5), None)
        assert (step.status, step.anchor, step.due, step.projected) == (
            Status.GREEN, d(1, 5), d(1, 15), False)
        assert (after.status, after.anchor, after.due, after.projected) == (
            Status.WAITING, d(1, 15), d(1, 20), True)

    def test_overdue_step_is_expected_today(self) -> None:
        _, step, after = self.steps(case("C-1", d(1, 5)), d(1, 18))
        assert (step.status, step.days_overdue) == (Status.RED, 3)
        assert (after.anchor, after.due, after.projected) == (d(1, 18), d(1, 23), True)

    def test_done_steps_are_not_projected(self) -> None:
        _, step, after = self.steps(case("C-1", d(1, 5), step=d(1, 10), next=d(1, 20)), d(2, 1))
        assert (step.anchor, step.due, step.completed_on) == (d(1, 5), d(1, 15), d(1, 10))
        assert (after.status, after.anchor, after.due, after.projected) == (
            Status.LATE, d(1, 10), d(1, 15), False)


# -- Real case lives (version 2): pauses, extensions, steps that no longer apply, recurring
# clocks, lead times and booked dates, all in calendar days so no holiday moves a date.
LIVES = {"t2": parse_rule_text("""\
timeline: t2
title: T2
jurisdiction: scotland
version: "1"
milestones:
  - id: start
    title: Start
  - id: review
    title: Review
    after: start
    within: 20 days
    every: 1 month
  - id: follow
    title: Follow-up
    after: review
    within: 10 days
  - id: step
    title: Step
    after: start
    within: 10 days
  - id: papers
    title: Papers
    before: next
    lead: 3 days
  - id: next
    title: Next
    after: step
    within: 5 days
""", "t2.yaml")}


def life(ref: str, *, completions: dict[str, date] | None = None,
         not_applicable: dict[str, date] | None = None,
         occurrences: dict[str, list[date]] | None = None,
         planned: dict[str, list[tuple[date, date]]] | None = None,
         pauses: tuple[tuple[date, date | None], ...] = (),
         extensions: dict[str, list[tuple[date, date]]] | None = None,
         looked_after_on: date = date(2026, 1, 5),
         closed_on: date | None = None) -> CaseFacts:
    return CaseFacts(ref, "t2", "north", "sw-1", looked_after_on, closed_on, completions or {},
                     not_applicable or {}, occurrences or {}, planned or {}, pauses,
                     extensions or {})


def rows_of(facts: list[CaseFacts], milestone: str,
            as_of: date = AS_OF) -> list[tuple[str, int, float, int, int]]:
    """(month, n, median days, on time, extended) of one milestone's rows with completions."""
    milestones, _, _ = history_measures(LIVES, facts, as_of)
    return [(row.month, row.n, row.median_days, row.on_time, row.extended)
            for row in milestones if row.milestone == milestone and row.n]


def due_of(facts: list[CaseFacts], milestone: str,
           as_of: date = AS_OF) -> list[tuple[str, int, int, int, int, int, float | None]]:
    """(month, n, due, due on time, due late, due open, share on time) of one milestone."""
    milestones, _, _ = history_measures(LIVES, facts, as_of)
    return [(row.month, row.n, row.due, row.due_on_time, row.due_late, row.due_open,
             row.share_on_time) for row in milestones if row.milestone == milestone]


class TestCaseLivesMeasures:
    """An extended step is judged against its agreed date and said to be; paused days are not
    time a step took, and the due date they moved is the one it is judged against; a step after
    one that no longer applies counts from that step's own anchor; a recurring step counts each
    occurrence from the one before, and a step after it from its first occurrence; lead times
    are not measured; extensions granted are counted; at-risk clocks are listed."""

    def test_extended_step_is_on_time_against_its_agreed_date(self) -> None:
        # step due 15 Jan (10 days after 5 Jan), done 20 Jan: 5 days late by the rule, but an
        # extension to 22 Jan was agreed on 12 Jan.
        extended = life("C-E", completions={"step": d(1, 20)},
                        extensions={"step": [(d(1, 12), d(1, 22))]})
        assert rows_of([extended], "step") == [("2026-01", 1, 15.0, 1, 1)]
        # the same step without the extension is late
        assert rows_of([extended._replace(extensions={})], "step") == [
            ("2026-01", 1, 15.0, 0, 0)]
        # replayed on a day before the approval, the agreed date does not count yet
        assert rows_of([life("C-E", completions={"step": d(1, 10)},
                             extensions={"step": [(d(1, 12), d(1, 22))]})],
                       "step", as_of=d(1, 11)) == [("2026-01", 1, 5.0, 1, 0)]

    def test_later_approval_stands(self) -> None:
        # agreed to 17 Jan on 12 Jan, then to 25 Jan on 16 Jan; done 24 Jan: on time
        case_ = life("C-E", completions={"step": d(1, 24)},
                     extensions={"step": [(d(1, 12), d(1, 17)), (d(1, 16), d(1, 25))]})
        assert rows_of([case_], "step") == [("2026-01", 1, 19.0, 1, 1)]

    def test_paused_days_are_not_counted_and_move_the_due_date(self) -> None:
        # paused 8-12 Jan (5 days); step done 19 Jan: 14 calendar days, 9 without the pause;
        # due 15 Jan + 5 paused days = 20 Jan, so on time (late without the pause)
        paused = life("C-P", completions={"step": d(1, 19)}, pauses=((d(1, 8), d(1, 12)),))
        assert rows_of([paused], "step") == [("2026-01", 1, 9.0, 1, 0)]
        assert rows_of([paused._replace(pauses=())], "step") == [("2026-01", 1, 14.0, 0, 0)]

    def test_overlapping_and_open_pauses_count_each_day_once(self) -> None:
        # 6-9 Jan and 8-11 Jan overlap: 6..11 = 6 days; an open pause from 25 Jan runs to A
        # but is after the completion. step done 21 Jan: 16 - 6 = 10 days; due 15 + 6 = 21 Jan
        case_ = life("C-P", completions={"step": d(1, 21)},
                     pauses=((d(1, 6), d(1, 9)), (d(1, 8), d(1, 11)), (d(1, 25), None)))
        assert rows_of([case_], "step") == [("2026-01", 1, 10.0, 1, 0)]

    def test_pause_on_the_anchor_day_is_not_counted(self) -> None:
        # the clock starts on 5 Jan: only days after it stand still (5 Jan itself is day 0)
        case_ = life("C-P", completions={"step": d(1, 16)}, pauses=((d(1, 5), d(1, 6)),))
        assert rows_of([case_], "step") == [("2026-01", 1, 10.0, 1, 0)]

    def test_extension_stands_over_a_pause(self) -> None:
        # paused 8-12 Jan would move the due date to 20 Jan; an extension to 18 Jan stands
        # instead, so done 19 Jan is late; its 14 days are 9 without the pause
        case_ = life("C-P", completions={"step": d(1, 19)}, pauses=((d(1, 8), d(1, 12)),),
                     extensions={"step": [(d(1, 10), d(1, 18))]})
        assert rows_of([case_], "step") == [("2026-01", 1, 9.0, 0, 1)]

    def test_step_after_one_that_no_longer_applies_counts_from_its_anchor(self) -> None:
        # step n/a from 10 Jan passes 5 Jan (its own anchor) to next: done 18 Jan is 13 days,
        # due 10 Jan, late; and no data-quality item for a missing anchor
        case_ = life("C-N", completions={"next": d(1, 18)}, not_applicable={"step": d(1, 10)})
        assert rows_of([case_], "next") == [("2026-01", 1, 13.0, 0, 0)]
        assert rows_of([case_], "step") == []
        assert history_measures(LIVES, [case_], AS_OF)[2] == []

    def test_recurring_occurrences_each_count_from_the_one_before(self) -> None:
        # first review 20 Jan: 15 days from 5 Jan, due 25 Jan, on time; the next due 20 Feb,
        # held 25 Feb: 36 days, late; the next due 25 Mar, held 20 Mar: 23 days, on time.
        # One held after A (5 Apr) and one before the anchor (1 Jan) do not count.
        case_ = life("C-R", occurrences={"review": [d(1, 20), d(2, 25), d(3, 20), d(4, 5),
                                                    d(1, 1)]},
                     completions={"review": d(4, 5), "follow": d(1, 28)})
        assert rows_of([case_], "review") == [
            ("2026-01", 1, 15.0, 1, 0), ("2026-02", 1, 36.0, 0, 0), ("2026-03", 1, 23.0, 1, 0)]
        # follow-up starts from the first review (20 Jan): 8 days, due 30 Jan
        assert rows_of([case_], "follow") == [("2026-01", 1, 8.0, 1, 0)]

    def test_recurring_without_occurrences_list_uses_the_standing_date(self) -> None:
        case_ = life("C-R", completions={"review": d(1, 27)})
        assert rows_of([case_], "review") == [("2026-01", 1, 22.0, 0, 0)]

    def test_pause_moves_a_recurring_due_date(self) -> None:
        # paused 21-30 Jan (10 days): the second review, due 20 Feb, is due 2 Mar; held
        # 25 Feb it is on time and took 36 - 10 = 26 days
        case_ = life("C-R", occurrences={"review": [d(1, 20), d(2, 25)]},
                     pauses=((d(1, 21), d(1, 30)),))
        assert rows_of([case_], "review") == [
            ("2026-01", 1, 15.0, 1, 0), ("2026-02", 1, 26.0, 1, 0)]

    def test_lead_time_is_not_measured_and_journey_ends_at_the_last_clocked_step(self) -> None:
        case_ = life("C-L", completions={"step": d(1, 10), "papers": d(1, 12),
                                         "next": d(1, 14)},
                     planned={"next": [(d(1, 6), d(1, 15))]}, pauses=((d(1, 7), d(1, 8)),))
        milestones, journeys, quality = history_measures(LIVES, [case_], AS_OF)
        # `review` is here only as a clock that fell due (25 Jan) and is still open
        assert {row.milestone for row in milestones if row.n} == {"step", "next"}
        assert [(row.milestone, row.n, row.due_open) for row in milestones
                if row.milestone not in {"step", "next"}] == [("review", 0, 1)]
        # the journey counts calendar days, paused ones included: 5 Jan to 14 Jan
        assert [(j.milestone, j.month, j.n, j.median_days) for j in journeys] == [
            ("next", "2026-01", 1, 9.0)]
        assert quality == []

    def test_extensions_granted(self) -> None:
        facts = [
            life("C-1", extensions={"step": [(d(1, 12), d(1, 22)), (d(1, 20), d(1, 30))],
                                    "next": [(d(2, 3), d(2, 10))]}),
            life("C-2", extensions={"step": [(d(2, 14), d(2, 20))],
                                    "next": [(d(4, 2), d(4, 9))]}),  # after A: not yet
            life("C-3", looked_after_on=d(4, 2),  # not looked after yet on A: not counted
                 extensions={"step": [(d(4, 3), d(4, 20))]}),
            life("C-4", extensions={"gone": [(d(1, 12), d(1, 22))]}),  # not in the timeline
        ]
        found = extension_counts(LIVES, facts, AS_OF)
        assert found == [ExtensionMeasure("t2", "step", "Step", "2026-01", 2),
                         ExtensionMeasure("t2", "step", "Step", "2026-02", 1),
                         ExtensionMeasure("t2", "next", "Next", "2026-02", 1)]
        evaluation = evaluate(LIVES, facts, LeadDirectory(LEADS), AS_OF)
        measured = measure(timelines=LIVES, facts=facts, evaluation=evaluation,
                           lead_ids={"sw-1"}, as_of=AS_OF)
        assert measured.extensions_granted == 4
        data = measured.as_json()["extensions"]
        assert data["granted"] == 4
        assert data["by_month"][0] == {"measure": "extension", "timeline": "t2",
                                       "milestone": "step", "title": "Step",
                                       "month": "2026-01", "granted": 2}

    def test_at_risk_list(self) -> None:
        # C-R: looked after 25 Mar, step due 4 Apr, booked (noted 26 Mar) for 8 Apr: at risk.
        # C-S: booked for 3 Apr, before its due date: not at risk. C-T: booked for 10 Apr but
        # noted only on 1 Apr, after A: not known yet. C-Q: looked after 23 Mar, step due
        # 2 Apr, booked for 5 Apr: at risk, and due sooner, so listed first.
        facts = [life("C-R", looked_after_on=d(3, 25), planned={"step": [(d(3, 26), d(4, 8))]}),
                 life("C-Q", looked_after_on=d(3, 23), planned={"step": [(d(3, 24), d(4, 5))]}),
                 life("C-S", looked_after_on=d(3, 25), planned={"step": [(d(3, 26), d(4, 3))]}),
                 life("C-T", looked_after_on=d(3, 25), planned={"step": [(d(4, 1), d(4, 10))]})]
        evaluation = evaluate(LIVES, facts, LeadDirectory(LEADS), AS_OF)
        measured = measure(timelines=LIVES, facts=facts, evaluation=evaluation,
                           lead_ids={"sw-1"}, as_of=AS_OF)
        assert [(row.case_ref, row.milestone) for row in measured.at_risk] == [
            ("C-Q", "step"), ("C-R", "step")]
        assert measured.as_json()["at_risk"][1] == {
            "case_ref": "C-R", "team": "north", "timeline": "t2", "milestone": "step",
            "title": "Step", "status": "green", "due": "2026-04-04",
            "planned_for": "2026-04-08", "days_after_due": 4, "owner": "sw-1",
            "sibling_group": None}

    def test_csv_keeps_its_columns(self) -> None:
        case_ = life("C-E", completions={"step": d(1, 20)},
                     extensions={"step": [(d(1, 12), d(1, 22))]})
        evaluation = evaluate(LIVES, [case_], LeadDirectory(LEADS), AS_OF)
        measured = measure(timelines=LIVES, facts=[case_], evaluation=evaluation,
                           lead_ids={"sw-1"}, as_of=AS_OF)
        # review (due 25 Jan, never held) is open past its due date; step is due 22 Jan by
        # the extension and done 20 Jan: on time. next (due 25 Jan) was never done.
        assert csv_rows(measured) == [
            ["milestone", "t2", "review", "Review", "2026-01", 0, "", "", 0, 0.0, 1, 0, 0, 1],
            ["milestone", "t2", "step", "Step", "2026-01", 1, 15.0, 15, 1, 1.0, 1, 1, 0, 0],
            ["milestone", "t2", "next", "Next", "2026-01", 0, "", "", 0, 0.0, 1, 0, 0, 1]]


class TestPausedWithin:
    """Paused days P with start < P <= end."""

    def test_worked(self) -> None:
        spans = ((d(1, 8), d(1, 12)), (d(1, 20), d(1, 21)))
        assert paused_within(spans, d(1, 5), d(1, 19)) == 5
        assert paused_within(spans, d(1, 10), d(1, 20)) == 3  # 11, 12 and 20 Jan
        assert paused_within(spans, d(1, 12), d(1, 19)) == 0
        assert paused_within((), d(1, 1), d(2, 1)) == 0
