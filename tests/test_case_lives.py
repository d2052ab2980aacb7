"""Real case lives in the core: recurring and lead-time clocks, booked dates, steps that no
longer apply, pauses, agreed extensions and sibling groups (version 2 of the interface).

Every expected date is worked out by hand from a calendar and written as a fixed value. The
jurisdiction is Scotland: 1 January 2027 is a Friday, so Monday 4 January is the substitute for
2 January, and neither is a working day.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from permanence.evaluate import CaseFacts, LeadDirectory, MilestoneStatus, Status, evaluate
from permanence.timelines import Timeline, parse_rule_text

LEADS = LeadDirectory([("sw-1", "social_worker", "north"), ("tl", "team_leader", "*")])
LOOKED_AFTER = date(2026, 1, 5)  # a Monday


def rules(milestones: str) -> dict[str, Timeline]:
    text = ('timeline: t\ntitle: T\njurisdiction: scotland\nversion: "1"\nmilestones:\n'
            f"  - id: start\n    title: Start\n{milestones}")
    return {"t": parse_rule_text(text, "t.yaml")}


def facts(*, completions: Mapping[str, date] | None = None,
          not_applicable: Mapping[str, date] | None = None,
          occurrences: Mapping[str, Sequence[date]] | None = None,
          planned: Mapping[str, Sequence[tuple[date, date]]] | None = None,
          pauses: Sequence[tuple[date, date | None]] = (),
          extensions: Mapping[str, Sequence[tuple[date, date]]] | None = None,
          sibling_group: str | None = None) -> CaseFacts:
    return CaseFacts("C-1", "t", "north", "sw-1", LOOKED_AFTER, None, completions or {},
                     not_applicable or {}, occurrences or {}, planned or {}, tuple(pauses),
                     extensions or {}, sibling_group)


def row(timelines: Mapping[str, Timeline], case: CaseFacts, as_of: date,
        milestone: str) -> MilestoneStatus:
    [found] = [r for r in evaluate(timelines, [case], LEADS, as_of).statuses
               if r.milestone == milestone]
    return found


def seen(found: MilestoneStatus) -> tuple[object, ...]:
    return found.status, found.due, found.completed_on, found.days_overdue


# A clock of 6 weeks from the start: due Monday 16 February 2026, amber from 2 February.
SIX_WEEKS = rules("""\
  - id: step
    title: Step
    after: start
    within: 6 weeks
    amber: 2 weeks
    escalate:
      - {after: 1 day, to: team_leader}
  - id: next
    title: Next
    after: step
    within: 10 days
""")


class TestRecurring:
    """Occurrences are the milestone's done dates from its `after` step's date to A. The next is
    due `within` the `after` step with none, else `every` after the latest; the status is about
    that next date, never done or late; completed_on is the latest occurrence."""

    REVIEWS = rules("""\
  - id: review
    title: Looked after review
    after: start
    within: 6 weeks
    every: 6 months
    amber: 2 weeks
  - id: after_first_review
    title: After the first review
    after: review
    within: 10 days
""")

    def test_first_occurrence_is_due_within_the_after_step(self) -> None:
        case = facts()
        assert seen(row(self.REVIEWS, case, date(2026, 2, 1), "review")) == (
            Status.GREEN, date(2026, 2, 16), None, None)
        assert seen(row(self.REVIEWS, case, date(2026, 2, 2), "review")) == (
            Status.AMBER, date(2026, 2, 16), None, None)
        assert seen(row(self.REVIEWS, case, date(2026, 2, 17), "review")) == (
            Status.RED, date(2026, 2, 16), None, 1)

    def test_each_later_occurrence_is_due_every_after_the_latest(self) -> None:
        case = facts(occurrences={"review": [date(2026, 2, 10), date(2026, 8, 1)]})
        assert seen(row(self.REVIEWS, case, date(2026, 2, 10), "review")) == (
            Status.GREEN, date(2026, 8, 10), date(2026, 2, 10), None)
        assert seen(row(self.REVIEWS, case, date(2026, 7, 31), "review")) == (
            Status.AMBER, date(2026, 8, 10), date(2026, 2, 10), None)
        assert seen(row(self.REVIEWS, case, date(2026, 8, 1), "review")) == (
            Status.GREEN, date(2027, 2, 1), date(2026, 8, 1), None)

    def test_month_ends_clamp(self) -> None:
        """31 August + 6 months is 28 February 2027; 28 February + 6 months is 28 August."""
        case = facts(occurrences={"review": [date(2026, 2, 10), date(2026, 8, 31),
                                             date(2027, 2, 28)]})
        assert row(self.REVIEWS, case, date(2026, 9, 1), "review").due == date(2027, 2, 28)
        assert row(self.REVIEWS, case, date(2027, 3, 1), "review").due == date(2027, 8, 28)

    def test_an_occurrence_before_its_after_step_does_not_count(self) -> None:
        timelines = rules("""\
  - id: plan
    title: Plan
    after: start
    within: 4 weeks
  - id: review
    title: Review
    after: plan
    every: 3 months
