"""Who is told what when case lives are not straight lines: at risk, paused, n/a, siblings.

Uses the drift tests' rule file (`review` due 10 days after looked_after_on, amber 3 days
before; looked after Monday 16 November 2026, so `review` is due Thursday 26 November, amber
from Monday 23, red from Friday 27).
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from permanence.drift import (
    AT_RISK,
    DUE_SOON,
    OVERDUE,
    NoticeItem,
    case_changes,
    encode_state,
    transitions,
)
from permanence.evaluate import CaseFacts, LeadDirectory, Status, evaluate
from permanence.notifications.digest import DigestItem, render_digest
from permanence.timelines import Timeline, load_rule_file

LEADS = LeadDirectory([
    ("sw-1", "social_worker", "north"),
    ("tl-north", "team_leader", "north"),
    ("sm-all", "service_manager", "*"),
    ("la-all", "legal_adviser", "*"),
])
LOOKED_AFTER = date(2026, 11, 16)
BOOKED_LATE = {"review": [(date(2026, 11, 18), date(2026, 12, 3))]}  # due 26 November


@pytest.fixture(scope="module")
def timeline(drift_rules: Path) -> Timeline:
    return load_rule_file(drift_rules)


def case(**facts: object) -> CaseFacts:
    return CaseFacts("C-1", "drift-test", "north", "sw-1", LOOKED_AFTER, None, {}).\
        _replace(**facts)


def told_over(timeline: Timeline, facts: CaseFacts, days: list[date]) -> list[tuple[date, str,
                                                                                   NoticeItem]]:
    """Every notice of a check run on each of `days` in turn, from a store never checked."""
    stored: str | None = None
    told = []
    for day in days:
        rows = evaluate({timeline.name: timeline}, [facts], LEADS, day).statuses
        for change in case_changes(rows, stored, timeline, facts, LEADS):
            told.extend((day, change.row.milestone, notice) for notice in change.notices)
        stored = encode_state(rows, stored)
    return told


def every_day(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


class TestAtRisk:
    """A milestone newly booked for after its due date is told to its owner once, while there
    is still time; then as due soon and overdue as usual."""

    def test_told_once_before_it_is_late(self, timeline: Timeline) -> None:
        told = told_over(timeline, case(planned=BOOKED_LATE),
                         every_day(date(2026, 11, 17), date(2026, 11, 27)))
        assert [(day, reason) for day, milestone, (_, reason, _) in told
                if milestone == "review"] == [
            (date(2026, 11, 18), AT_RISK), (date(2026, 11, 23), DUE_SOON),
            (date(2026, 11, 27), OVERDUE)]

    def test_a_pause_does_not_make_it_news_again(self, timeline: Timeline) -> None:
        """Told on the 18th; paused 20-21 November (due 28th), the booking (3 December) is still
        late: not told again when the pause ends. Then due soon from the 25th, as usual."""
        facts = case(planned=BOOKED_LATE, pauses=((date(2026, 11, 20), date(2026, 11, 21)),))
        told = told_over(timeline, facts, every_day(date(2026, 11, 17), date(2026, 11, 25)))
        assert [(day, reason) for day, milestone, (_, reason, _) in told
                if milestone == "review"] == [
            (date(2026, 11, 18), AT_RISK), (date(2026, 11, 25), DUE_SOON)]

    def test_booked_late_during_a_pause_is_told_when_it_ends(self, timeline: Timeline) -> None:
        facts = case(planned={"review": [(date(2026, 11, 20), date(2026, 12, 3))]},
                     pauses=((date(2026, 11, 19), date(2026, 11, 21)),))  # due 29 November
        told = told_over(timeline, facts, every_day(date(2026, 11, 17), date(2026, 11, 24)))
        assert [(day, reason) for day, milestone, (_, reason, _) in told
                if milestone == "review"] == [(date(2026, 11, 22), AT_RISK)]

    def test_a_booking_in_time_is_not_told(self, timeline: Timeline) -> None:
        facts = case(planned={"review": [(date(2026, 11, 18), date(2026, 11, 25))]})
        told = told_over(timeline, facts, every_day(date(2026, 11, 17), date(2026, 11, 24)))
        assert [(day, reason) for day, milestone, (_, reason, _) in told
                if milestone == "review"] == [(date(2026, 11, 23), DUE_SOON)]

    def test_at_risk_and_due_soon_on_one_day_is_one_notice_most_urgent_first(
            self, timeline: Timeline) -> None:
        told = told_over(timeline, case(planned=BOOKED_LATE), [date(2026, 11, 23)])
        assert [(milestone, notice) for _, milestone, notice in told] == [
            ("review", NoticeItem("sw-1", AT_RISK, None))]

    def test_counted_for_the_managers(self, timeline: Timeline) -> None:
        rows = evaluate({timeline.name: timeline}, [case(planned=BOOKED_LATE)], LEADS,
                        date(2026, 11, 18)).statuses
        [change] = [c for c in case_changes(rows, encode_state(evaluate(
            {timeline.name: timeline}, [case()], LEADS, date(2026, 11, 18)).statuses),
            timeline, case(), LEADS)]
        assert transitions(change) == {AT_RISK: 1}


class TestPausedAndNotApplicable:
    """Nobody is told of paused or n/a milestones; leaving them for red is told as overdue."""

    def test_a_pause_over_the_due_date_holds_the_alerts(self, timeline: Timeline) -> None:
        facts = case(pauses=((date(2026, 11, 20), date(2026, 12, 1)),))  # 12 days
        told = told_over(timeline, facts, every_day(date(2026, 11, 17), date(2026, 12, 9)))
        assert [(day, reason) for day, milestone, (_, reason, _) in told
                if milestone == "review"] == [
            (date(2026, 12, 5), DUE_SOON),  # due 8 December, amber from the 5th
            (date(2026, 12, 9), OVERDUE)]

    def test_paused_while_red_then_red_again_is_told_as_overdue(
            self, timeline: Timeline) -> None:
        facts = case(pauses=((date(2026, 11, 28), date(2026, 11, 29)),))
        told = told_over(timeline, facts, [date(2026, 11, 27), date(2026, 11, 28),
                                           date(2026, 11, 30)])
        reasons = [(day, reason) for day, milestone, (_, reason, _) in told
                   if milestone == "review"]
        assert reasons == [(date(2026, 11, 27), OVERDUE), (date(2026, 11, 30), OVERDUE)]

    def test_n_a_is_never_told(self, timeline: Timeline) -> None:
        facts = case(not_applicable={"review": date(2026, 11, 17)})
        told = told_over(timeline, facts, every_day(date(2026, 11, 17), date(2026, 12, 9)))
        assert [reason for _, milestone, (_, reason, _) in told if milestone == "review"] == []


class TestReplay:
    """Whichever days the check runs on, with any pause and a late booking, each notice is a
    real transition between the two checks around it, paused days tell nobody, and checks on
    every day tell the owner `overdue` once per stretch of red days."""

    @settings(max_examples=60, deadline=None)
    @given(st.sets(st.integers(0, 45)), st.integers(0, 20), st.integers(0, 10))
    def test_any_run_days(self, timeline: Timeline, offsets: set[int], pause_at: int,
                          pause_days: int) -> None:
        start = LOOKED_AFTER + timedelta(days=pause_at)
        facts = case(pauses=((start, start + timedelta(days=pause_days)),), planned=BOOKED_LATE)
        days = sorted({LOOKED_AFTER + timedelta(days=n) for n in offsets})
        rows = {day: {row.milestone: row for row in evaluate(
            {timeline.name: timeline}, [facts], LEADS, day).statuses} for day in
            every_day(LOOKED_AFTER, LOOKED_AFTER + timedelta(days=45))}
        for day, milestone, notice in told_over(timeline, facts, days):
            now = rows[day][milestone]
            before = [d for d in days if d < day]
            then = rows[before[-1]][milestone] if before else None
            assert now.status not in (Status.PAUSED, Status.NOT_APPLICABLE)
            if notice.reason == OVERDUE:
                assert now.status is Status.RED and (then is None or then.status != Status.RED)
            elif notice.reason == AT_RISK:
                assert now.at_risk and (then is None or not then.at_risk)
            elif notice.reason == DUE_SOON:
                assert now.status is Status.AMBER and (then is None
                                                       or then.status != Status.AMBER)
        daily = told_over(timeline, facts, list(rows))
        statuses = [rows[day]["review"].status for day in rows]
        red_stretches = sum(1 for place, status in enumerate(statuses) if status is Status.RED
                            and (place == 0 or statuses[place - 1] is not Status.RED))
        assert sum(1 for _, milestone, notice in daily
                   if milestone == "review" and notice.reason == OVERDUE) == red_stretches


class TestDigest:
    """The at-risk line says when it is booked and when it is due; siblings are listed
    together."""

    def item(self, case_ref: str, reason: str, due: date, **more: object) -> DigestItem:
        return DigestItem(case_ref=case_ref, milestone_title="Review", due=due,
                          status="green", days_overdue=None, reason=reason, **more)  # type: ignore[arg-type]

    def test_at_risk_line_and_title(self) -> None:
        digest = render_digest(recipient_name="Ailsa", as_of=date(2026, 11, 18), items=[
            self.item("C-1", AT_RISK, date(2026, 11, 26), planned_for=date(2026, 12, 3))])
        assert digest.title == "1 at risk"
        assert digest.body.splitlines()[1] == (
            "C-1 | Review | due 2026-11-26 | green | at risk: booked for 2026-12-03, due "
            "2026-11-26")

    def test_siblings_are_listed_together(self) -> None:
        digest = render_digest(recipient_name="Ailsa", as_of=date(2026, 11, 18), items=[
            self.item("C-1", DUE_SOON, date(2026, 11, 20), sibling_group="S-1"),
            self.item("C-2", DUE_SOON, date(2026, 11, 21)),
            self.item("C-3", DUE_SOON, date(2026, 11, 25), sibling_group="S-1"),
            self.item("C-4", AT_RISK, date(2026, 11, 30), planned_for=date(2026, 12, 3),
                      sibling_group="S-1")])
        refs = [line.split(" | ")[0] for line in digest.body.splitlines()[1:-1] if line]
        assert refs == ["C-4", "C-1", "C-3", "C-2"]
        assert "C-3 | Review | due 2026-11-25 | green | sibling group S-1" in digest.body
        assert digest.title == "1 at risk, 3 due soon"
