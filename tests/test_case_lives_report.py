"""The report on real case lives (version 2): pauses, agreed extensions, booked dates and steps
that no longer apply on each child's timeline, sibling groups shown together, an at-risk list
on the RAG board, and the measures' extensions; written from a real SQLite store.

The timeline `lives` (Scotland, calendar-day clocks, so no bank holiday moves a date):

    looked_after  start
    review        after looked_after, within 20 days, every 1 month   (recurring)
    plan          after looked_after, within 10 days
    referral      after plan, within 10 days
    papers        8 days before the booked date of `meeting`           (lead time)
    meeting       after referral, within 60 days
    panel         after review, within 60 days                          (after a recurring step)
    order         after meeting, within 20 days

Every child became looked after on Monday 5 January 2026; the report is as of Tuesday
31 March 2026. Worked by hand:

C-1001 (north, sibling group G1), paused 20-29 Jan 2026 (10 days, "Hearing adjourned"):
- plan done 12 Jan (due 15 Jan).
- referral: due 22 Jan, moved on by the 10 paused days to 1 Feb; on 30 Jan Tina Leader (tl-1)
  agreed 10 Feb ("Legal capacity"); done 9 Feb: on time against the agreed date. It took
  28 days, 18 without the pause.
- review held 22 Jan, 26 Feb and 20 Mar: the next is due 20 Apr (green); its window runs from
  20 Mar.
- panel counts from the first review (22 Jan): due 23 Mar + 7 paused days (23-29 Jan) =
  30 Mar; done 25 Mar, on time; 62 days, 55 without the pause.
- meeting: due 9 Feb + 60 days = 10 Apr; booked (noted 15 Feb) for 20 Apr: green and at risk,
  10 days after its due date.
- papers: 8 days before 20 Apr = 12 Apr (green).
- order waits for the meeting: projected from its booked date, 20 Apr + 20 days = 10 May.

C-1002 (north, no siblings), paused from 25 Mar, still open ("Child in hospital"): plan done
10 Jan; review (due 25 Jan) and referral (due 20 Jan) are `paused` on 31 Mar.

C-1003 (north, G1): plan does not apply from 8 Jan, so referral counts from 5 Jan: due 15 Jan,
done 14 Jan (9 days).

C-2001 (south, G1): nothing recorded.
"""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from conftest import text_of
from sqlalchemy.engine import Engine
from sqlmodel import Session

from permanence import store
from permanence.evaluate import CaseFacts, LeadDirectory, Status, evaluate
from permanence.report import write_report, write_report_from_store
from permanence.report.layout import Projector, Step
from permanence.store import CaseNotes
from permanence.timelines import Timeline, parse_rule_text

AS_OF = date(2026, 3, 31)
RULES = """\
timeline: lives
title: Lives route
jurisdiction: scotland
version: "t.1"
milestones:
  - id: looked_after
    title: Child became looked after
  - id: review
    title: Looked after review
    after: looked_after
    within: 20 days
    every: 1 month
  - id: plan
    title: Permanence plan
    after: looked_after
    within: 10 days
  - id: referral
    title: Legal referral
    after: plan
    within: 10 days
  - id: papers
    title: Papers to Legal
    before: meeting
    lead: 8 days
  - id: meeting
    title: Planning meeting
    after: referral
    within: 60 days
  - id: panel
    title: Panel
    after: review
    within: 60 days
  - id: order
    title: Order granted
    after: meeting
    within: 20 days
"""
TIMELINES: dict[str, Timeline] = {"lives": parse_rule_text(RULES, "lives.yaml")}


def d(month: int, day: int) -> date:
    return date(2026, month, day)