""")
        case = facts(completions={"plan": date(2026, 3, 2)},
                     occurrences={"review": [date(2026, 2, 1)]})
        assert seen(row(timelines, case, date(2026, 3, 10), "review")) == (
            Status.GREEN, date(2026, 6, 2), None, None)

    def test_a_step_after_a_recurring_one_starts_from_its_first_occurrence(self) -> None:
        case = facts(occurrences={"review": [date(2026, 2, 10), date(2026, 8, 1)]})
        assert seen(row(self.REVIEWS, case, date(2026, 8, 5), "after_first_review")) == (
            Status.RED, date(2026, 2, 20), None, 166)
        assert seen(row(self.REVIEWS, facts(), date(2026, 8, 5), "after_first_review")) == (
            Status.WAITING, None, None, None)

    def test_occurrences_after_the_as_of_date_are_not_known_yet(self) -> None:
        case = facts(occurrences={"review": [date(2026, 2, 10), date(2026, 8, 1)]})
        assert seen(row(self.REVIEWS, case, date(2026, 2, 9), "review")) == (
            Status.AMBER, date(2026, 2, 16), None, None)

    def test_not_applicable_from_its_date(self) -> None:
        case = facts(occurrences={"review": [date(2026, 2, 10)]},
                     not_applicable={"review": date(2026, 5, 1)})
        assert row(self.REVIEWS, case, date(2026, 4, 30), "review").status == Status.GREEN
        assert seen(row(self.REVIEWS, case, date(2026, 5, 1), "review")) == (
            Status.NOT_APPLICABLE, None, None, None)


class TestLeadTime:
    """Due `lead` before the date the `before` step is booked for, as known on A (the last
    booking noted on or before A stands); nothing booked yet: waiting."""

    PAPERS = rules("""\
  - id: papers
    title: Papers to Legal
    before: meeting
    lead: 8 days
    amber: 3 days
  - id: meeting
    title: Planning meeting
    after: start
    within: 3 months
  - id: advice
    title: Advice
    after: papers
    within: 8 days
