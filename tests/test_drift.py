"""Drift, the pure core of the daily check: what changed since the stored state, who is told.

The rule file is the `drift_rules` fixture (conftest): case C-1 became looked after on Monday
16 November 2026, so its `review` is amber from 23 November, due on Thursday 26 November, red
from the 27th, escalated to the team leader 2 working days after the due date and to the
service manager after 3. In Scotland Monday 30 November (St Andrew's Day) is not a working day,
so those tiers are reached on 1 and 2 December.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from permanence.drift import (
    DUE_SOON,
    ESCALATED,
    OVERDUE,
    Change,
    NoticeItem,
    StoredMilestone,
    all_changes,
    case_changes,
    decode_state,
    encode_state,
    format_tiers,
)
from permanence.evaluate import CaseFacts, LeadDirectory, MilestoneStatus, Status, evaluate
from permanence.timelines import Timeline, load_rule_file

LEADS = LeadDirectory([
    ("sw-1", "social_worker", "north"),
    ("sw-east", "social_worker", "east"),
    ("tl-north", "team_leader", "north"),
    ("sm-all", "service_manager", "*"),
    ("la-all", "legal_adviser", "*"),
])
LOOKED_AFTER = date(2026, 11, 16)
C1 = CaseFacts("C-1", "drift-test", "north", "sw-1", LOOKED_AFTER, None, {})

GREEN_DAY = date(2026, 11, 20)
AMBER_DAY = date(2026, 11, 23)
DUE_DAY = date(2026, 11, 26)
RED_DAY = date(2026, 11, 27)
ST_ANDREWS_DAY = date(2026, 11, 30)
TIER_1_DAY = date(2026, 12, 1)
TIER_2_DAY = date(2026, 12, 2)


@pytest.fixture(scope="module")
def timeline(drift_rules: Path) -> Timeline:
    return load_rule_file(drift_rules)


def rows_on(timeline: Timeline, day: date, case: CaseFacts = C1,
            leads: LeadDirectory = LEADS) -> list[MilestoneStatus]:
    return evaluate({timeline.name: timeline}, [case], leads, day).statuses


def changes_between(timeline: Timeline, before: date | None, after: date,
                    case: CaseFacts = C1, leads: LeadDirectory = LEADS) -> list[Change]:
    """The changes a check on `after` finds when the last stored state is the one of `before`
    (None: the case was never checked)."""
    stored = encode_state(rows_on(timeline, before, case, leads)) if before else None
    return case_changes(rows_on(timeline, after, case, leads), stored, timeline, case, leads)


def summary(changes: list[Change]) -> list[tuple[str, str | None, str, tuple[NoticeItem, ...]]]:
    """(milestone, old status, new status, notices) per change, for whole-value asserts."""
    return [(c.row.milestone, c.old_status, str(c.row.status), c.notices) for c in changes]


class TestStateText:
    """The stored state is `id=status[:tier,tier];...` (tiers 0-based); decoding it gives back
    every milestone's status and tiers, so equal text means nothing changed."""

    def test_round_trip_of_an_evaluation(self, timeline: Timeline) -> None:
        rows = rows_on(timeline, TIER_2_DAY)
        text = encode_state(rows)
        assert text == "looked_after=done;review=red:0,1;legal_advice=waiting"
        assert decode_state(text) == {
            "looked_after": StoredMilestone("done", ()),
            "review": StoredMilestone("red", (0, 1)),
            "legal_advice": StoredMilestone("waiting", ()),
        }

    def test_no_milestones(self) -> None:
        assert encode_state([]) == ""
        assert decode_state("") == {}

    @given(st.dictionaries(
        st.from_regex(r"[a-z][a-z0-9_]{0,12}", fullmatch=True),
        st.tuples(st.sampled_from(list(Status)),
                  st.lists(st.integers(0, 9), max_size=4, unique=True).map(
                      lambda tiers: tuple(sorted(tiers))), st.booleans()),
        max_size=8))
    def test_round_trip_of_any_state(
            self, milestones: dict[str, tuple[Status, tuple[int, ...], bool]]) -> None:
        rows = [MilestoneStatus("C-1", "north", "t", milestone, "title", status, None, None,
                                None, None, (), tiers, at_risk)
                for milestone, (status, tiers, at_risk) in milestones.items()]
        decoded = decode_state(encode_state(rows))
        assert decoded == {milestone: StoredMilestone(str(status), tiers, at_risk)
                           for milestone, (status, tiers, at_risk) in milestones.items()}
        assert list(decoded) == list(milestones)

    def test_tiers_are_logged_as_people_count_them(self) -> None:
        assert format_tiers((0, 1)) == "1,2"
        assert format_tiers(()) == ""


