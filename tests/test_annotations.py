"""Annotations: improvement changes recorded with `permanence annotate --on DATE TEXT`, listed,
removed, kept in the store (SQLite and PostgreSQL), carried by the measures up to the as-of
date and drawn as a labelled line on every run chart of the report."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from conftest import text_of
from typer.testing import CliRunner, Result

from permanence.cli import app
from permanence.evaluate import CaseFacts, LeadDirectory, evaluate
from permanence.measures import MonthMeasure, measure
from permanence.measures.figures import Annotation
from permanence.report.charts import annotation_x, run_chart_svg
from permanence.timelines import parse_rule_text

runner = CliRunner()


def run(url: str, *args: str) -> Result:
    return runner.invoke(app, ["--db", url, *args])


@pytest.fixture
def store_url(db_url: str) -> str:
    assert run(db_url, "init").exit_code == 0
    return db_url


class TestAnnotateCommand:
    """`annotate --on DATE TEXT` records a change and says its number; `--list` lists them
    oldest first; `--remove NUMBER` forgets one; every mistake is one plain line and exit 1."""

    def test_record_list_remove(self, store_url: str) -> None:
        first = run(store_url, "annotate", "--on", "2026-03-01", "Legal clinic every week")
        assert (first.exit_code, first.stdout) == (
            0, "Recorded change 1 on 2026-03-01: Legal clinic every week\n")
        second = run(store_url, "annotate", "--on", "2026-01-12", "  Health assessment booked at "
                     "the first review (PDSA 2)  ")
        assert second.stdout == ("Recorded change 2 on 2026-01-12: Health assessment booked at "
                                 "the first review (PDSA 2)\n")
        listed = run(store_url, "annotate", "--list")
        assert (listed.exit_code, listed.stdout) == (0, (
            "   2  2026-01-12  Health assessment booked at the first review (PDSA 2)\n"
            "   1  2026-03-01  Legal clinic every week\n"))
        removed = run(store_url, "annotate", "--remove", "1")
        assert (removed.exit_code, removed.stdout) == (
            0, "Removed change 1 (2026-03-01: Legal clinic every week)\n")
        assert run(store_url, "annotate", "--list").stdout == (
            "   2  2026-01-12  Health assessment booked at the first review (PDSA 2)\n")
        assert run(store_url, "annotate", "--remove", "2").exit_code == 0
        assert run(store_url, "annotate", "--list").stdout == (
            "No improvement change recorded yet: permanence annotate --on DATE TEXT\n")

    @pytest.mark.parametrize(("args", "message"), [
        ((), ("give the change's TEXT (with --on DATE), or --list, or --remove NUMBER: one of "
             "them")),
        (("--list", "x"), ("give the change's TEXT (with --on DATE), or --list, or --remove "
                          "NUMBER: one of them")),
        (("--on", "2026-03-01", "--list"), ("--on goes with the change's TEXT: permanence "
                                           "annotate --on DATE TEXT")),
        (("--on", "2026-03-01", "   "), "TEXT is empty; say what changed"),
        (("--on", "2099-03-01", "x"), "--on 2099-03-01 is in the future"),
        (("--on", "1 March", "x"), "--on '1 March' is not a date in the form YYYY-MM-DD"),
        (("--on", "2026-03-01", "a\nb"), "TEXT contains a line break (U+000A, character 2)"),
        (("--on", "2026-03-01", "x" * 201), ("TEXT has 201 characters; at most 200, as it is "
                                            "drawn on every run chart")),
        (("--remove", "7"), "no change is numbered 7; `permanence annotate --list` shows them"),
    ], ids=["nothing", "text-and-list", "on-without-text", "empty", "future", "not-a-date",
            "line-break", "too-long", "unknown-number"])
    def test_refused(self, sqlite_url: str, args: tuple[str, ...], message: str) -> None:
        assert run(sqlite_url, "init").exit_code == 0
        result = run(sqlite_url, "annotate", *args)
        assert result.exit_code == 1
        assert message in result.output
        assert "Traceback" not in result.output
        assert run(sqlite_url, "annotate", "--list").stdout.startswith("No improvement change")


RULES = {"t": parse_rule_text("""\
timeline: t
title: T
jurisdiction: scotland
version: "1"
milestones:
  - id: start
    title: Start
  - id: step
    title: Step
    after: start
    within: 10 days
    target: 80%