""")

    def test_due_before_the_booked_date_once_it_is_known(self) -> None:
        case = facts(planned={"meeting": [(date(2026, 2, 1), date(2026, 3, 10))]})
        assert seen(row(self.PAPERS, case, date(2026, 1, 31), "papers")) == (
            Status.WAITING, None, None, None)
        assert seen(row(self.PAPERS, case, date(2026, 2, 1), "papers")) == (
            Status.GREEN, date(2026, 3, 2), None, None)
        assert row(self.PAPERS, case, date(2026, 2, 27), "papers").status == Status.AMBER
        assert seen(row(self.PAPERS, case, date(2026, 3, 4), "papers")) == (
            Status.RED, date(2026, 3, 2), None, 2)

    def test_a_new_booking_moves_it_from_the_day_it_is_noted(self) -> None:
        case = facts(planned={"meeting": [(date(2026, 2, 1), date(2026, 3, 10)),
                                          (date(2026, 2, 15), date(2026, 3, 20))]})
        assert row(self.PAPERS, case, date(2026, 2, 14), "papers").due == date(2026, 3, 2)
        assert row(self.PAPERS, case, date(2026, 2, 15), "papers").due == date(2026, 3, 12)

    def test_of_two_noted_the_same_day_the_last_recorded_stands(self) -> None:
        case = facts(planned={"meeting": [(date(2026, 2, 1), date(2026, 3, 20)),
                                          (date(2026, 2, 1), date(2026, 3, 10))]})
        assert row(self.PAPERS, case, date(2026, 2, 1), "papers").due == date(2026, 3, 2)

    def test_done_and_late_against_the_lead_time(self) -> None:
        booked = {"meeting": [(date(2026, 2, 1), date(2026, 3, 10))]}
        on_time = facts(planned=booked, completions={"papers": date(2026, 3, 2)})
        assert seen(row(self.PAPERS, on_time, date(2026, 3, 5), "papers")) == (
            Status.DONE, date(2026, 3, 2), date(2026, 3, 2), None)
        late = facts(planned=booked, completions={"papers": date(2026, 3, 5)})
        assert seen(row(self.PAPERS, late, date(2026, 3, 5), "papers")) == (
            Status.LATE, date(2026, 3, 2), date(2026, 3, 5), 3)

    def test_completed_with_nothing_booked_is_waiting_showing_the_date(self) -> None:
        case = facts(completions={"papers": date(2026, 2, 3)})
        assert seen(row(self.PAPERS, case, date(2026, 2, 5), "papers")) == (
            Status.WAITING, None, date(2026, 2, 3), None)

    def test_the_booking_still_sets_it_once_the_meeting_is_done(self) -> None:
        case = facts(planned={"meeting": [(date(2026, 2, 1), date(2026, 3, 10))]},
                     completions={"meeting": date(2026, 3, 10)})
        assert seen(row(self.PAPERS, case, date(2026, 3, 12), "papers")) == (
            Status.RED, date(2026, 3, 2), None, 10)

    def test_working_days_count_back_over_the_new_year(self) -> None:
        """Tuesday 5 January 2027 less 2 working days: Monday 4 (substitute bank holiday),
        the weekend and Friday 1 January are skipped: Thursday 31 (1), Wednesday 30 (2)."""
        timelines = rules("""\
  - id: papers
    title: Papers
    before: hearing
    lead: 2 working days
  - id: hearing
    title: Hearing
    after: start
    within: 2 years
""".replace("2 years", "24 months"))
        case = facts(planned={"hearing": [(date(2026, 12, 1), date(2027, 1, 5))]})
        assert row(timelines, case, date(2026, 12, 1), "papers").due == date(2026, 12, 30)

    def test_a_lead_time_is_never_paused_and_moves_for_no_pause(self) -> None:
        case = facts(planned={"meeting": [(date(2026, 2, 1), date(2026, 3, 10))]},
                     pauses=[(date(2026, 2, 20), None)])
        assert seen(row(self.PAPERS, case, date(2026, 3, 4), "papers")) == (
            Status.RED, date(2026, 3, 2), None, 2)
        assert row(self.PAPERS, case, date(2026, 3, 4), "meeting").status == Status.PAUSED

    def test_not_applicable_passes_nothing_to_its_followers(self) -> None:
        case = facts(planned={"meeting": [(date(2026, 2, 1), date(2026, 3, 10))]},
                     not_applicable={"papers": date(2026, 2, 5)})
        assert seen(row(self.PAPERS, case, date(2026, 2, 5), "papers")) == (
            Status.NOT_APPLICABLE, None, None, None)
        assert seen(row(self.PAPERS, case, date(2026, 2, 5), "advice")) == (
            Status.WAITING, None, None, None)


class TestAtRisk:
    """A running clock is at risk when its milestone is booked, as known on A, for after its
    due date: the "at risk of missing" list, made mechanical."""

    MEETING = rules("""\
  - id: meeting
    title: Planning meeting
    after: start
    within: 3 months
