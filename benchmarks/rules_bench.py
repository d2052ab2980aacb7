"""How long loading and validating a rule file takes as it grows: every command that loads
rules pays it. Target (issue 16): a 5,000-milestone file in a few seconds.

    python benchmarks/rules_bench.py [--sizes 500 1000 2000 5000]

Each file is one long chain (each milestone after the one before), the worst case for the
cycle check, with escalation tiers on every milestone. Not a timed test: run it and read it.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from permanence.timelines import validate_rule_files


def rule_file(milestones: int) -> str:
    lines = ["timeline: bench", "title: Benchmark route", "jurisdiction: scotland",
             'version: "bench.1"', "milestones:", "  - id: m0", "    title: Start"]
    for number in range(1, milestones):
        lines += [f"  - id: m{number}", f"    title: Step {number}",
                  f"    after: m{number - 1}", "    within: 10 working days",
                  "    amber: 3 days", "    escalate:",
                  "      - {after: 1 day, to: team_leader}",
                  "      - {after: 5 working days, to: service_manager}"]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[500, 1000, 2000, 5000])
    args = parser.parse_args()
    print("| milestones | file size | load and validate |")
    print("| ---: | ---: | ---: |")
    with tempfile.TemporaryDirectory() as folder:
        for size in args.sizes:
            path = Path(folder) / f"bench-{size}.yaml"
            path.write_text(rule_file(size), encoding="utf-8")
            started = time.perf_counter()
            timelines, problems = validate_rule_files([path])
            seconds = time.perf_counter() - started
            assert not problems and len(timelines[0].milestones) == size, problems[:3]
            print(f"| {size:,} | {path.stat().st_size / 1024:,.0f} KiB | {seconds:.2f} s |")


if __name__ == "__main__":
    main()
