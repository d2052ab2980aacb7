"""The command line of version 2, end to end on a real store: booking a date and marking a step
not applicable with `record`, `pause`, `extend`, `import pauses` and `import extensions`, and what
`timeline` and `history` show of a case's life. Expected dates are worked out by hand in the
comments, from the contract's rules, never by asking the engine."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from permanence.cli import app

runner = CliRunner()

RULES = """\
timeline: lives-test
title: Case lives test route
jurisdiction: scotland
version: "1"
milestones:
  - id: looked_after
    title: Looked after
  - id: review
    title: Looked after review
    after: looked_after
    within: 6 weeks
    every: 6 months
    amber: 7 days
  - id: meeting
    title: Planning meeting
    after: looked_after
    within: 10 weeks
    amber: 7 days
  - id: papers
    title: Papers to Legal
    before: meeting
    lead: 8 days
  - id: panel
    title: Panel
    after: meeting
    within: 4 weeks
  - id: decision
    title: Agency decision
    after: panel
    within: 2 weeks
"""
LEADS = """\
lead_id,name,role,team,notify
sw-1,Ailsa Test,social_worker,north,json://127.0.0.1:9/sw-1
tl-1,Fraser Test,team_leader,north,json://127.0.0.1:9/tl-1
"""
CASES = """\
case_ref,timeline,team,social_worker,looked_after_on,sibling_group
C-1,lives-test,north,sw-1,2026-01-05,G1
C-2,scotland-adoption,north,sw-1,2026-01-05,G1
C-3,lives-test,north,sw-1,2026-01-05,
"""


class Store:
    """A store on one backend with the test's rule file, and a way to run commands on it."""

    def __init__(self, url: str, folder: Path) -> None:
        self.url, self.folder = url, folder
        self.rules = folder / "lives.yaml"
        self.rules.write_text(RULES, encoding="utf-8")

    def run(self, *args: str) -> Result:
        return runner.invoke(app, ["--db", self.url, "--rules", str(self.rules), *args],
                             catch_exceptions=False)

    def ok(self, *args: str) -> str:
        result = self.run(*args)
        assert result.exit_code == 0, result.output
        return result.stdout

    def refused(self, *args: str) -> str:
        result = self.run(*args)
        assert result.exit_code == 1, result.output
        assert "Traceback" not in result.output
        return result.stderr

    def file(self, name: str, text: str) -> str:
        path = self.folder / name
        path.write_text(text, encoding="utf-8")
        return str(path)

    def status(self, day: str, case_ref: str = "C-1") -> dict[str, dict]:
        rows = json.loads(self.ok("status", "--as-of", day, "--format", "json"))
        return {row["milestone"]: row for row in rows if row["case_ref"] == case_ref}


@pytest.fixture
def lives(db_url: str, tmp_path: Path) -> Store:
    """Two brothers (C-1, C-2) to be placed together and a third child, nothing recorded."""
    store = Store(db_url, tmp_path)
    store.ok("init")
    store.ok("import", "leads", store.file("leads.csv", LEADS))
    store.ok("import", "cases", store.file("cases.csv", CASES))
    return store


