"""The `permanence` command line: a thin edge over the store and the pure core.

Every mistake a user can make ends in one plain line per problem on standard error and a
non-zero exit, never a traceback, and changes nothing. The commands live in `records`, `views`,
`running` and `web`; they are registered here, with the order and the one-line descriptions
that `permanence --help` gives them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from permanence.cli import explanations, improvements, records, running, views, web
from permanence.cli.scorecard import scorecard_command
from permanence.cli.settings import Settings
from permanence.cli.ssda903 import import_ssda903
from permanence.collector import no_collection_at_exit
from permanence.config import rules_from_environment

COMMAND_ORDER = ("demo", "examples", "init", "import", "record", "pause", "extend", "explain",
                 "annotate",
                 "status", "timeline", "history", "check", "serve", "web", "user", "report",
                 "measures", "scorecard", "rules", "purge")
"""`permanence --help` lists the commands in the order of a day's work with the tool: try it,
set it up, keep the records, look, run the daily check, show and measure, keep it tidy."""


class DayOrder(TyperGroup):
    """The command group that lists its commands in COMMAND_ORDER (typer's lists them in the
    order they were made, sub-groups last)."""

    def list_commands(self, ctx: Any) -> list[str]:  # typer's own (vendored) click Context
        return sorted(super().list_commands(ctx), key=lambda name: (
            COMMAND_ORDER.index(name) if name in COMMAND_ORDER else len(COMMAND_ORDER)))


app = typer.Typer(cls=DayOrder, no_args_is_help=True, add_completion=False,
                  pretty_exceptions_enable=False, rich_markup_mode=None,
                  help="Tracks each child's permanence milestones against rule-defined timelines.")
rules_app = typer.Typer(no_args_is_help=True, help="Check rule files before using them.")
import_app = typer.Typer(no_args_is_help=True,
                         help="Import leads, cases, events, pauses, extensions, inbox, SSDA903.")
app.add_typer(rules_app, name="rules")
user_app = typer.Typer(no_args_is_help=True, help="Say who may sign in to the web page.")
app.add_typer(import_app, name="import")
app.add_typer(user_app, name="user")


@app.callback()
def global_options(
    ctx: typer.Context,
    db: Annotated[str | None, typer.Option(
        "--db", metavar="URL",
        help="Store URL (default: $PERMANENCE_DB, then sqlite:///permanence.db).")] = None,
    rules: Annotated[list[Path] | None, typer.Option(
        "--rules", metavar="PATH",
        help="Rule file or folder added to the built-ins (repeatable); replaces a built-in "
             "timeline of the same name.")] = None,
) -> None:
    ctx.obj = settings = Settings(db=db, rules=[*rules_from_environment(), *(rules or [])])
    ctx.call_on_close(settings.close)


# Each command with the line `permanence --help` gives it (whole: a longer description would
# be cut at the terminal's width); the commands are listed in the order of COMMAND_ORDER.
for name, command, short_help in (
        ("demo", running.demo, "The main job on sample data, start to finish: try it first."),
        ("examples", running.examples, "Write the sample files into a folder, for the tour."),
        ("init", running.init, "Create the store, or upgrade it in place."),
        ("record", records.record, "Record a step done, booked, or no longer applying."),
        ("pause", records.pause, "Pause a case's clocks for a while."),
        ("extend", records.extend, "Record a new due date agreed by a lead."),
        ("explain", explanations.explain, "Say why a step is drifting, what is next, by when."),
        ("annotate", improvements.annotate, "Note a change to practice, drawn on run charts."),
        ("status", views.status, "Every open case's milestones: Red, Amber, Green."),
        ("timeline", views.timeline, "One child's timeline, step by step."),
        ("history", views.history, "Everything recorded for a case, and its changes."),
        ("check", running.check, "Run the daily drift check now."),
        ("serve", running.serve, "Run the daily check at 07:00, and the web page."),
        ("web", web.web, "Serve the web page on its own."),
        ("report", views.report, "Write the HTML report for a day."),
        ("measures", views.measures, "The report's figures as data (JSON or CSV)."),
        ("scorecard", scorecard_command, "The adoption scorecard: A1, A2, A3, A10."),
        ("purge", running.purge, "Remove children's names from long-closed cases.")):
    app.command(name, short_help=short_help)(command)
rules_app.command("validate")(running.rules_validate)
import_app.command("leads")(records.import_leads)
import_app.command("cases")(records.import_cases)
import_app.command("events")(records.import_events)
import_app.command("pauses")(records.import_pauses)
import_app.command("extensions")(records.import_extensions)
import_app.command("inbox")(records.import_inbox)
import_app.command("ssda903")(import_ssda903)
user_app.command("add")(web.user_add)
user_app.command("remove")(web.user_remove)
user_app.command("list")(web.user_list)


def main() -> None:
    no_collection_at_exit()
    app()
