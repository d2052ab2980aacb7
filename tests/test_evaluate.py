"""Evaluation: every row of the contract's status table, owners and escalations, and the golden
snapshots of the sample data.

Small timelines are written inline as YAML and read with parse_rule_text, so each test shows
the rule it evaluates. Dates are read off a calendar: in 2026, Monday 30 November is St Andrew's
Day, a bank holiday in Scotland but not in England and Wales.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, timedelta
from pathlib import Path
from typing import ClassVar

import pytest
from conftest import load_sample
from hypothesis import given, settings
from hypothesis import strategies as st

from permanence.clocks import amber_from
from permanence.dates import Duration, Unit
from permanence.evaluate import (
    CaseFacts,
    Evaluation,
    LeadDirectory,
    MilestoneStatus,
    Status,
    UnresolvedRole,
    evaluate,
)
from permanence.timelines import Milestone, Timeline, parse_rule_text

SNAPSHOTS = Path(__file__).parent / "snapshots"
# Three ordinary days, and the edges of two sample clocks, so an off-by-one in the amber window
# or the due date changes a snapshot (the edges are worked out by hand in TestSnapshotEdges):
# C-1010 first_review (7 calendar days of amber): green 18 Nov, amber from 19 Nov, due 26 Nov,
# red 27 Nov; C-1007 adm_decision (2 working days of amber): green 19 Nov, amber from 20 Nov,
# due 24 Nov, red 25 Nov.
SNAPSHOT_DATES = [date(2026, 10, 26), date(2026, 11, 9), date(2026, 11, 18), date(2026, 11, 19),
                  date(2026, 11, 20), date(2026, 11, 24), date(2026, 11, 25), date(2026, 11, 26),
                  date(2026, 11, 27)]

LEADS = LeadDirectory([
    ("sw-1", "social_worker", "north"),
    ("sw-2", "social_worker", "south"),
    ("tl-north", "team_leader", "north"),
    ("tl-any", "team_leader", "*"),
    ("sm-all", "service_manager", "*"),
    ("lw-legal", "legal_adviser", "*"),
])


def rules(milestones: str, jurisdiction: str = "scotland") -> dict[str, Timeline]:
    """A timeline `t` whose first milestone is the start `start`, then `milestones` (YAML)."""
    text = (f'timeline: t\ntitle: T\njurisdiction: {jurisdiction}\nversion: "1"\nmilestones:\n'
            f"  - id: start\n    title: Start\n{milestones}")
    return {"t": parse_rule_text(text, "t.yaml")}


def case(ref: str = "C-1", *, looked_after_on: date = date(2026, 11, 2),
         closed_on: date | None = None, team: str = "north", worker: str = "sw-1",
         timeline: str = "t", **completions: date) -> CaseFacts:
    return CaseFacts(ref, timeline, team, worker, looked_after_on, closed_on, completions)


def statuses(timelines: Mapping[str, Timeline], cases: list[CaseFacts], as_of: date,
             leads: LeadDirectory = LEADS) -> list[MilestoneStatus]:
    return evaluate(timelines, cases, leads, as_of).statuses


def row_of(timelines: Mapping[str, Timeline], facts: CaseFacts, as_of: date,
           milestone: str, leads: LeadDirectory = LEADS) -> MilestoneStatus:
    [found] = [r for r in statuses(timelines, [facts], as_of, leads) if r.milestone == milestone]
    return found


def summary(row: MilestoneStatus) -> tuple[object, ...]:
    return row.status, row.due, row.completed_on, row.days_overdue


# Start 2026-11-02 (Mon); `step` is due 10 days later, on Thu 2026-11-12; `next` waits on it.
TEN_DAYS = rules("""\
  - id: step
    title: Step
    after: start
    within: 10 days
  - id: next
    title: Next
    after: step
    within: 5 days
