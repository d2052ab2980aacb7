"""Invariants of the SSDA903 import over many SYNTHETIC returns (permanence.ssda903.synthetic):
cutting one extract into annual returns, read in any order, gives the same cases and dates; and,
through the real command line on SQLite and PostgreSQL, importing the same return twice changes
nothing and a folder of annual returns stores what the one extract stores."""

from __future__ import annotations

import random
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from conftest import empty_postgres, postgres_url
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from typer.testing import CliRunner

from permanence.cli import app
from permanence.ssda903 import synthetic
from permanence.ssda903.cases import plan_import
from permanence.ssda903.tables import ReturnReader
from permanence.store import make_engine

TODAY = date(2026, 11, 23)
MILESTONES = {
    "adoption": frozenset({"entered_care", "first_review", "second_review", "lac_review",
                           "agency_decision", "placement_order", "matched",
                           "placed_with_adopters", "fostered_by_adopters", "adoption_order"}),
    "other": frozenset({"entered_care", "first_review", "second_review", "lac_review"}),
}


def derived(files: list[tuple[str, str]]) -> dict[str, Any]:
    """Every case read from the files (in that order) with its timeline, dates and end."""
    reader = ReturnReader(TODAY)
    for name, content in files:
        reader.add(name, content.encode())
    plan = plan_import(reader.children(), reader.problems, allocations={}, team="t",
                       social_worker="s", timelines=("adoption", "other"),
                       milestones=MILESTONES)
    assert plan.problems == []
    return {case.period.case_ref: (case.timeline, case.period.closed_on,
                                   case.period.date_of_birth, sorted(
                                       (d.milestone, d.on, d.kind) for d in case.dates))
            for case in plan.cases}


class TestAnnualReturns:
    """One extract, or the same cut into the returns of each year (1 April to 31 March, an
    episode open at the year's end shown open), read in any order: the same cases, the same
    dates."""

    @settings(max_examples=40, deadline=None)
    @given(seed=st.integers(0, 2**32 - 1), children=st.integers(1, 25),
           order=st.randoms(use_true_random=False))
    def test_same_cases_and_dates(self, seed: int, children: int,
                                  order: random.Random) -> None:
        extract = synthetic.extract(children, seed=seed)
        whole = [(name, content) for name, content in synthetic.tables_csv(extract).items()]
        returns = synthetic.annual_returns(extract, date(2018, 3, 31), date(2026, 3, 31))
        split = [(f"{label}/{name}", content) for label, members in returns.items()
                 for name, content in synthetic.tables_csv(members).items()]
        order.shuffle(split)
        assert derived(split) == derived(whole)


def fresh_store(backend: str, folder: str) -> str:
    """An empty store on `backend`: a new SQLite file, or the test PostgreSQL database with
    every table dropped."""
    if backend == "sqlite":
        return f"sqlite:///{folder}/permanence.db"
    return empty_postgres(postgres_url())


def cli_import(url: str, folder: str, *paths: str) -> None:
    """`init`, one lead, then `import ssda903 PATHS` through the real command line."""
    Path(folder, "leads.csv").write_text(
        "lead_id,name,role,team,notify\nsw-1,Sam,social_worker,north,json://h/x\n",
        encoding="utf-8")
    for args in (["init"], ["import", "leads", f"{folder}/leads.csv"],
                 ["import", "ssda903", *paths, "--team", "north", "--social-worker", "sw-1"]):
        result = CliRunner().invoke(app, ["--db", url, *args], catch_exceptions=False)
        assert result.exit_code == 0, result.output


def write_tables(folder: Path, children: list[synthetic.SyntheticChild]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in synthetic.tables_csv(children).items():
        (folder / name).write_text(content, encoding="utf-8")


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
class TestThroughTheCommandLine:
    """The same invariants through `permanence import ssda903` on a real store, on SQLite and
    PostgreSQL."""

    @settings(max_examples=5, deadline=None)
    @given(seed=st.integers(0, 2**32 - 1), children=st.integers(1, 15))
    def test_twice_changes_nothing(self, backend: str, seed: int, children: int) -> None:
        """Not a case, not a date, not a timestamp changes."""
        with tempfile.TemporaryDirectory() as folder:
            url = fresh_store(backend, folder)
            write_tables(Path(folder, "return"), synthetic.extract(children, seed=seed))
            cli_import(url, folder, f"{folder}/return")
            before = everything(url)
            cli_import(url, folder, f"{folder}/return")
            assert everything(url) == before

    @settings(max_examples=5, deadline=None)
    @given(seed=st.integers(0, 2**32 - 1), children=st.integers(1, 15))
    def test_annual_returns_store_the_same(self, backend: str, seed: int,
                                           children: int) -> None:
        """A folder of annual returns stores the same cases and dates as the one extract."""
        extract = synthetic.extract(children, seed=seed)
        stored = []
        for split in (False, True):
            with tempfile.TemporaryDirectory() as folder:
                url = fresh_store(backend, folder)
                if split:
                    for label, members in synthetic.annual_returns(
                            extract, date(2018, 3, 31), date(2026, 3, 31)).items():
                        write_tables(Path(folder, "return", label), members)
                else:
                    write_tables(Path(folder, "return"), extract)
                cli_import(url, folder, f"{folder}/return")
                stored.append(cases_and_dates(url))
        assert stored[0] == stored[1]
        assert stored[0][0]  # some cases


def cases_and_dates(url: str) -> tuple[list[tuple[Any, ...]], ...]:
    """The cases (no timestamps), the dates standing and every review occurrence."""
    return tuple(query(url, sql) for sql in (
        ('SELECT case_ref, timeline, team, social_worker, looked_after_on, closed_on, '
        'date_of_birth FROM "case" ORDER BY case_ref'),
        ("SELECT case_ref, milestone, occurred_on, kind FROM milestone_completion "
        "ORDER BY case_ref, milestone"),
        ("SELECT case_ref, occurred_on FROM milestone_event WHERE milestone = 'lac_review' "
        "ORDER BY case_ref, occurred_on")))


def everything(url: str) -> list[list[tuple[Any, ...]]]:
    """Every row an import may write, timestamps included."""
    return [query(url, f"SELECT * FROM {table} ORDER BY 1, 2") for table in (
        '"case"', "milestone_completion", "milestone_event", "route_change")]


def query(url: str, sql: str) -> list[tuple[Any, ...]]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(sql))]
    finally:
        engine.dispose()