""")  # due Sunday 5 April 2026

    def test_booked_after_the_due_date(self) -> None:
        case = facts(planned={"meeting": [(date(2026, 2, 1), date(2026, 4, 20))]})
        before_known = row(self.MEETING, case, date(2026, 1, 31), "meeting")
        assert (before_known.at_risk, before_known.planned_for) == (False, None)
        known = row(self.MEETING, case, date(2026, 2, 1), "meeting")
        assert (known.status, known.due, known.at_risk, known.planned_for) == (
            Status.GREEN, date(2026, 4, 5), True, date(2026, 4, 20))
        assert row(self.MEETING, case, date(2026, 4, 6), "meeting").at_risk is True

    def test_booked_on_or_before_the_due_date_is_not_at_risk(self) -> None:
        case = facts(planned={"meeting": [(date(2026, 2, 1), date(2026, 4, 5))]})
        assert row(self.MEETING, case, date(2026, 2, 1), "meeting").at_risk is False

    def test_a_done_step_is_not_at_risk(self) -> None:
        case = facts(planned={"meeting": [(date(2026, 2, 1), date(2026, 4, 20))]},
                     completions={"meeting": date(2026, 4, 20)})
        found = row(self.MEETING, case, date(2026, 4, 21), "meeting")
        assert (found.status, found.at_risk) == (Status.LATE, False)

    def test_json_says_so(self) -> None:
        case = facts(planned={"meeting": [(date(2026, 2, 1), date(2026, 4, 20))]},
                     sibling_group="S-7")
        as_json = row(self.MEETING, case, date(2026, 2, 1), "meeting").as_json()
        assert (as_json["at_risk"], as_json["original_due"], as_json["sibling_group"]) == (
            True, None, "S-7")


class TestPauses:
    """A clock started on S with due date D0 is due D0 + n calendar days, n the paused days P
    with S < P <= that due date and P <= A (and, once completed, P <= the completion). On a
    paused day a running clock shows `paused`: no days overdue, no escalation."""

    def test_a_closed_pause_moves_the_due_date_by_its_days(self) -> None:
        case = facts(pauses=[(date(2026, 1, 10), date(2026, 1, 19))])  # 10 days
        assert seen(row(SIX_WEEKS, case, date(2026, 1, 20), "step")) == (
            Status.GREEN, date(2026, 2, 26), None, None)

    def test_during_a_pause_the_clock_shows_paused_and_counts_days_so_far(self) -> None:
        case = facts(pauses=[(date(2026, 1, 10), date(2026, 1, 19))])
        found = row(SIX_WEEKS, case, date(2026, 1, 12), "step")
        assert (seen(found), found.escalated_to) == (
            (Status.PAUSED, date(2026, 2, 19), None, None), ())

    def test_an_open_pause_is_recounted_until_it_stops_growing(self) -> None:
        """Paused from 10 February: on 20 February, 7 days fall before the first due date
        (16 Feb); moved to the 23rd, all 11 paused days count: due 27 February."""
        case = facts(pauses=[(date(2026, 2, 10), None)])
        assert seen(row(SIX_WEEKS, case, date(2026, 2, 20), "step")) == (
            Status.PAUSED, date(2026, 2, 27), None, None)

    def test_a_pause_after_the_due_date_does_not_stop_a_red_clock(self) -> None:
        case = facts(pauses=[(date(2026, 3, 1), date(2026, 3, 5))])
        found = row(SIX_WEEKS, case, date(2026, 3, 10), "step")
        assert (seen(found), found.escalated_to) == (
            (Status.RED, date(2026, 2, 16), None, 22), ("tl",))
        assert row(SIX_WEEKS, case, date(2026, 3, 3), "step").status == Status.PAUSED

    def test_only_days_up_to_the_completion_count(self) -> None:
        case = facts(pauses=[(date(2026, 2, 10), date(2026, 3, 1))],
                     completions={"step": date(2026, 2, 20)})
        assert seen(row(SIX_WEEKS, case, date(2026, 3, 10), "step")) == (
            Status.DONE, date(2026, 2, 27), date(2026, 2, 20), None)

    def test_overlapping_pauses_count_each_day_once(self) -> None:
        case = facts(pauses=[(date(2026, 1, 10), date(2026, 1, 19)),
                             (date(2026, 1, 15), date(2026, 1, 24))])  # 10 to 24: 15 days
        assert row(SIX_WEEKS, case, date(2026, 2, 1), "step").due == date(2026, 3, 3)

    def test_days_on_or_before_the_clock_started_do_not_count(self) -> None:
        case = facts(pauses=[(date(2026, 1, 1), date(2026, 1, 5))])
        assert row(SIX_WEEKS, case, date(2026, 2, 1), "step").due == date(2026, 2, 16)

    def test_a_clock_not_yet_started_is_waiting_not_paused(self) -> None:
        case = facts(pauses=[(date(2026, 1, 10), None)])
        assert row(SIX_WEEKS, case, date(2026, 1, 12), "next").status == Status.WAITING

    def test_a_recurring_clock_stands_still_too(self) -> None:
        timelines = rules("""\
  - id: review
    title: Review
    after: start
    within: 6 weeks
    every: 6 months