""")
DUE = date(2026, 11, 12)


class TestStatusTable:
    """Each row of the contract's table: done (on or before due), late (after due), waiting (no
    clock), green (before the amber window), amber (in it, or the due date), red (after the due
    date). days_overdue is A - due for red, completion - due for late, else None."""

    def test_start_milestone_is_done_on_looked_after_on(self) -> None:
        row = row_of(TEN_DAYS, case(), date(2026, 11, 3), "start")
        assert summary(row) == (Status.DONE, None, date(2026, 11, 2), None)

    def test_done_on_the_due_date(self) -> None:
        row = row_of(TEN_DAYS, case(step=DUE), date(2026, 11, 20), "step")
        assert summary(row) == (Status.DONE, DUE, DUE, None)

    def test_done_early(self) -> None:
        row = row_of(TEN_DAYS, case(step=date(2026, 11, 3)), date(2026, 11, 3), "step")
        assert summary(row) == (Status.DONE, DUE, date(2026, 11, 3), None)

    def test_late(self) -> None:
        row = row_of(TEN_DAYS, case(step=date(2026, 11, 15)), date(2026, 11, 20), "step")
        assert summary(row) == (Status.LATE, DUE, date(2026, 11, 15), 3)

    def test_waiting(self) -> None:
        row = row_of(TEN_DAYS, case(), date(2026, 11, 20), "next")
        assert summary(row) == (Status.WAITING, None, None, None)
        assert row.escalated_to == ()

    def test_clock_starts_on_completion_of_after(self) -> None:
        row = row_of(TEN_DAYS, case(step=date(2026, 11, 15)), date(2026, 11, 19), "next")
        assert summary(row) == (Status.GREEN, date(2026, 11, 20), None, None)

    def test_green_the_day_before_due(self) -> None:
        row = row_of(TEN_DAYS, case(), DUE - timedelta(days=1), "step")
        assert summary(row) == (Status.GREEN, DUE, None, None)

    def test_default_amber_is_the_due_date_only(self) -> None:
        assert row_of(TEN_DAYS, case(), DUE, "step").status is Status.AMBER
        assert row_of(TEN_DAYS, case(), DUE + timedelta(days=1), "step").status is Status.RED

    def test_red(self) -> None:
        row = row_of(TEN_DAYS, case(), date(2026, 11, 16), "step")
        assert summary(row) == (Status.RED, DUE, None, 4)

    def test_red_the_day_after_due(self) -> None:
        row = row_of(TEN_DAYS, case(), DUE + timedelta(days=1), "step")
        assert summary(row) == (Status.RED, DUE, None, 1)


class TestAmberWindow:
    """`amber` counts back from the due date with the same arithmetic as `within`: amber from
    due - amber, green the day before."""

    def test_calendar_days(self) -> None:
        timelines = rules("""\
  - id: step
    title: Step
    after: start
    within: 10 days
    amber: 7 days
""")
        assert row_of(timelines, case(), date(2026, 11, 4), "step").status is Status.GREEN
        assert row_of(timelines, case(), date(2026, 11, 5), "step").status is Status.AMBER
        assert row_of(timelines, case(), DUE, "step").status is Status.AMBER

    @pytest.mark.parametrize(("jurisdiction", "first_amber"), [
        # Due Tue 1 Dec: two working days back skip the weekend, and in Scotland St Andrew's Day.
        ("scotland", date(2026, 11, 26)),
        ("england-and-wales", date(2026, 11, 27)),
    ])
    def test_working_days_over_a_bank_holiday(self, jurisdiction: str, first_amber: date) -> None:
        timelines = rules("""\
  - id: step
    title: Step
    after: start
    within: 10 days
    amber: 2 working days
""", jurisdiction)
        facts = case(looked_after_on=date(2026, 11, 21))
        day_before = first_amber - timedelta(days=1)
        assert row_of(timelines, facts, day_before, "step").due == date(2026, 12, 1)
        assert row_of(timelines, facts, day_before, "step").status is Status.GREEN
        assert row_of(timelines, facts, first_amber, "step").status is Status.AMBER


# Start Tue 2026-11-17; `step` is due Fri 2026-11-27. Tier 0 (3 days) from Mon 30 Nov; tier 1
# (2 working days): in Scotland 30 Nov is a bank holiday, so Tue 1 Dec and Wed 2 Dec count.
def escalating(jurisdiction: str = "scotland", *, first: str = "team_leader",
               second: str = "service_manager") -> dict[str, Timeline]:
    return rules(f"""\
  - id: step
    title: Step
    after: start
    within: 10 days
    escalate:
      - {{after: 3 days, to: {first}}}
      - {{after: 2 working days, to: {second}}}
