"""Imports stream: a file is read, checked and written a batch at a time in one transaction
(`writes.IMPORT_BATCH` rows), so a national file is never held whole. Batches of two rows here
make every rule cross a batch: a bad row in a later batch still changes nothing, the last of a
step's dates stands, route changes and snapshots see the whole file."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import typer.testing
from sqlalchemy import func, select
from sqlmodel import Session

from permanence import store
from permanence.cli import app
from permanence.models import Case, MilestoneCompletion, MilestoneEvent, RouteChange
from permanence.store import writes

HEADER = "case_ref,milestone,occurred_on\n"


@pytest.fixture(autouse=True)
def batches_of_two(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(writes, "IMPORT_BATCH", 2)


def run(url: str, *args: str) -> typer.testing.Result:
    return typer.testing.CliRunner().invoke(app, ["--db", url, *args])


def counts(url: str) -> dict[str, int]:
    engine = store.make_engine(url)
    try:
        with Session(engine) as session:
            return {model.__name__: session.execute(
                select(func.count()).select_from(model)).scalar_one()
                for model in (Case, MilestoneEvent, MilestoneCompletion, RouteChange)}
    finally:
        engine.dispose()


def standing(url: str, case_ref: str, milestone: str) -> date:
    engine = store.make_engine(url)
    try:
        with Session(engine) as session:
            return session.execute(select(MilestoneCompletion.occurred_on).where(
                MilestoneCompletion.case_ref == case_ref,
                MilestoneCompletion.milestone == milestone)).scalar_one()
    finally:
        engine.dispose()


def test_a_bad_row_in_a_later_batch_changes_nothing(loaded: str, tmp_path: Path) -> None:
    before = counts(loaded)
    events = tmp_path / "events.csv"
    events.write_text(HEADER + "".join(f"C-1001,health_assessment,2025-03-0{day},\n"
                                       for day in range(1, 6))
                      + "C-9999,health_assessment,2025-03-06,\n", encoding="utf-8")
    result = run(loaded, "import", "events", str(events))
    assert result.exit_code == 1
    assert f"{events}:7: unknown case 'C-9999'" in result.output
    assert f"{events}: nothing imported; 1 bad row to fix" in result.output
    assert counts(loaded) == before


def test_a_file_unreadable_after_its_first_batches_changes_nothing(loaded: str,
                                                                   tmp_path: Path) -> None:
    """The header is read at once; a row that is not UTF-8 is reached later (here beyond the
    first 8 KB read), when earlier batches are already written."""
    before = counts(loaded)
    events = tmp_path / "events.csv"
    events.write_bytes((HEADER + "C-1001,health_assessment,2025-03-01,\n" * 400).encode()
                       + b"C-1001,health_assessment,2025-03-02,caf\xe9\n")
    result = run(loaded, "import", "events", str(events))
    assert result.exit_code == 1
    assert (f'{events}: is not UTF-8 text; save it as "CSV UTF-8" and import it again'
            in " ".join(result.output.split()))
    assert counts(loaded) == before


def test_the_last_date_of_a_step_stands_across_batches(loaded: str, tmp_path: Path) -> None:
    before = counts(loaded)
    events = tmp_path / "events.csv"
    events.write_text(HEADER + "C-1001,health_assessment,2025-02-10,\n"
                               "C-1002,health_assessment,2025-03-01,\n"
                               "C-1001,health_assessment,2025-02-07,\n", encoding="utf-8")
    result = run(loaded, "import", "events", str(events))
    assert result.exit_code == 0, result.output
    assert result.output == f"Imported 3 events from {events}.\n"
    assert standing(loaded, "C-1001", "health_assessment") == date(2025, 2, 7)
    assert counts(loaded)["MilestoneEvent"] == before["MilestoneEvent"] + 3


def test_route_changes_and_a_snapshot_see_every_batch(loaded: str, tmp_path: Path,
                                                      examples: Path) -> None:
    """The sample's cases again, the fifth moved to another route and the last left out:
    one route change, said once; the snapshot misses exactly the case left out."""
    lines = (examples / "cases.csv").read_text(encoding="utf-8").splitlines()
    header, rows = lines[0], lines[1:]
    fields = rows[4].split(",")
    old_route = fields[1]
    fields[1] = next(route for route in ("scotland-adoption", "england-adoption")
                     if route != old_route)
    moved = ",".join(fields)
    cases = tmp_path / "cases.csv"
    cases.write_text("\n".join([header, *rows[:4], moved, *rows[5:-1]]) + "\n",
                     encoding="utf-8")
    left_out = rows[-1].split(",")[0]
    before = counts(loaded)
    result = run(loaded, "import", "cases", "--snapshot", str(cases))
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        f"Imported {len(rows) - 1} cases from {cases}.",
        (f"{fields[0]}: route changed from {old_route} to {fields[1]}; its history keeps the "
         "old route and every date recorded."),
        (f"1 open case in the store is not in this snapshot: {left_out}; listed under data "
         "quality until a snapshot holds it or it is closed (closed_on), never closed here.")]
    assert counts(loaded)["RouteChange"] == before["RouteChange"] + 1
