"""Reasons and next actions (issue 11, part 3): `permanence explain CASE_REF MILESTONE --reason
TEXT --next TEXT --by DATE` records why a milestone is drifting; every explanation is kept and
the latest stands; it is shown on the timeline (command line and report), in the report's drift
tables, and a red milestone left without one for more than 10 working days is a data-quality
item. On SQLite and PostgreSQL, through the real command line, with hand-worked dates."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any, ClassVar

import pytest
from conftest import SAMPLE_TODAY, StoreTemplates, text_of
from test_drift_check import AMBER_DAY, RED_DAY, TIER_1_DAY, Service, _service, run_artifacts
from test_web import BOARD, TestClient, client_for, load_store, sign_in
from typer.testing import CliRunner, Result

from permanence.cli import app
from permanence.clock import service_today
from permanence.evaluate import CaseFacts, MilestoneStatus, Status
from permanence.explanations import (
    Explanation,
    by_problem,
    explains,
    said,
    standing,
    standing_on,
    text_problem,
)
from permanence.flows.artifacts import drift_over_time_table, red_table
from permanence.measures.reasons import unexplained_red
from permanence.report.text import day_text
from permanence.timelines import Timeline, parse_rule_text
from permanence.webhook_receiver import JsonReceiver

runner = CliRunner()

REASON = "Legal Services are waiting for the birth father's solicitor"
TODAY = service_today()  # the web form's explanations are given today
IN_A_MONTH = TODAY + timedelta(days=30)
NEXT = "Chase the solicitor by phone and book a legal planning slot"


def run(url: str, *args: str) -> Result:
    return runner.invoke(app, ["--db", url, *args])


def explanation(milestone: str = "review", *, on: date, number: int, by: date = date(2026, 12, 4),
                reason: str = "r") -> Explanation:
    return Explanation("C-1", milestone, reason, "n", by, on, None, number)


class TestStanding:
    """The latest given stands (of one day, the last recorded); the others are its history."""

    def test_latest_day_then_last_recorded(self) -> None:
        first = explanation(on=date(2026, 11, 20), number=1, reason="first")
        backdated = explanation(on=date(2026, 11, 18), number=2, reason="backdated")
        same_day = explanation(on=date(2026, 11, 20), number=3, reason="same day, later")
        other = explanation("legal_advice", on=date(2026, 11, 1), number=4)
        assert standing([first, backdated, same_day, other]) == {
            ("C-1", "review"): same_day, ("C-1", "legal_advice"): other}
        assert standing_on([first, backdated, same_day], date(2026, 11, 19)) == {
            ("C-1", "review"): backdated}
        assert standing_on([first], date(2026, 11, 19)) == {}

    def test_said_in_one_line(self) -> None:
        assert said(explanation(on=date(2026, 11, 20), number=1)) == (
            'reason "r"; next "n" by 2026-12-04')

    def test_text_and_date_checks(self) -> None:
        assert text_problem("--reason", "  ") == "--reason is empty; say it in a sentence"
        assert text_problem("--next", "a\tb") is None
        assert text_problem("--next", "a\nb") == (
            "--next contains a control character or line break (U+000A, character 2); write it "
            "on one line")
        assert text_problem("--reason", "x" * 501) == (
            "--reason has 501 characters; at most 500, as the red table and the digests print "
            "it whole")
        assert text_problem("--reason", "x" * 500) is None
        assert by_problem(date(2026, 11, 20), date(2026, 11, 20)) is None
        assert by_problem(date(2026, 11, 19), date(2026, 11, 20)) == (
            "2026-11-19 is before the day the explanation is given (2026-11-20); a next action "
            "is due that day or later")


RULES = """\
timeline: {name}
title: Reasons test route
jurisdiction: {jurisdiction}
version: "1"
milestones:
  - id: looked_after
    title: Child became looked after
  - id: review
    title: First review held
    after: looked_after
    within: 10 days
    owner: social_worker