""")
        case = facts(occurrences={"review": [date(2026, 2, 10)]},
                     pauses=[(date(2026, 3, 1), date(2026, 3, 14))])
        assert seen(row(timelines, case, date(2026, 4, 1), "review")) == (
            Status.GREEN, date(2026, 8, 24), date(2026, 2, 10), None)


class TestExtensions:
    """From its approval, an agreed extension replaces the due date; `original_due` keeps the
    one it replaced, and pauses move it no further."""

    def test_applies_from_the_day_it_was_approved(self) -> None:
        case = facts(extensions={"step": [(date(2026, 2, 10), date(2026, 3, 1))]})
        before = row(SIX_WEEKS, case, date(2026, 2, 9), "step")
        assert (before.status, before.due, before.original_due) == (
            Status.AMBER, date(2026, 2, 16), None)
        after = row(SIX_WEEKS, case, date(2026, 2, 10), "step")
        assert (after.status, after.due, after.original_due) == (
            Status.GREEN, date(2026, 3, 1), date(2026, 2, 16))
        assert row(SIX_WEEKS, case, date(2026, 3, 2), "step").days_overdue == 1

    def test_the_latest_approval_stands(self) -> None:
        case = facts(extensions={"step": [(date(2026, 2, 20), date(2026, 3, 20)),
                                          (date(2026, 2, 10), date(2026, 3, 1))]})
        assert row(SIX_WEEKS, case, date(2026, 2, 15), "step").due == date(2026, 3, 1)
        assert row(SIX_WEEKS, case, date(2026, 2, 21), "step").due == date(2026, 3, 20)

    def test_a_pause_after_the_approval_does_not_move_it(self) -> None:
        case = facts(extensions={"step": [(date(2026, 2, 10), date(2026, 3, 1))]},
                     pauses=[(date(2026, 2, 11), date(2026, 2, 25))])
        found = row(SIX_WEEKS, case, date(2026, 3, 5), "step")
        assert (found.status, found.due, found.original_due) == (
            Status.RED, date(2026, 3, 1), date(2026, 3, 3))

    def test_late_is_counted_against_the_agreed_date(self) -> None:
        case = facts(extensions={"step": [(date(2026, 2, 10), date(2026, 3, 1))]},
                     completions={"step": date(2026, 3, 4)})
        found = row(SIX_WEEKS, case, date(2026, 3, 5), "step")
        assert (seen(found), found.original_due) == (
            (Status.LATE, date(2026, 3, 1), date(2026, 3, 4), 3), date(2026, 2, 16))

    def test_approved_before_the_clock_started_applies_once_it_has_a_due_date(self) -> None:
        case = facts(extensions={"next": [(date(2026, 1, 20), date(2026, 4, 1))]})
        assert row(SIX_WEEKS, case, date(2026, 2, 1), "next").status == Status.WAITING
        started = facts(extensions={"next": [(date(2026, 1, 20), date(2026, 4, 1))]},
                        completions={"step": date(2026, 2, 1)})
        found = row(SIX_WEEKS, started, date(2026, 2, 2), "next")
        assert (found.due, found.original_due) == (date(2026, 4, 1), date(2026, 2, 11))


class TestNotApplicable:
    """From its date, a step that no longer applies is `n/a` with every date null, and passes
    its own `after` step's date to the steps after it."""

    def test_from_its_date(self) -> None:
        case = facts(not_applicable={"step": date(2026, 2, 1)})
        assert row(SIX_WEEKS, case, date(2026, 1, 31), "step").status == Status.GREEN
        found = row(SIX_WEEKS, case, date(2026, 2, 1), "step")
        assert (seen(found), found.original_due, found.at_risk) == (
            (Status.NOT_APPLICABLE, None, None, None), None, False)

    def test_followers_start_from_the_date_it_passes_through(self) -> None:
        case = facts(not_applicable={"step": date(2026, 2, 1)})
        assert seen(row(SIX_WEEKS, case, date(2026, 2, 1), "next")) == (
            Status.RED, date(2026, 1, 15), None, 17)

    def test_n_a_is_never_escalated_or_extended(self) -> None:
        case = facts(not_applicable={"step": date(2026, 2, 1)},
                     extensions={"step": [(date(2026, 1, 20), date(2026, 4, 1))]})
        found = row(SIX_WEEKS, case, date(2026, 3, 1), "step")
        assert (found.status, found.due, found.original_due, found.escalated_to) == (
            Status.NOT_APPLICABLE, None, None, ())


