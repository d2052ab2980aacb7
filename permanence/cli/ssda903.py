"""`permanence import ssda903`: England's national return, loaded as it is (docs/ssda903.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from permanence.cli.settings import Settings, plain_errors, session_for
from permanence.clock import service_today
from permanence.csvfiles import printable
from permanence.national_return import import_return
from permanence.terminal import err, out


@plain_errors
def import_ssda903(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(
        metavar="PATH", help="CSV files, or folders searched for them recursively.")],
    allocations: Annotated[Path | None, typer.Option(
        "--allocations", metavar="FILE",
        help="CSV of CHILD, team, social_worker: who holds each child's cases.")] = None,
    team: Annotated[str | None, typer.Option(
        "--team", metavar="TEAM", help="The team of a child the allocations do not name.")
    ] = None,
    social_worker: Annotated[str | None, typer.Option(
        "--social-worker", metavar="LEAD_ID",
        help="The social worker of a child the allocations do not name.")] = None,
    timelines: Annotated[str | None, typer.Option(
        "--timelines", metavar="ADOPTION,OTHER",
        help="Timelines of periods with and without adoption evidence (default "
             "england-adoption-return,england-looked-after).")] = None,
    strict: Annotated[bool, typer.Option(
        "--strict", help="Any bad row refuses the whole import (default: its child is left "
                         "out and the rest imported).")] = False,
) -> None:
    """Import England's SSDA903 return (children looked after): Header, Episodes, Reviews, AD1
    and PlacedAdoption tables, recognised by their headers; overlapping returns merge. One case
    per period of care (CHILD-YYYYMMDD) with every date the return evidences. A child with a bad
    row is left out (named by file, line and column) and the rest imported."""
    settings: Settings = ctx.obj
    timeline_rules = settings.timelines()
    with session_for(settings) as session:
        done = import_return(paths, session=session, timelines=timeline_rules,
                             today=service_today(), allocations=allocations, team=team,
                             social_worker=social_worker, timeline_names=timelines,
                             strict=strict)
    for warning in done.plan.warnings:
        err.print(printable(f"warning: {warning}"), markup=False)
    for problem in done.plan.problems:
        err.print(printable(str(problem)), markup=False)
    for line in done.lines():  # one line each, however long (a file's path)
        out.print(printable(line), markup=False, soft_wrap=True)