class TestOwnerIsTold:
    """Newly amber tells the owner `due_soon`; newly red tells the owner `overdue`, whatever it
    was before: amber, green (no run saw it amber), or nothing (never checked)."""

    def test_newly_amber(self, timeline: Timeline) -> None:
        assert summary(changes_between(timeline, GREEN_DAY, AMBER_DAY)) == [
            ("review", "green", "amber", (NoticeItem("sw-1", DUE_SOON, None),))]

    def test_newly_red_from_amber(self, timeline: Timeline) -> None:
        assert summary(changes_between(timeline, DUE_DAY, RED_DAY)) == [
            ("review", "amber", "red", (NoticeItem("sw-1", OVERDUE, None),))]

    def test_newly_red_straight_from_green(self, timeline: Timeline) -> None:
        assert summary(changes_between(timeline, GREEN_DAY, RED_DAY)) == [
            ("review", "green", "red", (NoticeItem("sw-1", OVERDUE, None),))]

    def test_newly_red_from_nothing(self, timeline: Timeline) -> None:
        assert summary(changes_between(timeline, None, RED_DAY)) == [
            ("looked_after", None, "done", ()),
            ("review", None, "red", (NoticeItem("sw-1", OVERDUE, None),)),
            ("legal_advice", None, "waiting", ()),
        ]

    def test_newly_amber_from_nothing(self, timeline: Timeline) -> None:
        changes = changes_between(timeline, None, AMBER_DAY)
        assert [c.notices for c in changes if c.row.milestone == "review"] == [
            (NoticeItem("sw-1", DUE_SOON, None),)]


class TestEscalation:
    """Each escalation tier newly reached tells that tier's lead (tier 1-based); tiers reached
    on an earlier check are not told again."""

    def test_st_andrews_day_is_not_a_working_day(self, timeline: Timeline) -> None:
        assert changes_between(timeline, RED_DAY, ST_ANDREWS_DAY) == []
        [review] = [row for row in rows_on(timeline, ST_ANDREWS_DAY) if row.milestone == "review"]
        assert review.tiers_reached == ()

    def test_first_tier(self, timeline: Timeline) -> None:
        [change] = changes_between(timeline, ST_ANDREWS_DAY, TIER_1_DAY)
        assert (change.old_status, change.old_tiers, change.row.tiers_reached) == ("red", (), (0,))
        assert change.notices == (NoticeItem("tl-north", ESCALATED, 1),)

    def test_second_tier_does_not_repeat_the_first(self, timeline: Timeline) -> None:
        [change] = changes_between(timeline, TIER_1_DAY, TIER_2_DAY)
        assert (change.old_tiers, change.row.tiers_reached) == ((0,), (0, 1))
        assert change.notices == (NoticeItem("sm-all", ESCALATED, 2),)

    def test_every_tier_at_once_after_a_gap(self, timeline: Timeline) -> None:
        [change] = changes_between(timeline, AMBER_DAY, TIER_2_DAY)
        assert change.notices == (NoticeItem("sw-1", OVERDUE, None),
                                  NoticeItem("tl-north", ESCALATED, 1),
                                  NoticeItem("sm-all", ESCALATED, 2))

    def test_no_change_after_the_last_tier(self, timeline: Timeline) -> None:
        assert changes_between(timeline, TIER_2_DAY, TIER_2_DAY + timedelta(days=30)) == []

    def test_a_lead_is_told_once_per_change(self, timeline: Timeline) -> None:
        """legal_advice's second tier is its owner again: one notice, the most urgent reason."""
        case = C1._replace(completions={"review": date(2026, 11, 20)})
        # legal_advice: due 25 November (amber that day only); red and both tiers on the 26th.
        changes = changes_between(timeline, date(2026, 11, 25), date(2026, 11, 26), case)
        assert summary(changes) == [
            ("legal_advice", "amber", "red", (NoticeItem("la-all", OVERDUE, None),
                                              NoticeItem("tl-north", ESCALATED, 1)))]
        assert changes[0].row.tiers_reached == (0, 1)


class TestNoChange:
    """A milestone whose status and tiers equal the stored ones is no change, and tells nobody:
    this is what makes a re-run for the same day tell nobody twice."""

    @pytest.mark.parametrize("day", [GREEN_DAY, AMBER_DAY, DUE_DAY, RED_DAY, TIER_2_DAY])
    def test_same_day_again(self, timeline: Timeline, day: date) -> None:
        assert changes_between(timeline, day, day) == []

    def test_amber_to_amber_and_red_to_red(self, timeline: Timeline) -> None:
        assert changes_between(timeline, AMBER_DAY, DUE_DAY) == []
        assert changes_between(timeline, RED_DAY, ST_ANDREWS_DAY) == []

    def test_all_changes_of_unchanged_cases(self, timeline: Timeline) -> None:
        rows = rows_on(timeline, AMBER_DAY)
        stored = {"C-1": encode_state(rows)}
        assert all_changes(rows, stored, {timeline.name: timeline}, {"C-1": C1}, LEADS) == ([], {})


