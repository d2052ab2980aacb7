"""Record-only milestones (interface.md version 3) and the England built-ins that use them.

A milestone with `after` and neither `within` nor `lead` has no clock: `done` when recorded,
`waiting` otherwise, `due` null, never told, never counted on time or overdue. Each consumer of
a status row (evaluation, drift, the measures, the report, `status`, `timeline`, the web page)
is shown here coping with a done row whose due date is null.

Dates are worked out by hand from a calendar. England and Wales bank holidays around the new
year 2026-27: Friday 25 December 2026, Monday 28 December (the substitute for Boxing Day, a
Saturday) and Friday 1 January 2027.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator, Mapping
from datetime import date
from pathlib import Path

import pytest
from conftest import text_of
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlmodel import Session
from typer.testing import CliRunner, Result

from permanence import store
from permanence.cli import app
from permanence.drift import case_changes, encode_state
from permanence.evaluate import CaseFacts, LeadDirectory, MilestoneStatus, evaluate
from permanence.measures import history_measures, measure, rag_counts
from permanence.report.layout import Projector
from permanence.timelines import Timeline, load_timelines, parse_rule_text
from permanence.web.auth import hash_password

runner = CliRunner()
BUILTINS = load_timelines()
LEADS = LeadDirectory([("sw-1", "social_worker", "north"), ("tl-1", "team_leader", "north"),
                       ("sm-1", "service_manager", "*")])

# A small route (calendar days, Scotland, so no bank holiday moves a date):
#   start   the start
#   noted   record-only, after start, owned by a role nobody holds
#   next    after noted, within 14 days
#   clocked after start, within 10 days, escalated to team_leader 1 day after its due date
RULES = """\
timeline: t
title: T
jurisdiction: scotland
version: "1"
milestones:
  - id: start
    title: Start
  - id: noted
    title: Noted
    after: start
    owner: panel_clerk
    source: "record-only"
  - id: next
    title: Next
    after: noted
    within: 14 days
  - id: clocked
    title: Clocked
    after: start
    within: 10 days
    escalate:
      - {after: 1 day, to: team_leader}