"""


def red(case_ref: str, timeline: str, due: date, as_of: date) -> MilestoneStatus:
    return MilestoneStatus(case_ref, "north", timeline, "review", "First review held", Status.RED,
                           due, None, (as_of - due).days, "sw-1", (), ())


class TestUnexplainedRed:
    """Red for more than 10 working days with no reason: from the 11th working day after the
    due date, weekends and the jurisdiction's bank holidays not counted."""

    timelines: ClassVar[dict[str, Timeline]] = {
        name: parse_rule_text(RULES.format(name=name, jurisdiction=jurisdiction), f"{name}.yaml")
        for name, jurisdiction in (("scot", "scotland"), ("eng", "england-and-wales"))}

    def items(self, timeline: str, as_of: date,
              explained: tuple[Explanation, ...] = ()) -> list[tuple[str | None, str]]:
        # Due Friday 13 November 2026. Working days after it: 16-20 Nov (2-6), 23-27 Nov
        # (7-11); Monday 30 November is St Andrew's Day, a bank holiday in Scotland only.
        rows = [red("C-1", timeline, date(2026, 11, 13), as_of)]
        return [(item.case_ref, item.detail) for item in
                unexplained_red(rows, [], self.timelines, explained, as_of)]

    def test_from_the_eleventh_working_day(self) -> None:
        # 10 working days after 13 Nov is Friday 27 Nov; the 11th is Monday 30 Nov in England
        # and Wales, Tuesday 1 Dec in Scotland.
        assert self.items("eng", date(2026, 11, 29)) == []
        assert self.items("eng", date(2026, 11, 30)) == [(
            "C-1", ("First review held: red for more than 10 working days (due 2026-11-13, 17 "
                   "days overdue) with no reason given: permanence explain C-1 review --reason "
                   "TEXT --next TEXT --by DATE"))]
        assert self.items("scot", date(2026, 11, 30)) == []
        assert [ref for ref, _ in self.items("scot", date(2026, 12, 1))] == ["C-1"]

    def test_an_explanation_given_by_then_clears_it(self) -> None:
        given = explanation(on=date(2026, 11, 30), number=1)
        assert self.items("eng", date(2026, 11, 30), (given,)) == []
        assert self.items("eng", date(2026, 11, 30), (
            explanation(on=date(2026, 12, 1), number=1),)) != []  # given later: not yet

    def test_an_earlier_cycles_explanation_does_not_count(self) -> None:
        facts = CaseFacts("C-1", "eng", "north", "sw-1", date(2026, 1, 1), None,
                          {"review": date(2026, 11, 3)}, occurrences={"review": [
                              date(2026, 6, 1), date(2026, 11, 3)]})
        assert explains(explanation(on=date(2026, 11, 2), number=1), facts) is False
        assert explains(explanation(on=date(2026, 11, 4), number=1), facts) is True
        assert explains(None, facts) is False