def fill(engine: Engine) -> None:
    """The cases above, recorded through the store's own functions."""
    store.init_schema(engine)
    with Session(engine) as session:
        store.import_leads(session=session, leads=[
            {"lead_id": lead_id, "name": name, "role": role, "team": team,
             "notify": "json://localhost"}
            for lead_id, name, role, team in (
                ("sw-1", "Sam Worker", "social_worker", "north"),
                ("sw-2", "Sue Worker", "social_worker", "south"),
                ("tl-1", "Tina Leader", "team_leader", "north"))])
        store.import_cases(session=session, today=d(1, 5), source="test", cases=[
            {"case_ref": ref, "timeline": "lives", "team": team, "social_worker": worker,
             "looked_after_on": d(1, 5), "child_name": None, "date_of_birth": None,
             "closed_on": None, "sibling_group": group}
            for ref, team, worker, group in (
                ("C-1001", "north", "sw-1", "G1"), ("C-1002", "north", "sw-1", None),
                ("C-1003", "north", "sw-1", "G1"), ("C-2001", "south", "sw-2", "G1"))])

        def event(ref: str, milestone: str, on: date, kind: str = "done",
                  noted_on: date | None = None) -> dict[str, Any]:
            return {"case_ref": ref, "milestone": milestone, "occurred_on": on, "note": None,
                    "kind": kind, "noted_on": noted_on}

        store.record_events(session=session, source="test", events=[
            event("C-1001", "plan", d(1, 12)), event("C-1001", "referral", d(2, 9)),
            event("C-1001", "review", d(1, 22)), event("C-1001", "review", d(2, 26)),
            event("C-1001", "review", d(3, 20)), event("C-1001", "panel", d(3, 25)),
            event("C-1001", "meeting", d(4, 20), "planned", d(2, 15)),
            event("C-1002", "plan", d(1, 10)),
            event("C-1003", "plan", d(1, 8), "not_applicable"),
            event("C-1003", "referral", d(1, 14))])
        store.record_pauses(session=session, source="test", pauses=[
            {"case_ref": "C-1001", "paused_from": d(1, 20), "paused_to": d(1, 29),
             "reason": "Hearing adjourned"},
            {"case_ref": "C-1002", "paused_from": d(3, 25), "paused_to": None,
             "reason": "Child in hospital"}])
        store.record_extensions(session=session, source="test", extensions=[
            {"case_ref": "C-1001", "milestone": "referral", "approved_on": d(1, 30),
             "extended_to": d(2, 10), "approved_by": "tl-1", "reason": "Legal capacity"}])
        session.commit()


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    engine = store.make_engine(f"sqlite:///{tmp_path_factory.mktemp('store') / 'p.db'}")
    fill(engine)
    return engine


