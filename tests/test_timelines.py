"""Rule files: what the contract accepts, and every refusal with its whole message.

A refusal reads `file:line: where: message`; the tests spell the whole line out, so a change of
wording or of line is a visible diff. Line numbers are counted from the YAML written in each test:
`HEAD` below is always lines 1-7.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from permanence import located_yaml
from permanence.dates import Duration, Unit
from permanence.errors import RuleFileError
from permanence.rules import BUILTIN_RULES_DIR
from permanence.timelines import (
    NAME_PATTERN,
    Escalation,
    Milestone,
    _cycles,
    load_rule_file,
    load_timelines,
    parse_rule_text,
    rule_changes,
    rule_files,
    rules_in_force,
    validate_rule_files,
)

HEAD = """\
timeline: t
title: T
jurisdiction: scotland
version: "1"
milestones:
  - id: start
    title: Start
"""
"""Lines 1-7 of most test files: a valid timeline with one start milestone."""

MILESTONE_KEYS = ("after, amber, before, escalate, every, id, lead, owner, source, target, "
                  "title, within")
DURATION_FORMS = "'8 days', '10 working days', '6 weeks' or '6 months'"


def problems_of(text: str, filename: str = "r.yaml") -> list[str]:
    """The problem lines of a refused rule text (fails if the text is accepted)."""
    with pytest.raises(RuleFileError) as raised:
        parse_rule_text(text, filename)
    return raised.value.problems


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def rule_text(name: str, version: str = "1", *, within: str = "2 days") -> str:
    return (f'timeline: {name}\ntitle: {name}\njurisdiction: scotland\nversion: "{version}"\n'
            f"milestones:\n  - id: start\n    title: Start\n  - id: a\n    title: A\n"
            f"    after: start\n    within: {within}\n")


class TestAccepted:
    """A valid file becomes a Timeline: milestones in file order, durations parsed, the owner
    defaulting to social_worker, and singular units (`1 day`, `1 week`, `1 month`,
    `1 working day`) accepted wherever a duration goes."""

    def test_full_example(self) -> None:
        timeline = parse_rule_text(HEAD + """\
  - id: a
    title: A
    after: start
    within: 1 working day
    amber: 1 day
    source: "Reg 1"
    owner: legal_adviser
    escalate:
      - {after: 1 week, to: team_leader}
      - {after: 1 month, to: service_manager}
""", "r.yaml")
        assert (timeline.name, timeline.title, timeline.jurisdiction, timeline.version,
                timeline.path) == ("t", "T", "scotland", "1", "r.yaml")
        assert timeline.milestone_ids == ("start", "a")
        start, a = timeline.milestones
        assert start.is_start and start.within is None and start.owner == "social_worker"
        assert not a.is_start
        assert a.after == "start"
        assert a.within == Duration(1, Unit.WORKING_DAYS)
        assert a.amber == Duration(1, Unit.DAYS)
        assert a.source == "Reg 1"
        assert a.owner == "legal_adviser"
        assert a.escalate == (Escalation(Duration(1, Unit.WEEKS), "team_leader"),
                              Escalation(Duration(1, Unit.MONTHS), "service_manager"))
        assert timeline.roles() == {"social_worker", "legal_adviser", "team_leader",
                                    "service_manager"}

    @pytest.mark.parametrize(("text", "expected"), [
        ("1 day", Duration(1, Unit.DAYS)),
        ("1 week", Duration(1, Unit.WEEKS)),
        ("1 month", Duration(1, Unit.MONTHS)),
        ("1 working day", Duration(1, Unit.WORKING_DAYS)),
        ("3 days", Duration(3, Unit.DAYS)),
        ("2 weeks", Duration(2, Unit.WEEKS)),
        ("6 months", Duration(6, Unit.MONTHS)),
        ("10 working days", Duration(10, Unit.WORKING_DAYS)),
    ])
    def test_units(self, text: str, expected: Duration) -> None:
        timeline = parse_rule_text(rule_text("t", within=text), "r.yaml")
        assert timeline.milestones[1].within == expected

    def test_load_rule_file_accepts_a_bom(self, tmp_path: Path) -> None:
        path = tmp_path / "r.yaml"
        path.write_text("\ufeff" + rule_text("t"), encoding="utf-8")
        timeline = load_rule_file(path)
        assert timeline.name == "t"
        assert timeline.path == str(path)


class TestRefusedKeys:
    """Unknown keys are refused at every level: the top of the file, a milestone, and an
    escalation entry; the message names the key and what was expected."""

    def test_top_level(self) -> None:
        assert problems_of(HEAD.replace("title: T\n", "colour: red\n")) == [
            ("r.yaml:2: field 'colour': unknown key; expected one of jurisdiction, milestones, "
            "timeline, title, version")]

    def test_milestone(self) -> None:
        assert problems_of(HEAD + """\
  - id: a
    title: A
    after: start
    within: 2 days
    colour: red
