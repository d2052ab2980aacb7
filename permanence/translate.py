"""A mapping applied: a source's rows translated into the engine's, and the import's problems
with them said back in the source's own words (its column names and values).

A plain function of the rows and the mapping (permanence.mappings reads the mapping file): no
store, no date of today. Every check of the import (permanence.imports) then applies to the
translated rows as to a file written by hand.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from permanence import csvfiles
from permanence.mappings import DATE_COLUMNS, ENGINE_COLUMNS, FileMapping


@dataclass
class Translation:
    """A source file read as the engine's: the rows that translated, the problems of those
    that did not (each with the source file, line and column), and where each engine value came
    from, so that the import's own problems can be said in the source's words."""

    data: csvfiles.CsvRows
    problems: list[str] = field(default_factory=list)
    origins: dict[int, dict[str, tuple[str, str]]] = field(default_factory=dict)
    """line -> engine column -> (the source's column, the source's value)."""
    skipped: int = 0
    snapshot: bool = False


def read_source(mapping: FileMapping, path: Path, handle: Any) -> csvfiles.CsvRows:
    """A source file's rows under its own header, every column the mapping reads required,
    dropped columns read silently; ImportRefused names its own columns."""
    return csvfiles.read_csv_text(path, handle, mapping.source_columns, mapping.drop)


def translate(mapping: FileMapping, source: csvfiles.CsvRows) -> Translation:
    """The engine's rows for a source's rows: plain, no store, no date of today."""
    path = source.path
    required, optional = ENGINE_COLUMNS[mapping.kind]
    date_columns = DATE_COLUMNS[mapping.kind]
    rows: list[tuple[int, dict[str, str]]] = []
    problems: list[str] = []
    origins: dict[int, dict[str, tuple[str, str]]] = {}
    skipped: dict[str, list[tuple[int, str]]] = {}
    for line, row in source.rows:
        out = dict(mapping.fixed)
        came: dict[str, tuple[str, str]] = {}
        reasons: list[str] = []
        skip: str | None = None
        for engine, column in mapping.columns.items():
            raw = row.get(column, "")
            value = raw
            came[engine] = (column, raw)
            table = mapping.values.get(engine)
            if table is not None and (raw or raw in table):
                if raw in table:
                    value = table[raw]
                elif mapping.unmapped.get(engine, "refuse") == "skip":
                    skip = skip or column
                    skipped.setdefault(column, []).append((line, raw))
                elif mapping.unmapped.get(engine, "refuse") == "refuse":
                    reasons.append(
                        f"{column} {raw!r} is not in the mapping's values for {engine} "
                        f"({mapping.where.rsplit(':', 1)[0]}:"
                        f"{mapping.value_lines.get(engine, 0)}); add it there, or set "
                        f"unmapped: {{{engine}: keep}} (or skip)")
            elif engine in date_columns and raw:
                try:
                    value = mapping.dates.read(raw).isoformat()
                except ValueError as error:
                    reasons.append(f"{column} {raw!r} {error}")
            out[engine] = value
        if mapping.timeline:
            chosen = next((rule for rule in mapping.timeline
                           if all(row.get(column, "") in wanted
                                  for column, wanted in rule.when.items())), None)
            if chosen is None:
                read = ", ".join(f"{column} {row.get(column, '')!r}" for column in
                                 dict.fromkeys(c for rule in mapping.timeline for c in rule.when))
                reasons.append(f"no timeline rule of the mapping matches this row ({read}); add "
                               "a rule for it, or a last rule without when "
                               f"({mapping.where.rsplit(':', 1)[0]}:{mapping.timeline[0].line})")
            else:
                out["timeline"] = chosen.timeline
        if skip is not None:
            continue
        if reasons:
            problems.append(f"{path}:{line}: {'; '.join(reasons)}")
            continue
        for engine in (*required, *optional):
            out.setdefault(engine, "")
        rows.append((line, out))
        origins[line] = came
    warnings = list(source.warnings)
    for column, lines in skipped.items():
        shown = ", ".join(f"{value!r} (line {line})" for line, value in lines[:3])
        more = f" and {len(lines) - 3} more" if len(lines) > 3 else ""
        warnings.append(f"{path}: {len(lines)} row{'s' if len(lines) > 1 else ''} left out: "
                        f"{column} not in the mapping's values, as unmapped: skip says: "
                        f"{shown}{more}")
    return Translation(csvfiles.CsvRows(path, rows, warnings), problems, origins,
                       sum(len(lines) for lines in skipped.values()), mapping.snapshot)


_LINE = re.compile(r"(?P<path>.*?):(?P<line>\d+): (?P<text>.*)\Z", re.S)


def in_source_words(problems: Sequence[str], translation: Translation) -> list[str]:
    """The import's problems about translated rows said with the source's own column names and
    values: `occurred_on 2027-01-02 is in the future` becomes `EVENT_DATE '02/01/2027' (read as
    2027-01-02) is in the future`."""
    path = str(translation.data.path)
    said: list[str] = []
    values = dict(translation.data.rows)
    for problem in problems:
        found = _LINE.match(problem)
        if found is None or found["path"] != path:
            said.append(problem)
            continue
        line = int(found["line"])
        text = found["text"]
        for engine, (column, raw) in translation.origins.get(line, {}).items():
            text = _renamed(text, engine, column, raw, values.get(line, {}).get(engine, ""))
        said.append(f"{path}:{line}: {text}")
    return said


def _renamed(text: str, engine: str, column: str, raw: str, value: str) -> str:
    """`text` with the engine column's name, where it stands for this row's value, as the
    source's column and value."""
    forms = [r"(?= is empty| contains| is only)"]
    if value:
        forms.insert(0, rf" (?P<value>{re.escape(repr(value))}|{re.escape(value)}(?![\w-]))")
    pattern = re.compile(rf"(?<![\w-]){re.escape(engine)}(?:{'|'.join(forms)})")

    def said(found: re.Match[str]) -> str:
        if found.groupdict().get("value") is None:
            return column
        shown = found["value"]
        read = "" if shown in (raw, repr(raw)) else f" (read as {shown})"
        return f"{column} {raw!r}{read}"

    return pattern.sub(said, text)
