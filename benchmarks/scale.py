"""The national daily job at scale, measured as a new user would run it (issue 10).

    python benchmarks/scale.py [--cases 100000] [--runs K] [--db sqlite] [--db postgresql]
                               [--postgres-url URL]

Writes synthetic case lives (bench.case_lives: every stage, recurring reviews, sibling groups,
closed cases, booked dates, steps that no longer apply, pauses and agreed extensions) as the
CSVs a user imports, then runs the real `permanence` commands, each in its own process, against
a store on each database asked for (both by default):

- floor: the project's own in-memory evaluation of the same CSVs, read through the import's
  checks (permanence.csvfiles), built into CaseFacts and evaluate()d; no store, no Prefect;
- import: `permanence import cases`, `events`, `pauses` and `extensions` (after `init` and
  `import leads`, not timed);
- status: `permanence status --format json`, to /dev/null;
- first check: `permanence check` on the store's first day (every initial state), report
  included;
- next-day check: `permanence check` for the next day, the daily job as deployed, report
  included;
- report: `permanence report` alone.

Checks tell the leads, as deployed: every lead's notify URL is a local JSON receiver this
script runs. They need a Prefect server: the one PREFECT_API_URL names, or else one this script
starts (`prefect server start`, with its own PREFECT_HOME) and stops at the end. Each step's
seconds are its process's wall time, start to exit; its peak memory is that process's maximum
resident set (os.wait4). The table gives each step as a multiple of the floor beside issue 10's
target multiple, and passes a step within its multiple and under 2 GB. `--runs K` repeats
everything K times and prints ranges (min-max). Not a timed test: run it and read it.

PostgreSQL: `--postgres-url` or PERMANENCE_BENCH_POSTGRES_URL, a database of the benchmark's
own: every run drops the store's tables in it first.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench import (
    AS_OF,
    IMPORT_ORDER,
    case_lives,
    empty_postgres,
    read_case_lives,
    write_case_lives,
)

POSTGRES_ENV = "PERMANENCE_BENCH_POSTGRES_URL"
MEMORY_LIMIT_MB = 2048
FLOOR = "floor"
STEPS = ("floor", "import", "status", "first check", "next-day check", "report")
TARGETS = {"status": 2.0, "first check": 8.0, "next-day check": 4.0, "report": 2.0}
"""Issue 10's targets, as multiples of the floor; import has a memory target only."""
NEXT_DAY = AS_OF + timedelta(days=1)
SERVER_START_SECONDS = 180.0


class StepFailed(RuntimeError):
    """A command the benchmark ran ended in an error; the message has the end of its output."""


@dataclass
class Measure:
    seconds: float
    peak_mb: float
    error: str | None = None
    """Why the command failed (the end of its output), or None."""


def last_lines(path: Path, count: int = 12, width: int = 300) -> str:
    """The end of a command's output, each line cut short (a failed SQL statement can be
    megabytes long)."""
    lines = path.read_text(errors="replace").splitlines()[-count:]
    return "\n".join(line if len(line) <= width else line[:width] + " ..." for line in lines)


@dataclass
class Results:
    """Per database, per step, one measure per run; the check's own seconds per step."""

    runs: dict[str, dict[str, list[Measure]]] = field(default_factory=dict)
    check_steps: dict[str, list[dict[str, float]]] = field(default_factory=dict)

    def add(self, database: str, step: str, measure: Measure) -> None:
        self.runs.setdefault(database, {}).setdefault(step, []).append(measure)


