"""Mappings: a case management system's own export read as the engine's CSV files.

A mapping file (YAML, docs/mappings.md) says, per kind of file, which of the source's columns
is which engine column, how its dates are written, how its values (step codes, team names,
worker ids) read as the engine's, which rule picks a case's timeline, and which columns to
drop. Read here, with every mistake said with the mapping file's line; applied to a source's
rows by permanence.translate, so that every check of the import (permanence.imports) then
applies as to a file written by hand, and every problem is said with the source file, its line
and the source's own column name.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from yaml import YAMLError
from yaml.error import MarkedYAMLError
from yaml.reader import ReaderError

from permanence import csvfiles
from permanence.errors import MappingFileError
from permanence.located_yaml import LocatedList, LocatedMap
from permanence.located_yaml import load as load_yaml

KINDS = ("leads", "cases", "events", "pauses", "extensions")  # as permanence.imports.KINDS

ENGINE_COLUMNS: Mapping[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "leads": (csvfiles.LEAD_COLUMNS, ()),
    "cases": (csvfiles.CASE_COLUMNS, csvfiles.CASE_OPTIONAL),
    "events": (csvfiles.EVENT_COLUMNS, csvfiles.EVENT_OPTIONAL),
    "pauses": (("case_ref", "paused_from", "reason"), ("paused_to",)),
    "extensions": (csvfiles.EXTENSION_COLUMNS, ()),
}
"""Per kind, its (required, optional) engine columns, as permanence.imports.COLUMNS."""

DATE_COLUMNS: Mapping[str, tuple[str, ...]] = {
    "leads": (), "cases": ("looked_after_on", "date_of_birth", "closed_on"),
    "events": ("occurred_on", "noted_on"), "pauses": ("paused_from", "paused_to"),
    "extensions": ("extended_to", "approved_on")}
"""The engine columns holding dates: read with the file's `date_format`."""

TOP_KEYS = ("source", "note", "date_format", "files")
FILE_KEYS = ("columns", "fixed", "values", "unmapped", "drop", "date_format", "timeline",
             "snapshot")
UNMAPPED = ("refuse", "keep", "skip")
ISO = "yyyy-mm-dd"
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")

_TOKENS = re.compile(r"yyyy|mon|mm|dd|hh|ss|T(?=hh)|[A-Za-z]+|[^A-Za-z]")


# Dates in the source's own form.

@dataclass(frozen=True)
class DateFormat:
    """A date form such as `dd/mm/yyyy`: `yyyy` the year, `mm` the month (1 or 2 digits),
    `mon` its English name's first three letters (any case), `dd` the day (1 or 2 digits); after
    them an optional time of day, `hh`, `mm`, `ss` (read and ignored), which a `T` may introduce;
    anything else as written."""

    text: str
    pattern: re.Pattern[str]

    @classmethod
    def parse(cls, text: str) -> DateFormat:
        """The form, or ValueError saying what is wrong with it."""
        parts: list[str] = []
        seen: set[str] = set()
        timed = False
        for token in _TOKENS.findall(text):
            if token == "hh" and not timed:
                timed = True
                parts.append(r"(?:[01]?\d|2[0-3])")
                seen.add(token)
            elif timed and token in ("mm", "ss"):
                if token in seen:
                    raise ValueError(f"{token!r} appears twice in the time of day")
                seen.add(token)
                parts.append(r"[0-5]\d")
            elif token in ("yyyy", "mm", "mon", "dd") and not timed:
                group = {"yyyy": "year", "mm": "month", "mon": "month", "dd": "day"}[token]
                if group in seen:
                    raise ValueError(f"it gives the {group} twice")
                seen.add(group)
                parts.append({"yyyy": r"(?P<year>\d{4})", "mm": r"(?P<month>\d{1,2})",
                              "mon": r"(?P<month>[A-Za-z]{3})", "dd": r"(?P<day>\d{1,2})"}[token])
            elif token.isalpha() and token != "T":
                raise ValueError(f"{token!r} is not a part of a date; use yyyy, mm or mon, dd "
                                 "(and hh, mm, ss for a time of day after them)")
            else:
                parts.append(re.escape(token))
        missing = [group for group in ("year", "month", "day") if group not in seen]
        if missing:
            raise ValueError(f"it has no {' or '.join(missing)}; e.g. dd/mm/yyyy")
        return cls(text, re.compile("".join(parts) + r"\Z"))

    def read(self, text: str) -> date:
        """The date `text` holds; ValueError when it is not in this form or not a real date."""
        found = self.pattern.match(text)
        if found is None:
            raise ValueError(f"is not a date in the form {self.text}")
        month = found["month"]
        number = (MONTHS.index(month.lower()) + 1 if month.lower() in MONTHS else 0
                  ) if month.isalpha() else int(month)
        try:
            return date(int(found["year"]), number, int(found["day"]))
        except ValueError:
            raise ValueError("is not a real date") from None