@pytest.fixture(scope="module")
def report(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The whole report as of 31 March 2026, from the store."""
    return write_report_from_store(engine, TIMELINES, AS_OF, tmp_path_factory.mktemp("all"))


@pytest.fixture(scope="module")
def facts(engine: Engine) -> dict[str, CaseFacts]:
    with Session(engine) as session:
        return {case.case_ref: case
                for case in store.load_case_facts(session=session, timelines=TIMELINES)}


def card(page: str, case_ref: str) -> str:
    """One child's card: the HTML of its <section>."""
    found = re.search(rf'<section class="child" id="{case_ref}">.*?</section>', page, re.DOTALL)
    assert found, case_ref
    return found.group(0)


def rows(html: str) -> list[str]:
    """The text of each milestone row of a card."""
    return [text_of(row) for row in re.findall(r"<tr class=.*?</tr>", html.split("<tbody>")[1])]


def page(folder: Path, name: str) -> str:
    return (folder / name).read_text(encoding="utf-8")


class TestCaseNotes:
    """store.case_notes reads every case's pauses and extensions with their reasons, and every
    sibling group whatever its team, in one query each; with a team, that team's cases'."""

    def test_everything(self, db_url: str) -> None:
        engine = store.make_engine(db_url)
        fill(engine)
        with Session(engine) as session:
            assert store.case_notes(session=session) == CaseNotes(
                pauses={"C-1001": [(d(1, 20), d(1, 29), "Hearing adjourned")],
                        "C-1002": [(d(3, 25), None, "Child in hospital")]},
                extensions={"C-1001": [("referral", d(1, 30), d(2, 10), "tl-1",
                                        "Legal capacity")]},
                siblings={"G1": ["C-1001", "C-1003", "C-2001"]})
            south = store.case_notes(session=session, team="south")
        assert south == CaseNotes(pauses={}, extensions={},
                                  siblings={"G1": ["C-1001", "C-1003", "C-2001"]})
        engine.dispose()


class TestLayout:
    """Anchors as evaluation counts them: a step after one that no longer applies starts from
    that step's anchor, a step after a recurring one from its first occurrence; a recurring
    step's window is its current clock, with every occurrence; a lead time is its due date and
    the lead up to the booked date; waiting steps are projected from booked dates."""

    def steps(self, case: CaseFacts) -> dict[str, Step]:
        statuses = evaluate(TIMELINES, [case], LeadDirectory([]), AS_OF).statuses
        return {step.milestone: step
                for step in Projector(TIMELINES, AS_OF).steps("lives", statuses, case)}

    def test_paused_extended_booked_recurring(self, facts: dict[str, CaseFacts]) -> None:
        steps = self.steps(facts["C-1001"])
        review = steps["review"]
        assert (review.status, review.anchor, review.due, review.completed_on,
                review.occurrences, review.kind) == (
            Status.GREEN, d(3, 20), d(4, 20), d(3, 20), (d(1, 22), d(2, 26), d(3, 20)),
            "recurring")
        panel = steps["panel"]  # from the first review, not the latest
        assert (panel.status, panel.anchor, panel.due) == (Status.DONE, d(1, 22), d(3, 30))
        referral = steps["referral"]
        assert (referral.status, referral.anchor, referral.due, referral.original_due) == (
            Status.DONE, d(1, 12), d(2, 10), d(2, 1))
        meeting = steps["meeting"]
        assert (meeting.status, meeting.due, meeting.planned_for, meeting.at_risk) == (
            Status.GREEN, d(4, 10), d(4, 20), True)
        papers = steps["papers"]
        assert (papers.kind, papers.anchor, papers.due, papers.booked_before,
                papers.projected) == ("lead", None, d(4, 12), d(4, 20), False)
        order = steps["order"]  # expected after the meeting's booked date, not its due date
        assert (order.status, order.anchor, order.due, order.projected) == (
            Status.WAITING, d(4, 20), d(5, 10), True)

    def test_step_after_one_that_no_longer_applies(self, facts: dict[str, CaseFacts]) -> None:
        steps = self.steps(facts["C-1003"])
        assert (steps["plan"].status, steps["plan"].anchor, steps["plan"].due) == (
            Status.NOT_APPLICABLE, None, None)
        assert (steps["referral"].anchor, steps["referral"].due) == (d(1, 5), d(1, 15))
        # the meeting is overdue and not booked: no date can be counted back for the papers
        assert (steps["papers"].status, steps["papers"].due) == (Status.WAITING, None)

    def test_lead_time_projected_back_from_a_meeting_still_to_come(
            self, facts: dict[str, CaseFacts]) -> None:
        # C-1002: referral (paused, due 20 Jan) is expected today, 31 Mar; the meeting then
        # by 30 May, so the papers by 22 May
        steps = self.steps(facts["C-1002"])
        assert steps["referral"].status is Status.PAUSED
        assert (steps["meeting"].anchor, steps["meeting"].due) == (d(3, 31), d(5, 30))
        assert (steps["papers"].due, steps["papers"].projected) == (d(5, 22), True)

    def test_a_lead_time_first_and_a_recurring_step_last_in_the_file(self) -> None:
        """Rule order that puts a lead time before its `before` step and a step after a
        recurring one ahead of it lays out without error."""
        rules = {"odd": parse_rule_text("""\
timeline: odd
title: Odd
jurisdiction: scotland
version: "1"
milestones:
  - id: papers
    title: Papers
    before: hearing
    lead: 2 weeks
  - id: start
    title: Start
  - id: after_review
    title: After review
    after: review
    within: 10 days
  - id: hearing
    title: Hearing
    after: start
    within: 3 months
  - id: review
    title: Review
    after: start
    every: 6 months
""", "odd.yaml")}
        case = CaseFacts("C-9", "odd", "north", "sw-1", d(1, 5), None, {},
                         planned={"hearing": [(d(1, 10), d(3, 2))]})
        statuses = evaluate(rules, [case], LeadDirectory([]), AS_OF).statuses
        steps = {step.milestone: step for step in Projector(rules, AS_OF).steps("odd", statuses,
                                                                                   case)}
        assert (steps["papers"].status, steps["papers"].due) == (Status.RED, d(2, 16))
        assert (steps["review"].anchor, steps["review"].due) == (d(1, 5), d(7, 5))
        assert (steps["after_review"].anchor, steps["after_review"].due,
                steps["after_review"].projected) == (d(7, 5), d(7, 15), True)


class TestTimelineCards:
    """Each child's card shows pauses with their reasons, agreed extensions with the new date,
    the original due date, who agreed and why, booked dates (at risk when after the due date),
    steps that no longer apply, lead times and recurring steps, and the brothers and sisters
    the child is to be placed with, each linked to their card."""

    def test_paused_extended_booked_case(self, report: Path) -> None:
        html = card(page(report.parent, "timelines-north-001.html"), "C-1001")
        assert rows(html) == [
            "Child became looked after 5 Jan 2026 started",
            "Looked after review held 3 times 20 Apr 2026 20 Mar 2026 due in 20 d",
            "Permanence plan 15 Jan 2026 12 Jan 2026 on time",
            "Legal referral extended from 1 Feb 2026 10 Feb 2026 9 Feb 2026 on time",
            "Papers to Legal before the date booked, 20 Apr 2026 12 Apr 2026 due in 12 d",
            ("Planning meeting booked for 20 Apr 2026, after its due date: at risk 10 Apr 2026 "
             "due in 10 d"),
            "Panel 30 Mar 2026 25 Mar 2026 on time",
            "Order granted ≈ 10 May 2026 waiting"]
        text = text_of(html)
        assert "1 at risk 3 green" in text
        assert ("Paused 20 Jan 2026 – 29 Jan 2026 (10 days): Hearing adjourned"
                in text)
        assert ("Legal referral: agreed new date 10 Feb 2026 (original due 1 Feb 2026), agreed "
                "by Tina Leader on 30 Jan 2026: Legal capacity") in text
        # the at-risk row is marked, the extended due date stands out, the booked date and
        # each review are drawn, and the pause is hatched across every row of the axis
        assert '<tr class="green risk">' in html
        assert '<td class="ext">10 Feb 2026</td>' in html
        assert html.count('<em class="bk"') == 1
        assert html.count('<i class="ps"') == 8
        assert html.count('<i class="ld"') == 1

    def test_siblings_together(self, report: Path) -> None:
        north = page(report.parent, "timelines-north-001.html")
        assert re.findall(r'<section class="child" id="([^"]+)"', north) == [
            "C-1001", "C-1003", "C-1002"]
        assert re.findall(r'<a class="\w+" href="#([^"]+)"', north) == [
            "C-1001", "C-1003", "C-1002"]
        assert ('<p class="sib">Placed together with <a href="timelines-north-001.html#C-1003">'
                'C-1003</a>, <a href="timelines-south-001.html#C-2001">C-2001</a> (sibling '
                "group G1)</p>") in card(north, "C-1001")
        assert "Placed together with C-1001 , C-1003 (sibling group G1)" in text_of(
            card(page(report.parent, "timelines-south-001.html"), "C-2001"))
        assert "Placed together" not in card(north, "C-1002")

    def test_step_that_no_longer_applies(self, report: Path) -> None:
        html = card(page(report.parent, "timelines-north-001.html"), "C-1003")
        assert rows(html)[2] == "Permanence plan does not apply since 8 Jan 2026 n/a"
        assert rows(html)[3] == "Legal referral 15 Jan 2026 14 Jan 2026 on time"
        assert '<tr class="na">' in html
        assert "Paused" not in text_of(html)

    def test_open_pause(self, report: Path) -> None:
        html = card(page(report.parent, "timelines-north-001.html"), "C-1002")
        text = text_of(html)
        assert "2 paused" in text
        assert ("Paused since 25 Mar 2026, still paused (7 days so far): Child in hospital"
                in text)
        assert rows(html)[1] == "Looked after review 25 Jan 2026 paused"
        assert rows(html)[3] == "Legal referral 20 Jan 2026 paused"
        assert '<a class="paused" href="#C-1002">' in page(report.parent,
                                                           "timelines-north-001.html")

    def test_a_team_report_names_siblings_in_other_teams(
            self, engine: Engine, tmp_path: Path) -> None:
        index = write_report_from_store(engine, TIMELINES, AS_OF, tmp_path / "north",
                                        team="north")
        html = card(page(index.parent, "timelines-north-001.html"), "C-1001")
        assert ('Placed together with <a href="timelines-north-001.html#C-1003">C-1003</a>, '
                "C-2001 (sibling group G1)") in html
        assert not (index.parent / "timelines-south-001.html").exists()

    def test_replayed_on_an_earlier_day(self, engine: Engine, tmp_path: Path) -> None:
        """On 25 Jan the pause is under way (its 6 days so far stop the referral's clock:
        due 22 Jan + 6 = 28 Jan, paused today), the extension and the booking are not known
        yet, and nothing is at risk."""
        index = write_report_from_store(engine, TIMELINES, d(1, 25), tmp_path / "jan")
        html = card(page(index.parent, "timelines-north-001.html"), "C-1001")
        text = text_of(html)
        assert "Paused from 20 Jan 2026 to 29 Jan 2026 (6 days so far): Hearing adjourned" in text
        assert "agreed new date" not in text
        assert "booked" not in text.replace("before the date booked", "").replace(
            "not booked yet", "")
        assert rows(html)[3] == "Legal referral 28 Jan 2026 paused"
        board = text_of(page(index.parent, "index.html"))
        assert "Nothing is booked after its due date." in board


class TestBoard:
    """The RAG board lists every running clock booked after its due date, soonest due first,
    and counts them; the measures count extensions granted and say how many completions were
    judged against an agreed date."""

    def test_at_risk_list(self, report: Path) -> None:
        text = text_of(page(report.parent, "index.html"))
        assert ("At risk: booked after the due date" in text)
        assert ("case team milestone due booked for after due status owner C-1001 siblings G1 "
                "north Planning meeting 10 Apr 2026 20 Apr 2026 10 d green Sam Worker Oldest "
                "drift" in text)
        assert "1 at risk: booked after the due date" in text
        assert ('<td><a href="timelines-north-001.html#C-1001">C-1001</a> <span class="sg">'
                "siblings G1</span></td>" in page(report.parent, "index.html"))

    def test_extensions_and_measures(self, report: Path) -> None:
        text = text_of(page(report.parent, "index.html"))
        assert ("New due dates agreed by a manager, by milestone: 1 granted in all up to "
                "31 Mar 2026.") in text
        assert ("granted in all Lives route Legal referral 1 1 The whole journey") in text
        # February's one referral that fell due is C-1001's (agreed 10 Feb, done 9 Feb)
        assert ("Legal referral within 10 days of: Permanence plan Feb 2026: 1 done · median "
                "18 d · 90% within 18 d · 100% on time (1 of 1 due) · 1 against an agreed "
                "date") in text
        assert ("Looked after review within 20 days of: Child became looked after, then every "
                "1 month Mar 2026 (to date): 1 done · median 22 d") in text
        assert ("Panel within 60 days of: Looked after review Mar 2026 (to date): 1 done · "
                "median 55 d") in text

    def test_measures_json(self, report: Path) -> None:
        data = json.loads(page(report.parent, "measures.json"))
        assert data["extensions"] == {"granted": 1, "by_month": [
            {"measure": "extension", "timeline": "lives", "milestone": "referral",
             "title": "Legal referral", "month": "2026-01", "granted": 1}]}
        assert [(row["month"], row["n"], row["median_days"], row["on_time"], row["extended"])
                for row in data["milestones"] if row["milestone"] == "referral"] == [
            ("2026-01", 1, 9.0, 1, 0), ("2026-02", 1, 18.0, 1, 1)]
        assert [(row["month"], row["median_days"], row["on_time"])
                for row in data["milestones"] if row["milestone"] == "review"] == [
            ("2026-01", 14.0, 1), ("2026-02", 28.0, 1), ("2026-03", 22.0, 1)]
        # Clocks that fell due, by due month. referral: January, C-1003's (15 Jan, done 14 Jan)
        # and C-1002's (20 Jan, not done; paused only from 25 Mar, after it was due);
        # February, C-1001's (agreed 10 Feb, done 9 Feb). review: January, C-1001's first
        # (25 Jan, held 22 Jan) and the first of C-1002, C-1003 and C-2001 (25 Jan, never
        # held); C-1001's second is due 22 Feb + 7 paused days = 1 Mar, its third 26 Mar, both
        # held in time: March.
        assert [(row["month"], row["due"], row["due_on_time"], row["due_late"],
                 row["due_open"], row["share_on_time"])
                for row in data["milestones"] if row["milestone"] == "referral"] == [
            ("2026-01", 2, 1, 0, 1, 0.5), ("2026-02", 1, 1, 0, 0, 1.0)]
        assert [(row["month"], row["due"], row["due_on_time"], row["due_open"],
                 row["share_on_time"])
                for row in data["milestones"] if row["milestone"] == "review"] == [
            ("2026-01", 4, 1, 3, 0.25), ("2026-02", 0, 0, 0, None), ("2026-03", 2, 2, 0, 1.0)]
        assert [(row["case_ref"], row["milestone"], row["due"], row["planned_for"],
                 row["days_after_due"]) for row in data["at_risk"]] == [
            ("C-1001", "meeting", "2026-04-10", "2026-04-20", 10)]


class TestWithoutTheStore:
    """write_report given case facts alone shows the pauses' and extensions' dates without
    reasons or who agreed them, and finds sibling groups among the facts."""

    def test_dates_alone(self, facts: dict[str, CaseFacts], tmp_path: Path) -> None:
        index = write_report(out_dir=tmp_path / "r", timelines=TIMELINES,
                             facts=list(facts.values()),
                             leads=[("sw-1", "social_worker", "north"),
                                    ("sw-2", "social_worker", "south")], as_of=AS_OF)
        html = card(page(index.parent, "timelines-north-001.html"), "C-1001")
        text = text_of(html)
        assert "Paused 20 Jan 2026 – 29 Jan 2026 (10 days) Legal referral" in text
        assert ("Legal referral: agreed new date 10 Feb 2026 (original due 1 Feb 2026), agreed "
                "on 30 Jan 2026") in text
        assert "Placed together with" in text and "C-2001" in text

    def test_extension_of_a_step_the_route_no_longer_has(
            self, facts: dict[str, CaseFacts], tmp_path: Path) -> None:
        """After a route change an extension of a step the new timeline lacks is kept in the
        store but not shown: it moves no date of the case any more."""
        case = facts["C-1001"]._replace(extensions={
            **facts["C-1001"].extensions, "adoption_panel": [(d(1, 30), d(3, 1))]})
        index = write_report(out_dir=tmp_path / "r", timelines=TIMELINES, facts=[case],
                             leads=[("sw-1", "social_worker", "north")], as_of=AS_OF)
        text = text_of(card(page(index.parent, "timelines-north-001.html"), "C-1001"))
        assert text.count("agreed new date") == 1
        assert "adoption_panel" not in text