""", jurisdiction)


ESCALATING_CASE = case(looked_after_on=date(2026, 11, 17))


class TestEscalation:
    """A tier is reached on as-of dates on or after due + `after` (not the day before);
    escalated_to lists the lead of every tier reached, in rule order."""

    @pytest.mark.parametrize(("as_of", "escalated_to", "tiers"), [
        (date(2026, 11, 27), (), ()),
        (date(2026, 11, 29), (), ()),
        (date(2026, 11, 30), ("tl-north",), (0,)),
        (date(2026, 12, 1), ("tl-north",), (0,)),
        (date(2026, 12, 2), ("tl-north", "sm-all"), (0, 1)),
    ])
    def test_scotland(self, as_of: date, escalated_to: tuple[str, ...],
                      tiers: tuple[int, ...]) -> None:
        row = row_of(escalating(), ESCALATING_CASE, as_of, "step")
        assert row.due == date(2026, 11, 27)
        assert (row.escalated_to, row.tiers_reached) == (escalated_to, tiers)

    def test_england_has_no_st_andrews_day(self) -> None:
        timelines = escalating("england-and-wales")
        assert row_of(timelines, ESCALATING_CASE, date(2026, 11, 30), "step").escalated_to == (
            "tl-north",)
        assert row_of(timelines, ESCALATING_CASE, date(2026, 12, 1), "step").escalated_to == (
            "tl-north", "sm-all")

    def test_rule_order_not_lead_order(self) -> None:
        timelines = escalating(first="service_manager", second="team_leader")
        row = row_of(timelines, ESCALATING_CASE, date(2026, 12, 2), "step")
        assert row.escalated_to == ("sm-all", "tl-north")

    def test_done_and_late_are_not_escalated(self) -> None:
        late = row_of(escalating(), case(looked_after_on=date(2026, 11, 17),
                                         step=date(2026, 12, 3)), date(2026, 12, 10), "step")
        assert (late.status, late.days_overdue, late.escalated_to) == (Status.LATE, 6, ())


class TestOwners:
    """`social_worker` is the case's own worker; any other role is the lead with that role in the
    case's team, else the lead with that role and team `*`. A role that resolves to nobody leaves
    owner None and is reported once per (timeline, team, role) in Evaluation.unresolved."""

    TIMELINE = rules("""\
  - id: step
    title: Step
    after: start
    within: 10 days
    owner: team_leader
  - id: advice
    title: Advice
    after: start
    within: 10 days
    owner: legal_adviser
  - id: panel
    title: Panel
    after: start
    within: 10 days
    owner: panel_adviser
    escalate:
      - {after: 1 day, to: team_leader}
      - {after: 2 days, to: agency_decision_maker}