""", "t.yaml")}


class TestMeasuresCarryThem:
    """measure() keeps the annotations dated on or before the as-of date, oldest first (one
    day's in the order recorded), and prints them in its JSON."""

    def test_up_to_the_as_of_date(self) -> None:
        facts = [CaseFacts("C-1", "t", "north", "sw-1", date(2026, 1, 5), None,
                           {"step": date(2026, 1, 10)})]
        evaluation = evaluate(RULES, facts, LeadDirectory([]), date(2026, 3, 31))
        notes = [Annotation(date(2026, 4, 1), "after the as-of date", 3),
                 Annotation(date(2026, 3, 1), "second", 2),
                 Annotation(date(2026, 3, 1), "first", 1),
                 Annotation(date(2026, 3, 31), "on the as-of date", 4)]
        measured = measure(timelines=RULES, facts=facts, evaluation=evaluation, lead_ids=set(),
                           as_of=date(2026, 3, 31), annotations=notes)
        assert [note.text for note in measured.annotations] == [
            "first", "second", "on the as-of date"]
        assert measured.as_json()["annotations"][0] == {"id": 1, "on": "2026-03-01",
                                                        "text": "first"}


class TestDrawn:
    """An annotation is a vertical line at its date, labelled with the date and its text (cut
    to 28 characters); one outside the months shown is not drawn."""

    MONTHS = ("2026-01", "2026-02", "2026-03")

    def test_position(self) -> None:
        # month i spans i - 0.5 to i + 0.5; 1 March is the middle of March's first of 31 days
        assert annotation_x(date(2026, 3, 1), self.MONTHS) == pytest.approx(1.5 + 0.5 / 31)
        assert annotation_x(date(2026, 2, 28), self.MONTHS) == pytest.approx(0.5 + 27.5 / 28)
        assert annotation_x(date(2025, 12, 31), self.MONTHS) is None

    def test_label_on_the_chart(self) -> None:
        rows = [MonthMeasure("t", "step", "Step", month, 5, 9.0, 12, 4, 0.8, 0, 5, 4, 1, 0)
                for month in self.MONTHS]
        plain = run_chart_svg("Step", rows, self.MONTHS, "drawn")
        noted = run_chart_svg("Step", rows, self.MONTHS, "drawn", annotations=[
            Annotation(date(2026, 2, 9), "Legal clinic every week", 1),
            Annotation(date(2026, 3, 2), "Health assessment booked at the first review", 2),
            Annotation(date(2025, 12, 1), "Before the months shown", 3)])
        assert "#9a3412" not in plain
        # "9 Feb: Legal clinic every week" is 30 characters: the first 27 and an ellipsis
        assert "9 Feb: Legal clinic every w…" in noted
        assert "9 Feb: Legal clinic every we" not in noted
        assert "2 Mar: Health assessment bo…" in noted
        assert "Before the months shown" not in noted


class TestReport:
    """The report from the store draws every change recorded on every run chart and lists
    them whole above the charts; measures.json carries them."""

    def test_drawn_and_listed(self, sqlite_url: str, examples: Path, tmp_path: Path) -> None:
        for args in (("init",), ("import", "leads", str(examples / "leads.csv")),
                     ("import", "cases", str(examples / "cases.csv")),
                     ("import", "events", str(examples / "events.csv")),
                     ("annotate", "--on", "2026-10-05", "Legal clinic every week"),
                     ("annotate", "--on", "2026-11-02", "Papers checklist (PDSA 3)"),
                     ("report", "--as-of", "2026-11-01", "--out", str(tmp_path / "report"))):
            result = run(sqlite_url, *args)
            assert result.exit_code == 0, result.output
        html = (tmp_path / "report" / "index.html").read_text(encoding="utf-8")
        charts = html.count('aria-label="Run chart: ')
        assert charts > 3
        assert html.count("5 Oct: Legal clinic every w…") == charts  # cut to 28 characters
        assert "Papers checklist" not in html  # after the as-of date
        assert ("Improvement changes recorded (a dashed line on every chart): 5 Oct 2026 Legal "
                "clinic every week.") in text_of(html)
        data = json.loads((tmp_path / "report" / "measures.json").read_text(encoding="utf-8"))
        assert data["annotations"] == [{"id": 1, "on": "2026-10-05",
                                        "text": "Legal clinic every week"}]