def test_a_case_life_from_the_command_line(lives: Store) -> None:
    """Looked after 2026-01-05: a review held 2026-02-10, the planning meeting booked on
    2026-03-01 for 2026-04-06, the agency decision dropped on 2026-03-01, the case paused
    2026-02-01..14 (14 days), the meeting's due date extended on 2026-03-10 to 2026-04-10."""
    assert lives.ok("record", "C-1", "review", "--on", "2026-02-10") == (
        "Recorded review for C-1 on 2026-02-10.\n")
    assert lives.ok("record", "C-1", "meeting", "--planned", "--on", "2026-04-06",
                    "--noted-on", "2026-03-01") == (
        "Booked meeting for C-1 on 2026-04-06 (known from 2026-03-01).\n")
    assert lives.ok("record", "C-1", "decision", "--not-applicable", "--on", "2026-03-01") == (
        "Marked decision of C-1 not applicable from 2026-03-01.\n")
    assert lives.ok("pause", "C-1", "--from", "2026-02-01", "--to", "2026-02-14",
                    "--reason", "hearing adjourned") == (
        "Paused C-1 from 2026-02-01 to 2026-02-14: hearing adjourned\n")
    assert lives.ok("extend", "C-1", "meeting", "--to", "2026-04-10", "--approved-by", "tl-1",
                    "--on", "2026-03-10", "--reason", "panel date moved") == (
        "Extended meeting of C-1 to 2026-04-10, agreed by tl-1 on 2026-03-10: panel date "
        "moved\n")

    # 2026-03-09, before the extension: the meeting is due 2026-03-16 + 14 paused days =
    # 2026-03-30 and booked for 2026-04-06, after it: at risk. Papers are due 8 days before the
    # booking (2026-03-29). The review recurs 6 months after 2026-02-10, plus the 4 paused days
    # after it (02-11..14): 2026-08-14.
    before = lives.status("2026-03-09")
    assert {m: (row["status"], row["due"], row["at_risk"], row["original_due"])
            for m, row in before.items()} == {
        "looked_after": ("done", None, False, None),
        "review": ("green", "2026-08-14", False, None),
        "meeting": ("green", "2026-03-30", True, None),
        "papers": ("green", "2026-03-29", False, None),
        "panel": ("waiting", None, False, None),
        "decision": ("n/a", None, False, None),
    }
    assert before["meeting"]["sibling_group"] == "G1"
    timeline = lives.ok("timeline", "C-1", "--as-of", "2026-03-09")
    meeting = next(line for line in timeline.splitlines() if "Planning meeting" in line)
    assert ["10 weeks" in meeting, "2026-03-30" in meeting, "green at risk" in meeting] == [
        True, True, True]
    papers = next(line for line in timeline.splitlines() if "Papers to Legal" in line)
    assert ["before meeting" in papers, "8 days ahead" in papers] == [True, True]
    review = next(line for line in timeline.splitlines() if "Looked after review" in line)
    assert "6 weeks, then every 6 months" in review
    assert timeline.splitlines()[-4:] == [
        "booked: meeting for 2026-04-06, after its due date 2026-03-30: at risk",
        "not applicable: decision from 2026-03-01",
        "paused: 2026-02-01 to 2026-02-14 (14 days): hearing adjourned",
        "placed together with: C-2",
    ]

    # 2026-03-20: the extension stands; it replaced 2026-03-30, and the booking is no longer late.
    after = lives.status("2026-03-20")["meeting"]
    assert (after["due"], after["original_due"], after["at_risk"]) == (
        "2026-04-10", "2026-03-30", False)
    timeline = lives.ok("timeline", "C-1", "--as-of", "2026-03-20")
    assert "2026-04-10 (extended)" in timeline
    assert timeline.splitlines()[-5:] == [
        "booked: meeting for 2026-04-06",
        "not applicable: decision from 2026-03-01",
        ("extended: meeting to 2026-04-10 (due 2026-03-30 before), agreed by tl-1 on "
         "2026-03-10: panel date moved"),
        "paused: 2026-02-01 to 2026-02-14 (14 days): hearing adjourned",
        "placed together with: C-2",
    ]

    history = lives.ok("history", "C-1")
    rows = [line for line in history.splitlines() if line.startswith("│")]
    assert [row.split("│")[1:4] for row in rows[:3]] == [
        [" review    ", " done           ", " 2026-02-10 "],
        [" meeting   ", " planned        ", " 2026-04-06 "],
        [" decision  ", " not_applicable ", " 2026-03-01 "],
    ]
    assert "2026-03-01" in rows[1].split("│")[4]  # noted on
    pause = next(row for row in rows if "hearing adjourned" in row)
    assert ["2026-02-01" in pause, "2026-02-14" in pause, "│ pause " in pause] == [
        True, True, True]
    extension = next(row for row in rows if "panel date moved" in row)
    assert [cell.strip() for cell in extension.split("│")[1:5]] == [
        "meeting", "2026-04-10", "tl-1", "2026-03-10"]
    assert "C-1 is to be placed together with C-2." in history


def test_a_route_change_stays_in_the_history(lives: Store) -> None:
    changed = lives.file("changed.csv", CASES.replace("C-2,scotland-adoption",
                                                      "C-2,scotland-permanence-order"))
    output = lives.ok("import", "cases", changed)
    assert ("C-2: route changed from scotland-adoption to scotland-permanence-order; its "
            "history keeps the old route and every date recorded.") in output
    history = lives.ok("history", "C-2")
    route = next(line for line in history.splitlines() if "scotland-permanence-order" in line)
    assert [cell.strip() for cell in route.split("│")[2:5]] == [
        "scotland-adoption", "scotland-permanence-order", "import changed.csv"]
    assert "C-2 is to be placed together with C-1." in history
    timeline = lives.ok("timeline", "C-2", "--as-of", "2026-03-01")
    assert "route: scotland-adoption -> scotland-permanence-order on " in timeline
    assert lives.ok("timeline", "C-3", "--as-of", "2026-03-01").splitlines()[-1].startswith("└")


def test_an_open_pause_is_closed_by_pausing_again(lives: Store) -> None:
    """An open pause runs to the as-of day; recording it again from the same day closes it.
    The meeting (due 2026-03-16 unpaused) is `paused` while the pause runs."""
    assert lives.ok("pause", "C-3", "--from", "2026-03-01", "--reason", "court") == (
        "Paused C-3 from 2026-03-01 until it is closed (pause again with --to): court\n")
    assert lives.status("2026-03-10", "C-3")["meeting"]["status"] == "paused"
    timeline = lives.ok("timeline", "C-3", "--as-of", "2026-03-10")
    assert "paused: from 2026-03-01, still open (10 days so far): court" in timeline
    lives.ok("pause", "C-3", "--from", "2026-03-01", "--to", "2026-03-04", "--reason", "court")
    # Four paused days (03-01..04) move the meeting from 2026-03-16 to 2026-03-20.
    assert lives.status("2026-03-10", "C-3")["meeting"]["due"] == "2026-03-20"
    assert "│ 2026-03-01 │ 2026-03-04 │ court" in lives.ok("history", "C-3")