"""
TIMELINES = {"t": parse_rule_text(RULES, "t.yaml")}
LOOKED_AFTER = date(2026, 3, 2)


def facts(**kwargs: object) -> CaseFacts:
    base: dict[str, object] = {
        "case_ref": "C-1", "timeline": "t", "team": "north", "social_worker": "sw-1",
        "looked_after_on": LOOKED_AFTER, "closed_on": None, "completions": {}}
    base.update(kwargs)
    return CaseFacts(**base)  # type: ignore[arg-type]


def rows_of(case: CaseFacts, as_of: date,
            timelines: Mapping[str, Timeline] = TIMELINES) -> dict[str, MilestoneStatus]:
    return {row.milestone: row for row in evaluate(timelines, [case], LEADS, as_of).statuses}


def summary(row: MilestoneStatus) -> tuple[object, ...]:
    return (str(row.status), row.due, row.completed_on, row.days_overdue, row.escalated_to,
            row.at_risk, row.original_due)


class TestEngine:
    def test_done_when_recorded_with_no_due_date(self) -> None:
        rows = rows_of(facts(completions={"noted": date(2026, 5, 20)}), date(2026, 12, 1))
        assert summary(rows["noted"]) == ("done", None, date(2026, 5, 20), None, (), False,
                                          None)
        assert rows["noted"].as_json() | {} == {
            "case_ref": "C-1", "team": "north", "timeline": "t", "milestone": "noted",
            "title": "Noted", "status": "done", "due": None, "completed_on": "2026-05-20",
            "days_overdue": None, "owner": None, "escalated_to": [], "at_risk": False,
            "original_due": None, "sibling_group": None}
        # A step after it counts from its date: 20 May + 14 days = 3 June, done 1 June.
        assert summary(rows_of(facts(completions={"noted": date(2026, 5, 20),
                                                  "next": date(2026, 6, 1)}),
                               date(2026, 12, 1))["next"]) == (
            "done", date(2026, 6, 3), date(2026, 6, 1), None, (), False, None)

    def test_waiting_forever_until_recorded(self) -> None:
        """Years after the child became looked after, still waiting: never red. A step after it
        has no clock either."""
        rows = rows_of(facts(), date(2029, 1, 1))
        assert summary(rows["noted"]) == ("waiting", None, None, None, (), False, None)
        assert summary(rows["next"]) == ("waiting", None, None, None, (), False, None)
        assert summary(rows["clocked"]) == ("red", date(2026, 3, 12), None, 1026, ("tl-1",),
                                            False, None)

    def test_recorded_after_the_as_of_date_is_not_yet_done(self) -> None:
        case = facts(completions={"noted": date(2026, 5, 20)})
        assert str(rows_of(case, date(2026, 5, 19))["noted"].status) == "waiting"
        assert str(rows_of(case, date(2026, 5, 20))["noted"].status) == "done"

    def test_done_even_before_the_step_it_follows(self) -> None:
        """`after` orders the route; a record-only date stands whatever was recorded before it
        (a match can precede the placement order)."""
        timeline = parse_rule_text(RULES.replace("after: start\n    owner: panel_clerk",
                                                 "after: clocked\n    owner: panel_clerk"),
                                   "t.yaml")
        rows = rows_of(facts(completions={"noted": date(2026, 3, 5)}), date(2026, 3, 6),
                       {"t": timeline})
        assert summary(rows["noted"]) == ("done", None, date(2026, 3, 5), None, (), False, None)
        assert str(rows["clocked"].status) == "green"

    def test_not_applicable_passes_its_anchor_through(self) -> None:
        """`noted` n/a from 10 March: `next` counts from the start, 2 March + 14 = 16 March."""
        rows = rows_of(facts(not_applicable={"noted": date(2026, 3, 10)}), date(2026, 3, 17))
        assert summary(rows["noted"]) == ("n/a", None, None, None, (), False, None)
        assert summary(rows["next"]) == ("red", date(2026, 3, 16), None, 1, (), False, None)

    def test_pauses_extensions_and_bookings_give_it_no_clock(self) -> None:
        """On a paused day it is still waiting (not paused); an extension of it is ignored; a
        booking shows as booked and is never at risk."""
        case = facts(pauses=((date(2026, 3, 1), None),),
                     extensions={"noted": ((date(2026, 3, 3), date(2026, 4, 1)),)},
                     planned={"noted": ((date(2026, 3, 3), date(2027, 1, 1)),)})
        row = rows_of(case, date(2026, 3, 20))["noted"]
        assert summary(row) == ("waiting", None, None, None, (), False, None)
        assert row.planned_for == date(2027, 1, 1)

    def test_an_owner_nobody_holds_is_not_a_configuration_problem(self) -> None:
        """It tells nobody, so `panel_clerk` resolving to nobody leaves nobody untold."""
        evaluation = evaluate(TIMELINES, [facts()], LEADS, date(2026, 3, 20))
        assert evaluation.unresolved == []
        assert TIMELINES["t"].roles() == {"social_worker", "team_leader"}

    def test_drift_tells_nobody_when_it_is_recorded(self) -> None:
        before = list(rows_of(facts(), date(2026, 3, 5)).values())
        after = list(rows_of(facts(completions={"noted": date(2026, 3, 6)}),
                             date(2026, 3, 6)).values())
        changes = case_changes(after, encode_state(before), TIMELINES["t"],
                               facts(), LEADS)
        noted = [change for change in changes if change.row.milestone == "noted"]
        assert [(change.old_status, str(change.row.status), change.notices)
                for change in noted] == [("waiting", "done", ())]

    @settings(max_examples=150, deadline=None)
    @given(noted=st.none() | st.dates(date(2026, 1, 1), date(2027, 12, 31)),
           marked=st.none() | st.dates(date(2026, 1, 1), date(2027, 12, 31)),
           pause=st.none() | st.tuples(st.dates(date(2026, 1, 1), date(2027, 12, 31)),
                                       st.none() | st.dates(date(2026, 1, 1),
                                                            date(2027, 12, 31))),
           booked=st.none() | st.dates(date(2026, 1, 1), date(2028, 12, 31)),
           stored=st.sampled_from(["green", "amber", "red", "waiting", "done", "paused"]),
           as_of=st.dates(date(2026, 3, 2), date(2028, 12, 31)))
    def test_never_a_colour_never_told(self, noted: date | None, marked: date | None,
                                       pause: tuple[date, date | None] | None,
                                       booked: date | None, stored: str, as_of: date) -> None:
        """Whatever is recorded, marked, paused or booked, and whatever was stored before: done,
        waiting or n/a, no due date, no days overdue, no escalation, never at risk, and no
        notice."""
        case = facts(completions={} if noted is None else {"noted": noted},
                     not_applicable={} if marked is None else {"noted": marked},
                     pauses=() if pause is None else (pause,),
                     planned={} if booked is None else {"noted": ((LOOKED_AFTER, booked),)})
        row = rows_of(case, as_of)["noted"]
        assert str(row.status) in {"done", "waiting", "n/a"}
        assert (row.due, row.days_overdue, row.escalated_to, row.tiers_reached, row.at_risk,
                row.original_due) == (None, None, (), (), False, None)
        [change] = case_changes([row], f"noted={stored}", TIMELINES["t"], case, LEADS) or [None]
        assert change is None or change.notices == ()


# england-adoption-return, child R-1 (north, sw-1), looked after Monday 6 January 2025;
# everything as of Thursday 15 January 2026:
# - first_review: 20 working days after 6 Jan 2025 = Mon 3 Feb 2025 (7-10, 13-17, 20-24, 27-31
#   Jan, 3 Feb); held 31 Jan: done.
# - second_review: 3 months after 31 Jan = 30 Apr 2025 (clamped); held 25 Apr: done.
# - lac_review: held 20 Oct 2025; the next is due 20 Apr 2026, amber from 6 Apr: green.
# - agency_decision 2 Jun, placement_order 15 Sep, matched 20 Aug (before the order),
#   fostered_by_adopters 1 Jul 2025: each done, due null.
# - placed_with_adopters: 14 months after 6 Jan 2025 = 6 Mar 2026; moved in 3 Nov 2025: done.
# - adoption_order: waiting, due null.
RETURN_EXPECTED = {
    "entered_care": ("done", None, "2025-01-06"),
    "first_review": ("done", "2025-02-03", "2025-01-31"),
    "second_review": ("done", "2025-04-30", "2025-04-25"),
    "lac_review": ("green", "2026-04-20", "2025-10-20"),
    "agency_decision": ("done", None, "2025-06-02"),
    "placement_order": ("done", None, "2025-09-15"),
    "matched": ("done", None, "2025-08-20"),
    "fostered_by_adopters": ("done", None, "2025-07-01"),
    "placed_with_adopters": ("done", "2026-03-06", "2025-11-03"),
    "adoption_order": ("waiting", None, None),
}
R1_EVENTS = [("first_review", "2025-01-31"), ("second_review", "2025-04-25"),
             ("lac_review", "2025-10-20"), ("agency_decision", "2025-06-02"),
             ("placement_order", "2025-09-15"), ("matched", "2025-08-20"),
             ("fostered_by_adopters", "2025-07-01"), ("placed_with_adopters", "2025-11-03")]


class TestBuiltins:
    """The ids, order and kinds of clock the contract fixes, and hand-worked due dates."""

    def kinds(self, name: str) -> list[tuple[str, str | None, str]]:
        def kind(milestone: object) -> str:
            m = BUILTINS[name].milestone(str(milestone))
            assert m is not None
            return ("start" if m.is_start else "record-only" if m.is_record_only
                    else f"every {m.every}" if m.every else f"within {m.within}")
        return [(m.id, m.after, kind(m.id)) for m in BUILTINS[name].milestones]

    def test_england_looked_after(self) -> None:
        timeline = BUILTINS["england-looked-after"]
        assert (timeline.jurisdiction, timeline.version) == ("england-and-wales", "2026.3")
        assert self.kinds("england-looked-after") == [
            ("entered_care", None, "start"),
            ("first_review", "entered_care", "within 20 working days"),
            ("second_review", "first_review", "within 3 months"),
            ("lac_review", "second_review", "every 6 months")]

    def test_england_adoption_return(self) -> None:
        timeline = BUILTINS["england-adoption-return"]
        assert (timeline.jurisdiction, timeline.version) == ("england-and-wales", "2026.3")
        assert self.kinds("england-adoption-return") == [
            ("entered_care", None, "start"),
            ("first_review", "entered_care", "within 20 working days"),
            ("second_review", "first_review", "within 3 months"),
            ("lac_review", "second_review", "every 6 months"),
            ("agency_decision", "entered_care", "record-only"),
            ("placement_order", "agency_decision", "record-only"),
            ("matched", "placement_order", "record-only"),
            ("fostered_by_adopters", "entered_care", "record-only"),
            ("placed_with_adopters", "entered_care", "within 14 months"),
            ("adoption_order", "placed_with_adopters", "record-only")]

    def test_england_adoption_gains_its_steps(self) -> None:
        timeline = BUILTINS["england-adoption"]
        assert timeline.version == "2026.3"
        gained = {m[0]: m[1:] for m in self.kinds("england-adoption")}
        assert {key: gained[key] for key in (
            "agency_decision", "adoption_order", "fostered_by_adopters", "lac_review")} == {
            "agency_decision": ("permanence_plan", "within 2 months"),
            "adoption_order": ("placed_with_adopters", "record-only"),
            "fostered_by_adopters": ("entered_care", "record-only"),
            "lac_review": ("second_review", "every 6 months")}
        # The journey's order: the adoption order is the last step of the file.
        assert timeline.milestone_ids[-2:] == ("placed_with_adopters", "adoption_order")

    @pytest.mark.parametrize("name", ["england-looked-after", "england-adoption-return",
                                      "england-adoption"])
    def test_every_step_cites_its_source(self, name: str) -> None:
        assert [m.id for m in BUILTINS[name].milestones if not m.is_start and not m.source] == []

    @pytest.mark.parametrize(("as_of", "expected"), [
        (date(2027, 1, 6), ("green", date(2027, 1, 14), None, None, (), False, None)),
        (date(2027, 1, 7), ("amber", date(2027, 1, 14), None, None, (), False, None)),
        (date(2027, 1, 14), ("amber", date(2027, 1, 14), None, None, (), False, None)),
        (date(2027, 1, 15), ("red", date(2027, 1, 14), None, 1, ("tl-1",), False, None)),
    ])
    def test_first_review_across_christmas(self, as_of: date,
                                           expected: tuple[object, ...]) -> None:
        """Looked after Monday 14 Dec 2026. Working days: 15-18 Dec (4), 21-24 (8; 25 and the
        substitute 28 Dec are holidays), 29-31 (11; 1 Jan a holiday), 4-8 Jan (16), 11-14 Jan
        (20): due Thursday 14 Jan 2027 (11 Jan, were there no holidays). Amber 5 working days
        before: 13, 12, 11, 8, 7 Jan, so from 7 Jan."""
        case = facts(timeline="england-looked-after", looked_after_on=date(2026, 12, 14))
        row = rows_of(case, as_of, BUILTINS)["first_review"]
        assert summary(row) == expected

    def test_lac_review_occurrences(self) -> None:
        """Second review 9 Apr 2027: the first later review is due 9 Oct 2027; held 1 Oct, the
        next is due 1 Apr 2028; held 31 Mar 2028, the next is due 30 Sep 2028 (no 31 Sep)."""
        def lac(held: tuple[date, ...], as_of: date) -> tuple[object, ...]:
            case = facts(timeline="england-looked-after", looked_after_on=date(2026, 12, 14),
                         completions={"first_review": date(2027, 1, 12),
                                      "second_review": date(2027, 4, 9)},
                         occurrences={"lac_review": held})
            return summary(rows_of(case, as_of, BUILTINS)["lac_review"])

        assert lac((), date(2027, 9, 1)) == ("green", date(2027, 10, 9), None, None, (), False,
                                             None)
        assert lac((date(2027, 10, 1),), date(2027, 10, 2)) == (
            "green", date(2028, 4, 1), date(2027, 10, 1), None, (), False, None)
        assert lac((date(2027, 10, 1), date(2028, 3, 31)), date(2028, 5, 1)) == (
            "green", date(2028, 9, 30), date(2028, 3, 31), None, (), False, None)
        # Only the first held: 1 Apr 2028 passed; on 5 Oct 2028 it is 187 days overdue
        # (30 Apr-1 Apr = 29, +31 May, +30 Jun, +31 Jul, +31 Aug, +30 Sep, +5 Oct).
        assert lac((date(2027, 10, 1),), date(2028, 10, 5)) == (
            "red", date(2028, 4, 1), date(2027, 10, 1), 187, ("tl-1", "sm-1"), False, None)

    def test_england_adoption_return_case(self) -> None:
        case = facts(case_ref="R-1", timeline="england-adoption-return",
                     looked_after_on=date(2025, 1, 6),
                     completions={m: date.fromisoformat(d) for m, d in R1_EVENTS
                                  if m != "lac_review"},
                     occurrences={"lac_review": (date(2025, 10, 20),)})
        rows = rows_of(case, date(2026, 1, 15), BUILTINS)
        assert {m: (row.as_json()["status"], row.as_json()["due"], row.as_json()["completed_on"])
                for m, row in rows.items()} == RETURN_EXPECTED

    def test_agency_decision_in_england_adoption(self) -> None:
        """Permanence plan 31 Dec 2025: the agency decision is due 2 months later, 28 Feb 2026
        (no 31 Feb); the adoption order waits, never due."""
        case = facts(timeline="england-adoption", looked_after_on=date(2025, 9, 1),
                     completions={"permanence_plan": date(2025, 12, 31)})
        rows = rows_of(case, date(2026, 3, 2), BUILTINS)
        assert (str(rows["agency_decision"].status), rows["agency_decision"].due) == (
            "red", date(2026, 2, 28))
        assert summary(rows["adoption_order"]) == ("waiting", None, None, None, (), False, None)


    def test_nobody_is_told_of_the_record_only_steps(self) -> None:
        """A child on england-adoption-return with nothing recorded but the start, checked
        every day for 500 days: notices come only from the clocked steps."""
        case = facts(case_ref="R-2", timeline="england-adoption-return",
                     looked_after_on=date(2025, 1, 6))
        timeline = BUILTINS["england-adoption-return"]
        stored: str | None = None
        told: set[str] = set()
        for offset in range(500):
            day = date.fromordinal(date(2025, 1, 6).toordinal() + offset)
            rows = evaluate(BUILTINS, [case], LEADS, day).statuses
            for change in case_changes(rows, stored, timeline, case, LEADS):
                if change.notices:
                    told.add(change.row.milestone)
            stored = encode_state(rows, stored)
        assert told == {"first_review", "placed_with_adopters"}


class TestMeasures:
    def test_not_measured_and_passing_its_date_on(self) -> None:
        """`noted` has no clock: no month rows for it, none fell due, no quality item even
        when recorded before the step it follows (C-3: 1 Feb, before the start on 2 Mar).
        `next` counts from it: C-1 20 May + 14 = 3 June, done 1 June (12 days, on time); C-3
        1 Feb + 14 = 15 Feb, still open. `clocked` due 12 Mar: C-1 done 10 Mar (8 days), the
        others open. The journey ends at the last clocked step, `clocked`."""
        cases = [facts(completions={"noted": date(2026, 5, 20), "next": date(2026, 6, 1),
                                    "clocked": date(2026, 3, 10)}),
                 facts(case_ref="C-2"),
                 facts(case_ref="C-3", completions={"noted": date(2026, 2, 1)})]
        months, journeys, quality = history_measures(TIMELINES, cases, date(2026, 12, 1))
        assert [(m.milestone, m.month, m.n, m.median_days, m.on_time, m.due, m.due_on_time,
                 m.due_open) for m in months] == [
            ("next", "2026-02", 0, None, 0, 1, 0, 1),
            ("next", "2026-06", 1, 12, 1, 1, 1, 0),
            ("clocked", "2026-03", 1, 8, 1, 3, 1, 2)]
        assert [(j.milestone, j.month, j.n, j.median_days) for j in journeys] == [
            ("clocked", "2026-03", 1, 8)]
        assert quality == []

    def test_board_counts_and_forecast_leave_it_out(self) -> None:
        cases = [facts(completions={"noted": date(2026, 3, 3)}), facts(case_ref="C-2")]
        evaluation = evaluate(TIMELINES, cases, LEADS, date(2026, 3, 5))
        teams, _ = rag_counts(evaluation.statuses)
        # Each case: `clocked` green (due 12 Mar); C-1's `next` green (due 3 + 14 = 17 Mar).
        # The forecast's week 1 is 5-11 Mar, week 2 is 12-18 Mar: all three in week 2.
        assert [(row.team, row.green, row.amber, row.red) for row in teams] == [
            ("north", 3, 0, 0)]
        measured = measure(timelines=TIMELINES, facts=cases, evaluation=evaluation,
                           lead_ids={"sw-1", "tl-1", "sm-1"}, as_of=date(2026, 3, 5))
        assert [(row.team, row.lead, row.weeks) for row in
                measured.forecast_by_team + measured.forecast_by_lead] == [
            ("north", None, (0, 3, 0, 0)), ("north", "sw-1", (0, 3, 0, 0))]
        assert [item.kind for item in measured.quality] == []

    def test_run_charts_only_for_clocks(self) -> None:
        """The report's run charts, from the cases of the history test: one for `next` and one
        for `clocked`, none for `noted`; the journey ends at `clocked`."""
        from permanence.report.charts import measure_charts
        cases = [facts(completions={"noted": date(2026, 5, 20), "next": date(2026, 6, 1),
                                    "clocked": date(2026, 3, 10)}), facts(case_ref="C-2")]
        as_of = date(2026, 12, 1)
        measured = measure(timelines=TIMELINES, facts=cases,
                           evaluation=evaluate(TIMELINES, cases, LEADS, as_of),
                           lead_ids={"sw-1", "tl-1", "sm-1"}, as_of=as_of)
        [group] = measure_charts(TIMELINES, measured, [f"2026-{m:02d}" for m in range(1, 13)])
        assert [(chart.title, chart.rule) for chart in group.charts] == [
            ("Next", "within 14 days of: Noted"), ("Clocked", "within 10 days of: Start")]
        assert group.journey is not None and group.journey.rule == "Start → Clocked"

    def test_report_layout_draws_its_date_only(self) -> None:
        """No window and no projection for a record-only step, recorded or not."""
        for completions, done in (({"noted": date(2026, 3, 3)}, date(2026, 3, 3)), ({}, None)):
            case = facts(completions=completions)
            rows = list(rows_of(case, date(2026, 3, 5)).values())
            [step] = [s for s in Projector(TIMELINES, date(2026, 3, 5)).steps("t", rows, case)
                      if s.milestone == "noted"]
            assert (step.due, step.completed_on, step.projected, step.kind) == (
                None, done, False, "record")


LEADS_CSV = """\
lead_id,name,role,team,notify
sw-1,Sam Worker,social_worker,north,json://127.0.0.1:9/sw-1
tl-1,Tina Leader,team_leader,north,json://127.0.0.1:9/tl-1
sm-1,Sue Manager,service_manager,*,json://127.0.0.1:9/sm-1
"""
CASES_CSV = """\
case_ref,timeline,team,social_worker,looked_after_on
R-1,england-adoption-return,north,sw-1,2025-01-06
"""


class Store:
    def __init__(self, url: str, folder: Path) -> None:
        self.url, self.folder = url, folder

    def run(self, *args: str) -> Result:
        return runner.invoke(app, ["--db", self.url, *args], catch_exceptions=False)

    def ok(self, *args: str) -> str:
        result = self.run(*args)
        assert result.exit_code == 0, result.output
        return result.stdout

    def load(self) -> None:
        self.ok("init")
        events = "case_ref,milestone,occurred_on\n" + "".join(
            f"R-1,{milestone},{on}\n" for milestone, on in R1_EVENTS)
        for kind, text in (("leads", LEADS_CSV), ("cases", CASES_CSV), ("events", events)):
            path = self.folder / f"{kind}.csv"
            path.write_text(text, encoding="utf-8")
            self.ok("import", kind, str(path))


@pytest.fixture
def loaded(db_url: str, tmp_path: Path) -> Store:
    lives = Store(db_url, tmp_path)
    lives.load()
    return lives


def test_status_json_csv_and_timeline(loaded: Store) -> None:
    rows = json.loads(loaded.ok("status", "--as-of", "2026-01-15", "--format", "json"))
    assert {row["milestone"]: (row["status"], row["due"], row["completed_on"])
            for row in rows} == RETURN_EXPECTED
    table = list(csv.DictReader(io.StringIO(
        loaded.ok("status", "--as-of", "2026-01-15", "--format", "csv"))))
    assert {row["milestone"]: (row["status"], row["due"], row["completed_on"],
                               row["days_overdue"]) for row in table
            if row["milestone"] in ("matched", "adoption_order")} == {
        "matched": ("done", "", "2025-08-20", ""),
        "adoption_order": ("waiting", "", "", "")}
    shown = loaded.ok("status", "--as-of", "2026-01-15")
    assert shown.splitlines()[-1] == (
        "1 open case: 8 done, 0 late, 1 waiting, 1 green, 0 amber, 0 red")
    timeline = runner.invoke(app, ["--db", loaded.url, "timeline", "R-1", "--as-of",
                                   "2026-01-15"], env={"COLUMNS": "200"}).stdout
    matched = next(line for line in timeline.splitlines() if "Matched with adopters" in line)
    assert ["placement_order" in matched, "record only" in matched, "2025-08-20" in matched,
            "done" in matched] == [True, True, True, True]
    order = next(line for line in timeline.splitlines() if "Adoption order made" in line)
    assert ["record only" in order, "waiting" in order] == [True, True]


def test_record_only_events_import_and_replace(loaded: Store) -> None:
    """Recording the adoption order makes it done with no due date; a second row for it
    replaces the date, as for any milestone."""
    for on in ("2026-01-16", "2026-01-14"):
        events = loaded.folder / "order.csv"
        events.write_text(f"case_ref,milestone,occurred_on\nR-1,adoption_order,{on}\n",
                          encoding="utf-8")
        loaded.ok("import", "events", str(events))
        rows = json.loads(loaded.ok("status", "--as-of", "2026-01-16", "--format", "json"))
        assert [(row["status"], row["due"], row["completed_on"], row["days_overdue"])
                for row in rows if row["milestone"] == "adoption_order"] == [
            ("done", None, on, None)]


def test_report_card(loaded: Store) -> None:
    folder = loaded.folder / "report"
    loaded.ok("report", "--as-of", "2026-01-15", "--out", str(folder))
    page = "".join(path.read_text(encoding="utf-8")
                   for path in sorted(folder.glob("timelines*.html")))
    found = re.search(r'<section class="child" id="R-1">.*?</section>', page, re.DOTALL)
    assert found
    lines = [text_of(row) for row in re.findall(r"<tr class=.*?</tr>",
                                                found.group(0).split("<tbody>")[1])]
    matched = next(line for line in lines if line.startswith("Matched with adopters"))
    assert "record-only: no timescale" in matched and matched.endswith("recorded")
    order = next(line for line in lines if line.startswith("Adoption order made"))
    assert order.endswith("waiting")


@pytest.fixture
def web_client(loaded: Store) -> Iterator[object]:
    import warnings

    from permanence.web.server import web_app
    from permanence.web.settings import WebSettings
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
        from starlette.testclient import TestClient
    engine = store.make_engine(loaded.url)
    with Session(engine) as session, session.begin():
        store.save_account(session=session, lead_id="sm-1",
                           password_hash=hash_password("manager-password-1"), with_names=True)
    try:
        with TestClient(web_app(engine, load_timelines(), WebSettings()),
                        follow_redirects=False) as client:
            yield client
    finally:
        engine.dispose()


def test_web_case_page(web_client: object) -> None:
    client = web_client
    signin = client.get("/sign-in").text  # type: ignore[attr-defined]
    token = re.search(r'name="csrf" value="([^"]+)"', signin)
    assert token
    answer = client.post("/sign-in", data={  # type: ignore[attr-defined]
        "csrf": token.group(1), "lead_id": "sm-1", "password": "manager-password-1"})
    assert answer.status_code == 303
    page = client.get("/days/2026-01-15/cases/R-1")  # type: ignore[attr-defined]
    assert page.status_code == 200
    text = text_of(page.text)
    assert "record-only: no timescale" in text


def test_an_extension_of_a_record_only_step_is_refused(loaded: Store) -> None:
    result = loaded.run("extend", "R-1", "adoption_order", "--to", "2026-02-01",
                        "--approved-by", "tl-1", "--on", "2026-01-10", "--reason", "court list")
    assert (result.exit_code, result.stderr) == (1, (
        "adoption_order is record-only (no timescale in timeline england-adoption-return) and "
        "has no due date to extend\n"))