class TestSiblings:
    def test_every_row_of_the_case_carries_its_group(self) -> None:
        rows = evaluate(SIX_WEEKS, [facts(sibling_group="S-1")], LEADS, date(2026, 2, 1))
        assert {r.sibling_group for r in rows.statuses} == {"S-1"}
        plain = evaluate(SIX_WEEKS, [facts()], LEADS, date(2026, 2, 1))
        assert {r.sibling_group for r in plain.statuses} == {None}


# -- Properties ------------------------------------------------------------------------------

DAYS = st.dates(min_value=date(2026, 1, 6), max_value=date(2026, 12, 31))
PAUSES = st.lists(st.tuples(DAYS, st.one_of(st.none(), st.integers(0, 60))), max_size=4).map(
    lambda spans: [(start, None if length is None else start + timedelta(days=length))
                   for start, length in spans])


class TestProperties:
    """Invariants over any pauses, extensions and as-of dates."""

    @settings(max_examples=300, deadline=None)
    @given(pauses=PAUSES, as_of=DAYS, done=st.one_of(st.none(), DAYS))
    def test_a_pause_never_makes_a_due_date_earlier(self, pauses: list[tuple[date, date | None]],
                                                   as_of: date, done: date | None) -> None:
        completions = {} if done is None else {"step": done}
        plain = row(SIX_WEEKS, facts(completions=completions), as_of, "step")
        paused = row(SIX_WEEKS, facts(completions=completions, pauses=pauses), as_of, "step")
        assert plain.due is not None and paused.due is not None
        assert paused.due >= plain.due
        assert (paused.status == Status.PAUSED) <= (plain.status in (Status.GREEN, Status.AMBER,
                                                                     Status.RED))

    @settings(max_examples=300, deadline=None)
    @given(approved=DAYS, later=st.integers(1, 90), as_of=DAYS)
    def test_an_extension_never_moves_a_date_back(self, approved: date, later: int,
                                                  as_of: date) -> None:
        """A valid extension (after the due date it replaces) gives the agreed date from its
        approval, and nothing before it."""
        due_then = row(SIX_WEEKS, facts(), approved, "step").due
        assert due_then is not None
        case = facts(extensions={"step": [(approved, due_then + timedelta(days=later))]})
        found = row(SIX_WEEKS, case, as_of, "step")
        plain = row(SIX_WEEKS, facts(), as_of, "step")
        assert found.due is not None and plain.due is not None
        assert found.due >= plain.due
        assert found.due == (due_then + timedelta(days=later) if as_of >= approved
                             else plain.due)

    @settings(max_examples=200, deadline=None)
    @given(pauses=PAUSES, as_of=DAYS, later=DAYS,
           booked=st.lists(st.tuples(DAYS, DAYS), max_size=3),
           extended=st.lists(st.tuples(DAYS, DAYS), max_size=2))
    def test_what_is_known_later_never_changes_a_past_day(
            self, pauses: list[tuple[date, date | None]], as_of: date, later: date,
            booked: list[tuple[date, date]], extended: list[tuple[date, date]]) -> None:
        """Replaying day A with everything recorded since gives the same rows as A gave with
        only what was known on A: a booking, a pause or an extension counts from the day it
        was known, and a pause's later days are not yet paused."""
        timelines = TestLeadTime.PAPERS
        everything = facts(pauses=pauses, planned={"meeting": booked},
                           extensions={"advice": extended},
                           completions={"papers": later})
        known = facts(pauses=[(start, end if end is not None and end <= as_of else None)
                              for start, end in pauses if start <= as_of],
                      planned={"meeting": [b for b in booked if b[0] <= as_of]},
                      extensions={"advice": [e for e in extended if e[0] <= as_of]},
                      completions={"papers": later} if later <= as_of else {})
        assert (evaluate(timelines, [everything], LEADS, as_of).statuses
                == evaluate(timelines, [known], LEADS, as_of).statuses)