def run_command(argv: Sequence[str], env: Mapping[str, str], log: Path,
                stdout: Path | None = None) -> Measure:
    """Run one command to its end; its wall time and its own peak RSS (os.wait4 reports the
    child's, where RUSAGE_CHILDREN would keep the largest of every child so far), and the end
    of its output if it failed."""
    out_path = stdout or log.with_suffix(".out")
    with out_path.open("wb") as out, log.open("wb") as err:
        start = time.perf_counter()
        process = subprocess.Popen(list(argv), env=dict(env), stdout=out, stderr=err,
                                   stdin=subprocess.DEVNULL)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    error = None
    if process.returncode != 0:
        error = (f"{' '.join(argv)} exited {process.returncode}:\n"
                 + (last_lines(out_path) + "\n" if stdout is None else "") + last_lines(log))
    # ru_maxrss is in kilobytes on Linux, bytes on macOS.
    scale = 1024 * 1024 if sys.platform == "darwin" else 1024
    return Measure(seconds, usage.ru_maxrss / scale, error)


def required(measure: Measure) -> Measure:
    """`measure`, or StepFailed when its command failed: a step the rest cannot do without."""
    if measure.error:
        raise StepFailed(measure.error)
    return measure


def permanence_command() -> list[str]:
    """The `permanence` console script of this Python, as a user runs it."""
    script = Path(sys.executable).parent / "permanence"
    return [str(script)] if script.exists() else [sys.executable, "-m", "permanence.cli"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def prefect_server(folder: Path) -> Iterator[dict[str, str]]:
    """PREFECT_API_URL if set; else a `prefect server start` of our own (its own PREFECT_HOME,
    no UI, no analytics), stopped when done. Yields the environment the commands need."""
    if os.environ.get("PREFECT_API_URL"):
        yield {}
        return
    port = free_port()
    home = folder / "prefect-home"
    home.mkdir()
    env = {**os.environ, "PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
           "PREFECT_SERVER_UI_ENABLED": "false"}
    prefect = Path(sys.executable).parent / "prefect"
    api = f"http://127.0.0.1:{port}/api"
    with (folder / "prefect-server.log").open("wb") as log:
        server = subprocess.Popen([str(prefect), "server", "start", "--host", "127.0.0.1",
                                   "--port", str(port)], env=env, stdout=log,
                                  stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + SERVER_START_SECONDS
        while True:
            try:
                with urllib.request.urlopen(f"{api}/health", timeout=5) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise StepFailed("the Prefect server did not start; see "
                                 f"{folder / 'prefect-server.log'}:\n"
                                 + (folder / "prefect-server.log").read_text()[-2000:])
            time.sleep(0.5)
        print(f"Prefect server started at {api}", file=sys.stderr)
        yield {"PREFECT_API_URL": api, "PREFECT_HOME": str(home)}
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()


def check_seconds(url: str) -> dict[str, float]:
    """The last check's own seconds per step of its chunks (read, evaluate, compare, write,
    summarise), from its stored summary."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            summary = connection.scalar(text(
                "SELECT summary FROM check_run ORDER BY id DESC LIMIT 1"))
    finally:
        engine.dispose()
    return dict(json.loads(summary or "{}").get("seconds", {}))


def measure_floor(files: Mapping[str, Path], as_of: date) -> None:
    """The floor, in this process (run as its own command by the benchmark)."""
    from permanence.clock import service_today
    from permanence.evaluate import LeadDirectory, evaluate
    from permanence.timelines import load_timelines

    timelines = load_timelines()
    facts, leads = read_case_lives(dict(files), timelines, service_today())
    result = evaluate(timelines, facts, LeadDirectory(leads), as_of)
    print(f"{len(facts)} cases, {len(result.statuses)} milestone statuses")


def run_once(database: str, url: str, files: Mapping[str, Path], folder: Path,
             env: Mapping[str, str], results: Results, check_options: Sequence[str]) -> None:
    """Every step but the floor, once, on a new store at `url`. A step that fails is measured
    all the same and marked; the steps after it still run (a failed import stops the run)."""
    permanence = permanence_command()
    reports = folder / f"reports-{database}"
    shutil.rmtree(reports, ignore_errors=True)
    env = {**env, "PERMANENCE_DB": url, "PERMANENCE_REPORT_DIR": str(reports)}
    logs = folder / f"logs-{database}"
    logs.mkdir(exist_ok=True)

    def step(name: str, *argv: str, stdout: Path | None = None) -> Measure:
        measure = run_command([*permanence, *argv], env,
                              logs / f"{name.replace(' ', '-')}.err", stdout)
        if measure.error:
            print(f"{database}, {name} failed: {measure.error}", file=sys.stderr)
        return measure

    required(step("init", "init"))
    required(step("import-leads", "import", "leads", str(files["leads"])))
    imports = [required(step(f"import-{kind}", "import", kind, str(files[kind])))
               for kind in IMPORT_ORDER[1:]]
    results.add(database, "import", Measure(sum(m.seconds for m in imports),
                                            max(m.peak_mb for m in imports)))
    results.add(database, "status", step("status", "status", "--format", "json", "--as-of",
                                         AS_OF.isoformat(), stdout=Path(os.devnull)))
    for name, day in (("first check", AS_OF), ("next-day check", NEXT_DAY)):
        measure = step(name, "check", "--as-of", day.isoformat(), *check_options)
        results.add(database, name, measure)
        if measure.error:
            continue
        seconds = check_seconds(url)
        seconds["the rest"] = measure.seconds - sum(seconds.values())
        results.check_steps.setdefault(f"{database} {name}", []).append(seconds)
    results.add(database, "report", step("report", "report", "--out", str(folder / "report"),
                                         "--as-of", NEXT_DAY.isoformat()))


def span(values: Sequence[float], digits: int) -> str:
    low, high = min(values), max(values)
    if f"{low:.{digits}f}" == f"{high:.{digits}f}":
        return f"{low:.{digits}f}"
    return f"{low:.{digits}f}-{high:.{digits}f}"


def table(database: str, results: Results) -> list[str]:
    """One markdown table: each step's seconds, multiple of the floor (run by run), target,
    peak MB and whether every run met its targets."""
    steps = results.runs[database]
    floors = [m.seconds for m in steps[FLOOR]]
    lines = ["| step | seconds | x floor | target | peak MB | result |",
             "| --- | ---: | ---: | ---: | ---: | --- |"]
    for name in STEPS:
        measures = steps[name]
        multiples = [m.seconds / floor for m, floor in zip(measures, floors, strict=True)]
        target = TARGETS.get(name)
        passed = [(target is None or multiple <= target) and m.peak_mb < MEMORY_LIMIT_MB
                  and not m.error for m, multiple in zip(measures, multiples, strict=True)]
        errors = sum(1 for m in measures if m.error)
        verdict = ("pass" if all(passed) else "fail" if not any(passed)
                   else f"pass {sum(passed)}/{len(passed)}")
        if errors:
            verdict += f" (error {errors}/{len(measures)})" if len(measures) > 1 else " (error)"
        lines.append(
            f"| {name} | {span([m.seconds for m in measures], 1)} | "
            f"{'1' if name == FLOOR else span(multiples, 1)} | "
            f"{'-' if target is None else f'{target:g}'} | "
            f"{span([m.peak_mb for m in measures], 0)} | {verdict} |")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="\n".join(__doc__.splitlines()[5:]))
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=1, help="repeat everything K times")
    parser.add_argument("--db", action="append", choices=("sqlite", "postgresql"),
                        help="a database to measure on (repeatable; default both)")
    parser.add_argument("--postgres-url", default=os.environ.get(POSTGRES_ENV),
                        help=f"the benchmark's own PostgreSQL database (default ${POSTGRES_ENV}); "
                             "its store tables are dropped at each run")
    parser.add_argument("--no-notify", action="store_true",
                        help="run the checks with --no-notify (the daily job as deployed tells "
                             "the leads: by default it does, to a local receiver)")
    parser.add_argument("--keep", type=Path, metavar="DIR",
                        help="work in DIR and keep it (CSVs, stores, logs, reports)")
    parser.add_argument("--floor", nargs=len(IMPORT_ORDER), metavar="CSV",
                        help=argparse.SUPPRESS)  # the floor's own process
    options = parser.parse_args(argv)
    if options.floor:
        measure_floor(dict(zip(IMPORT_ORDER, map(Path, options.floor), strict=True)), AS_OF)
        return 0
    databases = options.db or ["sqlite", "postgresql"]
    if "postgresql" in databases and not options.postgres_url:
        parser.error(f"PostgreSQL needs --postgres-url or {POSTGRES_ENV} (a database of the "
                     "benchmark's own); or measure SQLite only with --db sqlite")
    if options.cases < 1 or options.runs < 1:
        parser.error("--cases and --runs must be at least 1")
    folder = options.keep or Path(tempfile.mkdtemp(prefix="permanence-scale-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        return measure(options, databases, folder.resolve())
    except StepFailed as error:
        print(f"benchmark stopped: {error}", file=sys.stderr)
        return 1
    finally:
        if options.keep is None:
            shutil.rmtree(folder, ignore_errors=True)


def measure(options: argparse.Namespace, databases: list[str], folder: Path) -> int:
    from permanence.timelines import load_timelines
    from permanence.webhook_receiver import JsonReceiver

    check_options = ["--no-notify"] if options.no_notify else []
    load_before = os.getloadavg()
    started = time.perf_counter()
    lives = case_lives(options.cases, load_timelines())
    with JsonReceiver() as receiver:
        files = write_case_lives(lives, folder, receiver.url_for(""))
        print(f"{options.cases:,} cases, {len(lives.events):,} events, {len(lives.pauses):,} "
              f"pauses, {len(lives.extensions):,} extensions, {len(lives.leads)} leads written "
              f"in {time.perf_counter() - started:.1f} s to {folder}", file=sys.stderr)
        del lives
        results = Results()
        with prefect_server(folder) as prefect_env:
            env = {**os.environ, **prefect_env}
            for run in range(options.runs):
                floor = required(run_command(
                    [sys.executable, __file__, "--floor", *(str(files[k]) for k in IMPORT_ORDER)],
                    env, folder / "floor.err"))
                for database in databases:
                    if database == "sqlite":
                        store = folder / "scale.db"
                        store.unlink(missing_ok=True)
                        url = f"sqlite:///{store}"
                    else:
                        url = options.postgres_url
                        empty_postgres(url)
                    results.add(database, FLOOR, floor)
                    print(f"run {run + 1}/{options.runs}: {database}", file=sys.stderr)
                    try:
                        run_once(database, url, files, folder, env, results, check_options)
                    except StepFailed as error:
                        print(f"{database}: {error}", file=sys.stderr)
                        for step in STEPS:  # the steps it could not reach
                            if len(results.runs[database].get(step, [])) <= run:
                                results.add(database, step, Measure(0.0, 0.0, str(error)))
        messages = len(receiver.messages)
    load_after = os.getloadavg()
    sys.stderr.flush()
    print(f"\n{options.cases:,} cases; {options.runs} run(s); {os.cpu_count()} CPUs; load "
          f"average {load_before[0]:.2f} before, {load_after[0]:.2f} after; Python "
          f"{platform.python_version()}; checks "
          f"{'with --no-notify' if options.no_notify else f'delivered {messages:,} messages'}; "
          f"{time.perf_counter() - started:.0f} s in all\n")
    for database in databases:
        print(f"{'SQLite' if database == 'sqlite' else 'PostgreSQL'}:\n")
        print("\n".join(table(database, results)))
        print()
    failed = any(m.error for steps in results.runs.values() for runs in steps.values()
                 for m in runs)
    if failed:
        print("Steps marked (error) failed: their seconds are the time to the failure; the "
              "reasons are above, on stderr, and in the logs of --keep DIR.\n")
    for label, runs in results.check_steps.items():
        steps = list(dict.fromkeys(name for seconds in runs for name in seconds))
        print(f"{label}, seconds by the flow's own account (queue: the day's digests, send: "
              "delivering them; the rest: process start, Prefect, the lock, the artifacts): "
              + ", ".join(
            f"{name} {span([seconds.get(name, 0.0) for seconds in runs], 1)}"
            for name in steps))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