ISO_FORMAT = DateFormat.parse(ISO)


# What a mapping file says.

@dataclass(frozen=True)
class TimelineRule:
    """One rule that picks a case's timeline: every source column of `when` holds one of its
    values (no `when`: any row), then the case is on `timeline`."""

    timeline: str
    when: Mapping[str, tuple[str, ...]]
    line: int


@dataclass(frozen=True)
class FileMapping:
    """How one kind of source file reads as the engine's."""

    kind: str
    columns: Mapping[str, str]
    """engine column -> the source's column."""
    fixed: Mapping[str, str] = field(default_factory=dict)
    """engine column -> the value every row gets."""
    values: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    """engine column -> {the source's value: the engine's value}."""
    unmapped: Mapping[str, str] = field(default_factory=dict)
    """engine column -> what a value missing from its value map does: refuse, keep or skip."""
    drop: tuple[str, ...] = ()
    dates: DateFormat = ISO_FORMAT
    timeline: tuple[TimelineRule, ...] = ()
    snapshot: bool = False
    where: str = ""
    """`MAPPING.yaml:LINE` of the file's entry, for messages that point at the mapping."""
    value_lines: Mapping[str, int] = field(default_factory=dict)

    @property
    def source_columns(self) -> tuple[str, ...]:
        """The source columns the file must have: every column mapped or used by a rule."""
        named = [*self.columns.values(),
                 *(column for rule in self.timeline for column in rule.when)]
        return tuple(dict.fromkeys(named))


@dataclass(frozen=True)
class SourceMapping:
    """A whole mapping file: its source's name and a FileMapping per kind it describes."""

    path: str
    source: str
    files: Mapping[str, FileMapping]

    def describe(self, kind: str) -> FileMapping:
        """The FileMapping of `kind`; MappingFileError when the mapping has none."""
        if kind not in self.files:
            named = ", ".join(self.files) or "none"
            raise MappingFileError(f"{self.path}: the mapping describes no {kind} file (it "
                                   f"describes: {named}); add files.{kind}, or import the file "
                                   "without --map")
        return self.files[kind]


class _Problems:
    """Every problem of one mapping file, each at its line and key."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.lines: list[str] = []

    def add(self, line: int, where: str, message: str) -> None:
        self.lines.append(f"{self.path}:{line}: {where}: {message}")


def _describe(value: Any) -> str:
    if isinstance(value, LocatedMap):
        return "a mapping" if value else "an empty mapping"
    if isinstance(value, LocatedList):
        return "a list" if value else "an empty list"
    if value is None:
        return "nothing"
    return repr(value) if isinstance(value, str) else f"{value!r} ({type(value).__name__})"


def _text(value: Any) -> str | None:
    """A scalar as the text a CSV cell would hold (`01` stays `01` only when quoted in the
    YAML); None for a mapping, a list or nothing."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return None


