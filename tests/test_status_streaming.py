"""`status --format json|csv` written as the cases are evaluated, byte for byte the documents
the contract shows (docs/status-output.md), on SQLite and PostgreSQL: text escaped as
json.dumps escapes it, cells defused as every CSV the tool writes, cases in case_ref order
whatever the database's collation, and nothing printed before a refusal."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from permanence.cli import app

runner = CliRunner()

RULES = """\
timeline: local-route
jurisdiction: scotland
version: "1"
milestones:
  - id: start
    title: Start "here"
  - id: plan
    title: "=Plan, für Kinder"
    after: start
    within: 4 weeks
    escalate:
      - {after: 1 day, to: team_leader}
      - {after: 2 days, to: service_manager}
"""
LEADS = """\
lead_id,name,role,team,notify
sw-1,Ann Worker,social_worker,Nörth,json://127.0.0.1:8765/inbox/sw-1
tl-1,Tam Leader,team_leader,Nörth,json://127.0.0.1:8765/inbox/tl-1
sm-1,Sam Manager,service_manager,*,json://127.0.0.1:8765/inbox/sm-1
"""
CASES = """\
case_ref,timeline,team,social_worker,looked_after_on,closed_on,sibling_group
c-1,local-route,Nörth,sw-1,2026-10-01,2026-11-01,
C_1,local-route,Nörth,sw-1,2026-10-01,,
C-2,local-route,Nörth,sw-1,2026-11-10,,
C-10,local-route,Nörth,sw-1,2026-10-01,,S-1
"""
EVENTS = """\
case_ref,milestone,occurred_on
C_1,plan,2026-11-02
"""


def row(case_ref: str, milestone: str, title: str, status: str, due: str, completed_on: str,
        days_overdue: str, escalated_to: str, sibling_group: str) -> str:
    return f"""\
 {{
  "case_ref": "{case_ref}",
  "team": "N\\u00f6rth",
  "timeline": "local-route",
  "milestone": "{milestone}",
  "title": {title},
  "status": "{status}",
  "due": {due},
  "completed_on": {completed_on},
  "days_overdue": {days_overdue},
  "owner": "sw-1",
  "escalated_to": {escalated_to},
  "at_risk": false,
  "original_due": null,
  "sibling_group": {sibling_group}
 }}"""


START = '"Start \\"here\\""'
PLAN = '"=Plan, f\\u00fcr Kinder"'
# Worked by hand for 16 November 2026. c-1 closed on 1 November: not open, no rows. Each plan
# is due 4 weeks (28 days) after its case became looked after. C-10: due 29 October, 18 days
# over, past both tiers (1 and 2 days after the due date). C-2: due 8 December, running.
# C_1: due 29 October, done 2 November, 4 days late. Python's order of the case_refs: "-"
# (0x2d) sorts before "_" (0x5f), and capitals before small letters.
JSON = "[\n" + ",\n".join([
    row("C-10", "start", START, "done", "null", '"2026-10-01"', "null", "[]", '"S-1"'),
    row("C-10", "plan", PLAN, "red", '"2026-10-29"', "null", "18",
        '[\n   "tl-1",\n   "sm-1"\n  ]', '"S-1"'),
    row("C-2", "start", START, "done", "null", '"2026-11-10"', "null", "[]", "null"),
    row("C-2", "plan", PLAN, "green", '"2026-12-08"', "null", "null", "[]", "null"),
    row("C_1", "start", START, "done", "null", '"2026-10-01"', "null", "[]", "null"),
    row("C_1", "plan", PLAN, "late", '"2026-10-29"', '"2026-11-02"', "4", "[]", "null"),
]) + "\n]\n"
CSV = '''\
case_ref,team,timeline,milestone,title,status,due,completed_on,days_overdue,owner,escalated_to
C-10,Nörth,local-route,start,"Start ""here""",done,,2026-10-01,,sw-1,
C-10,Nörth,local-route,plan,"'=Plan, für Kinder",red,2026-10-29,,18,sw-1,tl-1 sm-1
C-2,Nörth,local-route,start,"Start ""here""",done,,2026-11-10,,sw-1,
C-2,Nörth,local-route,plan,"'=Plan, für Kinder",green,2026-12-08,,,sw-1,
C_1,Nörth,local-route,start,"Start ""here""",done,,2026-10-01,,sw-1,
C_1,Nörth,local-route,plan,"'=Plan, für Kinder",late,2026-10-29,2026-11-02,4,sw-1,
'''


@pytest.fixture
def local_store(db_url: str, tmp_path: Path) -> tuple[str, Path]:
    """A store of its own: the leads, cases and events above on the local route."""
    rules = tmp_path / "local.yaml"
    rules.write_text(RULES, encoding="utf-8")
    assert run(db_url, rules, "init").exit_code == 0
    for kind, text in (("leads", LEADS), ("cases", CASES), ("events", EVENTS)):
        path = tmp_path / f"{kind}.csv"
        path.write_text(text, encoding="utf-8")
        result = run(db_url, rules, "import", kind, str(path))
        assert result.exit_code == 0, result.output
    return db_url, rules


def run(db: str, rules: Path | None, *args: str):  # type: ignore[no-untyped-def]
    extra = ["--rules", str(rules)] if rules else []
    return runner.invoke(app, ["--db", db, *extra, *args], catch_exceptions=False)


def test_json_is_the_contract_text(local_store: tuple[str, Path]) -> None:
    result = run(*local_store, "status", "--as-of", "2026-11-16", "--format", "json")
    assert result.exit_code == 0
    assert result.stdout == JSON


def test_csv_is_defused_and_quoted(local_store: tuple[str, Path]) -> None:
    result = run(*local_store, "status", "--as-of", "2026-11-16", "--format", "csv")
    assert result.exit_code == 0
    assert result.stdout == CSV


def test_filtered_rows_stream_too(local_store: tuple[str, Path]) -> None:
    """--status and --lead choose among the streamed rows: C-10's plan alone is red, and tl-1
    is told of it alone; a filter that matches nothing gives the empty document."""
    only_red = "[\n" + JSON.split("},\n", 2)[1] + "}\n]\n"
    for option in (("--status", "red"), ("--lead", "tl-1")):
        result = run(*local_store, "status", "--as-of", "2026-11-16", "--format", "json",
                     *option)
        assert result.stdout == only_red
    result = run(*local_store, "status", "--as-of", "2026-11-16", "--format", "json",
                 "--status", "paused")
    assert result.stdout == "[]\n"
    result = run(*local_store, "status", "--as-of", "2026-11-16", "--format", "csv",
                 "--lead", "tl-1")
    assert result.stdout == "\n".join(CSV.splitlines()[:1] + CSV.splitlines()[2:3]) + "\n"


@pytest.mark.parametrize("output", ["json", "csv", "table"])
def test_refusal_prints_nothing_first(local_store: tuple[str, Path], output: str) -> None:
    """Without the local rule file the open cases' timeline is unknown: refused before the
    first row, so no half document reaches a script reading stdout."""
    db, _ = local_store
    result = run(db, None, "status", "--as-of", "2026-11-16", "--format", output)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (
        "open cases are on timelines no rule file defines, so they were not evaluated: "
        "local-route (3 cases: C-10, C-2, C_1); pass their rule files with --rules or "
        "PERMANENCE_RULES\n")


def test_json_keys_are_the_contract_keys() -> None:
    """The writer's keys, in order, are those of `MilestoneStatus.as_json` (the contract's
    object, docs/status-output.md): a field added to one and not the other fails here."""
    from datetime import date

    from permanence.evaluate import MilestoneStatus, Status
    from permanence.terminal import JSON_KEYS

    status = MilestoneStatus("C-1", "north", "t", "m", "M", Status.GREEN, date(2026, 1, 1),
                             None, None, None, (), ())
    assert JSON_KEYS == (
        "case_ref", "team", "timeline", "milestone", "title", "status", "due", "completed_on",
        "days_overdue", "owner", "escalated_to", "at_risk", "original_due", "sibling_group")
    assert tuple(status.as_json()) == JSON_KEYS