class TestExplainCommand:
    """`explain` records, supersedes and lists; every mistake is one plain line and exit 1."""

    def test_record_supersede_and_list(self, loaded: str) -> None:
        first = run(loaded, "explain", "C-1006", "legal_advice", "--reason", REASON, "--next",
                    NEXT, "--by", "2026-11-27", "--on", "2026-11-20", "--given-by", "tl-north")
        assert (first.exit_code, first.stdout) == (0, (
            f'Explained legal_advice of C-1006 on 2026-11-20: reason "{REASON}"; next "{NEXT}" '
            "by 2026-11-27.\n"))
        second = run(loaded, "explain", "C-1006", "legal_advice", "--reason", "  Solicitor on "
                     "leave until 30 November ", "--next", "Ask Legal for another solicitor",
                     "--by", "2026-12-01", "--on", "2026-11-23")
        assert second.stdout == (
            'Explained legal_advice of C-1006 on 2026-11-23: reason "Solicitor on leave until 30 '
            'November"; next "Ask Legal for another solicitor" by 2026-12-01. It replaces the '
            "explanation of 2026-11-20, kept in the history.\n")
        backdated = run(loaded, "explain", "C-1006", "legal_advice", "--reason", "Noted late",
                        "--next", "Nothing", "--by", "2026-11-25", "--on", "2026-11-21")
        assert backdated.stdout == (
            'Explained legal_advice of C-1006 on 2026-11-21: reason "Noted late"; next '
            '"Nothing" by 2026-11-25. The explanation of 2026-11-23 still stands (it was given '
            "later); this one is kept in its history.\n")
        listed = run(loaded, "explain", "C-1006", "legal_advice")
        assert (listed.exit_code, listed.stdout) == (0, (
            f'2026-11-20 by tl-north: reason "{REASON}"; next "{NEXT}" by 2026-11-27\n'
            '2026-11-21: reason "Noted late"; next "Nothing" by 2026-11-25\n'
            '2026-11-23: reason "Solicitor on leave until 30 November"; next "Ask Legal for '
            'another solicitor" by 2026-12-01  (stands)\n'))
        history = run(loaded, "history", "C-1006", "--milestone", "legal_advice").stdout
        assert "C-1006: explanations given" in history
        assert history.count("tl-north") == 1
        assert "explanations given" not in run(loaded, "history", "C-1006", "--milestone",
                                               "planning_meeting").stdout
        assert run(loaded, "explain", "C-1006", "planning_meeting").stdout == (
            "No explanation recorded for planning_meeting of C-1006: permanence explain C-1006 "
            "planning_meeting --reason TEXT --next TEXT --by DATE\n")

    @pytest.mark.parametrize(("args", "message"), [
        (("C-9999", "panel"), "unknown case 'C-9999'"),
        (("C-1006", "adoption_panel"), ("unknown milestone 'adoption_panel' for timeline "
                                       "scotland-permanence-order (its milestones: looked_after,")),
        (("C-1006", "legal_advice", "--reason", "x"),
         ("--next and --by missing: an explanation says why (--reason), what is next (--next) "
         "and by when (--by), all three")),
        (("C-1006", "legal_advice", "--reason", "x", "--next", "y"), "--by missing"),
        (("C-1006", "legal_advice", "--reason", " ", "--next", "y", "--by", "2026-12-01",
          "--on", "2026-11-23"), "--reason is empty; say it in a sentence"),
        (("C-1006", "legal_advice", "--reason", "x", "--next", "y", "--by", "2026-11-22",
          "--on", "2026-11-23"),
         ("--by 2026-11-22 is before the day the explanation is given (2026-11-23); a next "
         "action is due that day or later")),
        (("C-1006", "legal_advice", "--reason", "x", "--next", "y", "--by", "2000-01-01"),
         "--by 2000-01-01 is before the day the explanation is given"),
        (("C-1006", "legal_advice", "--reason", "x", "--next", "y", "--by", "1 Dec"),
         "--by '1 Dec' is not a date in the form YYYY-MM-DD"),
        (("C-1006", "legal_advice", "--reason", "x", "--next", "y", "--by", "2026-12-01",
          "--on", "2099-01-01"), "--on 2099-01-01 is in the future"),
        (("C-1006", "legal_advice", "--reason", "x", "--next", "y", "--by", "2026-12-01",
          "--on", "2026-11-23", "--given-by", "nobody"), ("--given-by 'nobody' is not a known "
                                                         "lead_id")),
        (("C-1006", "looked_after", "--reason", "x", "--next", "y", "--by", "2026-12-01",
          "--on", "2026-11-23"), ("looked_after starts timeline scotland-permanence-order: it was "
                                 "done when case C-1006 became looked after")),
        (("C-1006", "health_assessment", "--reason", "x", "--next", "y", "--by", "2026-12-01",
          "--on", "2026-11-23"), ("health_assessment of C-1006 was done on 2026-05-29; only an "
                                 "open step can be drifting")),
        (("C-1006", "legal_advice", "--on", "2026-11-23"),
         "--on and --given-by go with an explanation"),
    ], ids=["unknown-case", "unknown-milestone", "next-and-by-missing", "by-missing", "empty",
            "by-before-on", "by-in-the-past", "by-not-a-date", "on-in-the-future",
            "unknown-lead", "start-milestone", "done", "on-alone"])
    def test_refused(self, sample_sqlite: Path, tmp_path: Path, args: tuple[str, ...],
                     message: str) -> None:
        url = f"sqlite:///{tmp_path / 'p.db'}"
        shutil.copy2(sample_sqlite, tmp_path / "p.db")
        result = run(url, "explain", *args)
        assert result.exit_code == 1, result.output
        assert message in result.output
        assert run(url, "explain", "C-1006", "legal_advice").stdout.startswith(
            "No explanation recorded")