def load_mapping(path: Path) -> SourceMapping:
    """Read and check a mapping file; MappingFileError lists every problem with its line."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise MappingFileError(f"{path}: no such mapping file") from None
    except IsADirectoryError:
        raise MappingFileError(f"{path}: is a folder, not a mapping file") from None
    except UnicodeDecodeError:
        raise MappingFileError(f"{path}: is not UTF-8 text") from None
    return parse_mapping(text, str(path))


def parse_mapping(text: str, path: str) -> SourceMapping:
    """A mapping file's text checked whole; `path` names it in every message."""
    try:
        document = load_yaml(text)
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        raise MappingFileError(f"{path}:{mark.line + 1 if mark else 1}: YAML: "
                               f"{(error.problem or str(error)).strip()}") from None
    except ReaderError as error:
        line = text[:error.position].count("\n") + 1
        raise MappingFileError(f"{path}:{line}: YAML: character U+{error.character:04X} is "
                               "not allowed in a YAML file; remove it") from None
    except (YAMLError, RecursionError) as error:
        raise MappingFileError(f"{path}:1: YAML: {' '.join(str(error).split())}") from None
    if not isinstance(document, LocatedMap):
        raise MappingFileError(f"{path}:1: file: expected a mapping with source and files, got "
                               f"{_describe(document)}")
    problems = _Problems(path)
    for key in document:
        if key not in TOP_KEYS:
            problems.add(document.line_of_key(key), f"key {key!r}",
                         f"unknown key; expected one of {', '.join(TOP_KEYS)}")
    source = _text(document.get("source"))
    if "source" not in document:
        problems.add(document.line, "key 'source'", "missing; name the system the export "
                     "comes from, e.g. source: Mosaic nightly extract")
    elif not source or not source.strip():
        problems.add(document.line_of_value("source"), "key 'source'",
                     f"expected the name of the source system, got {_describe(document['source'])}")
    default_dates = _date_format(document, "date_format", "key 'date_format'", problems,
                                 ISO_FORMAT)
    files: dict[str, FileMapping] = {}
    entries = document.get("files")
    if "files" not in document:
        problems.add(document.line, "key 'files'", "missing; describe at least one of "
                     f"{', '.join(KINDS)}")
    elif not isinstance(entries, LocatedMap) or not entries:
        problems.add(document.line_of_value("files"), "key 'files'",
                     f"expected a mapping of {', '.join(KINDS)}, got {_describe(entries)}")
    else:
        for kind, entry in entries.items():
            where = f"files.{kind}"
            if kind not in KINDS:
                problems.add(entries.line_of_key(kind), where,
                             f"unknown kind of file; expected one of {', '.join(KINDS)}")
            elif not isinstance(entry, LocatedMap):
                problems.add(entries.line_of_value(kind), where, "expected a mapping with "
                             f"columns (and {', '.join(FILE_KEYS[1:])}), got {_describe(entry)}")
            else:
                files[kind] = _file_mapping(kind, entry, entries.line_of_key(kind), where,
                                            path, problems, default_dates)
    if problems.lines:
        raise MappingFileError(sorted(problems.lines, key=lambda problem: int(
            problem[len(path) + 1:].split(":", 1)[0])))
    return SourceMapping(path, (source or "").strip(), files)


def _date_format(node: LocatedMap, key: str, where: str, problems: _Problems,
                 default: DateFormat) -> DateFormat:
    if key not in node:
        return default
    text = node[key]
    if not isinstance(text, str):
        problems.add(node.line_of_value(key), where,
                     f"expected a date form such as dd/mm/yyyy, got {_describe(text)}")
        return default
    try:
        return DateFormat.parse(text)
    except ValueError as error:
        problems.add(node.line_of_value(key), where, f"{text!r} cannot be a date form: {error}")
        return default