""") == [(f"r.yaml:12: milestone 'a', field 'colour': unknown key; expected one of "
         f"{MILESTONE_KEYS}")]

    def test_escalation_entry(self) -> None:
        assert problems_of(HEAD + """\
  - id: a
    title: A
    after: start
    within: 2 days
    escalate:
      - {after: 1 day, to: team_leader, by: email}
""") == [("r.yaml:13: milestone 'a', escalate[0], field 'by': unknown key; expected 'after' "
         "and 'to'")]


class TestRefusedStructure:
    """A missing `after` target, a cycle and a duplicate id are refused, naming the milestone and
    the line of the offending value."""

    def test_missing_after_target(self) -> None:
        assert problems_of(HEAD + """\
  - id: a
    title: A
    after: nowhere
    within: 2 days
""") == ["r.yaml:10: milestone 'a', field 'after': no milestone with id 'nowhere' in this file"]

    def test_cycle_of_two(self) -> None:
        assert problems_of(HEAD + """\
  - id: a
    title: A
    after: b
    within: 2 days
  - id: b
    title: B
    after: a
    within: 2 days
""") == [("r.yaml:10: milestone 'a', field 'after': milestones wait on each other in a cycle: "
         "a -> b -> a")]

    def test_cycle_of_three(self) -> None:
        assert problems_of(HEAD + """\
  - id: a
    title: A
    after: c
    within: 2 days
  - id: b
    title: B
    after: a
    within: 2 days
  - id: c
    title: C
    after: b
    within: 2 days
""") == [("r.yaml:10: milestone 'a', field 'after': milestones wait on each other in a cycle: "
         "a -> c -> b -> a")]

    def test_milestone_after_itself(self) -> None:
        assert problems_of(HEAD + """\
  - id: a
    title: A
    after: a
    within: 2 days
""") == [("r.yaml:10: milestone 'a', field 'after': milestones wait on each other in a cycle: "
         "a -> a")]

    def test_duplicate_id(self) -> None:
        assert problems_of(HEAD + """\
  - id: start
    title: Again
""") == ["r.yaml:8: milestone 'start', field 'id': the id is used twice (first at line 6)"]

    def test_malformed_id(self) -> None:
        assert problems_of(HEAD + """\
  - id: Legal-Advice
    title: A
    after: start
    within: 2 days
""") == [("r.yaml:8: milestone 'Legal-Advice', field 'id': expected lower-case letters, digits "
         "and '_', starting with a letter ([a-z][a-z0-9_]*), got 'Legal-Advice'")]

    def test_missing_id(self) -> None:
        assert problems_of(HEAD + """\
  - title: A
    after: start
    within: 2 days