def test_a_one_day_pause_is_one_day(lives: Store) -> None:
    """Singular when it is one: a pause of one day, and an open pause on its first day."""
    lives.ok("pause", "C-3", "--from", "2026-03-02", "--to", "2026-03-02", "--reason", "court")
    assert "paused: 2026-03-02 to 2026-03-02 (1 day): court" in lives.ok(
        "timeline", "C-3", "--as-of", "2026-03-10")
    lives.ok("pause", "C-3", "--from", "2026-03-05", "--reason", "court")
    assert "paused: from 2026-03-05, still open (1 day so far): court" in lives.ok(
        "timeline", "C-3", "--as-of", "2026-03-05")


@pytest.mark.parametrize(("args", "says"), [
    (["record", "C-1", "meeting", "--planned", "--not-applicable"],
     "--planned and --not-applicable say different things; give one"),
    (["record", "C-1", "meeting", "--noted-on", "2026-03-01"],
     "--noted-on is the day a booking was known; it needs --planned"),
    (["record", "C-1", "looked_after", "--not-applicable", "--on", "2026-03-01"],
     ("looked_after starts timeline lives-test; a start milestone always applies, so it cannot "
      "be not_applicable")),
    (["record", "C-1", "meeting", "--planned", "--on", "2099-01-01"],
     "--on 2099-01-01 is more than 3 years ahead (the latest is "),
    (["pause", "C-9", "--from", "2026-02-01", "--reason", "court"], "unknown case 'C-9'"),
    (["pause", "C-1", "--from", "2026-02-10", "--to", "2026-02-01", "--reason", "court"],
     "--to 2026-02-01 is before --from 2026-02-10"),
    (["pause", "C-1", "--from", "2025-12-01", "--reason", "court"],
     "--from 2025-12-01 is before case C-1 became looked after (2026-01-05)"),
    (["pause", "C-1", "--from", "2026-02-01", "--reason", " "], "--reason is empty; say why"),
    (["extend", "C-1", "meeting", "--to", "2026-04-10", "--approved-by", "nobody",
      "--on", "2026-03-10", "--reason", "r"], "--approved-by 'nobody' is not a known lead_id"),
    (["extend", "C-1", "meeting", "--to", "2026-03-16", "--approved-by", "tl-1",
      "--on", "2026-03-10", "--reason", "r"], "2026-03-16"),
    (["extend", "C-1", "review", "--to", "2026-09-01", "--approved-by", "tl-1",
      "--on", "2026-03-10", "--reason", "r"], "review"),
    (["extend", "C-1", "meeting", "--to", "2026-09-01", "--approved-by", "tl-1",
      "--on", "2025-12-01", "--reason", "r"],
     "approved_on 2025-12-01 is before case C-1 became looked after (2026-01-05)"),
    (["extend", "C-1", "moon", "--to", "2026-09-01", "--approved-by", "tl-1",
      "--on", "2026-03-10", "--reason", "r"], "unknown milestone 'moon'"),
])
def test_refusals_say_what_to_change(lives: Store, args: list[str], says: str) -> None:
    stderr = lives.refused(*args)
    assert len(stderr.splitlines()) == 1 and says in stderr, stderr


def test_imports_of_pauses_and_extensions(lives: Store) -> None:
    pauses = lives.file("pauses.csv", "case_ref,paused_from,paused_to,reason\n"
                                      "C-1,2026-02-01,2026-02-14,hearing adjourned\n"
                                      "C-3,2026-03-01,,court\n")
    assert lives.ok("import", "pauses", pauses) == f"Imported 2 pauses from {pauses}.\n"
    extensions = lives.file("extensions.csv",
                            "case_ref,milestone,extended_to,approved_by,approved_on,reason\n"
                            "C-1,meeting,2026-04-10,tl-1,2026-03-10,panel date moved\n")
    for _ in range(2):  # the same file twice: the second replaces the first, refuses nothing
        assert lives.ok("import", "extensions", extensions) == (
            f"Imported 1 extension from {extensions}.\n")
    # The same dates as the commands above gave: 2026-03-30 moved to 2026-04-10.
    meeting = lives.status("2026-03-20")["meeting"]
    assert (meeting["due"], meeting["original_due"]) == ("2026-04-10", "2026-03-30")
    assert lives.status("2026-03-20", "C-3")["meeting"]["status"] == "paused"
    bad = lives.file("bad.csv", "case_ref,milestone,extended_to,approved_by,approved_on,reason\n"
                                "C-1,meeting,2026-03-20,tl-1,2026-03-10,too soon\n")
    stderr = lives.refused("import", "extensions", bad)
    assert stderr.splitlines()[0].startswith(f"{bad}:2: ")
    assert stderr.splitlines()[-1] == f"{bad}: nothing imported; 1 bad row to fix"