def _string_map(node: LocatedMap, key: str, where: str, problems: _Problems) -> dict[str, str]:
    """A mapping of text to text under `key`, each bad pair said at its line."""
    if key not in node:
        return {}
    value = node[key]
    if not isinstance(value, LocatedMap):
        problems.add(node.line_of_value(key), where,
                     f"expected a mapping, got {_describe(value)}")
        return {}
    pairs: dict[str, str] = {}
    for name, item in value.items():
        text, name_text = _text(item), _text(name)
        if name_text is None:
            problems.add(value.line_of_key(name), where, f"{_describe(name)} cannot be a key")
        elif text is None:
            problems.add(value.line_of_value(name), f"{where}.{name_text}",
                         f"expected one value, got {_describe(item)}")
        else:
            pairs[name_text] = text
    return pairs


def _file_mapping(kind: str, node: LocatedMap, line: int, where: str, path: str,
                  problems: _Problems, default_dates: DateFormat) -> FileMapping:
    required, optional = ENGINE_COLUMNS[kind]
    known = (*required, *optional)
    for key in node:
        if key not in FILE_KEYS:
            problems.add(node.line_of_key(key), f"{where}, key {key!r}",
                         f"unknown key; expected one of {', '.join(FILE_KEYS)}")
    columns = _string_map(node, "columns", f"{where}.columns", problems)
    fixed = _string_map(node, "fixed", f"{where}.fixed", problems)
    value_lines: dict[str, int] = {}
    for section, names in (("columns", columns), ("fixed", fixed)):
        for name in names:
            if name not in known:
                problems.add(node[section].line_of_key(name), f"{where}.{section}.{name}",
                             f"{kind} files have no column {name!r}; expected one of "
                             f"{', '.join(known)}")
    for name in set(columns) & set(fixed):
        problems.add(node["fixed"].line_of_key(name), f"{where}.fixed.{name}",
                     f"{name} is also under columns (line "
                     f"{node['columns'].line_of_key(name)}); give it one way")
    values: dict[str, dict[str, str]] = {}
    if "values" in node:
        section = node["values"]
        if not isinstance(section, LocatedMap):
            problems.add(node.line_of_value("values"), f"{where}.values",
                         f"expected a mapping of engine columns, got {_describe(section)}")
        else:
            for name in section:
                value_lines[str(name)] = section.line_of_key(name)
                if name not in columns:
                    problems.add(section.line_of_key(name), f"{where}.values.{name}",
                                 f"{name!r} is not under columns; a value map translates a "
                                 "column read from the source")
                values[str(name)] = _string_map(section, name, f"{where}.values.{name}",
                                                problems)
    unmapped = _string_map(node, "unmapped", f"{where}.unmapped", problems)
    for name, choice in unmapped.items():
        choice_line = node["unmapped"].line_of_value(name)
        if name not in values:
            problems.add(choice_line, f"{where}.unmapped.{name}", f"{name!r} has no value map "
                         "under values; unmapped says what a value missing from one does")
        if choice not in UNMAPPED:
            problems.add(choice_line, f"{where}.unmapped.{name}",
                         f"expected one of {', '.join(UNMAPPED)}, got {choice!r}")
    drop: list[str] = []
    if "drop" in node:
        items = node["drop"]
        if not isinstance(items, LocatedList):
            problems.add(node.line_of_value("drop"), f"{where}.drop",
                         f"expected a list of the source's columns, got {_describe(items)}")
        else:
            for item_line, item in zip(items.item_lines, items, strict=True):
                text = _text(item)
                if text is None:
                    problems.add(item_line, f"{where}.drop", f"expected a column name, got "
                                 f"{_describe(item)}")
                elif text in columns.values():
                    engine = next(name for name, source in columns.items() if source == text)
                    problems.add(item_line, f"{where}.drop", f"{text!r} is mapped to {engine} "
                                 "under columns; a column is either read or dropped")
                else:
                    drop.append(text)
    dates = _date_format(node, "date_format", f"{where}.date_format", problems, default_dates)
    rules = _timeline_rules(node, where, problems) if "timeline" in node else ()
    if "timeline" in node and kind != "cases":
        problems.add(node.line_of_key("timeline"), f"{where}.timeline",
                     "only a cases file has a timeline")
    elif "timeline" in node and ("timeline" in columns or "timeline" in fixed):
        problems.add(node.line_of_key("timeline"), f"{where}.timeline",
                     "the timeline is also under columns or fixed; give it one way")
    snapshot = node.get("snapshot", False)
    if not isinstance(snapshot, bool):
        problems.add(node.line_of_value("snapshot"), f"{where}.snapshot",
                     f"expected true or false, got {_describe(snapshot)}")
        snapshot = False
    elif snapshot and kind != "cases":
        problems.add(node.line_of_value("snapshot"), f"{where}.snapshot",
                     "only a cases file can be a snapshot (every open case)")
    given = set(columns) | set(fixed) | ({"timeline"} if "timeline" in node else set())
    for name in required:
        if name not in given:
            hint = (", or pick it with timeline rules" if name == "timeline" and kind == "cases"
                    else "")
            problems.add(line, where, f"no column gives {name}; map it under columns "
                         f"(or give every row one value under fixed{hint})")
    return FileMapping(kind, columns, fixed, values, unmapped, tuple(drop), dates, tuple(rules),
                       bool(snapshot), f"{path}:{line}", value_lines)


