"""`benchmarks/ssda903_bench.py` at a tiny size, so it cannot rot: both steps measured on each
database. Not a timed test: nothing here asserts on speed."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from conftest import postgres_url

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / "benchmarks" / "ssda903_bench.py"
ROW = re.compile(r"\| (?P<step>import|import again) \| (?P<seconds>\d+\.\d) \| 120 \| "
                 r"(?P<peak>\d+) \| (?:pass|fail) \|")


class TestSsda903Bench:
    """A 30-child synthetic return imported twice, on SQLite and PostgreSQL: a table per
    database, each step with its seconds and peak memory; the second import writes nothing."""

    def test_both_steps_measured(self, tmp_path: Path) -> None:
        done = subprocess.run(
            [sys.executable, str(BENCH), "--children", "30", "--db", "sqlite", "--db",
             "postgresql", "--postgres-url", postgres_url(), "--keep", str(tmp_path)],
            cwd=REPO, capture_output=True, text=True, timeout=300, check=False)
        assert done.returncode == 0, done.stdout + done.stderr
        for title in ("SQLite", "PostgreSQL"):
            lines = done.stdout.split(f"\n{title}:\n\n", 1)[1].splitlines()
            assert lines[0] == "| step | seconds | target | peak MB | result |"
            rows = [ROW.fullmatch(line) for line in lines[2:4]]
            assert [row["step"] if row else None for row in rows] == ["import", "import again"]
            assert all(float(row["peak"]) > 0 for row in rows if row)
        for database in ("sqlite", "postgresql"):
            assert re.search(rf"^{database}, import again: Imported 30 children \(\d+ cases: 0 "
                             r"new, 0 changed, \d+ unchanged; 0 dates recorded\); 0 children "
                             r"left out\.$", done.stderr, re.MULTILINE), done.stderr
