"""Commands that set up and run the service: `init`, `examples`, `purge`, `rules validate`,
the daily `check`, `demo` and `serve` (the daily check's schedule and the web page)."""

from __future__ import annotations

import os
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer

from permanence.check import require_prefect_server, run_check
from permanence.cli.settings import Settings, parse_as_of, plain_errors, session_for
from permanence.cli.web import HostOption, PortOption, address
from permanence.clock import service_today
from permanence.config import CheckConfig, web_base_url
from permanence.errors import BadInput, PermanenceError
from permanence.examples import EXAMPLES_DIR
from permanence.imports import plural
from permanence.store import connection, writes
from permanence.terminal import out, print_check_summary
from permanence.timelines import validate_rule_files
from permanence.web.settings import DEFAULT_HOST, DEFAULT_PORT, WebSettings


@plain_errors
def init(ctx: typer.Context) -> None:
    """Create the store, or upgrade one an earlier release wrote, keeping every row (safe to
    run again)."""
    settings: Settings = ctx.obj
    engine = settings.engine(require_schema=False)
    before, after = connection.init_schema(engine)
    if before is not None and before != after:
        out.print(f"Upgraded the store's schema from {before} to {after}; every row kept.")
    out.print(f"Store ready: {engine.url.render_as_string()}")


@plain_errors
def purge(
    ctx: typer.Context,
    closed_before: Annotated[str, typer.Option(
        "--closed-before", metavar="DATE",
        help="YYYY-MM-DD: cases closed before this day lose their names and dates of birth.")],
) -> None:
    """Remove children's names and dates of birth from cases closed before a date; their
    milestones stay, so the measures stay whole."""
    settings: Settings = ctx.obj
    day = parse_as_of(closed_before, option="--closed-before")
    with session_for(settings) as session:
        changed = writes.purge_personal_data(session=session, closed_before=day)
    children = "1 child" if changed == 1 else f"{changed} children"
    out.print(f"Removed the names and dates of birth of {children} whose cases closed before "
              f"{day}; their milestones are kept.", markup=False)


@plain_errors
def examples(folder: Annotated[Path, typer.Argument(metavar="DIR")]) -> None:
    """Write the sample files into DIR (made if need be), so the README's tour works from an
    empty folder: leads, cases, events, pauses, extensions, a later cases extract, a synthetic
    SSDA903 return (ssda903/, one folder per year) and two example mappings with their sample
    exports (mappings/). A file already there is never overwritten: then nothing is written."""
    samples = sorted(EXAMPLES_DIR.glob("*.csv"))
    returns = sorted(EXAMPLES_DIR.glob("ssda903/*/*.csv"))  # a synthetic SSDA903 return
    mapped = sorted([*EXAMPLES_DIR.glob("mappings/*/*.csv"),  # example mappings, and exports
                     *EXAMPLES_DIR.glob("mappings/*/*.yaml")])
    there = [folder / sample.relative_to(EXAMPLES_DIR) for sample in [*samples, *returns, *mapped]
             if (folder / sample.relative_to(EXAMPLES_DIR)).exists()]
    if there:
        raise BadInput(f"{', '.join(map(str, there))} already "
                       f"{'exists' if len(there) == 1 else 'exist'}; nothing written (choose "
                       "another folder, or move them away)")
    try:
        for sample in [*samples, *returns, *mapped]:
            target = folder / sample.relative_to(EXAMPLES_DIR)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(sample, target)
    except OSError as error:
        raise BadInput(f"cannot write the sample files into {folder}: "
                       f"{error.strerror or error}") from None
    out.print(f"Wrote {len(samples)} sample files into {folder}: "
              f"{', '.join(sample.name for sample in samples)}; a synthetic SSDA903 return in "
              f"{folder / 'ssda903'}; and {len({path.parent for path in mapped})} example "
              f"mappings with their sample exports in {folder / 'mappings'}", markup=False,
              soft_wrap=True)


@plain_errors
def rules_validate(paths: Annotated[list[Path], typer.Argument(metavar="PATH...")]) -> None:
    """Check rule files (or folders of them); exit 0, or 1 with one line per problem."""
    timelines, problems = validate_rule_files(paths)
    if problems:
        raise PermanenceError(problems)
    for timeline in timelines:
        recorded = sum(1 for milestone in timeline.milestones if milestone.is_record_only)
        out.print(f"{timeline.path}: ok ({timeline.name} {timeline.version}, "
                  f"{plural(len(timeline.milestones), 'milestone')}"
                  f"{f', {recorded} record-only' if recorded else ''})", markup=False)


@plain_errors
def check(
    ctx: typer.Context,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", metavar="DATE", help="YYYY-MM-DD (default today, Europe/London).")] = None,
    no_notify: Annotated[bool, typer.Option("--no-notify",
                                            help="Evaluate and store; tell nobody.")] = False,
) -> None:
    """Run the daily drift check flow: evaluate, store changes, notify on transitions."""
    settings: Settings = ctx.obj
    day = parse_as_of(as_of)
    environment = CheckConfig.from_environment()
    config = replace(environment, db=settings.url, rules=tuple(settings.rules),
                     notify=environment.notify and not no_notify)
    summary = run_check(config, day)
    print_check_summary(summary)
    if summary.failures:
        raise typer.Exit(1)


@plain_errors
def demo(
    folder: Annotated[Path | None, typer.Option(
        "--dir", metavar="DIR", help="Folder for the demo's SQLite store (default: a new "
                                     "temporary folder).")] = None,
) -> None:
    """The main job end to end on sample data: import, four weeks of daily checks with real
    deliveries to a local receiver, each lead's messages, and the RAG board."""
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    from permanence.demo import run_demo

    raise typer.Exit(run_demo(out, folder, service_today()))


@plain_errors
def serve(
    ctx: typer.Context,
    web: Annotated[bool, typer.Option(
        "--web/--no-web", help="Serve the web page from this process too.")] = True,
    host: HostOption = DEFAULT_HOST,
    port: PortOption = DEFAULT_PORT,
) -> None:
    """Run the daily drift check every morning at 07:00 Europe/London from this machine
    (needs PREFECT_API_URL set to a running Prefect server), and serve the web page."""
    settings: Settings = ctx.obj
    web_settings = WebSettings.from_environment() if web else None
    # Each run reads its settings: a bad value is refused now, not at 07:00, and so is a Dask
    # runner on a SQLite store, exactly as `check` refuses it.
    replace(CheckConfig.from_environment(), db=settings.url).refuse_runner_without_its_store()
    web_base_url()  # the runs link their report there
    if not os.environ.get("PREFECT_API_URL"):
        raise BadInput("set PREFECT_API_URL to a running Prefect server first (start one with "
                       "`prefect server start`, then export "
                       "PREFECT_API_URL=http://127.0.0.1:4200/api)")
    settings.timelines()
    connection.require_schema(settings.engine())
    require_prefect_server(os.environ["PREFECT_API_URL"])
    os.environ["PERMANENCE_DB"] = settings.url
    if settings.rules:
        os.environ["PERMANENCE_RULES"] = os.pathsep.join(str(p) for p in settings.rules)
    if web_settings is not None:
        from permanence.web.server import listen, run_beside, web_app

        # A thread of this process: the page reads the same store, and stops with it.
        page = web_app(settings.engine(), settings.timelines(), web_settings)
        sock = listen(host, port)
        run_beside(page, sock)
        out.print(f"The web page is at {address(host, sock.getsockname()[1])}", markup=False)
    from permanence.deployments.serve import serve as serve_daily_check

    serve_daily_check()
