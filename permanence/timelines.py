"""Rule files: each YAML file is one timeline of milestones with their clocks.

Rules are data. Adding a timeline is adding a file; the built-in files in `rules/` are loaded
first and a user file with the same `timeline:` name replaces one. A file that cannot be used is
refused whole, with one line per problem naming the file, the line and the field, because a
mistyped clock would silently move children's deadlines.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from yaml import MarkedYAMLError, YAMLError
from yaml.reader import ReaderError

from permanence.collector import collector_paused
from permanence.dates import JURISDICTIONS, Duration, parse_duration
from permanence.errors import RuleFileError
from permanence.located_yaml import LocatedList, LocatedMap
from permanence.located_yaml import load as load_yaml
from permanence.rules import BUILTIN_RULES_DIR

NAME_PATTERN = re.compile(r"[a-z][a-z0-9_]*\Z")
TIMELINE_PATTERN = re.compile(r"[a-z0-9][a-z0-9_.-]*\Z")
DEFAULT_OWNER = "social_worker"

TOP_KEYS = {"timeline", "title", "jurisdiction", "version", "milestones"}
MILESTONE_KEYS = {"id", "title", "after", "within", "every", "before", "lead", "amber", "source",
                  "owner", "escalate", "target"}
TARGET_PATTERN = re.compile(r"(\d{1,3}(?:\.\d+)?)\s*%\Z")
ESCALATION_KEYS = {"after", "to"}


@dataclass(frozen=True, slots=True)
class Escalation:
    """Once a milestone is overdue by at least `after`, `to` is told too."""

    after: Duration
    to: str


@dataclass(frozen=True, slots=True)
class Milestone:
    """One step of a timeline. Three kinds of clock: `after` + `within` (due a set time after
    another step), the same with `every` (recurring: each occurrence due `every` after the last),
    and `before` + `lead` (a lead time: due `lead` before the booked date of another step). A
    milestone with neither `after` nor `before` is a start (its date is looked_after_on); one
    with `after` and no `within` or `every` is record-only: it has no clock, no due date and
    tells nobody, and holds a date that people and measures need."""

    id: str
    title: str
    after: str | None = None
    within: Duration | None = None
    amber: Duration | None = None
    owner: str = DEFAULT_OWNER
    source: str | None = None
    escalate: tuple[Escalation, ...] = ()
    every: Duration | None = None
    before: str | None = None
    lead: Duration | None = None
    target: float | None = None
    """The share of its clocks to be done on time, 0 to 1 (`target: 90%` is 0.9): drawn on
    its run chart. It changes no due date and tells nobody."""

    @property
    def is_start(self) -> bool:
        return self.after is None and self.before is None

    @property
    def is_recurring(self) -> bool:
        return self.every is not None

    @property
    def is_lead_time(self) -> bool:
        return self.before is not None

    @property
    def is_record_only(self) -> bool:
        """`after` with neither `within` nor `every`: done when recorded, waiting otherwise,
        never due, never told, never counted on time or overdue."""
        return self.after is not None and self.within is None and self.every is None


@dataclass(frozen=True, slots=True)
class Timeline:
    """A named rule set, as read from one file."""

    name: str
    title: str
    jurisdiction: str
    version: str
    milestones: tuple[Milestone, ...]
    path: str = "<memory>"

    def milestone(self, milestone_id: str) -> Milestone | None:
        for milestone in self.milestones:
            if milestone.id == milestone_id:
                return milestone
        return None

    @property
    def milestone_ids(self) -> tuple[str, ...]:
        return tuple(m.id for m in self.milestones)

    def roles(self) -> set[str]:
        """Every role this timeline tells: owners and escalation targets (a record-only
        milestone tells nobody)."""
        roles = {m.owner for m in self.milestones if not m.is_record_only}
        roles.update(e.to for m in self.milestones for e in m.escalate)
        return roles


class _Problems:
    """Collects every problem in one file, each located at a line."""

    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.lines: list[str] = []

    def add(self, line: int, where: str, message: str) -> None:
        self.lines.append(f"{self.filename}:{line}: {where}: {message}")


def _describe(value: Any) -> str:
    if isinstance(value, LocatedMap):
        return "a mapping"
    if isinstance(value, LocatedList):
        return "a list"
    return repr(value) if isinstance(value, str) else f"{value!r} ({type(value).__name__})"


@functools.lru_cache(maxsize=64)
def parse_rule_text(text: str, filename: str) -> Timeline:
    """Parse and check one rule file's text; raise RuleFileError listing every problem.

    Each text is parsed once per process: every command reads the built-in files, and a
    long-running process (the web page, the test suite) reads the same ones again and again.
    A Timeline is immutable, so one parse can serve every caller; a changed file is new text."""
    problems = _Problems(filename)
    try:
        with collector_paused():  # tens of thousands of small mappings and lists
            document = load_yaml(text)
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else 1
        problem = (error.problem or str(error)).strip()
        if "nesting depth" in problem:  # libyaml's own limit, far beyond any rule file
            problem = "nested too deeply to be a rule file"
        raise RuleFileError(f"{filename}:{line}: YAML: {problem}") from None
    except ReaderError as error:  # a character YAML does not allow, before any parsing
        line = text[:error.position].count("\n") + 1
        raise RuleFileError(f"{filename}:{line}: YAML: character U+{error.character:04X} is "
                            "not allowed in a YAML file; remove it") from None
    except YAMLError as error:
        raise RuleFileError(f"{filename}:1: YAML: {' '.join(str(error).split())}") from None
    except RecursionError:
        raise RuleFileError(f"{filename}:1: YAML: nested too deeply to be a rule file") from None
    if not isinstance(document, LocatedMap):
        raise RuleFileError(f"{filename}:1: file: expected a mapping with timeline, title, "
                            f"jurisdiction, version and milestones, got {_describe(document)}")

    for key in document:
        if key not in TOP_KEYS:
            problems.add(document.line_of_key(key), f"field {key!r}",
                         f"unknown key; expected one of {', '.join(sorted(TOP_KEYS))}")

    def text_field(node: LocatedMap, key: str, where: str, *, required: bool) -> str | None:
        if key not in node:
            if required:
                problems.add(node.line, where, f"field {key!r} is missing")
            return None
        value = node[key]
        if isinstance(value, bool) or not isinstance(value, str | int) or str(value).strip() == "":
            problems.add(node.line_of_value(key), f"{where}, field {key!r}",
                         f"expected a non-empty text, got {_describe(value)}")
            return None
        return str(value).strip()

    top = "timeline"
    name = text_field(document, "timeline", top, required=True)
    if name is not None and not TIMELINE_PATTERN.match(name):
        problems.add(document.line_of_value("timeline"), "field 'timeline'",
                     "expected a name of lower-case letters, digits, '-', '_' or '.', "
                     f"got {name!r}")
    title = text_field(document, "title", top, required=False) or name or ""
    jurisdiction = text_field(document, "jurisdiction", top, required=True)
    if jurisdiction is not None and jurisdiction not in JURISDICTIONS:
        problems.add(document.line_of_value("jurisdiction"), "field 'jurisdiction'",
                     f"expected one of {' | '.join(JURISDICTIONS)}, got {jurisdiction!r}")
    version = None
    if "version" not in document:
        problems.add(1, "field 'version'", "is missing; expected a quoted text such as \"2026.1\"")
    elif isinstance(document["version"], float):
        problems.add(document.line_of_value("version"), "field 'version'",
                     "expected a quoted text such as \"2026.1\" "
                     f"(unquoted, {document['version']!r} "
                     "is read as a number and may lose digits)")
    else:
        version = text_field(document, "version", top, required=True)

    milestones: list[Milestone] = []
    lines_of: dict[str, int] = {}
    after_lines: dict[str, int] = {}
    after_refs: list[tuple[str, str, str, int]] = []
    raw_milestones = document.get("milestones")
    if "milestones" not in document:
        problems.add(1, "field 'milestones'", "is missing; expected a list of milestones")
    elif not isinstance(raw_milestones, LocatedList) or not raw_milestones:
        problems.add(document.line_of_value("milestones"), "field 'milestones'",
                     f"expected a non-empty list of milestones, got {_describe(raw_milestones)}")
    else:
        for position, node in enumerate(raw_milestones):
            milestone = _parse_milestone(node, position, raw_milestones, problems, text_field)
            if not isinstance(node, LocatedMap):
                continue
            line = node.line
            declared = node.get("id")
            if isinstance(declared, str):
                if declared in lines_of:
                    problems.add(line, f"milestone {declared!r}, field 'id'",
                                 f"the id is used twice (first at line {lines_of[declared]})")
                    continue
                lines_of[declared] = line
            where = (f"milestone {declared!r}" if isinstance(declared, str)
                     else f"milestones[{position}]")
            for key in ("after", "before"):
                named = node.get(key)
                if isinstance(named, str) and NAME_PATTERN.match(named):
                    after_refs.append((where, key, named, node.line_of_value(key)))
            if milestone is not None:
                if milestone.after is not None:
                    after_lines[milestone.id] = node.line_of_value("after")
                milestones.append(milestone)

    for where, key, named, line in after_refs:
        if named not in lines_of:
            problems.add(line, f"{where}, field {key!r}",
                         f"no milestone with id {named!r} in this file")
    for start, cycle in _cycles(milestones):
        problems.add(after_lines[start], f"milestone {start!r}, field 'after'",
                     f"milestones wait on each other in a cycle: {' -> '.join(cycle)}")

    if problems.lines:
        raise RuleFileError(problems.lines)
    assert name is not None and jurisdiction is not None and version is not None
    return Timeline(name=name, title=title, jurisdiction=jurisdiction, version=version,
                    milestones=tuple(milestones), path=filename)


def _cycles(milestones: Sequence[Milestone]) -> list[tuple[str, list[str]]]:
    """Each cycle of `after` links once, as (the milestone in file order whose chain reaches it
    first, the cycle from where that chain enters it back to there). Every milestone has one
    `after` at most, so one walk per chain, never revisiting a milestone, finds them all: time
    in proportion to the number of milestones, however many there are."""
    after = {m.id: m.after for m in milestones}
    finished: set[str] = set()
    cycles: list[tuple[str, list[str]]] = []
    for milestone in milestones:
        place: dict[str, int] = {}  # this walk's chain, by position
        chain: list[str] = []
        current: str | None = milestone.id
        while current in after and current not in finished and current not in place:
            place[current] = len(chain)
            chain.append(current)
            current = after[current]
        if current is not None and current in place:
            cycles.append((milestone.id, [*chain[place[current]:], current]))
        finished.update(chain)
    return cycles


def _parse_milestone(node: Any, position: int, seq: LocatedList, problems: _Problems,
                     text_field: Any) -> Milestone | None:
    if not isinstance(node, LocatedMap):
        problems.add(seq.item_lines[position], f"milestones[{position}]",
                     f"expected a mapping with id, title, after and within, got {_describe(node)}")
        return None
    milestone_id = node.get("id")
    where = (f"milestone {milestone_id!r}" if isinstance(milestone_id, str)
             else f"milestones[{position}]")
    problems_before = len(problems.lines)
    for key in node:
        if key not in MILESTONE_KEYS:
            problems.add(node.line_of_key(key), f"{where}, field {key!r}",
                         f"unknown key; expected one of {', '.join(sorted(MILESTONE_KEYS))}")
    if "id" not in node:
        problems.add(node.line, where, "field 'id' is missing")
    elif not isinstance(milestone_id, str) or not NAME_PATTERN.match(milestone_id):
        problems.add(node.line_of_value("id"), f"{where}, field 'id'",
                     f"expected lower-case letters, digits and '_', starting with a letter "
                     f"([a-z][a-z0-9_]*), got {_describe(milestone_id)}")
    title = text_field(node, "title", where, required=True)
    source = text_field(node, "source", where, required=False)

    def reference(key: str) -> str | None:
        if key not in node:
            return None
        named = node[key]
        if not isinstance(named, str) or not NAME_PATTERN.match(named):
            problems.add(node.line_of_value(key), f"{where}, field {key!r}",
                         f"expected the id of another milestone, got {_describe(named)}")
            return None
        if key == "before" and named == milestone_id:  # `after` itself is reported as a cycle
            problems.add(node.line_of_value(key), f"{where}, field {key!r}",
                         "names the milestone itself; expected the id of another milestone")
            return None
        return named

    after = reference("after")
    before = reference("before")

    def duration(mapping: LocatedMap, key: str, label: str, minimum: int) -> Duration | None:
        if key not in mapping:
            return None
        value = mapping[key]
        try:
            return parse_duration(value if isinstance(value, str) else str(value),
                                  minimum=minimum)
        except ValueError as error:
            problems.add(mapping.line_of_value(key), f"{label}, field {key!r}", str(error))
            return None

    within = duration(node, "within", where, 1)
    every = duration(node, "every", where, 1)
    lead = duration(node, "lead", where, 0)
    _check_clock_keys(node, where, problems)
    amber = duration(node, "amber", where, 0)
    target = _target(node, where, problems)

    owner = DEFAULT_OWNER
    if "owner" in node:
        value = node["owner"]
        if not isinstance(value, str) or not NAME_PATTERN.match(value):
            problems.add(node.line_of_value("owner"), f"{where}, field 'owner'",
                         f"expected a role name ([a-z][a-z0-9_]*, e.g. social_worker), "
                         f"got {_describe(value)}")
        else:
            owner = value

    escalations: list[Escalation] = []
    if "escalate" in node:
        tiers = node["escalate"]
        if not isinstance(tiers, LocatedList):
            problems.add(node.line_of_value("escalate"), f"{where}, field 'escalate'",
                         f"expected a list like [{{after: 1 day, to: team_leader}}], "
                         f"got {_describe(tiers)}")
        else:
            for index, tier in enumerate(tiers):
                tier_where = f"{where}, escalate[{index}]"
                if not isinstance(tier, LocatedMap):
                    problems.add(tiers.item_lines[index], tier_where,
                                 f"expected a mapping {{after: DURATION, to: ROLE}}, "
                                 f"got {_describe(tier)}")
                    continue
                for key in tier:
                    if key not in ESCALATION_KEYS:
                        problems.add(tier.line_of_key(key), f"{tier_where}, field {key!r}",
                                     "unknown key; expected 'after' and 'to'")
                for key in ("after", "to"):
                    if key not in tier:
                        problems.add(tier.line, tier_where, f"field {key!r} is missing")
                tier_after = duration(tier, "after", tier_where, 0)
                to = tier.get("to")
                if "to" in tier and (not isinstance(to, str) or not NAME_PATTERN.match(to)):
                    problems.add(tier.line_of_value("to"), f"{tier_where}, field 'to'",
                                 f"expected a role name ([a-z][a-z0-9_]*, e.g. team_leader), "
                                 f"got {_describe(to)}")
                    to = None
                if tier_after is not None and isinstance(to, str):
                    escalations.append(Escalation(after=tier_after, to=to))

    if len(problems.lines) > problems_before or not isinstance(milestone_id, str):
        return None
    return Milestone(id=milestone_id, title=title or milestone_id, after=after, within=within,
                     amber=amber, owner=owner, source=source, escalate=tuple(escalations),
                     every=every, before=before, lead=lead, target=target)


def _target(node: LocatedMap, where: str, problems: _Problems) -> float | None:
    """`target: 90%`: a percentage above 0 and at most 100, on a milestone whose clock the
    measures chart (`after` with `within` or `every`); None when absent."""
    if "target" not in node:
        return None
    value = node["target"]
    line = node.line_of_value("target")
    found = TARGET_PATTERN.match(value.strip()) if isinstance(value, str) else None
    if found is None:
        problems.add(line, f"{where}, field 'target'",
                     f"expected a percentage such as '90%', got {_describe(value)}")
        return None
    share = float(found.group(1))
    if not 0 < share <= 100:
        problems.add(line, f"{where}, field 'target'",
                     f"expected a percentage above 0% and at most 100%, got {value.strip()!r}")
        return None
    if "after" not in node or not ("within" in node or "every" in node):
        problems.add(line, f"{where}, field 'target'",
                     "only a milestone with `after` and `within` or `every` has an on-time "
                     "share to aim at; a start or a lead time has none")
        return None
    return share / 100


def _check_clock_keys(node: LocatedMap, where: str, problems: _Problems) -> None:
    """A milestone has `after` + `within` (and maybe `every`), or `before` + `lead`, or neither
    (a start); each mix of the two kinds, and each half of one, is named at its line."""
    def add(key: str, message: str) -> None:
        problems.add(node.line_of_key(key), f"{where}, field {key!r}", message)

    if "after" in node and "before" in node:
        add("before", "a milestone counts from `after` or back from `before`, never both; "
                      "remove one")
        return
    if "before" in node:
        if "lead" not in node:
            add("before", "`lead` is missing; a lead time needs one such as '8 days'")
        for key in ("within", "every"):
            if key in node:
                add(key, "a lead-time milestone (`before` + `lead`) has no "
                         f"`{key}`; use `after` + `within` for a clock that counts forward")
        return
    if "lead" in node:
        add("lead", "`lead` needs `before`: the milestone whose booked date it counts back "
                    "from")
    if "after" in node:
        if "within" not in node and "every" not in node:  # record-only: no clock to tune
            for key in ("amber", "escalate"):  # `target` is refused by _target
                if key in node:
                    add(key, "a record-only milestone (`after` with no `within`) has no clock "
                             "and tells nobody; add `within` (e.g. '4 weeks') for a clock, or "
                             "remove this")
        return
    for key in ("within", "every", "amber", "escalate"):
        if key in node:
            add(key, "a start milestone (no `after`) has no clock; add `after` or remove this")


def load_rule_file(path: Path) -> Timeline:
    """Read one rule file; a missing or unreadable file is a RuleFileError too."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        if path.is_symlink():
            raise RuleFileError(f"{path}: is a link to {os.readlink(path)}, which does not "
                                "exist; its rules cannot be in force") from None
        raise RuleFileError(f"{path}: no such rule file") from None
    except IsADirectoryError:
        raise RuleFileError(f"{path}: is a folder, not a rule file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise RuleFileError(f"{path}: cannot be read ({error})") from None
    return parse_rule_text(text, str(path))


RULE_SUFFIXES = {".yaml", ".yml"}


def rule_files(paths: Iterable[Path]) -> list[Path]:
    """Expand folders into their rule files (`*.yaml`, `*.yml`, in any case), in name order.
    Every such entry is taken, so one that cannot be read (a broken link, a folder, a file
    without permission) is reported by `load_rule_file` rather than silently left out, which
    would put a built-in back in force. Hidden entries (editors' lock and backup files) are
    not rule files. A file named twice (the same folder in PERMANENCE_RULES and --rules, or
    through a link) is taken once: it defines its timeline once, not twice."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.iterdir()
                                if p.suffix.lower() in RULE_SUFFIXES
                                and not p.name.startswith(".")))
        else:
            files.append(path)
    taken: set[Path] = set()
    once: list[Path] = []
    for file in files:
        if file.resolve() not in taken:
            taken.add(file.resolve())
            once.append(file)
    return once


def load_timelines(extra: Sequence[Path] = ()) -> dict[str, Timeline]:
    """The built-in timelines, then the user's files and folders; a user file replaces a
    built-in of the same name. Every problem in every file is reported at once."""
    timelines = {timeline.name: timeline
                 for timeline in map(load_rule_file, rule_files([BUILTIN_RULES_DIR]))}
    from_user, problems = validate_rule_files(extra)
    if problems:
        raise RuleFileError(problems)
    timelines.update((timeline.name, timeline) for timeline in from_user)
    return timelines


def validate_rule_files(paths: Sequence[Path]) -> tuple[list[Timeline], list[str]]:
    """Check files and folders without loading the built-ins: the timelines read, and problems."""
    timelines: list[Timeline] = []
    problems: list[str] = []
    files = rule_files(paths)
    for path in paths:
        if path.is_dir() and not any(f.parent == path for f in files):
            problems.append(f"{path}: no .yaml or .yml rule files in this folder")
    seen: dict[str, str] = {}
    for path in files:
        try:
            timeline = load_rule_file(path)
        except RuleFileError as error:
            problems.extend(error.problems)
            continue
        if timeline.name in seen:
            problems.append(f"{path}:1: field 'timeline': {timeline.name!r} is already defined "
                            f"by {seen[timeline.name]}")
            continue
        seen[timeline.name] = str(path)
        timelines.append(timeline)
    return timelines, problems


def rules_in_force(timelines: Mapping[str, Timeline]) -> list[dict[str, str]]:
    """Which timeline, at which version, from which file: what a check records it used."""
    def origin(timeline: Timeline) -> str:
        path = Path(timeline.path)
        return "built-in" if path.parent == BUILTIN_RULES_DIR else timeline.path

    return [{"timeline": name, "version": timelines[name].version,
             "file": origin(timelines[name])} for name in sorted(timelines)]


def rule_changes(before: Sequence[Mapping[str, str]],
                 now: Sequence[Mapping[str, str]]) -> list[str]:
    """One line per timeline whose version or file differs between two checks: such a change
    moves children's due dates, so the run says so."""
    old = {rule["timeline"]: rule for rule in before}
    new = {rule["timeline"]: rule for rule in now}

    def shown(rule: Mapping[str, str]) -> str:
        return f"{rule['version']} ({rule['file']})"

    lines = []
    for name in sorted(old.keys() | new.keys()):
        if name not in new:
            lines.append(f"{name}: no longer loaded (was {shown(old[name])})")
        elif name not in old:
            lines.append(f"{name}: newly loaded, {shown(new[name])}")
        elif (old[name]["version"], old[name]["file"]) != (new[name]["version"],
                                                           new[name]["file"]):
            lines.append(f"{name}: {shown(old[name])} -> {shown(new[name])}")
    return lines