class TestUnresolvedRoles:
    """A role that resolves to nobody gets no notice here (evaluation reports it as a
    configuration problem); the change is still logged."""

    def test_owner_nobody(self, timeline: Timeline) -> None:
        case = C1._replace(social_worker="sw-gone")
        assert summary(changes_between(timeline, GREEN_DAY, AMBER_DAY, case)) == [
            ("review", "green", "amber", ())]

    def test_tier_lead_nobody(self, timeline: Timeline) -> None:
        case = C1._replace(team="east", social_worker="sw-east")
        assert summary(changes_between(timeline, GREEN_DAY, TIER_2_DAY, case)) == [
            ("review", "green", "red", (NoticeItem("sw-east", OVERDUE, None),
                                        NoticeItem("sm-all", ESCALATED, 2)))]
        evaluation = evaluate({timeline.name: timeline}, [case], LEADS, TIER_2_DAY)
        assert [(p.team, p.role, p.case_refs) for p in evaluation.unresolved] == [
            ("east", "team_leader", ("C-1",))]


class TestChangesWithoutNotices:
    """done, late, waiting and green are logged as changes but tell nobody."""

    def test_red_to_late(self, timeline: Timeline) -> None:
        case = C1._replace(completions={"review": date(2026, 11, 28)})
        stored = encode_state(rows_on(timeline, RED_DAY, case))
        changes = case_changes(rows_on(timeline, date(2026, 11, 28), case), stored, timeline,
                               case, LEADS)
        assert summary(changes) == [("review", "red", "late", ()),
                                    ("legal_advice", "waiting", "green", ())]

    def test_escalated_to_late_clears_tiers_without_notices(self, timeline: Timeline) -> None:
        case = C1._replace(completions={"review": date(2026, 12, 3)})
        stored = encode_state(rows_on(timeline, TIER_2_DAY, case))
        [late, legal] = case_changes(rows_on(timeline, date(2026, 12, 3), case), stored,
                                     timeline, case, LEADS)
        assert (late.row.status, late.old_tiers, late.row.tiers_reached) == (
            Status.LATE, (0, 1), ())
        assert late.notices == legal.notices == ()

    def test_green_and_amber_to_done(self, timeline: Timeline) -> None:
        for before, done_on in ((GREEN_DAY, date(2026, 11, 21)), (DUE_DAY, DUE_DAY)):
            case = C1._replace(completions={"review": done_on})
            stored = encode_state(rows_on(timeline, before, C1))
            changes = case_changes(rows_on(timeline, done_on, case), stored, timeline, case,
                                   LEADS)
            assert [(c.row.milestone, str(c.row.status), c.notices) for c in changes] == [
                ("review", "done", ()), ("legal_advice", "green", ())]


class TestAllChanges:
    """Across many cases, only cases whose state text changed are compared and re-stored."""

    def test_only_changed_cases(self, timeline: Timeline) -> None:
        c2 = C1._replace(case_ref="C-2", looked_after_on=date(2026, 11, 20))
        facts = {"C-1": C1, "C-2": c2}
        timelines = {timeline.name: timeline}
        before = evaluate(timelines, [C1, c2], LEADS, date(2026, 11, 22)).statuses
        after = evaluate(timelines, [C1, c2], LEADS, AMBER_DAY).statuses
        stored = {"C-1": encode_state(before[:3]), "C-2": encode_state(before[3:])}
        changes, new_state = all_changes(after, stored, timelines, facts, LEADS)
        assert [(c.row.case_ref, c.row.milestone, c.notices) for c in changes] == [
            ("C-1", "review", (NoticeItem("sw-1", DUE_SOON, None),))]
        assert new_state == {"C-1": "looked_after=done;review=amber;legal_advice=waiting"}

    def test_new_case_is_stored(self, timeline: Timeline) -> None:
        rows = rows_on(timeline, GREEN_DAY)
        changes, new_state = all_changes(rows, {}, {timeline.name: timeline}, {"C-1": C1},
                                         LEADS)
        assert new_state == {"C-1": "looked_after=done;review=green;legal_advice=waiting"}
        assert [c.notices for c in changes] == [(), (), ()]


class TestReplay:
    """Whichever days the check runs on, up to a day past every tier, the owner hears
    `overdue` once, each tier's lead hears once, and `due_soon` is heard at most once (only
    when a check fell inside the amber window)."""

    @given(st.sets(st.integers(0, (TIER_2_DAY - LOOKED_AFTER).days)))
    def test_any_run_days(self, timeline: Timeline, offsets: set[int]) -> None:
        stored: str | None = None
        told: list[NoticeItem] = []
        days = sorted({LOOKED_AFTER + timedelta(days=n) for n in offsets} | {TIER_2_DAY})
        for day in days:
            rows = rows_on(timeline, day)
            told.extend(n for change in case_changes(rows, stored, timeline, C1, LEADS)
                        for n in change.notices)
            stored = encode_state(rows)
        amber_checked = any(AMBER_DAY <= day <= DUE_DAY for day in days)
        expected = ([NoticeItem("sw-1", DUE_SOON, None)] if amber_checked else []) + [
            NoticeItem("sw-1", OVERDUE, None), NoticeItem("tl-north", ESCALATED, 1),
            NoticeItem("sm-all", ESCALATED, 2)]
        assert sorted(told) == sorted(expected)