class TestShown:
    """On `timeline`, in the report's drift tables and under the child's timeline card; a red
    milestone without one after 10 working days is in `measures`' data quality."""

    def test_timeline_and_data_quality(self, loaded: str) -> None:
        # C-1010's health assessment was due Thursday 12 November 2026 (4 weeks after 15
        # October). Scottish working days after it: 13 (1), 16-20 (2-6), 23-27 November
        # (7-11): from Friday 27 November it is a data-quality item, not on the 26th.
        def unexplained(day: str) -> list[tuple[str, str]]:
            result = run(loaded, "measures", "--as-of", day)
            assert result.exit_code == 0, result.output
            return [(item["case_ref"], item["detail"])
                    for item in json.loads(result.stdout)["data_quality"]
                    if item["kind"] == "unexplained_red" and item["case_ref"] == "C-1010"]

        assert unexplained("2026-11-26") == []
        assert unexplained("2026-11-27") == [(
            "C-1010", ("Health assessment completed: red for more than 10 working days (due "
                      "2026-11-12, 15 days overdue) with no reason given: permanence explain "
                      "C-1010 health_assessment --reason TEXT --next TEXT --by DATE"))]
        assert run(loaded, "explain", "C-1010", "health_assessment", "--reason", "GP has no "
                   "appointments", "--next", "Book with the LAC nurse", "--by", "2026-12-04",
                   "--on", "2026-11-27").exit_code == 0
        assert unexplained("2026-11-27") == []
        assert unexplained("2026-11-26") == []  # the explanation came after: not counted ...
        # ... but the 26th was before the 11th working day anyway; C-1006's legal advice was
        # due 7 November (Saturday), red on the 23rd for 11 working days (9-13, 16-20, 23).
        assert run(loaded, "explain", "C-1006", "legal_advice", "--reason", REASON, "--next",
                   NEXT, "--by", "2026-11-27", "--on", "2026-11-24").exit_code == 0
        measures = json.loads(run(loaded, "measures", "--as-of", "2026-11-23").stdout)
        assert [item["case_ref"] for item in measures["data_quality"]
                if item["kind"] == "unexplained_red" and item["case_ref"] == "C-1006"] == [
            "C-1006"]
        timeline = run(loaded, "timeline", "C-1010", "--as-of", "2026-11-27")
        assert timeline.exit_code == 0
        assert ('explained: health_assessment on 2026-11-27: reason "GP has no appointments"; '
                'next "Book with the LAC nurse" by 2026-12-04') in timeline.stdout.splitlines()
        before = run(loaded, "timeline", "C-1010", "--as-of", "2026-11-26")
        assert "explained:" not in before.stdout

    def test_report_drift_table_and_card(self, loaded: str, tmp_path: Path) -> None:
        assert run(loaded, "explain", "C-1006", "legal_advice", "--reason", REASON, "--next",
                   NEXT, "--by", "2026-11-27", "--on", "2026-11-20", "--given-by",
                   "tl-north").exit_code == 0
        out = tmp_path / "report"
        result = run(loaded, "report", "--out", str(out), "--as-of", SAMPLE_TODAY.isoformat())
        assert result.exit_code == 0, result.output
        index = text_of((out / "index.html").read_text(encoding="utf-8"))
        assert "escalated to why · next" in index
        assert (f"{REASON} next: {NEXT}, by 27 Nov 2026") in index
        north = text_of((out / "timelines-north-001.html").read_text(encoding="utf-8"))
        assert (f"Legal advice received from Legal Services: why: {REASON}; next: {NEXT}, by "
                "27 Nov 2026 (explained by Fraser Demo on 20 Nov 2026)") in north
        drift = text_of((out / "drift-north-001.html").read_text(encoding="utf-8"))
        assert drift.count("no reason given") >= 1
        assert f"{REASON} next: {NEXT}" in drift