""")

    def owners(self, facts: CaseFacts) -> dict[str, str | None]:
        return {r.milestone: r.owner for r in statuses(self.TIMELINE, [facts], date(2026, 11, 3))}

    def test_team_first_then_star(self) -> None:
        assert self.owners(case()) == {"start": "sw-1", "step": "tl-north",
                                       "advice": "lw-legal", "panel": None}
        assert self.owners(case(team="south", worker="sw-2")) == {
            "start": "sw-2", "step": "tl-any", "advice": "lw-legal", "panel": None}

    def test_social_worker_is_the_cases_own(self) -> None:
        # sw-2 is in team south, but is this north case's worker.
        assert self.owners(case(worker="sw-2"))["start"] == "sw-2"

    def test_lowest_lead_id_among_several(self) -> None:
        leads = LeadDirectory([("tl-b", "team_leader", "north"), ("tl-a", "team_leader", "north")])
        assert row_of(self.TIMELINE, case(), date(2026, 11, 3), "step", leads).owner == "tl-a"

    def test_unresolved_reported_once_per_timeline_team_role(self) -> None:
        cases = [case("C-1"), case("C-2"), case("C-3", team="south", worker="sw-9")]
        result = evaluate(self.TIMELINE, cases, LEADS, date(2026, 11, 14))
        assert result.unresolved == [
            UnresolvedRole("t", "north", "agency_decision_maker", ("panel",), ("C-1", "C-2")),
            UnresolvedRole("t", "north", "panel_adviser", ("panel",), ("C-1", "C-2")),
            UnresolvedRole("t", "south", "agency_decision_maker", ("panel",), ("C-3",)),
            UnresolvedRole("t", "south", "panel_adviser", ("panel",), ("C-3",)),
            UnresolvedRole("t", "south", "social_worker", ("start",), ("C-3",)),
        ]
        panel = [r for r in result.statuses if r.milestone == "panel"]
        # Tier 1 (agency_decision_maker) is reached but resolves to nobody: it is not listed.
        assert [(r.case_ref, r.owner, r.escalated_to, r.tiers_reached) for r in panel] == [
            ("C-1", None, ("tl-north",), (0, 1)),
            ("C-2", None, ("tl-north",), (0, 1)),
            ("C-3", None, ("tl-any",), (0, 1)),
        ]
        assert result.unresolved[1].describe() == (
            "no lead has role 'panel_adviser' in team 'north' or team '*' (timeline t, "
            "milestones panel; 2 case(s): C-1, C-2)")
        assert result.unresolved[4].describe() == (
            "the case's social_worker is not a known lead (timeline t, milestones start; "
            "1 case(s): C-3)")

    def test_all_resolved(self) -> None:
        leads = LeadDirectory([("sw-1", "social_worker", "north"), ("x", "team_leader", "*"),
                               ("y", "legal_adviser", "*"), ("z", "panel_adviser", "*"),
                               ("w", "agency_decision_maker", "north")])
        assert evaluate(self.TIMELINE, [case()], leads, date(2026, 11, 20)).unresolved == []


class TestAsOfAndOpenCases:
    """Events after the as-of date are ignored; a start milestone with an event uses the event's
    date; only cases open on A (looked after on or before A, not closed on or before A) are
    evaluated."""

    def test_events_after_as_of_ignored(self) -> None:
        row = row_of(TEN_DAYS, case(step=date(2026, 11, 20)), date(2026, 11, 16), "step")
        assert summary(row) == (Status.RED, DUE, None, 4)

    def test_start_event_date_is_used(self) -> None:
        rows = statuses(TEN_DAYS, [case(start=date(2026, 11, 5))], date(2026, 11, 14))
        assert [summary(r) for r in rows[:2]] == [
            (Status.DONE, None, date(2026, 11, 5), None),
            (Status.GREEN, date(2026, 11, 15), None, None)]

    def test_start_event_after_as_of_falls_back_to_looked_after_on(self) -> None:
        rows = statuses(TEN_DAYS, [case(start=date(2026, 11, 20))], date(2026, 11, 14))
        assert [summary(r) for r in rows[:2]] == [
            (Status.DONE, None, date(2026, 11, 2), None),
            (Status.RED, DUE, None, 2)]

    @pytest.mark.parametrize(("looked_after_on", "closed_on", "included"), [
        (date(2026, 11, 17), None, False),
        (date(2026, 11, 16), None, True),
        (date(2026, 11, 2), date(2026, 11, 10), False),
        (date(2026, 11, 2), date(2026, 11, 16), False),
        (date(2026, 11, 2), date(2026, 11, 17), True),
    ])
    def test_open_cases_only(self, looked_after_on: date, closed_on: date | None,
                             included: bool) -> None:
        rows = statuses(TEN_DAYS, [case(looked_after_on=looked_after_on, closed_on=closed_on)],
                        date(2026, 11, 16))
        assert len(rows) == (3 if included else 0)

    def test_unknown_timeline_skipped(self) -> None:
        assert statuses(TEN_DAYS, [case(timeline="gone")], date(2026, 11, 16)) == []


class TestOrder:
    """Rows come in case_ref order, then in the milestone's place in its rule file, even when a
    milestone's `after` comes later in the file."""

    def test_order(self) -> None:
        timelines = rules("""\
  - id: later
    title: Later
    after: middle
    within: 3 days
  - id: middle
    title: Middle
    after: start
    within: 10 days
""")
        rows = statuses(timelines, [case("C-2"), case("C-1", middle=date(2026, 11, 5))],
                        date(2026, 11, 7))
        assert [(r.case_ref, r.milestone, r.status, r.due) for r in rows] == [
            ("C-1", "start", Status.DONE, None),
            ("C-1", "later", Status.GREEN, date(2026, 11, 8)),
            ("C-1", "middle", Status.DONE, date(2026, 11, 12)),
            ("C-2", "start", Status.DONE, None),
            ("C-2", "later", Status.WAITING, None),
            ("C-2", "middle", Status.GREEN, date(2026, 11, 12)),
        ]


