"""`permanence annotate`: the improvement changes a PDSA cycle reads its run charts against.
A change is about no one case, so it is kept apart from the case records and drawn on every
run chart of the report."""

from __future__ import annotations

from typing import Annotated

import typer

from permanence import csvfiles
from permanence.cli.settings import Settings, plain_errors, session_for
from permanence.clock import service_today
from permanence.errors import BadInput
from permanence.store.annotations import add_annotation, list_annotations, remove_annotation
from permanence.terminal import out

ANNOTATION_LIMIT = 200
"""The most characters an annotation may have: it is drawn on every run chart."""


@plain_errors
def annotate(
    ctx: typer.Context,
    text: Annotated[str | None, typer.Argument(
        metavar="TEXT", help="What changed, in a few words (drawn on every run chart).")] = None,
    on: Annotated[str | None, typer.Option(
        "--on", metavar="DATE", help="The day the change was made, YYYY-MM-DD (default "
                                     "today).")] = None,
    listing: Annotated[bool, typer.Option(
        "--list", help="List the changes recorded, oldest first, with their numbers.")] = False,
    remove: Annotated[int | None, typer.Option(
        "--remove", metavar="NUMBER", help="Forget the change with this number (one recorded "
                                           "by mistake).")] = None,
) -> None:
    """Record an improvement change (a PDSA cycle's test, a new way of working) on the day it
    was made: every run chart in the report draws it as a labelled line, so a shift or a trend
    can be read against what changed. --list shows them; --remove NUMBER forgets one."""
    settings: Settings = ctx.obj
    if sum((text is not None, listing, remove is not None)) != 1:
        raise BadInput("give the change's TEXT (with --on DATE), or --list, or --remove NUMBER: "
                       "one of them")
    if on is not None and text is None:
        raise BadInput("--on goes with the change's TEXT: permanence annotate --on DATE TEXT")
    if listing:
        with session_for(settings) as session:
            changes = list_annotations(session=session)
        if not changes:
            out.print("No improvement change recorded yet: permanence annotate --on DATE TEXT",
                      markup=False)
        for change in changes:
            out.print(f"{change.id:>4}  {change.on}  {change.text}", markup=False,
                      soft_wrap=True)
        return
    if remove is not None:
        with session_for(settings) as session:
            removed = remove_annotation(session=session, annotation_id=remove)
        if removed is None:
            raise BadInput(f"no change is numbered {remove}; `permanence annotate --list` shows "
                           "them")
        out.print(f"Removed change {removed.id} ({removed.on}: {removed.text})", markup=False,
                  soft_wrap=True)
        return
    assert text is not None
    text = text.strip()
    if not text:
        raise BadInput("TEXT is empty; say what changed")
    if (problem := csvfiles.text_problem("TEXT", text)) is not None:
        raise BadInput(problem)
    if len(text) > ANNOTATION_LIMIT:
        raise BadInput(f"TEXT has {len(text)} characters; at most {ANNOTATION_LIMIT}, as it is "
                       "drawn on every run chart: say more in your PDSA record")
    today = service_today()
    try:
        day = today if on is None else csvfiles.parse_date(on, "--on", today)
    except ValueError as error:
        raise BadInput(str(error)) from None
    with session_for(settings) as session:
        change = add_annotation(session=session, changed_on=day, text=text)
    out.print(f"Recorded change {change.id} on {change.on}: {change.text}", markup=False,
              soft_wrap=True)
