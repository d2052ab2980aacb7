"""Invariants of the SSDA903 import over many SYNTHETIC returns (permanence.ssda903.synthetic):
cutting one extract into annual returns, read in any order, gives the same cases and dates; and
importing the same return twice into a real store changes nothing."""

from __future__ import annotations

import random
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
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


class TestReimport:
    """Importing the same return twice changes nothing in the store: not a case, not a date,
    not a timestamp."""

    @settings(max_examples=8, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(seed=st.integers(0, 2**32 - 1), children=st.integers(1, 15))
    def test_twice_changes_nothing(self, seed: int, children: int) -> None:
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite:///{folder}/permanence.db"
            files = synthetic.tables_csv(synthetic.extract(children, seed=seed))
            for name, content in files.items():
                Path(folder, name).write_text(content, encoding="utf-8")
            Path(folder, "leads.csv").write_text(
                "lead_id,name,role,team,notify\nsw-1,Sam,social_worker,north,json://h/x\n",
                encoding="utf-8")
            runner = CliRunner()

            def run(*args: str) -> None:
                result = runner.invoke(app, ["--db", url, *args], catch_exceptions=False)
                assert result.exit_code == 0, result.output

            run("init")
            run("import", "leads", f"{folder}/leads.csv")
            names = [f"{folder}/{name}" for name in files]
            run("import", "ssda903", *names, "--team", "north", "--social-worker", "sw-1")
            before = everything(url)
            run("import", "ssda903", *names, "--team", "north", "--social-worker", "sw-1")
            assert everything(url) == before


def everything(url: str) -> list[list[tuple[Any, ...]]]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return [[tuple(row) for row in connection.execute(text(f"SELECT * FROM {table}"))]
                    for table in ('"case"', "milestone_completion", "milestone_event",
                                  "route_change")]
    finally:
        engine.dispose()