class TestAsJson:
    """as_json gives exactly the contract's keys, with ISO dates, JSON nulls, an int
    days_overdue and a list of lead_ids."""

    KEYS: ClassVar = ["case_ref", "team", "timeline", "milestone", "title", "status", "due",
                      "completed_on", "days_overdue", "owner", "escalated_to", "at_risk",
                      "original_due", "sibling_group"]

    def test_red_row(self) -> None:
        row = row_of(escalating(), ESCALATING_CASE, date(2026, 12, 2), "step")
        as_json = row.as_json()
        assert as_json == {
            "case_ref": "C-1", "team": "north", "timeline": "t", "milestone": "step",
            "title": "Step", "status": "red", "due": "2026-11-27", "completed_on": None,
            "days_overdue": 5, "owner": "sw-1", "escalated_to": ["tl-north", "sm-all"],
            "at_risk": False, "original_due": None, "sibling_group": None}
        assert list(as_json) == self.KEYS
        assert type(as_json["status"]) is str
        assert json.loads(json.dumps(as_json)) == as_json

    def test_value_types_on_every_status(self) -> None:
        rows = statuses(TEN_DAYS, [case("C-1", step=date(2026, 11, 3)),
                                   case("C-2", step=date(2026, 11, 15)),
                                   case("C-3"), case("C-4", worker="nobody")],
                        date(2026, 11, 16))
        assert {str(r.status) for r in rows} == {"done", "late", "green", "waiting", "red"}
        for row in rows:
            as_json = row.as_json()
            assert list(as_json) == self.KEYS
            for key in ("case_ref", "team", "timeline", "milestone", "title", "status"):
                assert type(as_json[key]) is str
            for key in ("due", "completed_on", "original_due"):
                value = as_json[key]
                assert value is None or (type(value) is str
                                         and date.fromisoformat(value).isoformat() == value)
            assert as_json["days_overdue"] is None or type(as_json["days_overdue"]) is int
            assert as_json["owner"] is None or type(as_json["owner"]) is str
            assert type(as_json["escalated_to"]) is list
            assert all(type(lead) is str for lead in as_json["escalated_to"])
            assert type(as_json["at_risk"]) is bool
            assert as_json["sibling_group"] is None or type(as_json["sibling_group"]) is str


# -- Properties ------------------------------------------------------------------------------

PROPERTY_RULES = rules("""\
  - id: a
    title: A
    after: start
    within: 10 working days
    amber: 2 working days
    escalate:
      - {after: 1 day, to: team_leader}
      - {after: 5 working days, to: service_manager}
  - id: b
    title: B
    after: a
    within: 1 month
    amber: 7 days
  - id: c
    title: C
    after: start
    within: 3 weeks
""")
LOOKED_AFTER = date(2026, 1, 5)
days_2026 = st.dates(min_value=date(2026, 1, 1), max_value=date(2026, 12, 31))
completion_sets = st.fixed_dictionaries({}, optional={m: days_2026 for m in
                                                      ("start", "a", "b", "c")})