""") == ["r.yaml:8: milestones[1]: field 'id' is missing"]

    def test_not_a_mapping(self) -> None:
        assert problems_of("- a\n") == [
            ("r.yaml:1: file: expected a mapping with timeline, title, jurisdiction, version and "
            "milestones, got a list")]


class TestRefusedClocks:
    """Durations must be `N days | N working days | N weeks | N months`; a milestone with `after`
    needs `within`, and a start milestone has no clock at all."""

    @pytest.mark.parametrize(("within", "found"), [
        ("2 fortnights", "'2 fortnights'"),
        ("soon", "'soon'"),
        ("days 2", "'days 2'"),
        ("-2 days", "'-2 days'"),
    ])
    def test_malformed_within(self, within: str, found: str) -> None:
        assert problems_of(rule_text("t", within=within)) == [
            (f"r.yaml:11: milestone 'a', field 'within': expected a duration like {DURATION_FORMS}"
            f", got {found}")]

    def test_zero_within(self) -> None:
        assert problems_of(rule_text("t", within="0 days")) == [
            ("r.yaml:11: milestone 'a', field 'within': expected a count of at least 1, "
            "got '0 days'")]

    def test_malformed_amber_and_escalation_after(self) -> None:
        assert problems_of(HEAD + """\
  - id: a
    title: A
    after: start
    within: 2 days
    amber: a while
    escalate:
      - {after: later, to: team_leader}
""") == [
            (f"r.yaml:12: milestone 'a', field 'amber': expected a duration like {DURATION_FORMS}"
            ", got 'a while'"),
            (f"r.yaml:14: milestone 'a', escalate[0], field 'after': expected a duration like "
            f"{DURATION_FORMS}, got 'later'"),
        ]

    def test_after_without_within_is_record_only(self) -> None:
        """Version 3: `after` with no `within` is a record-only milestone, not a mistake."""
        timeline = parse_rule_text(HEAD + """\
  - id: a
    title: A
    after: start
    owner: team_leader
""", "r.yaml")
        a = timeline.milestone("a")
        assert a is not None
        assert (a.after, a.within, a.every, a.is_record_only, a.is_start, a.is_recurring,
                a.is_lead_time) == ("start", None, None, True, False, False, False)
        start = timeline.milestone("start")
        assert start is not None and not start.is_record_only
        assert timeline.roles() == {"social_worker"}  # a record-only milestone tells nobody

    def test_record_only_has_no_amber_escalation_or_target(self) -> None:
        assert problems_of(HEAD + """\
  - id: a
    title: A
    after: start
    amber: 2 days
    escalate:
      - {after: 1 day, to: team_leader}
    target: 90%
