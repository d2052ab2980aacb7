"""`permanence import ssda903` on a return the size of England's (issue 15).

    python benchmarks/ssda903_bench.py [--children 80000] [--years 5] [--db sqlite]
                                       [--db postgresql] [--postgres-url URL] [--keep DIR]

Writes a SYNTHETIC return (permanence.ssda903.synthetic: made-up children, five years of
episodes, reviews, adoptions and agency decisions) as the CSV files a council's case
management system produces, then runs the real `permanence` command, each step in its own
process, against a new store on each database asked for (SQLite by default):

- import: `permanence import ssda903 FOLDER --team ... --social-worker ...` into an empty store
  (after `init` and `import leads`, not timed); target under 2 minutes on SQLite on a 2-core
  machine;
- import again: the same return a second time, which must write nothing.

Each step's seconds are its process's wall time, start to exit, and its peak memory that
process's maximum resident set. Not a timed test: run it and read it.

PostgreSQL: `--postgres-url` or PERMANENCE_BENCH_POSTGRES_URL, a database of the benchmark's
own: every run drops the store's tables in it first.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench import empty_postgres
from scale import Measure, permanence_command, run_command

from permanence.ssda903 import synthetic

TARGET_SECONDS = {"import": 120.0, "import again": 120.0}
STEPS = ("import", "import again")
LEADS = "lead_id,name,role,team,notify\nsw-bench,Bench Worker,social_worker,bench,json://127.0.0.1:9/x\n"


def write_return(children: int, years: int, folder: Path) -> dict[str, int]:
    """The synthetic return's CSV files in `folder`; rows per file."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = {}
    for name, content in synthetic.tables_csv(synthetic.extract(children, years=years)).items():
        (folder / name).write_text(content, encoding="utf-8")
        rows[name] = content.count("\n") - 1
    return rows


def run_database(database: str, url: str, folder: Path, work: Path) -> dict[str, Measure]:
    """Every step on one store; a failed step stops the run with its output."""
    env = {**os.environ, "PERMANENCE_DB": url}
    command = permanence_command()
    leads = work / "leads.csv"
    leads.write_text(LEADS, encoding="utf-8")
    for argv in (["init"], ["import", "leads", str(leads)]):
        measure = run_command([*command, *argv], env, work / f"{database}-setup.log")
        if measure.error:
            raise SystemExit(measure.error)
    measures = {}
    for step in STEPS:
        log = work / f"{database}-{step.replace(' ', '-')}.log"
        measure = run_command([*command, "import", "ssda903", str(folder), "--team", "bench",
                               "--social-worker", "sw-bench"], env, log)
        if measure.error:
            raise SystemExit(measure.error)
        measures[step] = measure
        print(f"{database}, {step}: {log.with_suffix('.out').read_text().splitlines()[-1]}",
              file=sys.stderr)
    return measures


def table(measures: dict[str, Measure]) -> list[str]:
    lines = ["| step | seconds | target | peak MB | result |",
             "| --- | --- | --- | --- | --- |"]
    for step, measure in measures.items():
        target = TARGET_SECONDS[step]
        lines.append(f"| {step} | {measure.seconds:.1f} | {target:.0f} | {measure.peak_mb:.0f} | "
                     f"{'pass' if measure.seconds <= target else 'fail'} |")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--children", type=int, default=80_000)
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument("--db", action="append", choices=("sqlite", "postgresql"))
    parser.add_argument("--postgres-url", default=os.environ.get("PERMANENCE_BENCH_POSTGRES_URL"))
    parser.add_argument("--keep", type=Path, help="write the return and stores here and keep "
                                                  "them (default: a temporary folder)")
    options = parser.parse_args(argv)
    databases = options.db or ["sqlite"]
    if "postgresql" in databases and not options.postgres_url:
        parser.error("--db postgresql needs --postgres-url (or PERMANENCE_BENCH_POSTGRES_URL)")
    with tempfile.TemporaryDirectory() as temporary:
        work = options.keep or Path(temporary)
        work.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        rows = write_return(options.children, options.years, work / "return")
        print(f"SYNTHETIC return of {options.children:,} children over {options.years} years "
              f"written in {time.perf_counter() - started:.1f} s: "
              + ", ".join(f"{name} {count:,} rows" for name, count in rows.items()))
        print(f"{os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.1f}; Python "
              f"{platform.python_version()}")
        for database in databases:
            if database == "sqlite":
                url = f"sqlite:///{work / 'ssda903-bench.db'}"
                (work / "ssda903-bench.db").unlink(missing_ok=True)
            else:
                url = options.postgres_url
                empty_postgres(url)
            measures = run_database(database, url, work / "return", work)
            print(f"\n{'SQLite' if database == 'sqlite' else 'PostgreSQL'}:\n")
            print("\n".join(table(measures)))
            print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