as_of_dates = st.dates(min_value=LOOKED_AFTER, max_value=date(2027, 1, 31))
durations = st.builds(Duration, st.integers(0, 30), st.sampled_from(list(Unit)))


class TestProperties:
    """Invariants for any dates: the amber window opens on or before the due date; a past as-of
    date replays exactly from the events dated up to it; red means no completion by A and A
    after the due date, and is then at least a day overdue."""

    @settings(max_examples=60, deadline=None)
    @given(due=days_2026, amber=st.none() | durations,
           jurisdiction=st.sampled_from(["scotland", "england-and-wales", "northern-ireland"]))
    def test_amber_from_not_after_due(self, due: date, amber: Duration | None,
                                      jurisdiction: str) -> None:
        milestone = Milestone(id="a", title="A", after="start", within=Duration(1, Unit.DAYS),
                              amber=amber)
        first = amber_from(due, milestone, jurisdiction)
        assert first <= due
        if amber is None or amber.count == 0:
            assert first == due

    @settings(max_examples=60, deadline=None)
    @given(completions=completion_sets, as_of=as_of_dates)
    def test_replay(self, completions: dict[str, date], as_of: date) -> None:
        known = {m: d for m, d in completions.items() if d <= as_of}
        everything = evaluate(PROPERTY_RULES, [case(looked_after_on=LOOKED_AFTER, **completions)],
                              LEADS, as_of)
        replayed = evaluate(PROPERTY_RULES, [case(looked_after_on=LOOKED_AFTER, **known)],
                            LEADS, as_of)
        assert everything == replayed

    @settings(max_examples=60, deadline=None)
    @given(completions=completion_sets, as_of=as_of_dates)
    def test_red_iff_overdue(self, completions: dict[str, date], as_of: date) -> None:
        result: Evaluation = evaluate(
            PROPERTY_RULES, [case(looked_after_on=LOOKED_AFTER, **completions)], LEADS, as_of)
        assert [r.milestone for r in result.statuses] == ["start", "a", "b", "c"]
        for row in result.statuses:
            completed = completions.get(row.milestone)
            not_done = completed is None or completed > as_of
            assert (row.status is Status.RED) == (
                row.due is not None and not_done and as_of > row.due)
            if row.status is Status.RED:
                assert row.due is not None and row.days_overdue == (as_of - row.due).days >= 1
                assert row.completed_on is None
            else:
                assert row.escalated_to == ()


# -- Golden snapshots ------------------------------------------------------------------------

def sample_facts(examples: Path, timelines: Mapping[str, Timeline]) -> tuple[
        list[CaseFacts], LeadDirectory]:
    """The sample CSVs as CaseFacts and leads: no database."""
    sample = load_sample(examples, timelines)
    return sample.facts, LeadDirectory(sample.leads)


def snapshot_text(rows: list[dict[str, object]]) -> str:
    """One row per line, so a change of behaviour is a one-line diff per milestone."""
    return "[\n" + ",\n".join(json.dumps(row, ensure_ascii=False) for row in rows) + "\n]\n"


def diff_hint(expected: list[dict[str, object]], actual: list[dict[str, object]]) -> str:
    def keyed(rows: list[dict[str, object]]) -> dict[tuple[object, object], dict[str, object]]:
        return {(row["case_ref"], row["milestone"]): row for row in rows}

    old, new = keyed(expected), keyed(actual)
    lines = []
    for key in sorted(old.keys() | new.keys(), key=str):
        if old.get(key) != new.get(key):
            was, now = old.get(key), new.get(key)
            changed = ({k: (was.get(k), now.get(k)) for k in now if was.get(k) != now.get(k)}
                       if was and now else ("added" if now else "removed"))
            lines.append(f"  {key[0]} {key[1]}: {changed}")
    shown = "\n".join(lines[:10]) + (f"\n  ... and {len(lines) - 10} more" if len(lines) > 10
                                     else "")
    return (f"{len(lines)} row(s) differ from the snapshot:\n{shown}\n"
            "If the change is intended, rerun with `pytest --update-snapshots` and review the "
            "git diff of tests/snapshots/.")


