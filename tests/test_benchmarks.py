"""The benchmarks run at a tiny size, so they cannot rot: every step measured, on each database.

Not timed tests: nothing here asserts on speed, only that each step ran and gave its figures.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import postgres_url

REPO = Path(__file__).resolve().parent.parent
SCALE = REPO / "benchmarks" / "scale.py"
STEPS = ("floor", "import", "status", "first check", "next-day check", "report")
NUMBER = r"\d+(?:\.\d+)?(?:-\d+(?:\.\d+)?)?"  # one run's figure, or a range over several
ROW = re.compile(rf"\| (?P<step>[a-z -]+) \| (?P<seconds>{NUMBER}) \| (?P<multiple>{NUMBER}) \| "
                 rf"(?P<target>{NUMBER}|-) \| (?P<peak>{NUMBER}) \| (?P<result>pass|fail|pass "
                 r"\d+/\d+) \|")


def table_rows(output: str, title: str) -> dict[str, re.Match[str]]:
    """The rows of the table printed under `title`, by step."""
    lines = output.splitlines()
    start = lines.index(f"{title}:") + 4  # the title, a blank line, the header and its rule
    assert lines[start - 2].startswith("| step | seconds |"), output
    rows: dict[str, re.Match[str]] = {}
    for line in lines[start:]:
        match = ROW.fullmatch(line)
        if match is None:
            break
        rows[match["step"]] = match
    return rows


class TestScale:
    """`benchmarks/scale.py` at a tiny size, with the test session's Prefect server: the table
    of a database with every step measured (seconds, multiple of the floor, peak memory). Each
    database is its own run (`--db`), so the two test workers share them."""

    @pytest.mark.parametrize("database", ["sqlite", "postgresql"])
    def test_every_step_measured(self, prefect_harness: None, tmp_path: Path,
                                 database: str) -> None:
        from prefect.settings import PREFECT_API_URL

        env = {**os.environ, "PREFECT_API_URL": str(PREFECT_API_URL.value()),
               "PREFECT_HOME": str(tmp_path / "prefect-home")}
        postgres = ["--postgres-url", postgres_url()] if database == "postgresql" else []
        done = subprocess.run(
            [sys.executable, str(SCALE), "--cases", "30", "--keep", str(tmp_path / "work"),
             "--db", database, *postgres], env=env, cwd=REPO, capture_output=True,
            text=True, timeout=300, check=False)
        assert done.returncode == 0, done.stdout + done.stderr
        title = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}[database]
        rows = table_rows(done.stdout, title)
        assert tuple(rows) == STEPS, done.stdout
        for step, row in rows.items():
            assert float(row["seconds"]) > 0, (title, step)
            assert float(row["peak"]) > 0, (title, step)
        assert [row["target"] for row in rows.values()] == ["-", "-", "2", "8", "4", "2"]
        assert f"{database} first check, seconds by the flow's own account" in done.stdout
        other = {"sqlite": "PostgreSQL", "postgresql": "SQLite"}[database]
        assert f"{other}:" not in done.stdout.splitlines(), done.stdout