class TestWebForm:
    """The child's timeline's form on the web page: the step's owner and the leads it
    escalates to may explain it; others are refused (403), another team's case is not found
    (404), a form without the session's CSRF token changes nothing; given today, in the name
    of the lead signed in."""

    @pytest.fixture
    def store_url(self, db_url: str, examples: Path, store_templates: StoreTemplates) -> str:
        return store_templates.copy(db_url, "web", lambda url: load_store(url, examples))

    @pytest.fixture
    def client(self, store_url: str) -> Iterator[TestClient]:
        yield from client_for(store_url)

    def explain(self, client: TestClient, csrf: str, case_ref: str, milestone: str,
                **fields: str) -> Any:
        return client.post("/explain", data={
            "csrf": csrf, "case_ref": case_ref, "milestone": milestone,
            "reason": REASON, "next": NEXT, "by": IN_A_MONTH.isoformat(), **fields})

    def given(self, client: TestClient, case_ref: str) -> list[tuple[str, ...]]:
        page = client.get(f"/days/{TODAY}/cases/{case_ref}").text
        return re.findall(r"<tr><td class=\"nowrap\">([^<]*)</td><td>([^<]*)</td>"
                          r"<td>([^<]*)</td><td>([^<]*)</td><td class=\"nowrap\">([^<]*)</td>"
                          r"<td>([^<]*)</td><td>([^<]*)</td></tr>", page)

    def test_escalation_lead_explains(self, client: TestClient, store_url: str) -> None:
        csrf = sign_in(client, "tl-north")
        page = client.get(f"{BOARD}cases/C-1006").text
        # Legal advice is owned by the legal adviser and escalates to the team leader, then
        # the service manager: tl-north may explain it.
        assert '<option value="legal_advice">Legal advice received from Legal Services' in page
        answer = self.explain(client, csrf, "C-1006", "legal_advice")
        assert answer.status_code == 303
        assert answer.headers["location"] == f"/days/{TODAY}/cases/C-1006#explanations"
        self.explain(client, csrf, "C-1006", "legal_advice", reason="Solicitor replied",
                     next="Legal to write the advice")
        today = day_text(TODAY)
        assert self.given(client, "C-1006") == [
            (today, "Legal advice received from Legal Services", "Solicitor replied",
             "Legal to write the advice", day_text(IN_A_MONTH), "Fraser Demo", "stands"),
            (today, "Legal advice received from Legal Services", REASON.replace("'", "&#39;"),
             NEXT, day_text(IN_A_MONTH), "Fraser Demo", "replaced")]
        listed = run(store_url, "explain", "C-1006", "legal_advice")
        assert listed.stdout.splitlines() == [
            f'{TODAY} by tl-north: reason "{REASON}"; next "{NEXT}" by {IN_A_MONTH}',
            (f'{TODAY} by tl-north: reason "Solicitor replied"; next "Legal to write the '
            f'advice" by {IN_A_MONTH}  (stands)')]

    def test_others_refused(self, client: TestClient) -> None:
        csrf = sign_in(client, "sw-south-1")
        page = client.get(f"{BOARD}cases/C-1007").text
        # sw-south-1 is C-1007's social worker, not its agency decision maker nor a lead
        # the decision escalates to (team leader, then service manager)
        assert '<option value="adm_decision">' not in page
        assert '<option value="second_review">' in page or "<select" in page
        answer = self.explain(client, csrf, "C-1007", "adm_decision")
        assert answer.status_code == 403
        assert ("Only the step&#39;s owner and the leads it escalates to may explain it (Tom "
                "Demo, Murray Demo, Niamh Demo): nothing was recorded.") in answer.text
        assert self.explain(client, csrf, "C-1006", "legal_advice").status_code == 404
        assert self.explain(client, "guessed", "C-1007", "adm_decision").status_code == 403
        assert self.given(client, "C-1007") == []

    @pytest.mark.parametrize(("fields", "message"), [
        ({"reason": "  "}, "Why it is drifting is empty; say it in a sentence"),
        ({"by": "2000-01-01"}, ("To be done by 2000-01-01 is before the day the explanation is "
                               "given")),
        ({"by": "soon"}, "To be done by &#39;soon&#39; is not a date in the form YYYY-MM-DD"),
        ({"milestone": "x"}, ("unknown milestone &#39;x&#39; for timeline "
                             "scotland-permanence-order")),
    ], ids=["empty-reason", "past-by", "not-a-date", "unknown-milestone"])
    def test_mistakes_said_plainly(self, client: TestClient, fields: dict[str, str],
                                   message: str) -> None:
        csrf = sign_in(client, "sm-all")
        fields = dict(fields)  # the parameter's own dict serves each backend in turn
        answer = self.explain(client, csrf, "C-1006", fields.pop("milestone", "legal_advice"),
                              **fields)
        assert answer.status_code == 400
        assert message in answer.text
        assert "Nothing was recorded" in answer.text
        assert self.given(client, "C-1006") == []


