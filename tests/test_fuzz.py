"""Fuzzed inputs, not only hand-picked ones: random bytes and random near-valid rows for every
importer, random YAML for the rule loader. Each outcome is a success or plain error lines,
never a traceback; a refused import changes nothing in the store.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from typer.testing import CliRunner

from permanence import csvfiles, row_checks, store
from permanence.cli import app
from permanence.errors import PermanenceError
from permanence.models import Case, Lead, MilestoneCompletion, MilestoneEvent
from permanence.timelines import Timeline, parse_rule_text

TODAY = date(2026, 11, 23)
KINDS = {
    "leads": (csvfiles.LEAD_COLUMNS, ()),
    "cases": (csvfiles.CASE_COLUMNS, csvfiles.CASE_OPTIONAL),
    "events": (csvfiles.EVENT_COLUMNS, csvfiles.EVENT_OPTIONAL),
}
FUZZ = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

# Values near the valid ones: real ids and dates, their near misses, and hostile text.
near_values = st.one_of(
    st.sampled_from(["C-1001", "C-9", "sw-north-1", "sw-nobody", "north", "*", "team_leader",
                     "scotland-adoption", "england-adoption", "no-such-timeline", "panel",
                     "health_assessment", "legal_advice", "2026-01-05", "2026-02-30",
                     "1899-12-31", "2027-01-01", "05/01/2026", "", " ", "json://h/inbox",
                     "json://127.0.0.1:99999/x", "foo://bar", "mailto://a@b", "=1+1",
                     "a\nb", "\x1b[31m", "\u202e", "'", '"', ",", "Ava Sample"]),
    st.text(max_size=12),
)


def near_valid_csv(columns: tuple[str, ...]) -> st.SearchStrategy[str]:
    """A header of the right columns (sometimes one dropped, doubled or unknown), rows of
    near-valid values."""
    header = st.lists(st.sampled_from([*columns, "extra", ""]), min_size=1, max_size=8) | st.just(
        list(columns))
    rows = st.lists(st.lists(near_values, min_size=0, max_size=9), max_size=6)

    @st.composite
    def build(draw: st.DrawFn) -> str:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(draw(header))
        writer.writerows(draw(rows))
        return buffer.getvalue()

    return build()


def check_rows(kind: str, path: Path, timelines: dict[str, Timeline]) -> None:
    """Read and check a file as its import does, with a small known world."""
    required, optional = KINDS[kind]
    data = csvfiles.read_csv(path, required, optional)
    if kind == "leads":
        row_checks.check_leads(data)
    elif kind == "cases":
        row_checks.check_cases(data, timelines=timelines, lead_ids={"sw-north-1"}, today=TODAY)
    else:
        row_checks.check_events(data, cases={"C-1001": ("scotland-adoption", date(2025, 1, 13))},
                                timelines=timelines, today=TODAY)


class TestImportChecks:
    """The import checks on their own, many examples: plain errors or rows, nothing else."""

    @pytest.mark.parametrize("kind", sorted(KINDS))
    @FUZZ
    @given(content=st.binary(max_size=400))
    def test_random_bytes(self, kind: str, content: bytes, tmp_path: Path,
                          timelines: dict[str, Timeline]) -> None:
        path = tmp_path / f"{kind}.csv"
        path.write_bytes(content)
        try:
            check_rows(kind, path, timelines)
        except PermanenceError as error:
            assert error.problems and all(line.strip() for line in error.problems)

    @pytest.mark.parametrize("kind", sorted(KINDS))
    @FUZZ
    @given(data=st.data())
    def test_near_valid_rows(self, kind: str, data: st.DataObject, tmp_path: Path,
                             timelines: dict[str, Timeline]) -> None:
        path = tmp_path / f"{kind}.csv"
        path.write_text(data.draw(near_valid_csv(KINDS[kind][0])), encoding="utf-8")
        try:
            check_rows(kind, path, timelines)
        except PermanenceError as error:
            assert error.problems and all(line.strip() for line in error.problems)
            assert all("\x1b" not in line and "\u202e" not in line for line in error.problems)


def store_counts(url: str) -> tuple[int, ...]:
    engine = store.make_engine(url)
    try:
        with engine.connect() as connection:
            return tuple(connection.execute(select(func.count()).select_from(model))  # type: ignore[arg-type]
                         .scalar_one() for model in (Lead, Case, MilestoneEvent,
                                                     MilestoneCompletion))
    finally:
        engine.dispose()


class TestImportCommand:
    """`permanence import` end to end on a real store holding the sample: a fuzzed file is
    imported or refused with exit 1 and plain lines, and a refusal changes nothing."""

    @pytest.fixture
    def sample_store(self, tmp_path_factory: pytest.TempPathFactory, examples: Path) -> str:
        url = f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'permanence.db'}"
        runner = CliRunner()
        for args in (["init"], *(["import", kind, str(examples / f"{kind}.csv")]
                                 for kind in ("leads", "cases", "events"))):
            assert runner.invoke(app, ["--db", url, *args]).exit_code == 0
        return url

    @pytest.mark.parametrize("kind", sorted(KINDS))
    @settings(max_examples=40, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(data=st.data())
    def test_refused_or_imported_never_a_traceback(self, kind: str, data: st.DataObject,
                                                   sample_store: str, tmp_path: Path) -> None:
        path = tmp_path / f"{kind}.csv"
        if data.draw(st.booleans()):
            path.write_bytes(data.draw(st.binary(max_size=300)))
        else:
            path.write_text(data.draw(near_valid_csv(KINDS[kind][0])), encoding="utf-8")
        before = store_counts(sample_store)
        result = CliRunner().invoke(app, ["--db", sample_store, "import", kind, str(path)])
        assert result.exit_code in (0, 1), result.output
        assert result.exception is None or isinstance(result.exception, SystemExit), (
            result.exception)
        if result.exit_code == 1:
            assert result.stderr.strip() and "Traceback" not in result.output
            assert store_counts(sample_store) == before


yaml_scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 10**6),
                         st.sampled_from(["8 days", "10 working days", "6 weeks", "6 months",
                                          "8 dayz", "-1 days", "0 days", "looked_after",
                                          "scotland", "mars", "2026.1", "{", "[", "*a", "&a",
                                          "!!python/object:os.system", ""]),
                         st.text(max_size=10))
yaml_values = st.recursive(
    yaml_scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(
        st.sampled_from(["timeline", "title", "jurisdiction", "version", "milestones", "id",
                         "after", "within", "amber", "owner", "escalate", "to", "source",
                         "x"]), children, max_size=5),
    max_leaves=20)


def to_yaml(value: object, indent: int = 0) -> str:
    """A value as block YAML, written out by hand so any shape (and hostile text) gets in."""
    pad = " " * indent
    if isinstance(value, dict):
        return "".join(f"{pad}{key}:\n{to_yaml(item, indent + 2)}" for key, item in value.items()
                       ) or f"{pad}{{}}\n"
    if isinstance(value, list):
        return "".join(f"{pad}-\n{to_yaml(item, indent + 2)}" for item in value) or f"{pad}[]\n"
    return f"{pad}{'~' if value is None else value}\n"


class TestRuleLoader:
    """Random YAML, random text and random shapes: a Timeline or RuleFileError lines."""

    @FUZZ
    @given(text=st.text(max_size=300))
    def test_random_text(self, text: str) -> None:
        try:
            parse_rule_text(text, "fuzz.yaml")
        except PermanenceError as error:
            assert all(line.startswith("fuzz.yaml") for line in error.problems)

    @FUZZ
    @given(document=yaml_values)
    def test_random_shapes(self, document: object) -> None:
        try:
            parse_rule_text(to_yaml(document), "fuzz.yaml")
        except PermanenceError as error:
            assert all(line.startswith("fuzz.yaml") for line in error.problems)

    @FUZZ
    @given(data=st.data())
    def test_mutated_built_in(self, data: st.DataObject) -> None:
        """A built-in rule file with one line dropped, doubled or garbled."""
        text = (Path(__file__).parents[1] / "rules" / "scotland-adoption.yaml").read_text()
        lines = text.splitlines(keepends=True)
        index = data.draw(st.integers(0, len(lines) - 1))
        change = data.draw(st.sampled_from(["drop", "double", "garble"]))
        if change == "drop":
            del lines[index]
        elif change == "double":
            lines.insert(index, lines[index])
        else:
            lines[index] = data.draw(st.text(max_size=30)) + "\n"
        try:
            parse_rule_text("".join(lines), "fuzz.yaml")
        except PermanenceError as error:
            assert all(line.startswith("fuzz.yaml") for line in error.problems)

    @pytest.mark.parametrize(("text", "problem"), [
        ("[" * 3000 + "]" * 3000, "fuzz.yaml:1: YAML: nested too deeply to be a rule file"),
        ("timeline: x\ntitle: a\x1fb\n",
         "fuzz.yaml:2: YAML: character U+001F is not allowed in a YAML file; remove it"),
    ])
    def test_hostile_shapes_are_plain_errors(self, text: str, problem: str) -> None:
        with pytest.raises(PermanenceError) as refused:
            parse_rule_text(text, "fuzz.yaml")
        assert refused.value.problems == [problem]
