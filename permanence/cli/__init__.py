"""The `permanence` command line: a thin edge over the store and the pure core.

Every mistake a user can make ends in one plain line per problem on standard error and a
non-zero exit, never a traceback, and changes nothing. The commands live in `records`, `views`,
`running` and `web`; they are registered here, in the order `permanence --help` lists them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from permanence.cli import records, running, views, web
from permanence.cli.settings import Settings
from permanence.config import rules_from_environment

app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
                  rich_markup_mode=None,
                  help="Tracks each child's permanence milestones against rule-defined timelines.")
rules_app = typer.Typer(no_args_is_help=True, help="Check rule files.")
import_app = typer.Typer(no_args_is_help=True,
                         help="Import a CSV file of cases, events, leads, pauses or extensions.")
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


# In the order `permanence --help` lists them.
app.command()(running.init)
app.command()(running.purge)
app.command()(records.record)
app.command()(records.pause)
app.command()(records.extend)
app.command()(views.status)
app.command()(views.timeline)
app.command()(views.history)
app.command()(running.check)
app.command()(running.demo)
app.command()(running.serve)
app.command()(web.web)
app.command()(views.report)
app.command()(views.measures)
rules_app.command("validate")(running.rules_validate)
import_app.command("leads")(records.import_leads)
import_app.command("cases")(records.import_cases)
import_app.command("events")(records.import_events)
import_app.command("pauses")(records.import_pauses)
import_app.command("extensions")(records.import_extensions)
user_app.command("add")(web.user_add)
user_app.command("remove")(web.user_remove)
user_app.command("list")(web.user_list)


def main() -> None:
    app()
