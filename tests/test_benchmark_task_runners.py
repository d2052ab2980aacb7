"""`benchmarks/task_runners.py` at a tiny size, so it cannot rot: every runner timed.

Not a timed test: nothing here asserts on speed, only that each runner ran each step.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from conftest import postgres_url

REPO = Path(__file__).resolve().parent.parent
SCRIPT = REPO / "benchmarks" / "task_runners.py"
SECONDS = r"\d+\.\d s"
ROW = re.compile(rf"\| (?P<step>[a-z -]+) \| {SECONDS} \| {SECONDS} \(\d+\.\d\dx\) \| "
                 rf"{SECONDS} \(\d+\.\d\dx\) \|")


class TestTaskRunnersBenchmark:
    """The default runner, Dask with a local cluster per run and Dask on a running cluster, each
    through a first and a next-day check on PostgreSQL, in one table."""

    def test_every_runner_timed(self, prefect_harness: None, tmp_path: Path) -> None:
        from prefect.settings import PREFECT_API_URL

        env = {**os.environ, "PREFECT_API_URL": str(PREFECT_API_URL.value()),
               "PREFECT_HOME": str(tmp_path / "prefect-home")}
        # One Dask worker is enough to run every path of the script; each worker is a process
        # importing Prefect and the project, and tests/test_distributed_check.py already runs
        # a real cluster of two.
        done = subprocess.run(
            [sys.executable, str(SCRIPT), "--db", postgres_url(), "--cases", "60",
             "--chunk-size", "20", "--workers", "1"], env=env, cwd=REPO, capture_output=True,
            text=True, timeout=300, check=False)
        assert done.returncode == 0, done.stdout + done.stderr
        lines = done.stdout.splitlines()
        header = lines.index("| step | default | dask, 1 worker started per run | dask, 1 "
                             "worker running |")
        rows = [ROW.fullmatch(line) for line in lines[header + 2:header + 4]]
        assert [row["step"] if row else None for row in rows] == [
            "first check", "next-day check"], done.stdout