@pytest.fixture(scope="module")
def sample(examples: Path, timelines: dict[str, Timeline]) -> tuple[list[CaseFacts],
                                                                    LeadDirectory]:
    return sample_facts(examples, timelines)


def compare_snapshot(path: Path, rows: list[dict[str, object]], update: bool) -> None:
    """Pass only if `path` holds exactly `rows`. With `update` (pytest --update-snapshots), a
    missing or different snapshot is rewritten and the test still fails, so no rewrite ever
    passes unreviewed; an unchanged one passes."""
    expected = (json.loads(path.read_text(encoding="utf-8")) if path.exists() else None)
    if rows == expected:
        return
    if update:
        path.parent.mkdir(exist_ok=True)
        path.write_text(snapshot_text(rows), encoding="utf-8")
        pytest.fail(f"{path} was rewritten by --update-snapshots: review its git diff, then rerun "
                    "without --update-snapshots", pytrace=False)
    if expected is None:
        pytest.fail(f"{path} is missing; create it with `pytest --update-snapshots` and review "
                    "it", pytrace=False)
    pytest.fail(diff_hint(expected, rows), pytrace=False)


class TestGoldenSnapshots:
    """The sample cases' statuses on fixed as-of dates match the committed JSON (the `status
    --format json` rows); a change of behaviour shows as a reviewable diff. Only `pytest
    --update-snapshots` rewrites the files, and a rewritten snapshot's test fails."""

    @pytest.mark.parametrize("as_of", SNAPSHOT_DATES, ids=str)
    def test_snapshot(self, as_of: date, sample: tuple[list[CaseFacts], LeadDirectory],
                      timelines: dict[str, Timeline], update_snapshots: bool) -> None:
        facts, leads = sample
        rows = [row.as_json() for row in evaluate(timelines, facts, leads, as_of).statuses]
        compare_snapshot(SNAPSHOTS / f"status-{as_of.isoformat()}.json", rows, update_snapshots)

    def test_sample_is_whole(self, sample: tuple[list[CaseFacts], LeadDirectory]) -> None:
        facts, _ = sample
        assert len(facts) == 41
        # 428 rows: 382 done, 27 planned, 19 not_applicable. Of the done rows, 53 are
        # lac_review occurrences in 29 cases (one standing date each) and one is C-1039's
        # corrected first_review: 382 - 53 + 29 - 1 standing completions.
        assert sum(len(f.completions) for f in facts) == 357
        assert sum(len(dates) for f in facts for dates in f.occurrences.values()) == 53
        assert sum(len(f.not_applicable) for f in facts) == 19
        assert sum(len(rows) for f in facts for rows in f.planned.values()) == 27
        assert facts[38].completions["first_review"] == date(2026, 3, 30)  # C-1039 corrected
        by_ref = {f.case_ref: f for f in facts}
        assert by_ref["C-1014"].pauses == ((date(2026, 10, 5), date(2026, 11, 15)),)
        assert by_ref["C-1013"].extensions == {"court_lodged": [(date(2026, 10, 28),
                                                                 date(2026, 11, 20))]}
        assert [f.case_ref for f in facts if f.sibling_group] == ["C-1035", "C-1041"]