""") == [
            ("r.yaml:11: milestone 'a', field 'amber': a record-only milestone (`after` with no "
             "`within`) has no clock and tells nobody; add `within` (e.g. '4 weeks') for a "
             "clock, or remove this"),
            ("r.yaml:12: milestone 'a', field 'escalate': a record-only milestone (`after` with "
             "no `within`) has no clock and tells nobody; add `within` (e.g. '4 weeks') for a "
             "clock, or remove this"),
            ("r.yaml:14: milestone 'a', field 'target': only a milestone with `after` and "
             "`within` or `every` has an on-time share to aim at; a start or a lead time has "
             "none"),
        ]

    def test_within_on_a_start_milestone(self) -> None:
        assert problems_of(HEAD + "    within: 2 days\n") == [
            ("r.yaml:8: milestone 'start', field 'within': a start milestone (no `after`) has no "
            "clock; add `after` or remove this")]


class TestRecurringAndLeadTimeClocks:
    """Version 2 adds `every` (a recurring clock after `after`) and `before` + `lead` (due a lead
    time before another milestone's booked date). A milestone has one kind of clock; every mix
    or half of one is refused at its line."""

    def test_accepted(self) -> None:
        timeline = parse_rule_text(HEAD + """  - id: review
    title: Review
    after: start
    within: 6 weeks
    every: 6 months
  - id: meeting
    title: Meeting
    after: start
    every: 3 months
  - id: papers
    title: Papers
    before: meeting
    lead: 8 days
    amber: 2 days
    escalate:
      - {after: 1 day, to: team_leader}
""", "r.yaml")
        review, meeting, papers = timeline.milestones[1:]
        assert (review.within, review.every) == (Duration(6, Unit.WEEKS),
                                                 Duration(6, Unit.MONTHS))
        assert review.is_recurring and not review.is_lead_time and not review.is_start
        assert (meeting.within, meeting.every) == (None, Duration(3, Unit.MONTHS))
        assert (papers.before, papers.lead, papers.after) == ("meeting", Duration(8, Unit.DAYS),
                                                              None)
        assert papers.is_lead_time and not papers.is_start and not papers.is_recurring
        assert papers.escalate == (Escalation(Duration(1, Unit.DAYS), "team_leader"),)

    @pytest.mark.parametrize(("body", "expected"), [
        ("    before: nowhere\n    lead: 8 days\n",
         [("r.yaml:10: milestone 'a', field 'before': no milestone with id 'nowhere' in this "
          "file")]),
        ("    before: a\n    lead: 8 days\n",
         [("r.yaml:10: milestone 'a', field 'before': names the milestone itself; expected the "
          "id of another milestone")]),
        ("    before: start\n",
         [("r.yaml:10: milestone 'a', field 'before': `lead` is missing; a lead time needs one "
          "such as '8 days'")]),
        ("    lead: 8 days\n",
         [("r.yaml:10: milestone 'a', field 'lead': `lead` needs `before`: the milestone whose "
          "booked date it counts back from")]),
        ("    before: start\n    lead: 8 days\n    within: 2 days\n",
         [("r.yaml:12: milestone 'a', field 'within': a lead-time milestone (`before` + `lead`) "
          "has no `within`; use `after` + `within` for a clock that counts forward")]),
        ("    before: start\n    lead: 8 days\n    every: 2 months\n",
         [("r.yaml:12: milestone 'a', field 'every': a lead-time milestone (`before` + `lead`) "
          "has no `every`; use `after` + `within` for a clock that counts forward")]),
        ("    after: start\n    within: 2 days\n    before: start\n    lead: 8 days\n",
         [("r.yaml:12: milestone 'a', field 'before': a milestone counts from `after` or back "
          "from `before`, never both; remove one")]),
        ("    every: 6 months\n",
         [("r.yaml:10: milestone 'a', field 'every': a start milestone (no `after`) has no "
          "clock; add `after` or remove this")]),
        ("    after: start\n    every: 0 months\n",
         [("r.yaml:11: milestone 'a', field 'every': expected a count of at least 1, got "
          "'0 months'")]),
        ("    before: start\n    lead: soon\n",
         [(f"r.yaml:11: milestone 'a', field 'lead': expected a duration like {DURATION_FORMS}, "
          "got 'soon'")]),
    ], ids=["before-unknown", "before-itself", "before-without-lead", "lead-without-before",
            "lead-and-within", "lead-and-every", "after-and-before", "every-on-a-start",
            "every-zero", "lead-malformed"])
    def test_refused(self, body: str, expected: list[str]) -> None:
        assert problems_of(HEAD + "  - id: a\n    title: A\n" + body) == expected

    def test_lead_time_may_point_at_a_later_step(self) -> None:
        """Papers due before a meeting that itself follows them is no cycle: a lead time
        waits on a booked date, not on a completion."""
        timeline = parse_rule_text(HEAD + """  - id: papers
    title: Papers
    before: meeting
    lead: 8 days
  - id: meeting
    title: Meeting
    after: papers
    within: 4 weeks
""", "r.yaml")
        assert [m.id for m in timeline.milestones] == ["start", "papers", "meeting"]


class TestTarget:
    """`target: 90%` is the share of a clocked milestone's clocks to be done on time, drawn on
    its run chart: a percentage above 0 and at most 100, on a milestone with `after` and
    `within` or `every`; anything else is refused at its line."""

    @pytest.mark.parametrize(("written", "share"), [
        ("90%", 0.9), ("'87.5 %'", 0.875), ("100%", 1.0), ("0.5%", 0.005)])
    def test_accepted(self, written: str, share: float) -> None:
        timeline = parse_rule_text(HEAD + f"""  - id: a
    title: A
    after: start
    every: 6 months
    target: {written}
""", "r.yaml")
        assert timeline.milestones[1].target == share
        assert timeline.milestones[0].target is None

    @pytest.mark.parametrize(("body", "expected"), [
        ("    after: start\n    within: 2 days\n    target: 90\n",
         [("r.yaml:12: milestone 'a', field 'target': expected a percentage such as '90%', "
          "got 90 (int)")]),
        ("    after: start\n    within: 2 days\n    target: 0.9\n",
         [("r.yaml:12: milestone 'a', field 'target': expected a percentage such as '90%', "
          "got 0.9 (float)")]),
        ("    after: start\n    within: 2 days\n    target: most\n",
         [("r.yaml:12: milestone 'a', field 'target': expected a percentage such as '90%', "
          "got 'most'")]),
        ("    after: start\n    within: 2 days\n    target: 120%\n",
         [("r.yaml:12: milestone 'a', field 'target': expected a percentage above 0% and at "
          "most 100%, got '120%'")]),
        ("    after: start\n    within: 2 days\n    target: 0%\n",
         [("r.yaml:12: milestone 'a', field 'target': expected a percentage above 0% and at "
          "most 100%, got '0%'")]),
        ("    before: start\n    lead: 8 days\n    target: 90%\n",
         [("r.yaml:12: milestone 'a', field 'target': only a milestone with `after` and "
          "`within` or `every` has an on-time share to aim at; a start or a lead time has "
          "none")]),
        ("    target: 90%\n",
         [("r.yaml:10: milestone 'a', field 'target': only a milestone with `after` and "
          "`within` or `every` has an on-time share to aim at; a start or a lead time has "
          "none")]),
    ], ids=["number", "fraction", "word", "over-100", "zero", "lead-time", "start"])
    def test_refused(self, body: str, expected: list[str]) -> None:
        assert problems_of(HEAD + "  - id: a\n    title: A\n" + body) == expected


class TestRefusedValues:
    """An unknown jurisdiction, a malformed role (owner or escalation `to`), an unquoted float
    version and YAML that does not parse are each refused with the file and the line."""

    def test_unknown_jurisdiction(self) -> None:
        assert problems_of(HEAD.replace("scotland", "wales")) == [
            ("r.yaml:3: field 'jurisdiction': expected one of scotland | england-and-wales | "
            "northern-ireland, got 'wales'")]

    def test_malformed_owner(self) -> None:
        assert problems_of(HEAD + """\
  - id: a
    title: A
    after: start
    within: 2 days
    owner: Team Leader
""") == [("r.yaml:12: milestone 'a', field 'owner': expected a role name ([a-z][a-z0-9_]*, e.g. "
         "social_worker), got 'Team Leader'")]

    def test_malformed_escalation_role(self) -> None:
        assert problems_of(HEAD + """\
  - id: a
    title: A
    after: start
    within: 2 days
    escalate:
      - {after: 1 day, to: Team-Leader}
""") == [("r.yaml:13: milestone 'a', escalate[0], field 'to': expected a role name "
         "([a-z][a-z0-9_]*, e.g. team_leader), got 'Team-Leader'")]

    def test_unquoted_float_version(self) -> None:
        assert problems_of(HEAD.replace('"1"', "2026.10")) == [
            ("r.yaml:4: field 'version': expected a quoted text such as \"2026.1\" (unquoted, "
            "2026.1 is read as a number and may lose digits)")]

    def test_yaml_syntax_error(self) -> None:
        assert problems_of(HEAD + "  - id: a\n  title: A\n") == [
            "r.yaml:9: YAML: did not find expected '-' indicator"]

    def test_yaml_duplicate_key(self) -> None:
        assert problems_of(HEAD + "  - id: a\n    title: A\n    title: B\n") == [
            'r.yaml:10: YAML: found duplicate key "title" with value "B" (original value: "A")']


class TestSeveralProblems:
    """A file is refused whole and every problem in it is reported, one line each, so one run
    of `rules validate` shows everything to fix."""

    def test_all_reported(self) -> None:
        text = """\
timeline: t
colour: red
jurisdiction: mars
version: 2026.1
milestones:
  - id: start
    title: Start
  - id: a
    title: A
    after: start
    within: soon
  - id: b
    title: B
    after: start
    within: 2 days
    owner: Legal
  - id: start
    title: Again
"""
        assert problems_of(text) == [
            ("r.yaml:2: field 'colour': unknown key; expected one of jurisdiction, milestones, "
            "timeline, title, version"),
            ("r.yaml:3: field 'jurisdiction': expected one of scotland | england-and-wales | "
            "northern-ireland, got 'mars'"),
            ("r.yaml:4: field 'version': expected a quoted text such as \"2026.1\" (unquoted, "
            "2026.1 is read as a number and may lose digits)"),
            (f"r.yaml:11: milestone 'a', field 'within': expected a duration like {DURATION_FORMS}"
            ", got 'soon'"),
            ("r.yaml:16: milestone 'b', field 'owner': expected a role name ([a-z][a-z0-9_]*, "
            "e.g. social_worker), got 'Legal'"),
            "r.yaml:17: milestone 'start', field 'id': the id is used twice (first at line 6)",
        ]

    def test_missing_target_reported_beside_another_problem(self) -> None:
        assert sorted(problems_of(HEAD + """\
  - id: a
    title: A
    after: nowhere
    within: soon
""")) == [
            "r.yaml:10: milestone 'a', field 'after': no milestone with id 'nowhere' in this file",
            (f"r.yaml:11: milestone 'a', field 'within': expected a duration like {DURATION_FORMS}"
            ", got 'soon'"),
        ]

    def test_no_false_missing_target(self) -> None:
        assert problems_of(HEAD + """\
  - id: a
    title: A
    after: start
    within: soon
  - id: b
    title: B
    after: a
    within: 2 days
""") == [(f"r.yaml:11: milestone 'a', field 'within': expected a duration like {DURATION_FORMS}"
         ", got 'soon'")]


class TestBuiltinRules:
    """The built-in rule files all load; every clocked milestone cites its source and every id is
    a valid name (rules read like the statute)."""

    def test_all_load(self) -> None:
        files = rule_files([BUILTIN_RULES_DIR])
        names = sorted(load_rule_file(path).name for path in files)
        assert names == ["england-adoption", "england-adoption-return", "england-looked-after",
                         "scotland-adoption", "scotland-permanence-order"]
        assert validate_rule_files([BUILTIN_RULES_DIR])[1] == []

    @pytest.mark.parametrize("path", rule_files([BUILTIN_RULES_DIR]), ids=lambda p: p.stem)
    def test_sources_and_ids(self, path: Path) -> None:
        timeline = load_rule_file(path)
        assert [m.id for m in timeline.milestones if not m.is_start and not m.source] == []
        assert [m.id for m in timeline.milestones if not NAME_PATTERN.match(m.id)] == []
        assert [m.id for m in timeline.milestones if m.is_start] == [timeline.milestones[0].id]


class TestLoadTimelines:
    """The built-ins load first; a user file with a built-in's name replaces it; two user files
    with one name are refused, naming both; a bad user file's problems are all reported."""

    def test_builtins_only(self) -> None:
        assert sorted(load_timelines()) == ["england-adoption", "england-adoption-return",
                                            "england-looked-after", "scotland-adoption",
                                            "scotland-permanence-order"]

    def test_user_file_replaces_builtin(self, tmp_path: Path) -> None:
        user = write(tmp_path / "po.yaml", rule_text("scotland-permanence-order", "local-1"))
        timelines = load_timelines([user])
        assert sorted(timelines) == ["england-adoption", "england-adoption-return",
                                     "england-looked-after", "scotland-adoption",
                                     "scotland-permanence-order"]
        replaced = timelines["scotland-permanence-order"]
        assert (replaced.version, replaced.path, replaced.milestone_ids) == (
            "local-1", str(user), ("start", "a"))

    def test_user_folder_adds_timelines(self, tmp_path: Path) -> None:
        write(tmp_path / "b.yaml", rule_text("local-b"))
        write(tmp_path / "a.yml", rule_text("local-a"))
        write(tmp_path / "notes.txt", "not a rule file")
        assert {"local-a", "local-b"} <= set(load_timelines([tmp_path]))

    def test_two_user_files_with_one_name(self, tmp_path: Path) -> None:
        first = write(tmp_path / "one.yaml", rule_text("local"))
        second = write(tmp_path / "two.yaml", rule_text("local", "2"))
        with pytest.raises(RuleFileError) as raised:
            load_timelines([first, second])
        assert raised.value.problems == [
            f"{second}:1: field 'timeline': 'local' is already defined by {first}"]

    def test_one_file_named_twice_is_read_once(self, tmp_path: Path) -> None:
        """The same folder in PERMANENCE_RULES and --rules, and the file itself and a link to
        it: one timeline, not a clash with itself."""
        folder = tmp_path / "rules"
        folder.mkdir()
        rules = write(folder / "local.yaml", rule_text("local"))
        (tmp_path / "link.yaml").symlink_to(rules)
        timelines = load_timelines([folder, folder, tmp_path / "link.yaml", rules])
        assert timelines["local"].path == str(rules)

    def test_bad_user_files_all_reported(self, tmp_path: Path) -> None:
        bad = write(tmp_path / "bad.yaml", rule_text("local", within="soon"))
        missing = tmp_path / "missing.yaml"
        with pytest.raises(RuleFileError) as raised:
            load_timelines([bad, missing])
        assert raised.value.problems == [
            (f"{bad}:11: milestone 'a', field 'within': expected a duration like "
            f"{DURATION_FORMS}, got 'soon'"),
            f"{missing}: no such rule file",
        ]


class TestValidateRuleFiles:
    """`rules validate` checks only the files given (no built-ins) and returns every problem."""

    def test_good_and_bad(self, tmp_path: Path) -> None:
        good = write(tmp_path / "good.yaml", rule_text("local"))
        bad = write(tmp_path / "bad.yaml", rule_text("other", within="2 fortnights"))
        timelines, problems = validate_rule_files([good, bad])
        assert [t.name for t in timelines] == ["local"]
        assert problems == [(f"{bad}:11: milestone 'a', field 'within': expected a duration like "
                            f"{DURATION_FORMS}, got '2 fortnights'")]

    def test_duplicate_names(self, tmp_path: Path) -> None:
        first = write(tmp_path / "a.yaml", rule_text("local"))
        second = write(tmp_path / "b.yaml", rule_text("local"))
        timelines, problems = validate_rule_files([tmp_path])
        assert [t.path for t in timelines] == [str(first)]
        assert problems == [f"{second}:1: field 'timeline': 'local' is already defined by {first}"]

    def test_empty_folder(self, tmp_path: Path) -> None:
        assert validate_rule_files([tmp_path]) == (
            [], [f"{tmp_path}: no .yaml or .yml rule files in this folder"])


def cycles_by_walking(milestones: list[Milestone]) -> list[tuple[str, list[str]]]:
    """The reference: walk every milestone's whole chain (cubic, but plainly right)."""
    by_id = {m.id: m for m in milestones}
    reported: set[str] = set()
    found = []
    for milestone in milestones:
        chain, current = [milestone.id], milestone
        while current.after is not None and current.after in by_id:
            if current.after in chain:
                cycle = [*chain[chain.index(current.after):], current.after]
                if not reported.intersection(cycle):
                    found.append((milestone.id, cycle))
                    reported.update(cycle)
                break
            chain.append(current.after)
            current = by_id[current.after]
    return found


class TestYamlReading:
    """Rule files are read as YAML 1.2 reads them, so everyday words are never booleans, and a
    file's errors name the line in the file whatever it holds before them."""

    def test_yes_no_on_off_stay_text(self) -> None:
        timeline = parse_rule_text(HEAD.replace("title: Start", "title: No")
                                   + "  - id: a\n    title: on\n    after: start\n"
                                   "    within: 2 days\n", "r.yaml")
        assert [m.title for m in timeline.milestones] == ["No", "on"]

    def test_numbers_as_yaml_1_2_reads_them(self) -> None:
        assert located_yaml.load("a: 010\nb: 0o10\nc: 0x10\nd: 1.5\ne: yes\nf: true\n") == {
            "a": 10, "b": 8, "c": 16, "d": 1.5, "e": "yes", "f": True}

    def test_forbidden_character_after_accented_text_names_its_line(self) -> None:
        assert problems_of("timeline: t\ntitle: Pàipearan éé\njurisdiction: s\x07\n") == [
            "r.yaml:3: YAML: character U+0007 is not allowed in a YAML file; remove it"]

    def test_merged_keys_keep_their_lines(self) -> None:
        document = located_yaml.load("base: &b\n  x: 1\n  z: 1\nm:\n  <<: *b\n  y: 2\n  z: 3\n")
        assert document["m"] == {"x": 1, "y": 2, "z": 3}  # its own key overrides a merged one
        assert [document["m"].line_of_key(key) for key in "xyz"] == [2, 6, 7]

    def test_python_objects_are_refused(self) -> None:
        assert problems_of("timeline: !!python/object/apply:os.system [echo]\n") == [
            ("r.yaml:1: YAML: could not determine a constructor for the tag "
            "'tag:yaml.org,2002:python/object/apply:os.system'")]


class TestCycles:
    """The linear cycle check finds exactly what walking every chain finds."""

    @given(st.lists(st.integers(-1, 11), min_size=1, max_size=12))
    def test_same_as_walking_every_chain(self, links: list[int]) -> None:
        milestones = [Milestone(id=f"m{n}", title="t", after=None if to < 0 else f"m{to}")
                      for n, to in enumerate(links)]
        assert _cycles(milestones) == cycles_by_walking(milestones)


class TestRulesInForce:
    """Rules in force are exactly the rules named: an entry of a rules folder that cannot be
    read is an error, never silently skipped (which would put a built-in back in force)."""

    def override(self, folder: Path, name: str) -> Path:
        text = (BUILTIN_RULES_DIR / "scotland-adoption.yaml").read_text()
        path = folder / name
        path.write_text(text.replace('version: "2026.2"', 'version: "local.1"'))
        return path

    def test_broken_link_in_a_folder_is_an_error(self, tmp_path: Path) -> None:
        (tmp_path / "scotland-adoption.yaml").symlink_to(tmp_path / "gone.yaml")
        with pytest.raises(RuleFileError) as refused:
            load_timelines([tmp_path])
        assert refused.value.problems == [
            (f"{tmp_path / 'scotland-adoption.yaml'}: is a link to {tmp_path / 'gone.yaml'}, "
            "which does not exist; its rules cannot be in force")]
        assert validate_rule_files([tmp_path])[1] == refused.value.problems

    def test_upper_case_suffix_is_a_rule_file(self, tmp_path: Path) -> None:
        self.override(tmp_path, "Scotland-Adoption.YAML")
        assert load_timelines([tmp_path])["scotland-adoption"].version == "local.1"

    def test_hidden_entries_are_not_rule_files(self, tmp_path: Path) -> None:
        self.override(tmp_path, "ours.yaml")
        (tmp_path / ".#ours.yaml").symlink_to(tmp_path / "editor-lock")
        assert load_timelines([tmp_path])["scotland-adoption"].version == "local.1"

    def test_changes_between_checks_are_named(self, tmp_path: Path) -> None:
        before = rules_in_force(load_timelines())
        now = rules_in_force(load_timelines([self.override(tmp_path, "ours.yaml")]))
        assert {"timeline": "scotland-adoption", "version": "2026.2", "file": "built-in"} in before
        assert rule_changes(before, now) == [
            f"scotland-adoption: 2026.2 (built-in) -> local.1 ({tmp_path / 'ours.yaml'})"]
        assert rule_changes(now, now) == []