def _timeline_rules(node: LocatedMap, where: str, problems: _Problems) -> list[TimelineRule]:
    items = node["timeline"]
    where = f"{where}.timeline"
    if not isinstance(items, LocatedList) or not items:
        problems.add(node.line_of_value("timeline"), where,
                     "expected a list of rules, each `- when: {COLUMN: value}` with "
                     f"`timeline: NAME`, got {_describe(items)}")
        return []
    rules: list[TimelineRule] = []
    for number, (line, item) in enumerate(zip(items.item_lines, items, strict=True), start=1):
        here = f"{where}[{number}]"
        if not isinstance(item, LocatedMap):
            problems.add(line, here, f"expected a mapping with when and timeline, got "
                         f"{_describe(item)}")
            continue
        for key in item:
            if key not in ("when", "timeline"):
                problems.add(item.line_of_key(key), f"{here}, key {key!r}",
                             "unknown key; expected when, timeline")
        name = _text(item.get("timeline"))
        if not name or not name.strip():
            problems.add(item.line_of_value("timeline"), f"{here}.timeline",
                         f"expected a timeline name, got {_describe(item.get('timeline'))}")
            continue
        when: dict[str, tuple[str, ...]] = {}
        condition = item.get("when")
        if "when" in item and (not isinstance(condition, LocatedMap) or not condition):
            problems.add(item.line_of_value("when"), f"{here}.when", "expected a mapping of "
                         f"the source's columns to a value or a list, got {_describe(condition)}")
        elif isinstance(condition, LocatedMap):
            for column, wanted in condition.items():
                options = wanted if isinstance(wanted, LocatedList) else [wanted]
                texts = [_text(option) for option in options]
                if not options or None in texts:
                    problems.add(condition.line_of_value(column), f"{here}.when.{column}",
                                 f"expected a value or a list of values, got {_describe(wanted)}")
                    continue
                when[str(column)] = tuple(text for text in texts if text is not None)
        if number < len(items) and not when and "when" not in item:
            problems.add(line, here, "a rule without when matches every row, so the rules "
                         "after it are never used; put it last")
        rules.append(TimelineRule(name, when, line))
    return rules


def is_snapshot_name(name: str) -> bool:
    """A file name marked as a snapshot: the word `snapshot` in it, in any case
    (`cases-snapshot-2026-11-23.csv`)."""
    return re.search(r"(?<![a-z])snapshot(?![a-z])", name.lower()) is not None