class TestSnapshotRewriting:
    """A snapshot is rewritten only by the --update-snapshots command-line option, never by an
    environment variable, and a rewrite fails its test until it is reviewed."""

    ROWS: ClassVar[list[dict[str, object]]] = [{"case_ref": "C-1", "milestone": "review",
                                                "status": "amber"}]

    def test_a_difference_fails_and_leaves_the_file(self, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("UPDATE_SNAPSHOTS", "1")  # the old switch: it must do nothing now
        path = tmp_path / "status.json"
        old = snapshot_text([{**self.ROWS[0], "status": "green"}])
        path.write_text(old, encoding="utf-8")
        with pytest.raises(pytest.fail.Exception, match=r"1 row\(s\) differ from the snapshot"):
            compare_snapshot(path, self.ROWS, update=False)
        assert path.read_text(encoding="utf-8") == old

    def test_a_missing_file_fails_and_is_not_written(self, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("UPDATE_SNAPSHOTS", "1")
        path = tmp_path / "status.json"
        with pytest.raises(pytest.fail.Exception, match="is missing"):
            compare_snapshot(path, self.ROWS, update=False)
        assert not path.exists()

    @pytest.mark.parametrize("before", [None, "[\n]\n"], ids=["missing", "different"])
    def test_the_option_rewrites_and_still_fails(self, tmp_path: Path, before: str | None) -> None:
        path = tmp_path / "snapshots" / "status.json"
        if before is not None:
            path.parent.mkdir()
            path.write_text(before, encoding="utf-8")
        with pytest.raises(pytest.fail.Exception, match="was rewritten by --update-snapshots: "
                                                        "review its git diff"):
            compare_snapshot(path, self.ROWS, update=True)
        assert path.read_text(encoding="utf-8") == (
            '[\n{"case_ref": "C-1", "milestone": "review", "status": "amber"}\n]\n')
        compare_snapshot(path, self.ROWS, update=False)  # once reviewed, it passes

    def test_an_unchanged_snapshot_passes_with_the_option(self, tmp_path: Path) -> None:
        path = tmp_path / "status.json"
        path.write_text(snapshot_text(self.ROWS), encoding="utf-8")
        compare_snapshot(path, self.ROWS, update=True)


class TestSnapshotEdges:
    """The committed snapshots hold two sample clocks on each edge of their amber window and
    due date, worked out by hand from the sample CSVs and the rule file:

    - C-1010 (scotland-permanence-order) became looked after on Thursday 15 October 2026 and
      has no other event; first_review is due `6 weeks` later, Thursday 26 November, amber
      `7 days` before, from Thursday 19 November.
    - C-1007's panel was held on Tuesday 10 November 2026 (its last event); adm_decision is due
      `14 days` later, Tuesday 24 November, amber `2 working days` before: Monday 23 (1),
      Friday 20 November (2; no Scottish bank holiday between).

    These are fixed values, not evaluate()'s, so they also check the snapshots themselves."""

    EDGES: ClassVar[list[tuple[str, str, date, str, str, int | None]]] = [
        ("C-1010", "first_review", date(2026, 11, 18), "green", "2026-11-26", None),
        ("C-1010", "first_review", date(2026, 11, 19), "amber", "2026-11-26", None),
        ("C-1010", "first_review", date(2026, 11, 26), "amber", "2026-11-26", None),
        ("C-1010", "first_review", date(2026, 11, 27), "red", "2026-11-26", 1),
        ("C-1007", "adm_decision", date(2026, 11, 19), "green", "2026-11-24", None),
        ("C-1007", "adm_decision", date(2026, 11, 20), "amber", "2026-11-24", None),
        ("C-1007", "adm_decision", date(2026, 11, 24), "amber", "2026-11-24", None),
        ("C-1007", "adm_decision", date(2026, 11, 25), "red", "2026-11-24", 1),
    ]

    @pytest.mark.parametrize(("case_ref", "milestone", "as_of", "status", "due", "overdue"),
                             EDGES, ids=str)
    def test_committed_snapshot_sits_on_the_edge(self, case_ref: str, milestone: str,
                                                 as_of: date, status: str, due: str,
                                                 overdue: int | None) -> None:
        assert as_of in SNAPSHOT_DATES
        rows = json.loads((SNAPSHOTS / f"status-{as_of.isoformat()}.json").read_text(
            encoding="utf-8"))
        [row] = [r for r in rows if (r["case_ref"], r["milestone"]) == (case_ref, milestone)]
        assert (row["status"], row["due"], row["days_overdue"]) == (status, due, overdue)