class TestDailyCheck:
    """The daily check (a real Prefect run, leads reached through a real json:// receiver):
    the digest of whoever a step is escalated to carries its explanation, `red-milestones`
    says when its next action is due, `drift-over-time` counts red and amber per team day by
    day, and the report draws it."""

    @pytest.fixture
    def service(self, prefect_harness: None, sqlite_url: str, drift_rules: Path,
                tmp_path: Path) -> Iterator[Service]:
        """Leads and case C-1 on SQLite (the drift tests' service), leads told through a real
        json:// receiver."""
        with JsonReceiver() as receiver:
            yield from _service(sqlite_url, drift_rules, tmp_path, receiver)

    def test_digest_artifacts_and_report(self, service: Service, tmp_path: Path) -> None:
        # C-1's review (10 days after 16 November) is due 26 November: amber on the 23rd, red
        # on the 27th, escalated to the team leader two working days after, 1 December.
        service.check(AMBER_DAY)
        service.check(RED_DAY)
        explained = service.cli("explain", "C-1", "review", "--reason", "Review chair off sick",
                                "--next", "Book another chair", "--by", "2026-12-04", "--on",
                                "2026-11-27")
        assert explained.exit_code == 0, explained.output
        summary = service.check(TIER_1_DAY)
        [tier_1] = service.receiver.messages_for("tl-north")
        assert tier_1["message"] == (
            "Hello Priya Shah,\n"
            "C-1 | First review held | due 2026-11-26 | red, 5 days overdue"
            " | escalated to you (tier 1), owner Sam Patel"
            " | why: Review chair off sick; next: Book another chair, by 2026-12-04\n"
            "Status as of 2026-12-01.")
        by_key = {artifact.key: artifact for artifact in run_artifacts(summary)}

        def table(key: str) -> Any:
            data = by_key[key].data
            return json.loads(data) if isinstance(data, str) else data

        assert table("red-milestones") == [
            {"Case": "C-1", "Step": "First review held", "Due": "2026-11-26", "Days over": 5,
             "Owner": "Sam Patel", "Escalated to": "Priya Shah", "Next by": "4 Dec"}]
        assert table("drift-over-time") == [
            {"Day": "2026-12-01", "Team": "north", "Red": 1, "Amber": 0,
             "Red since the check before": "0"},
            {"Day": "2026-11-27", "Team": "north", "Red": 1, "Amber": 0,
             "Red since the check before": "+1"},
            {"Day": "2026-11-23", "Team": "north", "Red": 0, "Amber": 1,
             "Red since the check before": ""}]
        out = tmp_path / "report"
        assert service.cli("report", "--as-of", "2026-12-01", "--out", str(out)).exit_code == 0
        index = (out / "index.html").read_text(encoding="utf-8")
        assert 'aria-label="Red and amber milestones per team, day by day"' in index
        assert "Review chair off sick<br>next: Book another chair, by 4 Dec 2026" in index
        only_today = tmp_path / "first"
        assert service.cli("report", "--as-of", "2026-11-20", "--out",
                           str(only_today)).exit_code == 0  # no check before: nothing to join
        assert "Drift over time" not in (only_today / "index.html").read_text(encoding="utf-8")


def test_drift_over_time_table_with_no_day() -> None:
    assert drift_over_time_table([]) == [{"Day": "", "Team": "no check finished yet", "Red": "",
                                          "Amber": "", "Red since the check before": ""}]
    assert drift_over_time_table([
        (date(2026, 11, 2), {"south": {"red": 4}, "north": {"red": 2, "amber": 1}}),
        (date(2026, 11, 3), {"north": {"red": 1}}),
        (date(2026, 11, 5), {"north": {"red": 1}, "south": {"red": 6, "amber": 2}}),
    ]) == [
        {"Day": "2026-11-05", "Team": "north", "Red": 1, "Amber": 0,
         "Red since the check before": "0"},
        {"Day": "2026-11-05", "Team": "south", "Red": 6, "Amber": 2,
         "Red since the check before": "+2"},
        {"Day": "2026-11-03", "Team": "north", "Red": 1, "Amber": 0,
         "Red since the check before": "-1"},
        {"Day": "2026-11-02", "Team": "north", "Red": 2, "Amber": 1,
         "Red since the check before": ""},
        {"Day": "2026-11-02", "Team": "south", "Red": 4, "Amber": 0,
         "Red since the check before": ""}]


def test_red_table_when_nothing_is_red() -> None:
    assert red_table([]) == [{"Case": "", "Step": "no red milestones", "Due": "", "Days over": "",
                              "Owner": "", "Escalated to": "", "Next by": ""}]
